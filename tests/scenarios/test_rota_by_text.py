"""The rota as volunteers live it, through the real webhooks and worker: listing open shifts
by text, taking one, being refused one that breaks the rest rule (with when it becomes
possible), dropping one (the supervisor hears when that leaves it short soon)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from service.db import RotaSignup, RotaSlot
from tests.support.line import Line
from tests.support.stack import People, Stack


def add_slot(stack: Stack, weekday: int, starts: time, ends: time, needed: int = 1, **extra: object) -> int:
    with stack.runtime.sessions() as session, session.begin():
        slot = RotaSlot(weekday=weekday, starts=starts, ends=ends, needed=needed, created_at=datetime.now(UTC), **extra)
        session.add(slot)
        session.flush()
        return slot.id


def tomorrow(stack: Stack) -> datetime:
    zone = ZoneInfo(stack.runtime.settings.line.timezone)
    return datetime.now(zone) + timedelta(days=1)


def test_a_volunteer_lists_takes_is_refused_by_the_rest_rule_and_drops_a_shift(
    line: Line, people: People, stack: Stack
) -> None:
    day = tomorrow(stack)
    add_slot(stack, day.weekday(), time(10), time(14))
    add_slot(stack, day.weekday(), time(18), time(22), needed=2)
    sam = people.supervisor("Sam")
    ana = people.volunteer("Ana")

    line.text(ana, "#shifts", texter=False)
    listing = line.wait_for(ana, "Open shifts")["Body"]
    first, second = f"{day:%a %d %b} 10:00-14:00", f"{day:%a %d %b} 18:00-22:00"
    assert f"1) {first}" in listing and f"2) {second}" in listing, listing

    line.text(ana, "#take 1", texter=False)
    line.wait_for(ana, f"You're on the rota for {first}")

    line.text(ana, "#take 2", texter=False)
    refused = line.wait_for(ana, "You can't take")["Body"]
    assert second in refused and "8 hours' rest" in refused
    assert f"You could start one from {day:%a %d %b} 22:00" in refused, refused

    line.text(ana, "#mine", texter=False)
    mine = line.wait_for(ana, "Your shifts")["Body"]
    assert f"1) {first}" in mine and second not in mine

    line.text(ana, "#drop 1", texter=False)
    line.wait_for(ana, f"You've given back {first}")
    told = line.wait_for(sam, "dropped their shift")["Body"]
    assert "Ana" in told and "0 of 1" in told and "/dashboard/rota" in told and ana not in told
    with stack.runtime.sessions() as session:
        assert session.scalars(select(RotaSignup.dropped_at)).one() is not None


def test_take_without_a_listing_or_with_a_wrong_number_says_what_to_do(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.volunteer("Ana")
    line.text(ana, "#take 3", texter=False)
    line.wait_for(ana, "Text #shifts first")
    line.text(ana, "#shifts", texter=False)
    line.wait_for(ana, "No open shifts in the next 2 weeks")
    line.text(ana, "#drop x", texter=False)
    line.wait_for(ana, "Text #mine first")
