"""Who a waiting texter is offered to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from routing.limits import ShiftLimits, VolunteerState, free_line_number, refusal
from routing.matching import (
    ANY,
    EXPERIENCED,
    LEVELS,
    OPEN,
    PEER,
    RISK_FREE,
    TRAINEE_SCOPES,
    TRAINING,
    WITH_MENTOR,
    Floor,
    Hold,
    MatchRules,
    admits,
    choose_volunteer,
    hold_for,
    trainee_may_take,
)
from tests.support.core_states import seeker, volunteer_state

NOW = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)
NUMBERS = ("+15005550006", "+15005550007", "+15005550008")
POLICY = ShiftLimits(line_numbers=NUMBERS, max_concurrent=2)


def volunteer(volunteer_id: int, **changes: Any) -> VolunteerState:
    return volunteer_state(NOW, volunteer_id=volunteer_id, **changes)


def test_refusals_name_the_limit_and_when_it_lapses() -> None:
    assert refusal(volunteer(1, on_shift_since=None), POLICY, NOW).limit == "off_shift"
    on_break = refusal(volunteer(1, break_until=NOW + timedelta(minutes=5)), POLICY, NOW)
    assert on_break is not None and (on_break.limit, on_break.until) == ("on_break", NOW + timedelta(minutes=5))
    assert refusal(volunteer(1, has_pending_offer=True), POLICY, NOW).limit == "offer_pending"
    full = volunteer(1, active_conversations=2, busy_line_numbers=frozenset(NUMBERS[:2]))
    assert refusal(full, POLICY, NOW).limit == "max_concurrent"
    assert refusal(volunteer(1, break_until=NOW - timedelta(seconds=1)), POLICY, NOW) is None


def test_personal_limit_and_pool_size_bound_concurrency() -> None:
    assert POLICY.concurrency_limit(1) == 1
    assert POLICY.concurrency_limit(5) == 2
    assert ShiftLimits(line_numbers=NUMBERS[:1], max_concurrent=3).concurrency_limit(None) == 1


def test_previous_volunteer_first_then_language_then_load_then_idle_time() -> None:
    quiet = volunteer(1, last_assigned_at=NOW - timedelta(hours=2))
    busy = volunteer(2, active_conversations=1, busy_line_numbers=frozenset(NUMBERS[:1]))
    spanish = volunteer(3, languages=("en", "es"), active_conversations=1, busy_line_numbers=frozenset(NUMBERS[:1]))
    recent = volunteer(4, last_assigned_at=NOW - timedelta(minutes=5))
    candidates = [quiet, busy, spanish, recent]
    assert choose_volunteer(seeker(), candidates, POLICY, NOW).volunteer_id == 1
    assert choose_volunteer(seeker(language="es"), candidates, POLICY, NOW).volunteer_id == 3
    returning = choose_volunteer(seeker(previous_volunteer_id=2), candidates, POLICY, NOW)
    assert returning is not None and returning.volunteer_id == 2 and returning.returning


def test_language_fallback_is_flagged_when_nobody_speaks_it() -> None:
    match = choose_volunteer(seeker(language="es"), [volunteer(1)], POLICY, NOW)
    assert match is not None and match.language_fallback


def test_who_passed_is_never_chosen_and_who_missed_comes_last() -> None:
    candidates = [volunteer(1), volunteer(2)]
    assert choose_volunteer(seeker(passed_by=frozenset({1, 2})), candidates, POLICY, NOW) is None
    assert choose_volunteer(seeker(missed_by=frozenset({1})), candidates, POLICY, NOW).volunteer_id == 2
    assert (
        choose_volunteer(
            seeker(missed_by=frozenset({1}), passed_by=frozenset({2})), candidates, POLICY, NOW
        ).volunteer_id
        == 1
    )


def test_the_chosen_thread_is_a_number_the_volunteer_is_not_using() -> None:
    match = choose_volunteer(
        seeker(), [volunteer(1, active_conversations=1, busy_line_numbers=frozenset({NUMBERS[0]}))], POLICY, NOW
    )
    assert match is not None and match.line_number == NUMBERS[1]


states = st.builds(
    volunteer,
    st.integers(1, 50),
    on_shift_since=st.sampled_from([None, NOW - timedelta(hours=3)]),
    break_until=st.sampled_from([None, NOW - timedelta(minutes=1), NOW + timedelta(minutes=10)]),
    busy_line_numbers=st.frozensets(st.sampled_from(NUMBERS)),
    max_concurrent=st.sampled_from([None, 1, 2, 3]),
    has_pending_offer=st.booleans(),
    languages=st.sampled_from([("en",), ("es",), ("en", "es")]),
)


@given(
    candidates=st.lists(states, max_size=8, unique_by=lambda state: state.volunteer_id),
    language=st.sampled_from(["en", "es"]),
    passed=st.frozensets(st.integers(1, 50), max_size=5),
)
def test_the_match_is_always_eligible_and_never_reuses_a_busy_thread(
    candidates: list[VolunteerState], language: str, passed: frozenset[int]
) -> None:
    candidates = [
        VolunteerState(**{**c.__dict__, "active_conversations": len(c.busy_line_numbers)}) for c in candidates
    ]
    match = choose_volunteer(seeker(language=language, passed_by=passed), candidates, POLICY, NOW)
    eligible = [c for c in candidates if c.volunteer_id not in passed and refusal(c, POLICY, NOW) is None]
    if match is None:
        assert not eligible
        return
    chosen = next(c for c in eligible if c.volunteer_id == match.volunteer_id)
    assert match.line_number not in chosen.busy_line_numbers
    assert chosen.active_conversations < POLICY.concurrency_limit(chosen.max_concurrent)
    assert free_line_number(NUMBERS, chosen.busy_line_numbers) == match.line_number


# --- Experience, trainees and topics ------------------------------------------------------

RULES = MatchRules(experienced_first=timedelta(seconds=60), topic_first=timedelta(seconds=120))
STAFFED = Floor(experienced=True, topics=frozenset({"grief"}))


def test_a_texter_at_risk_is_held_for_the_experienced_until_the_wait_ends() -> None:
    at_risk = seeker(risk_level="imminent", queued_at=NOW)
    new, experienced = volunteer(1, level=PEER), volunteer(2, level=EXPERIENCED, active_conversations=1)
    hold = hold_for(at_risk, STAFFED, RULES, NOW + timedelta(seconds=30))
    assert hold.experienced_only and hold.until == NOW + timedelta(seconds=60)
    assert choose_volunteer(at_risk, [new, experienced], POLICY, NOW, hold).volunteer_id == 2
    busy = volunteer(2, level=EXPERIENCED, has_pending_offer=True)
    assert choose_volunteer(at_risk, [new, busy], POLICY, NOW, hold) is None
    later = hold_for(at_risk, STAFFED, RULES, NOW + timedelta(seconds=60))
    assert later.until is None and choose_volunteer(at_risk, [new, busy], POLICY, NOW, later).volunteer_id == 1


def test_nobody_waits_for_an_experienced_volunteer_who_is_not_on_shift() -> None:
    at_risk = seeker(risk_level="elevated", queued_at=NOW)
    hold = hold_for(at_risk, Floor(experienced=False), RULES, NOW)
    assert hold.until is None and choose_volunteer(at_risk, [volunteer(1)], POLICY, NOW, hold).volunteer_id == 1
    assert hold_for(seeker(queued_at=NOW), STAFFED, RULES, NOW).until is None, "no risk, no hold"


def test_a_trainee_set_to_risk_free_never_takes_a_texter_at_risk() -> None:
    trainee = volunteer(1, level=TRAINING, trainee_scope=RISK_FREE)
    for level in ("elevated", "imminent"):
        at_risk = seeker(risk_level=level, queued_at=NOW - timedelta(hours=1))
        assert choose_volunteer(at_risk, [trainee], POLICY, NOW, hold_for(at_risk, Floor(), RULES, NOW)) is None
    calm = seeker(queued_at=NOW)
    assert choose_volunteer(calm, [trainee], POLICY, NOW, hold_for(calm, Floor(), RULES, NOW)).volunteer_id == 1


def test_a_trainee_with_a_mentor_takes_texters_only_while_an_experienced_volunteer_is_on_shift() -> None:
    trainee = volunteer(1, level=TRAINING, trainee_scope=WITH_MENTOR)
    calm = seeker(queued_at=NOW)
    assert choose_volunteer(calm, [trainee], POLICY, NOW, hold_for(calm, Floor(), RULES, NOW)) is None
    assert choose_volunteer(calm, [trainee], POLICY, NOW, hold_for(calm, STAFFED, RULES, NOW)).volunteer_id == 1
    assert trainee_may_take(ANY, seeker(risk_level="imminent"), OPEN)


def test_a_named_topic_is_held_for_a_volunteer_who_shares_it_up_to_its_limit() -> None:
    grieving = seeker(topic="grief", queued_at=NOW)
    other, sharer = volunteer(1), volunteer(2, topics=frozenset({"grief"}), active_conversations=1)
    hold = hold_for(grieving, STAFFED, RULES, NOW)
    assert hold.topic == "grief" and choose_volunteer(grieving, [other, sharer], POLICY, NOW, hold).volunteer_id == 2
    assert choose_volunteer(grieving, [other], POLICY, NOW, hold) is None
    lapsed = hold_for(grieving, STAFFED, RULES, NOW + timedelta(seconds=120))
    assert lapsed == Hold(mentor_on_shift=True)
    assert choose_volunteer(grieving, [other], POLICY, NOW, lapsed).volunteer_id == 1
    nobody_shares = hold_for(seeker(topic="veterans", queued_at=NOW), STAFFED, RULES, NOW)
    assert nobody_shares.topic is None and nobody_shares.until is None


def test_a_plan_s_preferred_volunteer_comes_first() -> None:
    planned = seeker(preferred_volunteer_id=2, previous_volunteer_id=1)
    match = choose_volunteer(planned, [volunteer(1), volunteer(2, active_conversations=1)], POLICY, NOW)
    assert match is not None and match.volunteer_id == 2 and not match.returning


@given(
    level=st.sampled_from(LEVELS),
    scope=st.sampled_from(TRAINEE_SCOPES),
    risk=st.sampled_from(["none", "elevated", "imminent"]),
    waited=st.integers(0, 300),
    experienced_on_shift=st.booleans(),
    shares=st.booleans(),
)
def test_no_hold_outlasts_its_limit_and_a_risk_free_trainee_never_takes_risk(
    level: str, scope: str, risk: str, waited: int, experienced_on_shift: bool, shares: bool
) -> None:
    someone = seeker(risk_level=risk, topic="grief", queued_at=NOW)
    now = NOW + timedelta(seconds=waited)
    floor = Floor(experienced=experienced_on_shift, topics=frozenset({"grief"}) if shares else frozenset())
    hold = hold_for(someone, floor, RULES, now)
    candidate = volunteer(1, level=level, trainee_scope=scope)
    if hold.until is not None:
        assert now < hold.until <= NOW + max(RULES.experienced_first, RULES.topic_first)
    if waited >= 120 and not (level == TRAINING and scope != ANY):
        assert admits(someone, hold, candidate), "past every limit, anyone eligible is admitted"
    if level == TRAINING and scope == RISK_FREE and risk != "none":
        assert not admits(someone, hold, candidate)
