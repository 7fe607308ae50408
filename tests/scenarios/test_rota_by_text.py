"""The rota as volunteers live it, through the real webhooks and worker: listing open shifts
by text, taking one, being refused one that breaks the rest rule (with when it becomes
possible), dropping one (the supervisor hears when that leaves it short soon); reminders
across a daylight-saving change, a no-show, and the fallback group at opening time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from service.db import Conversation, RotaSignup, Shift, Volunteer
from tests.support.line import Line
from tests.support.rota_plans import NEW_YORK, add_slot, assign_at, set_volunteer, tomorrow, watch_at
from tests.support.stack import People, Stack


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


# --- The rota's timers under a frozen clock -----------------------------------------------------
# `rota_watch.watch` is what the worker's `watch_rota` job runs every sweep with the real time;
# here it runs at chosen moments of March 2027 (slots that start then, so the worker's own
# sweeps, in the present, find nothing of them), and the real worker sends the texts its turns
# wrote, at once (they are dated at the frozen moment, which delivery would wait for).


def test_reminders_arrive_at_local_times_across_the_spring_change_and_a_no_show_alerts_the_supervisor(
    line: Line, people: People, stack: Stack
) -> None:
    # New York springs forward on Sunday 14 March 2027 at 02:00; Madrid not until the 28th.
    day = date(2027, 3, 14)
    slot = add_slot(stack, 6, time(19), time(23), needed=2, first_day=day)
    sam = people.supervisor("Sam")
    ana, bea = people.volunteer("Ana"), people.volunteer("Bea")
    set_volunteer(stack, bea, timezone="Europe/Madrid")
    assign_at(stack, ana, slot, day, datetime(2027, 3, 10, 12, tzinfo=NEW_YORK))
    assign_at(stack, bea, slot, day, datetime(2027, 3, 10, 12, tzinfo=NEW_YORK))
    line.wait_for(ana, "put you on the rota for Sun 14 Mar 19:00-23:00 EDT")
    line.wait_for(bea, "put you on the rota for Mon 15 Mar 00:00-04:00 CET")

    # 24 hours before would be 18:00 on Saturday (EST): the day before means 19:00 on the wall.
    watch_at(stack, datetime(2027, 3, 13, 18, 30, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert not [m for m in line.inbox(ana) if "Reminder" in m["Body"]]
    watch_at(stack, datetime(2027, 3, 13, 19, 0, tzinfo=NEW_YORK))
    line.wait_for(ana, "Reminder: your shift is tomorrow, Sun 14 Mar 19:00-23:00 EDT")
    line.wait_for(bea, "Reminder: your shift is tomorrow, Mon 15 Mar 00:00-04:00 CET")

    watch_at(stack, datetime(2027, 3, 14, 18, 31, tzinfo=NEW_YORK))
    line.wait_for(ana, "starts in 30 minutes, at Sun 14 Mar 19:00 EDT")
    line.wait_for(bea, "starts in 30 minutes, at Mon 15 Mar 00:00 CET")
    watch_at(stack, datetime(2027, 3, 14, 19, 0, tzinfo=NEW_YORK))
    line.wait_for(ana, "Your shift starts now: text #on.")
    watch_at(stack, datetime(2027, 3, 14, 19, 1, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert [m["Body"] for m in line.inbox(ana)].count("Your shift starts now: text #on.") == 1

    # Bea started (her shift is written as the worker would have it then); Ana did not.
    with stack.runtime.sessions() as session, session.begin():
        bea_id = session.scalars(select(Volunteer.id).where(Volunteer.phone == bea)).one()
        started = datetime(2027, 3, 14, 19, 3, tzinfo=NEW_YORK)
        session.add(Shift(volunteer_id=bea_id, started_at=started, ended_at=started + timedelta(hours=1)))
    watch_at(stack, datetime(2027, 3, 14, 19, 14, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert not [m for m in line.inbox(sam) if "has not started" in m["Body"]]
    watch_at(stack, datetime(2027, 3, 14, 19, 15, tzinfo=NEW_YORK))
    told = line.wait_for(sam, "has not started their shift")["Body"]
    assert "Ana signed up for Sun 14 Mar 19:00-23:00 EDT" in told and "Bea" not in told
    watch_at(stack, datetime(2027, 3, 14, 19, 20, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert len([m for m in line.inbox(sam) if "has not started" in m["Body"]]) == 1


def test_nobody_on_shift_at_opening_texts_the_fallback_group_once_and_an_on_takes_the_waiting_texter(
    line: Line, people: People, stack: Stack
) -> None:
    opening = date(2027, 3, 15)
    add_slot(stack, 0, time(10), time(14), first_day=opening)
    cy, di, ed = people.volunteer("Cy"), people.volunteer("Di"), people.volunteer("Ed")
    set_volunteer(stack, cy, fallback=True)
    set_volunteer(stack, di, fallback=True)
    texter = people.texter()
    line.text(texter, "is anyone there")
    line.wait_for(texter, "No volunteer is on shift")
    with stack.runtime.sessions() as session, session.begin():  # they texted just after opening
        session.execute(update(Conversation).values(queued_at=datetime(2027, 3, 15, 10, 1, tzinfo=NEW_YORK)))

    watch_at(stack, datetime(2027, 3, 15, 10, 2, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert not line.inbox(cy), "a few minutes' grace after opening"
    watch_at(stack, datetime(2027, 3, 15, 10, 6, tzinfo=NEW_YORK))
    called = line.wait_for(cy, "Nobody is on shift and 1 texter(s) are waiting")["Body"]
    assert "#on" in called and texter not in called
    line.wait_for(di, "Nobody is on shift")
    watch_at(stack, datetime(2027, 3, 15, 10, 7, tzinfo=NEW_YORK))
    watch_at(stack, datetime(2027, 3, 15, 10, 20, tzinfo=NEW_YORK))
    line.settle(quiet=1.0)
    assert len(line.inbox(cy)) == 1 and len(line.inbox(di)) == 1, "once per interval"
    assert not line.inbox(ed), "only those who agreed to be called on"

    line.text(cy, "#on", texter=False)
    offer = line.wait_for(cy, "is anyone there")
    line.text(cy, "#yes", to=offer["From"], texter=False)
    line.wait_for(texter, "You're now texting with")
