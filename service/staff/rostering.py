"""The rota in the database: slots and one-off changes read as `routing.rota` values, the
dated shifts of a window with their sign-ups, signing up (by text or a supervisor's
assignment) under the shift limits, dropping, and the numbered lists volunteers are texted.

The decisions are `routing.rota` (and `routing.limits` through it); this module loads what
they need and writes what they decide.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing import rota as rules
from routing.limits import PastShift, Refusal
from routing.rota import Change, Occurrence, Slot
from service.conversations.escalations import supervisors_to_alert
from service.db import RotaChange, RotaListing, RotaSignup, RotaSlot, Shift, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit

SHIFTS_LISTING = "shifts"
MINE_LISTING = "mine"


@dataclass(frozen=True)
class Staffed:
    """A dated shift and who signed up for it (volunteer ids, in sign-up order)."""

    occurrence: Occurrence
    volunteer_ids: tuple[int, ...]

    @property
    def short_by(self) -> int:
        return max(0, self.occurrence.needed - len(self.volunteer_ids))


def slots(session: Session) -> list[Slot]:
    return [
        Slot(row.id, row.weekday, row.starts, row.ends, row.needed, row.first_day)
        for row in session.scalars(select(RotaSlot).where(RotaSlot.active).order_by(RotaSlot.id))
    ]


def has_slots(session: Session) -> bool:
    return session.scalar(select(RotaSlot.id).where(RotaSlot.active).limit(1)) is not None


def shifts_between(session: Session, timezone: str, start: datetime, end: datetime) -> list[Staffed]:
    """The rota's dated shifts overlapping [start, end), each with its sign-ups."""
    first, last = start.date() - timedelta(days=2), end.date() + timedelta(days=2)
    changes = [
        Change(row.slot_id, row.day, row.cancelled, row.needed)
        for row in session.scalars(select(RotaChange).where(RotaChange.day.between(first, last)))
    ]
    found = rules.occurrences(slots(session), changes, timezone, start, end)
    taken: dict[tuple[int, date], list[int]] = defaultdict(list)
    for slot_id, day, volunteer_id in session.execute(
        select(RotaSignup.slot_id, RotaSignup.day, RotaSignup.volunteer_id)
        .where(RotaSignup.dropped_at.is_(None), RotaSignup.day.between(first, last))
        .order_by(RotaSignup.created_at, RotaSignup.id)
    ):
        taken[(slot_id, day)].append(volunteer_id)
    return [Staffed(occurrence, tuple(taken[occurrence.key])) for occurrence in found]


def find(session: Session, timezone: str, slot_id: int, day: date) -> Staffed | None:
    """One day's shift of a slot, if the rota has it (not cancelled)."""
    zone = ZoneInfo(timezone)
    around = datetime.combine(day, time(12), zone)
    for staffed in shifts_between(session, timezone, around - timedelta(days=1), around + timedelta(days=2)):
        if staffed.occurrence.key == (slot_id, day):
            return staffed
    return None


def worked(session: Session, volunteer_id: int, now: datetime) -> list[PastShift]:
    """Shifts worked in the last week and the one on now (as planned to end), as the limits read them."""
    rows = session.execute(
        select(Shift.started_at, Shift.ended_at, Shift.planned_end_at).where(
            Shift.volunteer_id == volunteer_id, Shift.ended_at.is_(None) | (Shift.ended_at >= now - timedelta(days=8))
        )
    ).all()
    return [PastShift(row.started_at, row.ended_at or max(row.planned_end_at or now, now)) for row in rows]


def signups_of(session: Session, volunteer_id: int, since: datetime) -> list[RotaSignup]:
    return list(
        session.scalars(
            select(RotaSignup)
            .where(RotaSignup.volunteer_id == volunteer_id, RotaSignup.dropped_at.is_(None), RotaSignup.ends_at > since)
            .order_by(RotaSignup.starts_at)
        )
    )


def as_occurrence(signup: RotaSignup) -> Occurrence:
    return Occurrence(signup.slot_id, signup.day, signup.starts_at, signup.ends_at, needed=0)


def sign_up(turn: Turn, volunteer: Volunteer, slot_id: int, day: date, by: str) -> Refusal | Staffed | None:
    """Sign `volunteer` up for one day's slot if it is still open and the shift limits allow
    it (`routing.rota.signup_refusal`): the sign-up's shift, a refusal, or None when the shift
    is gone (begun, cancelled, or full). The slot's row is locked first, so that two
    volunteers taking its last place at once cannot both have it."""
    turn.session.scalars(select(RotaSlot).where(RotaSlot.id == slot_id).with_for_update()).first()
    timezone = turn.runtime.settings.line.timezone
    staffed = find(turn.session, timezone, slot_id, day)
    if staffed is None or not rules.open_slots(
        [staffed.occurrence], {staffed.occurrence.key: staffed.volunteer_ids}, volunteer.id, turn.now
    ):
        return None
    occurrence = staffed.occurrence
    taken = [as_occurrence(row) for row in signups_of(turn.session, volunteer.id, turn.now - timedelta(days=8))]
    refusal = rules.signup_refusal(
        occurrence, worked(turn.session, volunteer.id, turn.now), taken, turn.runtime.shift_limits
    )
    if refusal is not None:
        return refusal
    turn.session.add(
        RotaSignup(
            slot_id=slot_id,
            day=day,
            volunteer_id=volunteer.id,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            created_at=turn.now,
            created_by=by,
            reminders_sent="",
        )
    )
    turn.session.flush()
    return Staffed(occurrence, (*staffed.volunteer_ids, volunteer.id))


def drop(turn: Turn, signup: RotaSignup) -> None:
    """Give a shift back; a supervisor on call hears when that leaves it short soon."""
    signup.dropped_at = turn.now
    turn.session.flush()
    settings = turn.runtime.settings
    staffed = find(turn.session, settings.line.timezone, signup.slot_id, signup.day)
    if staffed is None:
        return
    notice = timedelta(hours=settings.rota.short_notice_hours)
    if rules.short_after_drop(staffed.occurrence, len(staffed.volunteer_ids), notice, turn.now):
        volunteer = turn.session.get(Volunteer, signup.volunteer_id)
        body = turn.runtime.texts.for_supervisor(
            "rota_short_after_drop",
            alias=volunteer.alias if volunteer else "-",
            when=shift_text(staffed.occurrence, settings.line.timezone),
            signed=len(staffed.volunteer_ids),
            needed=staffed.occurrence.needed,
            url=f"{settings.public_url}/dashboard/rota",
        )
        for supervisor in supervisors_to_alert(turn):
            outbox.to_supervisor(turn, supervisor, body)


def assign(turn: Turn, volunteer: Volunteer, slot_id: int, day: date, actor: str) -> Refusal | Staffed | None:
    """A supervisor puts a volunteer on a shift (the same limits apply); audited and told by text."""
    result = sign_up(turn, volunteer, slot_id, day, actor)
    if isinstance(result, Staffed):
        when = shift_text(result.occurrence, zone_of(turn, volunteer))
        audit.record(turn.session, turn.now, actor, "rota_assign", f"volunteer:{volunteer.id}", when)
        outbox.tell_volunteer(turn, volunteer, "rota_assigned", when=when)
    return result


def zone_of(turn: Turn, volunteer: Volunteer) -> str:
    """The zone a volunteer reads times in: their own when set, else the line's."""
    return volunteer.timezone or turn.runtime.settings.line.timezone


def shift_text(occurrence: Occurrence, timezone: str) -> str:
    """A shift as a person reads it on a phone: `Mon 14 Dec 18:00-22:00 EST`, in `timezone`,
    whose abbreviation says which clock (a volunteer may live in another zone than the line)."""
    zone = ZoneInfo(timezone)
    starts, ends = occurrence.starts_at.astimezone(zone), occurrence.ends_at.astimezone(zone)
    return f"{starts:%a %d %b %H:%M}-{ends:%H:%M} {starts:%Z}".strip()


def moment_text(moment: datetime, timezone: str) -> str:
    """A moment as a person reads it: `Tue 15 Dec 02:00 EST`."""
    return f"{moment.astimezone(ZoneInfo(timezone)):%a %d %b %H:%M %Z}"


def remember_listing(turn: Turn, volunteer: Volunteer, kind: str, keys: Sequence[tuple[int, date]]) -> None:
    """The numbered list just texted, so that `#take 2` / `#drop 2` mean what they saw."""
    row = turn.session.get(RotaListing, (volunteer.id, kind))
    entries = ",".join(f"{slot_id}:{day.isoformat()}" for slot_id, day in keys)
    if row is None:
        turn.session.add(RotaListing(volunteer_id=volunteer.id, kind=kind, entries=entries, listed_at=turn.now))
    else:
        row.entries, row.listed_at = entries, turn.now


def listed(turn: Turn, volunteer: Volunteer, kind: str, number: int) -> tuple[int, date] | None:
    """The entry numbered `number` (from 1) in the list last texted; None when there is none."""
    row = turn.session.get(RotaListing, (volunteer.id, kind))
    if row is None or not row.entries or not 1 <= number <= len(row.entries.split(",")):
        return None
    slot_id, day = row.entries.split(",")[number - 1].split(":")
    return int(slot_id), date.fromisoformat(day)
