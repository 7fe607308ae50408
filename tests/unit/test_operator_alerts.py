"""Operator alerts, decided with the clock passed in: which problems reach the supervisor on
call, and never the same kind twice within the interval."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing.operator_alerts import AlertKind, AlertRules, LineHours, LineWatch, alerts_due

NEW_YORK = ZoneInfo("America/New_York")
RULES = AlertRules(
    hours=LineHours.parse("18:00", "02:00", "America/New_York"),
    nobody_on_shift_after=timedelta(minutes=5),
    longest_wait=timedelta(minutes=10),
    outbox_stuck_after=timedelta(minutes=5),
    no_worker_after=timedelta(minutes=2),
    repeat_after=timedelta(minutes=30),
)
NOBODY = LineWatch(volunteers_on_shift=0, waiting=2)


def at(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NEW_YORK).astimezone(UTC)


def kinds(
    watch: LineWatch, now: datetime, last_sent: dict[AlertKind, datetime] | None = None, rules: AlertRules = RULES
) -> list[AlertKind]:
    return [alert.kind for alert in alerts_due(watch, rules, last_sent or {}, now)]


def test_nobody_on_shift_is_alerted_once_the_hours_have_begun_and_the_grace_has_passed() -> None:
    assert kinds(NOBODY, at(17, 59)) == []
    assert kinds(NOBODY, at(18, 4)) == []
    assert kinds(NOBODY, at(18, 5)) == [AlertKind.NOBODY_ON_SHIFT]
    assert kinds(LineWatch(volunteers_on_shift=1, waiting=0), at(18, 30)) == []


def test_hours_that_run_past_midnight_cover_the_small_hours_and_end_at_closing() -> None:
    assert kinds(NOBODY, at(1, 30, day=5)) == [AlertKind.NOBODY_ON_SHIFT]
    assert kinds(NOBODY, at(2, 0, day=5)) == []
    assert kinds(NOBODY, at(12, 0)) == []


def test_equal_opening_and_closing_mean_a_line_open_around_the_clock() -> None:
    always = replace(RULES, hours=LineHours.parse("00:00", "00:00", "America/New_York"))
    for hour, minute in ((0, 0), (3, 30), (12, 0), (23, 59)):
        assert kinds(NOBODY, at(hour, minute), rules=always) == [AlertKind.NOBODY_ON_SHIFT]


def test_the_same_kind_is_not_sent_twice_within_the_interval() -> None:
    first = at(18, 5)
    sent = {AlertKind.NOBODY_ON_SHIFT: first}
    assert kinds(NOBODY, first + timedelta(minutes=29), sent) == []
    assert kinds(NOBODY, first + timedelta(minutes=30), sent) == [AlertKind.NOBODY_ON_SHIFT]


def test_a_kind_sent_recently_does_not_hold_back_another_kind() -> None:
    watch = LineWatch(volunteers_on_shift=0, waiting=1, longest_wait=timedelta(minutes=11))
    assert kinds(watch, at(19), {AlertKind.NOBODY_ON_SHIFT: at(18, 50)}) == [AlertKind.LONG_WAIT]


def busy(wait_minutes: int, unsent_minutes: int) -> LineWatch:
    """Three volunteers on shift, four texters waiting, seven texts unsent, for these long."""
    return LineWatch(
        volunteers_on_shift=3,
        waiting=4,
        longest_wait=timedelta(minutes=wait_minutes),
        unsent=7,
        oldest_unsent=timedelta(minutes=unsent_minutes),
    )


def test_a_long_wait_and_a_stuck_outbox_are_alerted_at_any_hour_past_their_limits() -> None:
    alerts = alerts_due(busy(12, 6), RULES, {}, at(11))
    assert [alert.kind for alert in alerts] == [AlertKind.LONG_WAIT, AlertKind.OUTBOX_STUCK]
    assert alerts[0].params == {"minutes": 12, "waiting": 4}
    assert alerts[1].params == {"minutes": 6, "unsent": 7}
    assert kinds(busy(10, 5), at(11)) == []


def test_no_live_worker_is_alerted_by_a_process_that_counted_them_once_it_has_run_a_while() -> None:
    running = timedelta(minutes=10)
    assert kinds(LineWatch(live_workers=0, up_for=running), at(11)) == [AlertKind.NO_WORKER]
    assert kinds(LineWatch(live_workers=2, up_for=running), at(11)) == []
    # Just started: the workers started beside it may not have registered yet.
    assert kinds(LineWatch(live_workers=0, up_for=timedelta(seconds=30)), at(11)) == []
    assert kinds(LineWatch(volunteers_on_shift=2), at(11)) == []
