"""Supervisors' actions and read models in the service layer, against real PostgreSQL: the
rules they keep (limits on a reassignment, safety on a paused line), the live view's order
and the report's figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scripts.harness import seed
from service.conversations import line_pause
from service.dashboard.live import build_live_state
from service.db import AuditEntry, Conversation, Escalation, OutboxMessage, Shift, Texter, Volunteer
from service.db.turn import Turn, run_turn
from service.runtime import Runtime
from service.sms import texters
from service.staff import supervision
from service.staff.reports import build_report, percentile
from service.staff.supervision import ActionRefused
from tests.dashboard.conftest import Account

# The live stack's sweeper may run beside these tests: times are real (a conversation silent since
# last week would be closed under them), on a 15-second step (see live.CLOCK_STEP_SECONDS).
NOW = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) // 15 * 15, UTC)


def _volunteer(turn: Turn, alias: str, on_shift: bool = True, max_concurrent: int | None = None) -> Volunteer:
    phone = f"+1202555{abs(hash(alias)) % 10_000:04d}"
    volunteer = Volunteer(**seed.volunteer(alias, phone, turn.now, max_concurrent=max_concurrent))
    turn.session.add(volunteer)
    turn.session.flush()
    if on_shift:
        turn.session.add(
            Shift(
                volunteer_id=volunteer.id,
                started_at=turn.now - timedelta(hours=1),
                planned_end_at=turn.now + timedelta(hours=3),
                conversations_taken=0,
            )
        )
    return volunteer


def _conversation(
    turn: Turn, number: int, status: str, volunteer: Volunteer | None = None, thread: str | None = None, **fields: Any
) -> Conversation:
    """Texter number `number`'s conversation (on the line number `thread`), queued ten minutes
    ago unless `queued_at` says."""
    texter = Texter(**seed.texter(f"T-{number:04d}", turn.now, phone_hash=f"test:{number}"))
    turn.session.add(texter)
    queued = fields.pop("queued_at", None) or turn.now - timedelta(minutes=10)
    assigned_at = queued + timedelta(minutes=1) if volunteer else None
    row = seed.queued_conversation(queued, status=status, last_texter_at=turn.now, assigned_at=assigned_at) | fields
    conversation = Conversation(**row, texter=texter, volunteer=volunteer, line_number=thread)
    turn.session.add(conversation)
    turn.session.flush()
    return conversation


def test_a_reassignment_respects_the_new_volunteers_limits(runtime: Runtime, accounts: dict[str, Account]) -> None:
    numbers = runtime.settings.line.numbers

    def world(turn: Turn) -> tuple[int, int, int, int]:
        ana, ben, cai = (
            _volunteer(turn, "Ana"),
            _volunteer(turn, "Ben", max_concurrent=1),
            _volunteer(turn, "Cai", on_shift=False),
        )
        talking = _conversation(turn, 1, "active", ana, numbers[0])
        _conversation(turn, 2, "active", ben, numbers[0])
        return talking.id, ana.id, ben.id, cai.id

    (conversation_id, ana_id, ben_id, cai_id), _ = run_turn(runtime, NOW, world)
    for volunteer_id, reason in ((ben_id, "max_concurrent"), (cai_id, "off_shift"), (ana_id, "same_volunteer")):
        with pytest.raises(ActionRefused) as refused:
            run_turn(
                runtime,
                NOW,
                partial(
                    supervision.reassign,
                    conversation_id=conversation_id,
                    volunteer_id=volunteer_id,
                    actor="alex@example.org",
                    reason="",
                ),
            )
        assert refused.value.reason == reason
    with runtime.sessions() as session:
        assert session.get(Conversation, conversation_id).volunteer_id == ana_id
        assert not session.scalars(select(OutboxMessage)).all(), "a refused action sends nothing"


def test_a_reassigned_conversation_gets_a_free_thread_on_the_new_volunteers_phone(
    runtime: Runtime, accounts: dict[str, Account]
) -> None:
    numbers = runtime.settings.line.numbers

    def world(turn: Turn) -> tuple[int, int]:
        ana, ben = _volunteer(turn, "Ana"), _volunteer(turn, "Ben")
        _conversation(turn, 1, "active", ben, numbers[0])
        return _conversation(turn, 2, "active", ana, numbers[0]).id, ben.id

    (conversation_id, ben_id), _ = run_turn(runtime, NOW, world)
    _, turn = run_turn(
        runtime, NOW, lambda turn: supervision.reassign(turn, conversation_id, ben_id, "alex@example.org", "handover")
    )
    with runtime.sessions() as session:
        conversation = session.get(Conversation, conversation_id)
        assert (conversation.volunteer_id, conversation.line_number) == (ben_id, numbers[1])
        assert session.scalars(select(Shift.conversations_taken).where(Shift.volunteer_id == ben_id)).one() == 1
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "conversation_reassigned")).one()
        assert entry.actor == "alex@example.org" and "T-0002 Ana → Ben; handover" == entry.detail
        kinds = sorted(row.recipient_kind for row in session.scalars(select(OutboxMessage)))
    assert kinds == ["texter", "volunteer", "volunteer"]  # no backlog: nothing was recorded
    assert len(turn.outbox_ids) == 3


def test_a_paused_line_still_sends_the_crisis_text_and_alerts_but_queues_nobody(
    runtime: Runtime, accounts: dict[str, Account]
) -> None:
    run_turn(runtime, NOW, lambda turn: line_pause.set_paused(turn, True, "alex@example.org"))
    _, turn = run_turn(
        runtime, NOW, lambda turn: texters.on_texter_message(turn, "+12025550333", "i want to end my life tonight")
    )
    assert turn.inline_reply and "988" in turn.inline_reply
    with runtime.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.status, conversation.close_reason) == ("closed", "line_paused")
        assert session.scalars(select(Escalation.level)).one() == "imminent"
        bodies = [
            runtime.vault.decrypt(row.body_encrypted)
            for row in session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_kind == "texter"))
        ]
        alerts = [
            runtime.vault.decrypt(row.body_encrypted)
            for row in session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_kind == "supervisor"))
        ]
    assert any("isn't taking new conversations" in body for body in bodies)
    assert alerts and all("escalation #" in alert and "+12025550333" not in alert for alert in alerts), (
        "the supervisor is alerted"
    )
    assert not run_turn(runtime, NOW, lambda turn: line_pause.set_paused(turn, True, "alex@example.org"))[0], (
        "pausing twice changes nothing"
    )


def test_the_live_view_lists_the_most_severe_then_newest_escalations_first(
    runtime: Runtime, accounts: dict[str, Account]
) -> None:
    def world(turn: Turn) -> None:
        for number, (level, minutes_ago) in enumerate(
            (("elevated", 1), ("imminent", 30), ("imminent", 5), ("elevated", 20)), start=1
        ):
            conversation = _conversation(turn, number, "queued")
            turn.session.add(
                Escalation(
                    conversation_id=conversation.id,
                    level=level,
                    source="detector",
                    reason="",
                    opened_at=turn.now - timedelta(minutes=minutes_ago),
                )
            )

    run_turn(runtime, NOW, world)
    with runtime.sessions() as session:
        state = build_live_state(session, runtime, NOW)
        a_second_later = build_live_state(session, runtime, NOW + timedelta(seconds=1))
        a_minute_later = build_live_state(session, runtime, NOW + timedelta(minutes=1))
    assert [(e.level, e.pseudonym) for e in state.escalations] == [
        ("imminent", "T-0003"),
        ("imminent", "T-0002"),
        ("elevated", "T-0001"),
        ("elevated", "T-0004"),
    ]
    assert state.nobody_on_shift and state.queue_alert and len(state.waiting) == 4
    # The refresh sends nothing while nothing changed, and relative times at least every 15 s.
    assert state.fingerprint() == a_second_later.fingerprint() != a_minute_later.fingerprint()


def test_percentiles_are_waits_someone_actually_had() -> None:
    assert percentile([], 0.5) is None
    assert percentile([10.0], 0.9) == 10.0
    waits = [float(n) for n in range(1, 11)]
    assert (percentile(waits, 0.5), percentile(waits, 0.9)) == (5.0, 9.0)


def test_the_report_counts_answers_abandonment_waits_and_feedback(
    runtime: Runtime, accounts: dict[str, Account]
) -> None:
    zone = ZoneInfo(runtime.settings.line.timezone)

    def world(turn: Turn) -> None:
        ana = _volunteer(turn, "Ana")
        day = datetime(2026, 11, 19, 20, 30, tzinfo=zone)
        for number in range(10):
            queued = day + timedelta(minutes=number)
            conversation = _conversation(
                turn,
                number,
                "closed",
                ana if number < 8 else None,
                queued_at=queued,
                closed_at=queued + timedelta(minutes=30),
                close_reason="volunteer_done" if number < 8 else ("texter_stop" if number == 8 else "line_paused"),
                feedback_score=5 if number < 3 else None,
            )
            if number < 8:
                conversation.assigned_at = queued + timedelta(seconds=30 * (number + 1))
        _conversation(turn, 99, "queued", queued_at=day - timedelta(days=3))  # outside the period

    run_turn(runtime, NOW, world)
    with runtime.sessions() as session:
        report = build_report(session, date(2026, 11, 19), date(2026, 11, 19), zone, runtime.shift_limits, NOW)
    assert (report.contacts, report.answered, report.abandoned, report.turned_away, report.still_open) == (
        10,
        8,
        1,
        1,
        0,
    )
    assert (report.wait_p50_seconds, report.wait_p90_seconds) == (120.0, 240.0)
    assert report.contacts_by_hour[20] == 10 and report.contacts_by_day == ((date(2026, 11, 19), 10),)
    assert report.feedback_mean == 5.0 and dict(report.feedback_by_score)[5] == 3
