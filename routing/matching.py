"""Choosing which eligible volunteer a waiting texter is offered to: who may take them now
(experience, a trainee's scope, a topic the texter named) and, among those, who first.

A texter at risk is held for the experienced volunteers on shift, and a texter who named a
lived-experience topic for the volunteers who share it, each for a configured while and
only when such a volunteer is on shift at all: a hold narrows who is asked first, it never
leaves anyone waiting for somebody who is not there, nor past its limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from routing.limits import ShiftLimits, VolunteerState, free_line_number, refusal

_NEVER = datetime.min.replace(tzinfo=UTC)

# Volunteers' levels.
TRAINING = "training"
PEER = "peer"
EXPERIENCED = "experienced"
LEVELS = (TRAINING, PEER, EXPERIENCED)
# What a volunteer in training may take: anyone; only texters at no risk; anyone, but only
# while an experienced volunteer (a mentor) is on shift.
ANY = "any"
RISK_FREE = "risk_free"
WITH_MENTOR = "with_mentor"
TRAINEE_SCOPES = (ANY, RISK_FREE, WITH_MENTOR)


@dataclass(frozen=True)
class MatchRules:
    """From `[matching]` in config: how long a hold may last."""

    experienced_first: timedelta
    topic_first: timedelta


@dataclass(frozen=True)
class Floor:
    """Who is on shift, free or busy: what a hold could be waiting for."""

    experienced: bool = False
    topics: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Hold:
    """Whom a seeker may be offered to now. `until`: when the narrowing ends by itself (None:
    no narrowing). `mentor_on_shift`: whether a trainee set to `WITH_MENTOR` may take them."""

    experienced_only: bool = False
    topic: str | None = None
    until: datetime | None = None
    mentor_on_shift: bool = True


OPEN = Hold()


@dataclass(frozen=True)
class Seeker:
    """A waiting conversation as the matcher sees it."""

    conversation_id: int
    language: str
    previous_volunteer_id: int | None
    passed_by: frozenset[int]
    missed_by: frozenset[int]
    # "none", "elevated" or "imminent", as the conversation is flagged.
    risk_level: str = "none"
    queued_at: datetime | None = None
    topic: str | None = None
    # A frequent texter's plan may name a volunteer they are offered to first.
    preferred_volunteer_id: int | None = None

    @property
    def first_choice(self) -> int | None:
        """The volunteer offered this texter before anyone else: their plan's, else the one
        they spoke with last."""
        return self.preferred_volunteer_id or self.previous_volunteer_id


def hold_for(seeker: Seeker, floor: Floor, rules: MatchRules, now: datetime) -> Hold:
    """Whom the seeker may be offered to now: an experienced volunteer first when at risk,
    one who shares their topic first when they named one; each hold from the moment they
    queued, and only while such a volunteer is on shift."""
    queued_at = seeker.queued_at or now
    ends: list[datetime] = []
    experienced_only = False
    if seeker.risk_level != "none" and floor.experienced and now < queued_at + rules.experienced_first:
        experienced_only = True
        ends.append(queued_at + rules.experienced_first)
    topic = None
    if seeker.topic is not None and seeker.topic in floor.topics and now < queued_at + rules.topic_first:
        topic = seeker.topic
        ends.append(queued_at + rules.topic_first)
    return Hold(
        experienced_only=experienced_only,
        topic=topic,
        until=min(ends) if ends else None,
        mentor_on_shift=floor.experienced,
    )


def trainee_may_take(scope: str, seeker: Seeker, hold: Hold) -> bool:
    """Whether a volunteer in training with this scope may be offered the seeker."""
    if scope == RISK_FREE:
        return seeker.risk_level == "none"
    if scope == WITH_MENTOR:
        return hold.mentor_on_shift
    return True


def admits(seeker: Seeker, hold: Hold, volunteer: VolunteerState) -> bool:
    """Whether the volunteer may be offered the seeker now (limits aside)."""
    if volunteer.level == TRAINING and not trainee_may_take(volunteer.trainee_scope, seeker, hold):
        return False
    if hold.experienced_only and volunteer.level != EXPERIENCED:
        return False
    return hold.topic is None or hold.topic in volunteer.topics


@dataclass(frozen=True)
class Match:
    volunteer_id: int
    line_number: str
    language_fallback: bool
    returning: bool


def preference(seeker: Seeker, volunteer: VolunteerState) -> tuple[bool, bool, bool, int, datetime, int]:
    """Sort key, best first: their plan's volunteer, else the one they spoke with before
    (continuity matters to people who come back); one who speaks their language; one who has
    not already let this offer time out; the least loaded; the longest idle. Texts and calls
    share it."""
    return (
        volunteer.volunteer_id != seeker.first_choice,
        seeker.language not in volunteer.languages,
        volunteer.volunteer_id in seeker.missed_by,
        volunteer.active_conversations,
        volunteer.last_assigned_at or _NEVER,
        volunteer.volunteer_id,
    )


def choose_volunteer(
    seeker: Seeker, candidates: Sequence[VolunteerState], limits: ShiftLimits, now: datetime, hold: Hold = OPEN
) -> Match | None:
    """The best eligible volunteer for this texter (by `preference`) among those the hold
    admits, or None; never one who passed on this texter."""
    eligible = [
        volunteer
        for volunteer in candidates
        if volunteer.volunteer_id not in seeker.passed_by
        and admits(seeker, hold, volunteer)
        and refusal(volunteer, limits, now) is None
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
