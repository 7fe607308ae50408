"""Supervisors inside conversations and warm transfers, as pure rules: who may listen to a
call, who hears each message, who a transfer is offered to, and how it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing.presence import Hearer, Party, Staff, hearers, may_listen_to_calls
from routing.warm_transfer import AcceptOutcome, TransferState, TransferStatus, accept, at_deadline, candidates
from tests.support.core_states import shift_limits, volunteer_state

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
LIMITS = shift_limits("+15005550006", "+15005550007")


def test_only_admins_and_the_supervisor_on_call_listen_to_calls_unless_the_line_allows_everyone() -> None:
    assert may_listen_to_calls(Staff("admin", on_call=False), any_supervisor_may_listen=False)
    assert may_listen_to_calls(Staff("supervisor", on_call=True), any_supervisor_may_listen=False)
    assert not may_listen_to_calls(Staff("supervisor", on_call=False), any_supervisor_may_listen=False)
    assert may_listen_to_calls(Staff("supervisor", on_call=False), any_supervisor_may_listen=True)


def test_everyone_in_the_conversation_but_the_author_hears_a_message() -> None:
    assert hearers(Party.TEXTER, [7, 9]) == (
        Hearer(Party.VOLUNTEER),
        Hearer(Party.SUPERVISOR, 7),
        Hearer(Party.SUPERVISOR, 9),
    )
    assert hearers(Party.VOLUNTEER, []) == (Hearer(Party.TEXTER),)
    assert hearers(Party.SUPERVISOR, [7, 9], author_supervisor_id=7) == (
        Hearer(Party.TEXTER),
        Hearer(Party.VOLUNTEER),
        Hearer(Party.SUPERVISOR, 9),
    )
    # From the dashboard, unseated: texter, volunteer and every seated supervisor.
    assert len(hearers(Party.SUPERVISOR, [7], author_supervisor_id=3)) == 3


def test_a_transfer_is_offered_to_others_who_could_take_a_texter_now_in_preference_order() -> None:
    states = {
        5: volunteer_state(NOW, volunteer_id=5),
        1: volunteer_state(NOW, volunteer_id=1),  # the first volunteer
        3: volunteer_state(NOW, volunteer_id=3, break_until=NOW + timedelta(minutes=5)),
        4: volunteer_state(
            NOW, volunteer_id=4, active_conversations=2, busy_line_numbers=frozenset(LIMITS.line_numbers)
        ),
        2: volunteer_state(NOW, volunteer_id=2),
    }
    assert candidates(states, LIMITS, NOW, first_volunteer_id=1, most=5) == (5, 2)
    assert candidates(states, LIMITS, NOW, first_volunteer_id=1, most=1) == (5,)
    assert candidates(states, LIMITS, NOW, first_volunteer_id=1, most=5, named=2) == (2,)
    assert candidates(states, LIMITS, NOW, first_volunteer_id=1, most=5, named=3) == (), "a named volunteer on break"
    assert candidates(states, LIMITS, NOW, first_volunteer_id=1, most=5, named=1) == ()


def _open(**changes: object) -> TransferState:
    fields: dict[str, object] = dict(
        status=TransferStatus.OFFERED,
        expires_at=NOW + timedelta(minutes=2),
        from_volunteer_id=1,
        offered_to=frozenset({2, 3}),
        still_with_first=True,
    )
    return TransferState(**(fields | changes))  # type: ignore[arg-type]


def test_the_first_volunteer_offered_who_accepts_in_time_takes_the_texter() -> None:
    assert accept(_open(), 2, NOW) is AcceptOutcome.TAKEN
    assert accept(_open(), 4, NOW) is AcceptOutcome.NOT_OFFERED
    assert accept(_open(status=TransferStatus.ACCEPTED), 3, NOW) is AcceptOutcome.TOO_LATE
    assert accept(_open(), 2, NOW + timedelta(minutes=2)) is AcceptOutcome.TOO_LATE
    assert accept(_open(still_with_first=False), 2, NOW) is AcceptOutcome.UNAVAILABLE


def test_an_offer_nobody_accepts_lapses_back_to_the_first_volunteer_at_its_deadline() -> None:
    assert at_deadline(_open(), NOW) is TransferStatus.OFFERED
    assert at_deadline(_open(), NOW + timedelta(minutes=2)) is TransferStatus.LAPSED
    assert at_deadline(_open(still_with_first=False), NOW + timedelta(minutes=3)) is TransferStatus.WITHDRAWN
    assert at_deadline(_open(status=TransferStatus.ACCEPTED), NOW + timedelta(minutes=3)) is TransferStatus.ACCEPTED
