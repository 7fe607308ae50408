"""The rota in scenario tests: slots as a supervisor would add them, assignments and the
rota's timers run at a frozen moment, with the texts they write sent by the real worker at once
(they are dated at the frozen moment, which delivery would otherwise wait for)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from service.db import OutboxMessage, RotaSlot, Volunteer
from service.db.turn import Turn, run_turn
from service.jobs.job_queue import JobQueue
from service.staff import rostering, rota_watch
from tests.support.stack import Stack

NEW_YORK = ZoneInfo("America/New_York")


def add_slot(stack: Stack, weekday: int, starts: time, ends: time, needed: int = 1, **extra: object) -> int:
    with stack.runtime.sessions() as session, session.begin():
        slot = RotaSlot(weekday=weekday, starts=starts, ends=ends, needed=needed, created_at=datetime.now(UTC), **extra)
        session.add(slot)
        session.flush()
        return slot.id


def tomorrow(stack: Stack) -> datetime:
    zone = ZoneInfo(stack.runtime.settings.line.timezone)
    return datetime.now(zone) + timedelta(days=1)


def send_now(stack: Stack, turn: Turn) -> None:
    if turn.outbox_ids:
        with stack.runtime.sessions() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(turn.outbox_ids))
                .values(next_attempt_at=datetime.now(UTC), created_at=datetime.now(UTC))
            )
    JobQueue(stack.runtime).submit(turn)


def watch_at(stack: Stack, moment: datetime) -> None:
    for turn in rota_watch.watch(stack.runtime, moment):
        send_now(stack, turn)


def assign_at(stack: Stack, phone: str, slot_id: int, day: date, moment: datetime) -> None:
    def work(turn: Turn) -> None:
        volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.phone == phone)).one()
        assert isinstance(rostering.assign(turn, volunteer, slot_id, day, "sam@example.org"), rostering.Staffed)

    send_now(stack, run_turn(stack.runtime, moment, work)[1])


def set_volunteer(stack: Stack, phone: str, **values: object) -> None:
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Volunteer).where(Volunteer.phone == phone).values(**values))
