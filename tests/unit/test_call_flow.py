"""Whom a caller's call rings, what the caller's keys and words mean, and how a ring round ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from routing import call_flow, limits
from routing.call_flow import (
    MenuChoice,
    RingLeg,
    call_refusal,
    hold_is_over,
    language_keys,
    read_menu,
    settle_round,
    volunteers_to_ring,
)
from routing.limits import ShiftLimits, VolunteerState
from routing.matching import Seeker
from tests.support.core_states import seeker, volunteer_state

NOW = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
NUMBERS = ("+15005550006", "+15005550007", "+15005550008")
POLICY = ShiftLimits(line_numbers=NUMBERS, max_concurrent=2)
AGAIN = timedelta(minutes=2)
CRISIS = ("crisis", "emergency", "emergencia")
WORDS = {"en": ("english", "inglés"), "es": ("español", "espanol", "spanish")}


def volunteer(volunteer_id: int, **changes: Any) -> VolunteerState:
    return volunteer_state(NOW, **({"volunteer_id": volunteer_id, "shift_ends_at": NOW + timedelta(hours=3)} | changes))


def caller(**changes: Any) -> Seeker:
    return seeker(**changes)


def ring(
    candidates: list[VolunteerState],
    seeker: Seeker | None = None,
    group: int = 1,
    missed_at: dict[int, datetime] | None = None,
) -> tuple[int, ...]:
    return volunteers_to_ring(seeker or caller(), candidates, POLICY, NOW, group, missed_at or {}, AGAIN)


def test_a_call_needs_no_thread_number_but_nobody_takes_two_calls() -> None:
    all_threads_busy = volunteer(1, active_conversations=1, busy_line_numbers=frozenset(NUMBERS), max_concurrent=2)
    assert limits.refusal(all_threads_busy, POLICY, NOW) == limits.Refusal(limits.NO_FREE_LINE_NUMBER)
    assert call_refusal(all_threads_busy, POLICY, NOW) is None
    assert call_refusal(volunteer(1, active_conversations=1, on_call=True), POLICY, NOW) == limits.Refusal(
        call_flow.ON_CALL
    )


def test_a_call_counts_toward_the_same_shift_limits_as_a_text() -> None:
    assert call_refusal(volunteer(1, active_conversations=2), POLICY, NOW) == limits.Refusal(limits.MAX_CONCURRENT)
    assert call_refusal(volunteer(1, active_conversations=1, max_concurrent=1), POLICY, NOW) == limits.Refusal(
        limits.MAX_CONCURRENT
    )
    assert call_refusal(volunteer(1, conversations_this_shift=12), POLICY, NOW) == limits.Refusal(
        limits.MAX_CONVERSATIONS
    )
    assert call_refusal(volunteer(1, awaiting_ok=True), POLICY, NOW) == limits.Refusal(limits.AWAITING_OK)
    assert call_refusal(volunteer(1, has_pending_offer=True), POLICY, NOW) == limits.Refusal(limits.OFFER_PENDING)
    assert call_refusal(volunteer(1, shift_ends_at=NOW + timedelta(minutes=5)), POLICY, NOW) == limits.Refusal(
        limits.WRAP_UP
    )


def test_the_same_preference_as_texts_picks_who_rings_first() -> None:
    busy, idle = volunteer(1, active_conversations=1), volunteer(2)
    speaks_spanish = volunteer(3, languages=("en", "es"), active_conversations=1)
    assert ring([busy, idle]) == (2,)
    assert ring([busy, idle, speaks_spanish], caller(language="es")) == (3,)
    assert ring([busy, idle], caller(previous_volunteer_id=1)) == (1,), (
        "a returning caller reaches their volunteer first"
    )


def test_a_group_rings_the_best_few_at_once() -> None:
    team = [volunteer(i, last_assigned_at=NOW - timedelta(minutes=i)) for i in range(1, 6)]
    assert ring(team, group=3) == (5, 4, 3), "longest idle first"


def test_who_passed_is_never_rung_again_and_who_missed_only_after_a_while() -> None:
    team = [volunteer(1), volunteer(2)]
    assert ring(team, caller(passed_by=frozenset({1}))) == (2,)
    missed_now = {1: NOW - timedelta(seconds=30), 2: NOW - timedelta(seconds=10)}
    assert ring(team, caller(missed_by=frozenset({1, 2})), missed_at=missed_now) == ()
    missed_long_ago = {1: NOW - timedelta(minutes=3)}
    assert ring(team, caller(missed_by=frozenset({1})), group=2, missed_at=missed_long_ago) == (2, 1), (
        "rung again, but last"
    )


@given(
    st.lists(
        st.builds(
            lambda i, active, on_call, pending, ok: volunteer(
                i, active_conversations=active, on_call=on_call, has_pending_offer=pending, awaiting_ok=ok
            ),
            st.integers(1, 30),
            st.integers(0, 3),
            st.booleans(),
            st.booleans(),
            st.booleans(),
        ),
        unique_by=lambda v: v.volunteer_id,
        max_size=12,
    ),
    st.frozensets(st.integers(1, 30)),
    st.integers(1, 10),
)
def test_a_rung_volunteer_is_always_one_the_limits_allow(
    team: list[VolunteerState], passed: frozenset[int], group: int
) -> None:
    rung = ring(team, caller(passed_by=passed), group=group)
    by_id = {v.volunteer_id: v for v in team}
    assert len(rung) == len(set(rung)) <= group
    for volunteer_id in rung:
        assert volunteer_id not in passed
        assert call_refusal(by_id[volunteer_id], POLICY, NOW) is None
        assert not by_id[volunteer_id].on_call
    allowed = [v for v in team if v.volunteer_id not in passed and call_refusal(v, POLICY, NOW) is None]
    assert len(rung) == min(group, len(allowed)), "nobody free is left unrung while the group has room"


def test_a_ring_round_settles_who_missed_and_who_twilio_hung_up_on() -> None:
    assert settle_round([RingLeg(1, picked_up=False), RingLeg(2, picked_up=False)]) == {1: "expired", 2: "expired"}
    assert settle_round([RingLeg(1, picked_up=True), RingLeg(2, picked_up=False)]) == {1: "expired", 2: "withdrawn"}
    assert settle_round([]) == {}


def test_9_or_the_word_crisis_wins_and_language_keys_follow_the_configured_order() -> None:
    languages = ("en", "es")
    assert language_keys(languages) == {"1": "en", "2": "es"}
    assert read_menu("9", "", languages, CRISIS, WORDS) == MenuChoice(crisis=True)
    assert read_menu("", "Crisis, please.", languages, CRISIS, WORDS) == MenuChoice(crisis=True)
    assert read_menu("", "español, es una emergencia", languages, CRISIS, WORDS) == MenuChoice(crisis=True)
    assert read_menu("2", "", languages, CRISIS, WORDS) == MenuChoice(language="es")
    assert read_menu("", "Spanish", languages, CRISIS, WORDS) == MenuChoice(language="es")
    assert read_menu("", "", languages, CRISIS, WORDS) == MenuChoice()
    assert read_menu("7", "I just want to talk", languages, CRISIS, WORDS) == MenuChoice()
    assert read_menu("", "crises of faith", languages, CRISIS, WORDS) == MenuChoice(), "whole words only"


def test_hold_ends_at_the_longest_wait() -> None:
    started = NOW - timedelta(minutes=10)
    assert hold_is_over(started, NOW, 10) and not hold_is_over(started, NOW - timedelta(seconds=1), 10)
