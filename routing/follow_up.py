"""Consented follow-up ("caring contacts"): whether a texter is asked at the end of a
conversation if they want a check-in text later, whether their YES still counts, when the
check-in is due, and whether a text answers it.

Pure: the shell passes the conversation's facts and `now`, and carries the answer out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# How a conversation may end for its texter to be asked: the volunteer ended it, or the texter
# went quiet. A texter who opted out, asked for their data to be deleted, or hung up is not asked.
ASKED_AFTER = frozenset({"volunteer_done", "texter_inactive"})


@dataclass(frozen=True)
class FollowUpRules:
    """`[continuity]`: how long after consent the check-in goes out, how long a YES to the
    question counts, and how long after the check-in a text is its answer."""

    delay: timedelta
    consent_window: timedelta
    answer_window: timedelta


def should_ask(*, escalated: bool, marked: bool, close_reason: str, asked_before: bool, opted_out: bool) -> bool:
    """Ask only at the end of a conversation that was escalated or that the volunteer marked
    (`#followup`), once per conversation, and never a texter who can no longer be texted."""
    return (escalated or marked) and close_reason in ASKED_AFTER and not asked_before and not opted_out


def consent_counts(asked_at: datetime, now: datetime, rules: FollowUpRules) -> bool:
    """A YES (or NO) answers the question only while it is fresh; later it is an ordinary text."""
    return now - asked_at <= rules.consent_window


def check_in_due(consented_at: datetime, rules: FollowUpRules) -> datetime:
    return consented_at + rules.delay


def answers_check_in(sent_at: datetime, now: datetime, rules: FollowUpRules) -> bool:
    """Whether a texter's new text replies to the check-in (and so goes to the same volunteer
    with the note's topics) rather than starting afresh."""
    return sent_at <= now <= sent_at + rules.answer_window
