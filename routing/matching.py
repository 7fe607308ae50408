"""Choosing which eligible volunteer a waiting texter is offered to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from routing.limits import ShiftLimits, VolunteerState, free_line_number, refusal

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Seeker:
    """A waiting conversation as the matcher sees it."""

    conversation_id: int
    language: str
    previous_volunteer_id: int | None
    passed_by: frozenset[int]
    missed_by: frozenset[int]


@dataclass(frozen=True)
class Match:
    volunteer_id: int
    line_number: str
    language_fallback: bool
    returning: bool


def preference(seeker: Seeker, volunteer: VolunteerState) -> tuple[bool, bool, bool, int, datetime, int]:
    """Sort key, best first: the volunteer they spoke with before (continuity matters to people
    who come back); one who speaks their language; one who has not already let this offer
    time out; the least loaded; the longest idle. Texts and calls share it."""
    return (
        volunteer.volunteer_id != seeker.previous_volunteer_id,
        seeker.language not in volunteer.languages,
        volunteer.volunteer_id in seeker.missed_by,
        volunteer.active_conversations,
        volunteer.last_assigned_at or _NEVER,
        volunteer.volunteer_id,
    )


def choose_volunteer(
    seeker: Seeker, candidates: Sequence[VolunteerState], limits: ShiftLimits, now: datetime
) -> Match | None:
    """The best eligible volunteer for this texter (by `preference`), or None; never one who
    passed on this texter."""
    eligible = [
        volunteer
        for volunteer in candidates
        if volunteer.volunteer_id not in seeker.passed_by and refusal(volunteer, limits, now) is None
    ]
    if not eligible:
        return None
    best = min(eligible, key=lambda volunteer: preference(seeker, volunteer))
    line_number = free_line_number(limits.line_numbers, best.busy_line_numbers, best.wrap_up_line_numbers)
    assert line_number is not None  # refusal() has checked it
    return Match(
        volunteer_id=best.volunteer_id,
        line_number=line_number,
        language_fallback=seeker.language not in best.languages,
        returning=best.volunteer_id == seeker.previous_volunteer_id,
    )
