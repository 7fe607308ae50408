"""Keeping a waiting texter informed: their new place in line when it improves (at most every
few minutes), an honest estimate of the wait when the line's recent pace allows one, and after
a long wait the choice to keep their place or get the crisis line's options now.

A texter in line may also answer the welcome's topic question or the long-wait question with
a number; `read_queued_reply` tells which, and nothing else a texter writes is taken for one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

# Fewer texters taken in the pace window than this, and no estimate is given: it would be a guess.
MIN_PACE_SAMPLES = 3
# Estimates are rounded up to this many minutes: precise-looking numbers promise too much.
ESTIMATE_STEP_MINUTES = 5
# The replies to the long-wait question.
KEEP_WAITING_REPLY = "1"
CRISIS_OPTIONS_REPLY = "2"


@dataclass(frozen=True)
class QueueRules:
    """From `[matching]` in config."""

    every: timedelta
    long_wait: timedelta
    pace_window: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class Waiting:
    """A texter in line, as the rules see them."""

    place: int
    told_place: int | None
    checked_at: datetime | None
    queued_at: datetime
    long_wait_told: bool


@dataclass(frozen=True)
class QueueNews:
    """What to tell the texter now: a new place (None: nothing), and whether to ask the long-wait question."""

    place: int | None
    ask_long_wait: bool


def due(waiting: Waiting, rules: QueueRules, now: datetime) -> bool:
    """Whether the texter's place is to be compared again now, or the long-wait question asked."""
    checked = waiting.checked_at is None or now - waiting.checked_at >= rules.every
    return checked or (not waiting.long_wait_told and now - waiting.queued_at >= rules.long_wait)


def queue_news(waiting: Waiting, rules: QueueRules, now: datetime) -> QueueNews:
    """A better place than the one last told, when the last comparison is `every` ago; the
    long-wait question once, `long_wait` after they queued."""
    improved = waiting.told_place is None or waiting.place < waiting.told_place
    checked_long_ago = waiting.checked_at is None or now - waiting.checked_at >= rules.every
    return QueueNews(
        place=waiting.place if improved and checked_long_ago else None,
        ask_long_wait=not waiting.long_wait_told and now - waiting.queued_at >= rules.long_wait,
    )


def estimate_minutes(place: int, taken_in_window: int, rules: QueueRules) -> int | None:
    """About how long until a volunteer takes the texter, at the pace texters were taken in
    the last `pace_window`; None when too few were taken to say."""
    if taken_in_window < MIN_PACE_SAMPLES:
        return None
    minutes = place * rules.pace_window.total_seconds() / 60 / taken_in_window
    return max(ESTIMATE_STEP_MINUTES, math.ceil(minutes / ESTIMATE_STEP_MINUTES) * ESTIMATE_STEP_MINUTES)


class ReplyKind(Enum):
    KEEP_WAITING = "keep_waiting"
    CRISIS_OPTIONS = "crisis_options"
    TOPIC = "topic"


@dataclass(frozen=True)
class QueuedReply:
    kind: ReplyKind
    topic: str | None = None


def read_queued_reply(
    body: str, *, long_wait_asked: bool, topics: tuple[str, ...], topic_chosen: bool
) -> QueuedReply | None:
    """A bare number from a texter in line: the answer to the long-wait question once it has
    been asked, else the topic the welcome listed under that number (once). None for anything
    else: the text is simply kept for the volunteer."""
    word = body.strip().rstrip(".")
    if not (word.isascii() and word.isdigit()):
        return None
    if long_wait_asked and word in (KEEP_WAITING_REPLY, CRISIS_OPTIONS_REPLY):
        return QueuedReply(ReplyKind.KEEP_WAITING if word == KEEP_WAITING_REPLY else ReplyKind.CRISIS_OPTIONS)
    number = int(word)
    if not topic_chosen and 1 <= number <= len(topics):
        return QueuedReply(ReplyKind.TOPIC, topics[number - 1])
    return None
