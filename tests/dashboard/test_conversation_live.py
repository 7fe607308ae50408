"""The live conversation page's rights: only signed-in supervisors reach it or its actions,
every opening and action is audited, and a page's refresh reads only under its own opening."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from scripts.harness import seed
from service.db import AuditEntry, Conversation, Message, OutboxMessage, Texter, Volunteer
from service.runtime import Runtime
from tests.dashboard.conftest import Account, csrf_token

ROUTES = ("live", "live/messages")
POSTS = ("write", "join", "transfer")


def _active_conversation(runtime: Runtime) -> int:
    now = datetime.now(UTC)
    with runtime.sessions() as session, session.begin():
        volunteer = Volunteer(**seed.volunteer("Ana", "+12025550177", now))
        texter = Texter(**seed.texter("T-0042", now, phone_hash="test:42"))
        session.add_all([volunteer, texter])
        session.flush()
        row = seed.queued_conversation(now, status="active", last_texter_at=now, assigned_at=now)
        conversation = Conversation(
            **row, texter=texter, volunteer=volunteer, line_number=runtime.settings.line.numbers[0]
        )
        session.add(conversation)
        session.flush()
        session.add(
            Message(
                conversation_id=conversation.id,
                author="texter",
                body_encrypted=runtime.vault.encrypt("hello"),
                created_at=now,
            )
        )
        return conversation.id


def _audit(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        return [(row.actor, row.action) for row in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_signed_out_nobody_reaches_the_live_conversation_or_its_actions(
    app: Flask, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = _active_conversation(runtime)
    client = app.test_client()
    for route in ROUTES:
        response = client.get(f"/dashboard/conversations/{conversation_id}/{route}")
        assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]
    for action in POSTS:
        response = client.post(f"/dashboard/conversations/{conversation_id}/{action}", data={"message": "hi"})
        assert response.status_code == 302 and "/dashboard/login" in response.headers["Location"]
    assert _audit(runtime) == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_each_opening_and_each_message_written_is_audited(
    supervisor_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = _active_conversation(runtime)
    page = supervisor_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    assert "hello" in page and "+12025550177" not in page
    response = supervisor_client.post(
        f"/dashboard/conversations/{conversation_id}/write",
        data={"message": "We're with you.", "csrf_token": csrf_token(page), "next": "/dashboard/"},
    )
    assert response.status_code == 302
    assert _audit(runtime) == [("sam@example.org", "conversation_watched"), ("sam@example.org", "supervisor_wrote")]
    with runtime.sessions() as session:
        kinds = sorted(session.scalars(select(OutboxMessage.recipient_kind)))
        assert kinds == ["texter", "volunteer"]


def test_a_refresh_reads_only_under_its_own_audited_opening(
    supervisor_client: FlaskClient, admin_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = _active_conversation(runtime)
    url = f"/dashboard/conversations/{conversation_id}/live/messages"
    admin_client.get(f"/dashboard/conversations/{conversation_id}/live")
    admin_watch = _audit_ids(runtime)[-1]
    assert supervisor_client.get(f"{url}?watch={admin_watch}&after=0").status_code == 403
    assert supervisor_client.get(f"{url}?watch=abc&after=0").status_code == 403
    first = supervisor_client.get(url).get_json()  # an opening of its own: audited
    assert "hello" in first["html"] and first["watch"] == _audit_ids(runtime)[-1]
    again = supervisor_client.get(f"{url}?watch={first['watch']}&after={first['after']}").get_json()
    assert again["html"] == "" and again["status"] == "active"
    assert [action for _, action in _audit(runtime)] == ["conversation_watched", "conversation_watched"]


def _audit_ids(runtime: Runtime) -> list[int]:
    with runtime.sessions() as session:
        return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def test_writing_needs_words_and_an_active_text_conversation(
    supervisor_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = _active_conversation(runtime)
    page = supervisor_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    token = csrf_token(page)
    refused = supervisor_client.post(
        f"/dashboard/conversations/{conversation_id}/write",
        data={"message": "   ", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Write something to send." in refused.get_data(as_text=True)
    missing = supervisor_client.post(
        "/dashboard/conversations/999999/write", data={"message": "hi", "csrf_token": token}, follow_redirects=True
    )
    assert "no longer active" in missing.get_data(as_text=True)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
