"""The rota as pure rules: slots laid on the wall clock across daylight-saving changes, open
slots, sign-ups judged by the router's own shift limits, reminders, no-shows, the fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing import limits
from routing.limits import PastShift, ShiftLimits
from routing.rota import (
    Change,
    FallbackRules,
    Occurrence,
    Reminder,
    Slot,
    fallback_due,
    is_no_show,
    occurrences,
    open_for,
    open_slots,
    reminder_due,
    reminder_times,
    short_after_drop,
    signup_refusal,
    wall_clock,
)

NEW_YORK = "America/New_York"
MADRID = "Europe/Madrid"
LIMITS = ShiftLimits(line_numbers=("+15005550006",), max_shift_minutes=240, min_rest_minutes=480, max_hours_per_week=20)
SOON = timedelta(minutes=30)
GRACE = timedelta(minutes=15)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(timezone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))


def week(
    timezone: str, slots: list[Slot], start: datetime, days: int = 7, changes: list[Change] | None = None
) -> list[Occurrence]:
    return occurrences(slots, changes or [], timezone, start, start + timedelta(days=days))


def test_a_weekly_slot_keeps_its_wall_clock_time_across_the_spring_change_in_new_york() -> None:
    # Clocks spring forward on Sunday 14 March 2027 at 02:00 in New York.
    sunday_evening = Slot(1, weekday=6, starts=time(19), ends=time(23), needed=2)
    found = week(NEW_YORK, [sunday_evening], utc(2027, 3, 1, 12), days=21)
    assert [o.starts_at.astimezone(ZoneInfo(NEW_YORK)).strftime("%m-%d %H:%M") for o in found] == [
        "03-07 19:00",
        "03-14 19:00",
        "03-21 19:00",
    ]
    assert [o.starts_at.hour for o in found] == [0, 23, 23], "EST is UTC-5, EDT UTC-4"
    assert all(o.ends_at - o.starts_at == timedelta(hours=4) for o in found)


def test_a_night_slot_across_the_autumn_change_in_madrid_is_an_hour_longer() -> None:
    # Madrid falls back on Sunday 31 October 2027 at 03:00 (CEST) to 02:00 (CET).
    saturday_night = Slot(1, weekday=5, starts=time(22), ends=time(4), needed=1)
    found = week(MADRID, [saturday_night], utc(2027, 10, 25), days=14)
    assert [(o.day, o.ends_at - o.starts_at) for o in found] == [
        (date(2027, 10, 30), timedelta(hours=7)),
        (date(2027, 11, 6), timedelta(hours=6)),
    ]
    assert found[0].starts_at == utc(2027, 10, 30, 20) and found[1].starts_at == utc(2027, 11, 6, 21)


def test_a_time_the_clocks_skip_falls_an_hour_later_on_the_wall() -> None:
    # Madrid springs forward on 28 March 2027: 02:30 never happens.
    moment = wall_clock(date(2027, 3, 28), time(2, 30), ZoneInfo(MADRID))
    assert moment.astimezone(ZoneInfo(MADRID)).strftime("%H:%M") == "03:30"


def test_one_off_changes_cancel_a_day_or_change_its_need_and_first_day_holds_a_slot_back() -> None:
    monday = Slot(1, weekday=0, starts=time(18), ends=time(22), needed=2)
    later = Slot(2, weekday=0, starts=time(22), ends=time(2), needed=1, first_day=date(2027, 1, 11))
    changes = [Change(1, date(2027, 1, 4), cancelled=True), Change(1, date(2027, 1, 11), needed=4)]
    found = week(NEW_YORK, [monday, later], utc(2027, 1, 1), days=14, changes=changes)
    assert [(o.slot_id, o.day, o.needed) for o in found] == [(1, date(2027, 1, 11), 4), (2, date(2027, 1, 11), 1)]


def test_open_slots_are_future_short_shifts_not_already_taken_by_the_volunteer() -> None:
    slot = Slot(1, weekday=0, starts=time(18), ends=time(22), needed=2)
    now = utc(2027, 1, 4, 12)
    found = week(NEW_YORK, [slot], now, days=14)
    first, second = found
    assert open_slots(found, {first.key: [7, 8]}, 9, now) == [second]
    assert open_slots(found, {first.key: [9]}, 9, now) == [second]
    assert open_slots(found, {}, 9, first.starts_at + timedelta(minutes=1)) == [second]


def _occurrence(starts_at: datetime, hours: float, slot_id: int = 1) -> Occurrence:
    return Occurrence(slot_id, starts_at.date(), starts_at, starts_at + timedelta(hours=hours), 1)


def test_a_sign_up_too_soon_after_a_worked_shift_is_refused_with_when_it_becomes_possible() -> None:
    worked = [PastShift(utc(2027, 1, 4, 10), utc(2027, 1, 4, 14))]
    refused = signup_refusal(_occurrence(utc(2027, 1, 4, 18), 4), worked, [], LIMITS)
    assert refused == limits.Refusal(limits.MIN_REST, utc(2027, 1, 4, 22))
    assert signup_refusal(_occurrence(utc(2027, 1, 4, 22), 4), worked, [], LIMITS) is None


def test_a_sign_up_that_takes_the_rest_before_a_later_planned_shift_is_refused() -> None:
    taken = [_occurrence(utc(2027, 1, 5, 2), 4, slot_id=2)]
    refused = signup_refusal(_occurrence(utc(2027, 1, 4, 18), 4), [], taken, LIMITS)
    assert refused == limits.Refusal(limits.MIN_REST)


def test_a_shift_longer_than_the_limit_or_past_the_weekly_hours_is_refused() -> None:
    assert signup_refusal(_occurrence(utc(2027, 1, 4, 18), 5), [], [], LIMITS) == limits.Refusal(limits.MAX_SHIFT)
    taken = [_occurrence(utc(2027, 1, day, 10), 4, slot_id=day) for day in range(1, 5)]
    refused = signup_refusal(_occurrence(utc(2027, 1, 5, 10), 4.5), [], taken, LIMITS)
    assert refused is not None and refused.limit == limits.MAX_SHIFT
    refused = signup_refusal(_occurrence(utc(2027, 1, 5, 10), 4), [], taken, LIMITS)
    assert refused is None, "16 + 4 hours is within 20"
    taken.append(_occurrence(utc(2027, 1, 5, 22), 4, slot_id=9))
    refused = signup_refusal(_occurrence(utc(2027, 1, 6, 10), 2), [], taken, LIMITS)
    assert refused is not None and refused.limit == limits.WEEKLY_HOURS


def test_reminders_go_the_day_before_at_the_same_wall_clock_time_across_a_change() -> None:
    # A Sunday 19:00 shift on the day New York springs forward: the day before is 23 hours earlier.
    shift = week(NEW_YORK, [Slot(1, 6, time(19), time(23), 1)], utc(2027, 3, 13), days=2)[0]
    times = reminder_times(shift, NEW_YORK, SOON)
    assert times[Reminder.DAY_BEFORE] == local(NEW_YORK, 2027, 3, 13, 19)
    assert shift.starts_at - times[Reminder.DAY_BEFORE] == timedelta(hours=23)
    assert times[Reminder.SOON] == local(NEW_YORK, 2027, 3, 14, 18, 30)


def test_the_due_reminder_is_the_latest_come_and_not_yet_sent() -> None:
    shift = _occurrence(utc(2027, 1, 4, 18), 4)
    signed = utc(2027, 1, 1)

    def due(now: datetime, sent: tuple[Reminder, ...] = (), signed_up_at: datetime = signed) -> Reminder | None:
        return reminder_due(shift, signed_up_at, sent, NEW_YORK, SOON, GRACE, now)

    assert due(utc(2027, 1, 3, 17)) is None
    assert due(utc(2027, 1, 3, 18)) == Reminder.DAY_BEFORE
    assert due(utc(2027, 1, 3, 19), (Reminder.DAY_BEFORE,)) is None
    assert due(utc(2027, 1, 4, 17, 40), (Reminder.DAY_BEFORE,)) == Reminder.SOON
    assert due(utc(2027, 1, 4, 17, 40)) == Reminder.SOON, "an overtaken reminder is skipped"
    assert due(utc(2027, 1, 4, 18, 1), (Reminder.SOON,)) == Reminder.START
    assert due(utc(2027, 1, 4, 18, 20)) is None, "a no-show by then"
    assert due(utc(2027, 1, 4, 12), signed_up_at=utc(2027, 1, 4, 11)) is None, "signed up after the day before"


def test_a_no_show_is_told_fifteen_minutes_in_unless_they_were_on_shift() -> None:
    shift = _occurrence(utc(2027, 1, 4, 18), 4)
    at = utc(2027, 1, 4, 18, 15)
    assert not is_no_show(shift, [], GRACE, at - timedelta(minutes=1))
    assert is_no_show(shift, [], GRACE, at)
    assert not is_no_show(shift, [PastShift(utc(2027, 1, 4, 17, 55), None)], GRACE, at)
    assert not is_no_show(shift, [PastShift(utc(2027, 1, 4, 18, 1), utc(2027, 1, 4, 18, 10))], GRACE, at)
    assert is_no_show(shift, [PastShift(utc(2027, 1, 4, 10), utc(2027, 1, 4, 14))], GRACE, at)
    assert not is_no_show(shift, [], GRACE, shift.ends_at)


def test_the_line_is_open_for_as_long_as_back_to_back_shifts_run() -> None:
    slots = [Slot(1, 0, time(18), time(22), 1), Slot(2, 0, time(22), time(2), 1)]
    found = week(NEW_YORK, slots, utc(2027, 1, 4), days=2)
    assert open_for(found, local(NEW_YORK, 2027, 1, 4, 23)) == timedelta(hours=5)
    assert open_for(found, local(NEW_YORK, 2027, 1, 4, 17)) is None


def test_the_fallback_group_is_called_once_per_interval_when_nobody_is_on_shift_or_the_wait_is_long() -> None:
    rules = FallbackRules(timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=30))
    now = utc(2027, 1, 4, 18, 6)
    assert fallback_due(timedelta(minutes=6), 0, None, rules, None, now)
    assert not fallback_due(timedelta(minutes=4), 0, None, rules, None, now), "a few minutes' grace"
    assert not fallback_due(timedelta(minutes=6), 1, None, rules, None, now)
    assert not fallback_due(None, 0, None, rules, None, now), "closed"
    assert fallback_due(None, 2, timedelta(minutes=11), rules, None, now)
    assert not fallback_due(timedelta(minutes=6), 0, None, rules, now - timedelta(minutes=29), now)
    assert fallback_due(timedelta(minutes=6), 0, None, rules, now - timedelta(minutes=30), now)


def test_a_drop_is_news_for_a_supervisor_when_it_leaves_a_shift_short_within_the_notice() -> None:
    shift = _occurrence(utc(2027, 1, 4, 18), 4)
    notice = timedelta(hours=48)
    assert short_after_drop(shift, 0, notice, utc(2027, 1, 3))
    assert not short_after_drop(shift, 1, notice, utc(2027, 1, 3))
    assert not short_after_drop(shift, 0, notice, utc(2027, 1, 1))


def test_the_suggested_number_grows_with_arrivals_and_shrinks_with_concurrency() -> None:
    from routing.rota import suggested_staff

    wait = timedelta(minutes=5)
    assert suggested_staff(0, 25, 2, wait) == 0
    assert suggested_staff(1, 25, 2, wait) == 1
    quiet, busy = suggested_staff(4, 25, 2, wait), suggested_staff(12, 25, 2, wait)
    assert 1 <= quiet < busy
    assert suggested_staff(12, 25, 1, wait) > busy


def test_staffed_time_is_the_part_of_the_rota_shift_spent_on_shift() -> None:
    from routing.rota import staffed_time

    shift = _occurrence(utc(2027, 1, 4, 18), 4)
    late = [PastShift(utc(2027, 1, 4, 18, 30), utc(2027, 1, 4, 20)), PastShift(utc(2027, 1, 4, 19), None)]
    assert staffed_time(shift, late, utc(2027, 1, 5)) == timedelta(hours=3, minutes=30)
    assert staffed_time(shift, late, utc(2027, 1, 4, 19)) == timedelta(minutes=30)
    assert staffed_time(shift, [], utc(2027, 1, 5)) == timedelta()
