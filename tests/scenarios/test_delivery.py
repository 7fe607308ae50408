"""Outbound delivery: retries on Twilio's transient errors, no retry on permanent ones,
reconciliation after a lost answer, forward-only status callbacks, and timers kept in the
database."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from service.db import Conversation, OutboxMessage
from tests.support.line import Line
from tests.support.stack import People, Stack


def _rows(stack: Stack) -> list[OutboxMessage]:
    with stack.runtime.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _wait_rows(
    stack: Stack, predicate: Callable[[list[OutboxMessage]], bool], timeout: float = 15.0
) -> list[OutboxMessage]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(stack)
        if rows and predicate(rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(
        f"outbox never reached the expected state: {[(r.id, r.status, r.attempts) for r in _rows(stack)]}"
    )


def test_transient_twilio_errors_are_retried_until_delivered(line: Line, people: People, stack: Stack) -> None:
    line.twilio.fault("status500", count=2)
    texter = people.texter()
    line.text(texter, "hello")
    line.wait_for(texter, "trained peer volunteer", timeout=20)
    rejected = [r for r in line.twilio.requests() if r.get("status") == 500]
    assert len(rejected) == 2
    line.twilio.fault("status429", count=1)
    line.text(texter, "still here")  # queued: nothing to send; then a volunteer
    ana = people.volunteer("Ana")
    line.text(ana, "#on", texter=False)
    line.wait_for(ana, "is waiting", timeout=20)
    line.text(ana, "#yes", texter=False)
    line.wait_for(texter, "texting with Ana")
    line.settle(quiet=1.5)
    rows = _wait_rows(stack, lambda rows: all(r.status == "accepted" for r in rows))
    assert any(r.attempts > 1 for r in rows)
    sids = [m["sid"] for m in line.twilio.messages()]
    assert sorted(sids) == sorted(r.twilio_sid or "" for r in rows), "each outbox row reached Twilio exactly once"


def test_unsubscribed_texter_21610_is_not_retried_and_the_volunteer_is_told(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter = people.talking(line)
    line.twilio.fault("error21610", count=1)
    line.text(ana, "are you ok?", texter=False)
    line.wait_for(ana, "has unsubscribed (STOP)")
    failed = [r for r in _rows(stack) if r.status == "failed"]
    assert [(r.error_code, r.attempts) for r in failed] == [(21610, 1)]


def test_lost_answer_is_reconciled_not_resent(line: Line, people: People, stack: Stack) -> None:
    line.twilio.fault("accept_then_hang", count=1)
    texter = people.texter()
    line.text(texter, "hello")
    rows = _wait_rows(stack, lambda rows: all(r.status == "accepted" for r in rows), timeout=30)
    welcome = [m for m in line.twilio.messages() if "trained peer volunteer" in m["Body"]]
    assert len(welcome) == 1, "Twilio accepted it once; we found it in the message list instead of sending again"
    assert any(r.twilio_sid == welcome[0]["sid"] for r in rows)


def test_status_callbacks_only_move_forward(line: Line, people: People, stack: Stack) -> None:
    texter = people.texter()
    line.text(texter, "hello")
    rows = _wait_rows(stack, lambda rows: all(r.twilio_sid for r in rows))
    sid = rows[0].twilio_sid
    assert sid is not None
    base = {"MessageSid": sid, "AccountSid": line.twilio.account_sid, "To": texter, "From": line.main_number}
    assert line.post("/twilio/status", {**base, "MessageStatus": "delivered"}).status_code == 204
    assert line.post("/twilio/status", {**base, "MessageStatus": "sent"}).status_code == 204  # late, out of order
    assert line.post("/twilio/status", {**base, "MessageStatus": "delivered"}).status_code == 204  # duplicate
    assert line.post("/twilio/status", {**base, "MessageStatus": "sent"}, sign=False).status_code == 403
    with stack.runtime.sessions() as session:
        assert session.scalars(select(OutboxMessage.status).where(OutboxMessage.twilio_sid == sid)).one() == "delivered"


def test_every_text_asks_twilio_for_status_callbacks_at_the_public_url(line: Line, people: People) -> None:
    """Twilio calls back the URL it is given, which must be the public one the signature is
    checked against (signed callbacks moving a row forward: `test_status_callbacks_only_move_forward`)."""
    texter = people.texter()
    line.text(texter, "hello")
    message = line.wait_for(texter, "trained peer volunteer")
    assert message["StatusCallback"] == f"{line.public_url}/twilio/status"


def test_silent_texter_conversation_closes_after_the_inactivity_timeout(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter = people.talking(line)
    # Half an hour passes without a word from the texter; the worker's sweeper notices.
    silent_since = datetime.now(UTC) - timedelta(
        minutes=stack.runtime.settings.routing.texter_inactivity_minutes, seconds=1
    )
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Conversation).values(last_texter_at=silent_since))
    line.wait_for(texter, "haven't heard from you")
    line.wait_for(ana, "was quiet for 30 minutes")


def test_webhook_answers_and_keeps_the_message_while_redis_is_unreachable(
    line: Line, people: People, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from redis import Redis

    texter = people.texter()
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setitem(stack.runtime.__dict__, "redis", dead)  # the web process loses Redis
    line.text(texter, "are you there")
    monkeypatch.undo()
    # The worker's sweeper finds the committed outbox rows and delivers them.
    line.wait_for(texter, "trained peer volunteer", timeout=20)


def test_texts_held_back_by_twilio_errors_go_as_soon_as_twilio_answers_again(
    line: Line, people: People, stack: Stack
) -> None:
    line.twilio.fault("status500")
    texter = people.texter()
    line.text(texter, "hello")
    # Its texts have failed often enough to wait 8 s (0.5 s doubling) before trying again.
    held = _wait_rows(stack, lambda rows: all(r.attempts >= 5 and r.status == "pending" for r in rows), timeout=40)
    line.twilio.clear_faults()
    ana = people.volunteer("Ana")
    line.text(ana, "#on", texter=False)  # Twilio takes the reply: it answers again
    welcome = line.wait_for(texter, "trained peer volunteer", timeout=30)
    due = min(row.next_attempt_at for row in held).timestamp()
    assert welcome["received_at"] < due - 1, "it did not wait out its backoff"
