"""Whether a volunteer may be offered a texter now, and if not, which limit says no."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ShiftPolicy:
    """The line's limits, from `[shifts]` in config."""

    max_concurrent: int
    line_numbers: tuple[str, ...]

    def concurrency_limit(self, personal: int | None) -> int:
        """A volunteer's own limit, never above the line's nor above the threads the pool allows."""
        limit = self.max_concurrent if personal is None else min(personal, self.max_concurrent)
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


@dataclass(frozen=True)
class Refusal:
    """Why a volunteer gets no offer: the limit's name and, when it lapses by itself, when."""

    limit: str
    until: datetime | None = None


def refusal(volunteer: VolunteerState, policy: ShiftPolicy, now: datetime) -> Refusal | None:
    """None when the volunteer may take a texter now; otherwise the first limit that forbids it."""
    if volunteer.on_shift_since is None:
        return Refusal("off_shift")
    if volunteer.break_until is not None and volunteer.break_until > now:
        return Refusal("on_break", volunteer.break_until)
    if volunteer.has_pending_offer:
        return Refusal("offer_pending")
    if volunteer.active_conversations >= policy.concurrency_limit(volunteer.max_concurrent):
        return Refusal("max_concurrent")
    if free_line_number(policy.line_numbers, volunteer.busy_line_numbers) is None:
        return Refusal("no_free_line_number")
    return None


def free_line_number(line_numbers: tuple[str, ...], busy: frozenset[str]) -> str | None:
    """The first line number not already carrying one of this volunteer's conversations.

    Each concurrent conversation gets its own number so it is its own thread on the
    volunteer's phone, and an inbound (volunteer, line number) pair names one conversation.
    """
    for number in line_numbers:
        if number not in busy:
            return number
    return None
