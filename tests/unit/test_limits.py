"""Shift limits, as pure rules: which limit refuses, until when, and what an override lifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from routing import limits
from routing.limits import (
    PastShift,
    VolunteerState,
    cooldown_after,
    hours_in_week,
    refusal,
    shift_ends_at,
    shift_start_refusal,
)
from tests.support.core_states import shift_limits, volunteer_state

NOW = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
LIMITS = shift_limits("+15005550006", "+15005550007", "+15005550008")


def on_shift(**changes: Any) -> VolunteerState:
    return volunteer_state(NOW, **({"shift_ends_at": NOW + timedelta(hours=3)} | changes))


def test_an_idle_volunteer_on_shift_may_take_a_texter() -> None:
    assert refusal(on_shift(), LIMITS, NOW) is None


def test_no_offers_in_the_wrap_up_window_nor_past_the_shift_end() -> None:
    assert refusal(on_shift(shift_ends_at=NOW + timedelta(minutes=14)), LIMITS, NOW) == limits.Refusal(limits.WRAP_UP)
    assert refusal(on_shift(shift_ends_at=NOW - timedelta(minutes=1)), LIMITS, NOW) == limits.Refusal(limits.MAX_SHIFT)
    assert refusal(on_shift(shift_ends_at=NOW + timedelta(minutes=16)), LIMITS, NOW) is None


def test_conversations_per_shift_cap() -> None:
    assert refusal(on_shift(conversations_this_shift=12), LIMITS, NOW) == limits.Refusal(limits.MAX_CONVERSATIONS)
    assert (
        refusal(on_shift(conversations_this_shift=12, lifted=frozenset({limits.MAX_CONVERSATIONS})), LIMITS, NOW)
        is None
    )


def test_cooldown_says_until_when_and_awaiting_ok_has_no_end() -> None:
    until = NOW + timedelta(minutes=7)
    assert refusal(on_shift(cooldown_until=until), LIMITS, NOW) == limits.Refusal(limits.COOLDOWN, until)
    assert refusal(on_shift(awaiting_ok=True), LIMITS, NOW) == limits.Refusal(limits.AWAITING_OK)
    assert refusal(on_shift(cooldown_until=until, lifted=frozenset({limits.COOLDOWN})), LIMITS, NOW) is None


def test_lifting_concurrency_is_still_bounded_by_the_number_pool() -> None:
    two = on_shift(active_conversations=2, busy_line_numbers=frozenset(LIMITS.line_numbers[:2]))
    assert refusal(two, LIMITS, NOW) == limits.Refusal(limits.MAX_CONCURRENT)
    assert refusal(on_shift(**{**two.__dict__, "lifted": frozenset({limits.MAX_CONCURRENT})}), LIMITS, NOW) is None
    three = on_shift(
        active_conversations=3,
        busy_line_numbers=frozenset(LIMITS.line_numbers),
        lifted=frozenset({limits.MAX_CONCURRENT}),
    )
    assert refusal(three, LIMITS, NOW) == limits.Refusal(limits.MAX_CONCURRENT)


def test_a_texter_in_imminent_danger_has_their_volunteers_whole_attention() -> None:
    focused = on_shift(active_conversations=1, busy_line_numbers=frozenset(LIMITS.line_numbers[:1]), focus=True)
    assert refusal(focused, LIMITS, NOW) == limits.Refusal(limits.FOCUS)
    every_limit_lifted = frozenset(limits.LIFTABLE)
    assert refusal(on_shift(**{**focused.__dict__, "lifted": every_limit_lifted}), LIMITS, NOW) == limits.Refusal(
        limits.FOCUS
    ), "only the supervisor's acknowledgement (or the conversation's end) lifts it"
    assert refusal(on_shift(**{**focused.__dict__, "focus": False}), LIMITS, NOW) is None


def test_an_offer_pending_to_a_volunteer_in_focus_moves_on_at_once() -> None:
    assert limits.offer_moves_on(on_shift(has_pending_offer=True, focus=True))
    assert not limits.offer_moves_on(on_shift(has_pending_offer=True))
    assert not limits.offer_moves_on(on_shift(focus=True))


def test_min_rest_between_shifts_refuses_until_rested() -> None:
    last = [PastShift(NOW - timedelta(hours=6), NOW - timedelta(hours=2))]
    assert shift_start_refusal(last, LIMITS, NOW) == limits.Refusal(limits.MIN_REST, NOW + timedelta(hours=6))
    assert shift_start_refusal(last, LIMITS, NOW + timedelta(hours=6)) is None
    assert shift_start_refusal(last, LIMITS, NOW, frozenset({limits.MIN_REST})) is None


def test_weekly_hours_refuse_until_old_shifts_roll_out_of_the_week() -> None:
    week = [
        PastShift(NOW - timedelta(days=d, hours=12), NOW - timedelta(days=d, hours=8)) for d in range(1, 6)
    ]  # 5 x 4 h
    assert hours_in_week(week, NOW) == timedelta(hours=20)
    refused = shift_start_refusal(week, LIMITS, NOW)
    assert refused is not None and refused.limit == limits.WEEKLY_HOURS
    assert refused.until is not None and NOW < refused.until <= NOW + timedelta(days=2)
    assert hours_in_week(week, refused.until) < timedelta(hours=20)


def test_a_shift_ends_at_its_maximum_or_when_the_weekly_hours_run_out() -> None:
    assert shift_ends_at(NOW, [], LIMITS) == NOW + timedelta(minutes=240)
    week = [PastShift(NOW - timedelta(days=d, hours=12), NOW - timedelta(days=d, hours=8)) for d in range(1, 5)]  # 16 h
    assert shift_ends_at(NOW, week, LIMITS) == NOW + timedelta(hours=4)
    week.append(PastShift(NOW - timedelta(days=5, hours=10), NOW - timedelta(days=5, hours=8)))  # 18 h
    assert shift_ends_at(NOW, week, LIMITS) == NOW + timedelta(hours=2)
    assert shift_ends_at(NOW, week, LIMITS, frozenset({limits.MAX_SHIFT, limits.WEEKLY_HOURS})) is None


def test_heavy_conversations_bring_a_cooldown() -> None:
    escalated = cooldown_after(NOW - timedelta(minutes=10), NOW, escalated=True, limits=LIMITS)
    assert escalated == limits.Cooldown(NOW + timedelta(minutes=20), needs_ok=True)
    long = cooldown_after(NOW - timedelta(minutes=61), NOW, escalated=False, limits=LIMITS)
    assert long == limits.Cooldown(NOW + timedelta(minutes=10), needs_ok=False)
    assert cooldown_after(NOW - timedelta(minutes=20), NOW, escalated=False, limits=LIMITS) is None
