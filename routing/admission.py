"""Letting a texter in: what a text that starts a conversation brings, when the line is paused
or more new people text it at once than it can welcome.

Both are limits on what the line sends back, never on what it keeps or on risk: every text is
stored and assessed, and the crisis text goes back inline before any of this is decided. An
auto-responder texting a paused line gets one reply per period, not one per text (two
auto-responders would otherwise text each other for ever); a burst of new numbers (a flood,
or a line number posted where it should not be) gets one short notice each instead of the
welcome and the place in line, and is queued all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Arrival(Enum):
    """How a text that would start a conversation is received."""

    # Queued, and told so: the welcome, then the place in line (or that nobody is on shift).
    WELCOME = "welcome"
    # Queued, and told only that the line is busier than usual (the line-wide notice).
    BUSY = "busy"
    # Not queued: the line is paused, and the texter is told so.
    PAUSED = "paused"
    # Not queued, and nothing sent: told the line is paused within the period already. The
    # text joins the conversation that got that reply.
    PAUSED_TOLD = "paused_told"


@dataclass(frozen=True)
class AdmissionRules:
    """From `[inbound]` in config."""

    paused_reply_every: timedelta
    new_senders_per_minute: int


@dataclass(frozen=True)
class Knock:
    """What is known when a text would start a conversation."""

    paused: bool
    # The texter has never texted the line before this text.
    new_sender: bool
    # When this texter was last told the line is paused, if ever.
    paused_told_at: datetime | None
    # New senders line-wide in the last minute, this one included.
    new_senders_last_minute: int


def arrival(knock: Knock, rules: AdmissionRules, now: datetime) -> Arrival:
    """How the text is received; the pause comes first (a paused line queues nobody)."""
    if knock.paused:
        if knock.paused_told_at is not None and now - knock.paused_told_at < rules.paused_reply_every:
            return Arrival.PAUSED_TOLD
        return Arrival.PAUSED
    if knock.new_sender and knock.new_senders_last_minute > rules.new_senders_per_minute:
        return Arrival.BUSY
    return Arrival.WELCOME
