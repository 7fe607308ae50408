"""The rota's coverage for a report: per weekly slot, the hours scheduled (what it needed),
signed up for, and actually staffed (sign-ups' time on shift); no-shows and fallback calls."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from routing.limits import PastShift
from routing.rota import staffed_time
from service.db import FallbackCall, RotaSignup, RotaSlot, Shift
from service.staff import rostering


@dataclass(frozen=True)
class SlotCoverage:
    slot_id: int
    weekday: int
    times: str
    scheduled_hours: float
    signed_up_hours: float
    staffed_hours: float


@dataclass(frozen=True)
class Coverage:
    slots: tuple[SlotCoverage, ...]
    no_shows: int
    fallback_calls: int

    @property
    def scheduled_hours(self) -> float:
        return round(sum(slot.scheduled_hours for slot in self.slots), 2)

    @property
    def staffed_hours(self) -> float:
        return round(sum(slot.staffed_hours for slot in self.slots), 2)


def coverage(db: Session, timezone: str, start: datetime, end: datetime, now: datetime) -> Coverage:
    """The rota's shifts starting in [start, end) set against the sign-ups and the shifts worked."""
    scheduled: dict[int, timedelta] = defaultdict(timedelta)
    signed: dict[int, timedelta] = defaultdict(timedelta)
    staffed: dict[int, timedelta] = defaultdict(timedelta)
    for staffed_shift in rostering.shifts_between(db, timezone, start, end):
        occurrence = staffed_shift.occurrence
        if not start <= occurrence.starts_at < end:
            continue
        length = occurrence.ends_at - occurrence.starts_at
        scheduled[occurrence.slot_id] += length * occurrence.needed
        signed[occurrence.slot_id] += length * len(staffed_shift.volunteer_ids)
        for volunteer_id in staffed_shift.volunteer_ids:
            worked = [
                PastShift(row.started_at, row.ended_at)
                for row in db.execute(
                    select(Shift.started_at, Shift.ended_at).where(
                        Shift.volunteer_id == volunteer_id,
                        Shift.started_at < occurrence.ends_at,
                        Shift.ended_at.is_(None) | (Shift.ended_at > occurrence.starts_at),
                    )
                )
            ]
            staffed[occurrence.slot_id] += staffed_time(occurrence, worked, now)
    slots = {row.id: row for row in db.scalars(select(RotaSlot).where(RotaSlot.id.in_(list(scheduled))))}
    no_shows = db.scalar(
        select(func.count()).select_from(RotaSignup).where(RotaSignup.no_show_at >= start, RotaSignup.no_show_at < end)
    )
    calls = db.scalar(
        select(func.count()).select_from(FallbackCall).where(FallbackCall.at >= start, FallbackCall.at < end)
    )
    return Coverage(
        slots=tuple(
            SlotCoverage(
                slot_id,
                slots[slot_id].weekday,
                f"{slots[slot_id].starts:%H:%M}-{slots[slot_id].ends:%H:%M}",
                _hours(scheduled[slot_id]),
                _hours(signed[slot_id]),
                _hours(staffed[slot_id]),
            )
            for slot_id in sorted(scheduled, key=lambda slot_id: (slots[slot_id].weekday, slots[slot_id].starts))
        ),
        no_shows=int(no_shows or 0),
        fallback_calls=int(calls or 0),
    )


def _hours(span: timedelta) -> float:
    return round(span.total_seconds() / 3600, 2)
