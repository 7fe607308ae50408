"""Shift limits: whether a volunteer may be offered a texter, or start a shift, now; and if
not, which limit says no and until when.

The limits protect volunteers from burnout; the router makes exceeding them impossible
rather than discouraged. A supervisor may lift one limit for one volunteer for a while
(`lifted`), never the number pool: a thread needs its own line number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Names of the limits, as refusals, overrides and the dashboard call them.
OFF_SHIFT = "off_shift"
ON_BREAK = "on_break"
COOLDOWN = "cooldown"
AWAITING_OK = "awaiting_ok"
WRAP_UP = "wrap_up"
MAX_SHIFT = "max_shift"
MAX_CONVERSATIONS = "max_conversations_per_shift"
OFFER_PENDING = "offer_pending"
MAX_CONCURRENT = "max_concurrent"
NO_FREE_LINE_NUMBER = "no_free_line_number"
MIN_REST = "min_rest"
WEEKLY_HOURS = "weekly_hours"
ALREADY_ON_SHIFT = "already_on_shift"
# A conversation of theirs is in imminent danger and the supervisor has not acknowledged it yet.
FOCUS = "focus"

# Limits a supervisor may lift for one volunteer for a while.
LIFTABLE = frozenset({COOLDOWN, AWAITING_OK, MAX_SHIFT, MAX_CONVERSATIONS, MAX_CONCURRENT, MIN_REST, WEEKLY_HOURS})
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ShiftLimits:
    """The line's limits, from `[shifts]` in config, and the line numbers threads can use."""

    line_numbers: tuple[str, ...]
    max_concurrent: int = 2
    max_shift_minutes: int = 240
    max_conversations_per_shift: int = 12
    wrap_up_minutes: int = 15
    cooldown_after_escalation_minutes: int = 20
    long_conversation_minutes: int = 60
    cooldown_after_long_minutes: int = 10
    min_rest_minutes: int = 480
    max_hours_per_week: float = 20
    break_minutes: int = 15

    def concurrency_limit(self, personal: int | None, lifted: frozenset[str] = frozenset()) -> int:
        """A volunteer's own limit, never above the line's (unless lifted) nor above the
        threads the number pool allows."""
        limit = self.max_concurrent if personal is None else min(personal, self.max_concurrent)
        if MAX_CONCURRENT in lifted:
            limit = len(self.line_numbers)
        return max(0, min(limit, len(self.line_numbers)))


@dataclass(frozen=True)
class VolunteerState:
    """What the router knows about a volunteer at `now`, loaded by the service layer."""

    volunteer_id: int
    languages: tuple[str, ...]
    on_shift_since: datetime | None
    break_until: datetime | None
    busy_line_numbers: frozenset[str]
    active_conversations: int
    max_concurrent: int | None
    has_pending_offer: bool
    last_assigned_at: datetime | None
    shift_ends_at: datetime | None = None
    conversations_this_shift: int = 0
    cooldown_until: datetime | None = None
    awaiting_ok: bool = False
    lifted: frozenset[str] = field(default_factory=frozenset)
    # On a phone call now (a caller's, or a callback): counted in `active_conversations`;
    # routing.call_flow rings nobody who is already on the phone.
    on_call: bool = False
    # One of their conversations is in imminent danger and its escalation is not yet
    # acknowledged: that conversation has their whole attention.
    focus: bool = False
    # Threads whose wrap-up form waits for the volunteer's answer: a new texter goes to another
    # free thread first (`free_line_number`), so that the answer reaches no texter.
    wrap_up_line_numbers: frozenset[str] = field(default_factory=frozenset)
    # Experience and lived experience (`routing.matching`): "training", "peer" or
    # "experienced"; what a trainee may take; the topics they opted in to share.
    level: str = "peer"
    trainee_scope: str = "any"
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Refusal:
    """Why not: the limit's name and, when it lapses by itself, when."""

    limit: str
    until: datetime | None = None


def refusal(volunteer: VolunteerState, limits: ShiftLimits, now: datetime) -> Refusal | None:
    """None when the volunteer may be offered a texter now; otherwise the first limit that forbids it."""
    lifted = volunteer.lifted
    if volunteer.on_shift_since is None:
        return Refusal(OFF_SHIFT)
    if volunteer.focus:
        return Refusal(FOCUS)
    if volunteer.break_until is not None and volunteer.break_until > now:
        return Refusal(ON_BREAK, volunteer.break_until)
    if COOLDOWN not in lifted and volunteer.cooldown_until is not None and volunteer.cooldown_until > now:
        return Refusal(COOLDOWN, volunteer.cooldown_until)
    if AWAITING_OK not in lifted and volunteer.awaiting_ok:
        return Refusal(AWAITING_OK)
    if MAX_SHIFT not in lifted and volunteer.shift_ends_at is not None:
        if now >= volunteer.shift_ends_at:
            return Refusal(MAX_SHIFT)
        if now >= volunteer.shift_ends_at - timedelta(minutes=limits.wrap_up_minutes):
            return Refusal(WRAP_UP)
    if MAX_CONVERSATIONS not in lifted and volunteer.conversations_this_shift >= limits.max_conversations_per_shift:
        return Refusal(MAX_CONVERSATIONS)
    if volunteer.has_pending_offer:
        return Refusal(OFFER_PENDING)
    if volunteer.active_conversations >= limits.concurrency_limit(volunteer.max_concurrent, lifted):
        return Refusal(MAX_CONCURRENT)
    if free_line_number(limits.line_numbers, volunteer.busy_line_numbers) is None:
        return Refusal(NO_FREE_LINE_NUMBER)
    return None


def offer_moves_on(volunteer: VolunteerState) -> bool:
    """Whether the offer pending to this volunteer goes on to the next one at once: a volunteer
    with a texter in imminent danger cannot weigh another texter, and waiting out the offer's
    timeout would only keep that other texter waiting. Nobody may lift it; the supervisor's
    acknowledgement (or the conversation's end) does."""
    return volunteer.has_pending_offer and volunteer.focus


def free_line_number(
    line_numbers: tuple[str, ...], busy: frozenset[str], held: frozenset[str] = frozenset()
) -> str | None:
    """The first line number not already carrying one of this volunteer's conversations, and
    not `held` by a wrap-up waiting for its answer unless every free one is.

    Each concurrent conversation gets its own number so it is its own thread on the
    volunteer's phone, and an inbound (volunteer, line number) pair names one conversation.
    """
    free = [number for number in line_numbers if number not in busy]
    return next((number for number in free if number not in held), free[0] if free else None)


@dataclass(frozen=True)
class PastShift:
    started_at: datetime
    ended_at: datetime | None


def hours_in_week(shifts: Sequence[PastShift], now: datetime) -> timedelta:
    """Time on shift within the rolling 7 days before `now` (an open shift counts up to now)."""
    window_start = now - WEEK
    total = timedelta()
    for shift in shifts:
        start = max(shift.started_at, window_start)
        end = min(shift.ended_at or now, now)
        if end > start:
            total += end - start
    return total


def shift_start_refusal(
    shifts: Sequence[PastShift], limits: ShiftLimits, now: datetime, lifted: frozenset[str] = frozenset()
) -> Refusal | None:
    """Whether `#on` may start a shift now: minimum rest since the last one, weekly hours."""
    if any(shift.ended_at is None for shift in shifts):
        return Refusal(ALREADY_ON_SHIFT)
    ended = [shift.ended_at for shift in shifts if shift.ended_at is not None]
    if MIN_REST not in lifted and ended:
        rested_at = max(ended) + timedelta(minutes=limits.min_rest_minutes)
        if rested_at > now:
            return Refusal(MIN_REST, rested_at)
    if WEEKLY_HOURS not in lifted:
        allowance = timedelta(hours=limits.max_hours_per_week)
        if hours_in_week(shifts, now) >= allowance:
            return Refusal(WEEKLY_HOURS, _weekly_hours_free_at(shifts, allowance, now))
    return None


def _weekly_hours_free_at(shifts: Sequence[PastShift], allowance: timedelta, now: datetime) -> datetime:
    """When enough past time has rolled out of the 7-day window to allow starting again
    (to the quarter hour, which is as precise as a volunteer needs)."""
    moment = now
    while hours_in_week(shifts, moment) >= allowance and moment < now + WEEK:
        moment += timedelta(minutes=15)
    return moment


def shift_ends_at(
    started_at: datetime, earlier: Sequence[PastShift], limits: ShiftLimits, lifted: frozenset[str] = frozenset()
) -> datetime | None:
    """When a shift starting now must end: its maximum length, or sooner when the weekly
    hours run out first. None when both limits are lifted."""
    ends: list[datetime] = []
    if MAX_SHIFT not in lifted:
        ends.append(started_at + timedelta(minutes=limits.max_shift_minutes))
    if WEEKLY_HOURS not in lifted:
        left = timedelta(hours=limits.max_hours_per_week) - hours_in_week(earlier, started_at)
        ends.append(started_at + max(left, timedelta()))
    return min(ends) if ends else None


@dataclass(frozen=True)
class Cooldown:
    until: datetime
    needs_ok: bool


def cooldown_after(assigned_at: datetime, closed_at: datetime, escalated: bool, limits: ShiftLimits) -> Cooldown | None:
    """The pause a volunteer gets after a heavy conversation: escalated (then they text #ok
    when ready, and not before the minimum) or very long."""
    if escalated:
        return Cooldown(closed_at + timedelta(minutes=limits.cooldown_after_escalation_minutes), needs_ok=True)
    if closed_at - assigned_at >= timedelta(minutes=limits.long_conversation_minutes):
        return Cooldown(closed_at + timedelta(minutes=limits.cooldown_after_long_minutes), needs_ok=False)
    return None
