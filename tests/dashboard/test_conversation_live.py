"""The live conversation page's rights: only signed-in supervisors reach it or its actions,
every opening and action is audited, and a page's refresh reads only under its own opening."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from routing import call_flow
from scripts.harness import seed
from service.db import (
    AuditEntry,
    Call,
    CallParticipant,
    Conversation,
    Message,
    OutboxMessage,
    Supervisor,
    Texter,
    Volunteer,
)
from service.runtime import Runtime
from tests.dashboard.conftest import Account, csrf_token

ROUTES = ("live", "live/messages")
POSTS = ("write", "join", "transfer", "call", "crisis-line")


def live_call(runtime: Runtime) -> int:
    """A caller's call answered by Ana and moved into its conference: the conversation's id."""
    now = datetime.now(UTC)
    with runtime.sessions() as session, session.begin():
        volunteer = Volunteer(**seed.volunteer("Ana", "+12025550178", now))
        texter = Texter(**seed.texter("T-0043", now, phone_hash="test:43"))
        session.add_all([volunteer, texter])
        session.flush()
        row = seed.queued_conversation(now, status="active", channel="voice", last_texter_at=now, assigned_at=now)
        conversation = Conversation(**row, texter=texter, volunteer=volunteer)
        session.add(conversation)
        session.flush()
        call = Call(
            conversation_id=conversation.id,
            call_sid="CA" + "1" * 32,
            party="caller",
            direction="inbound",
            line_number=runtime.settings.line.main_number,
            stage=call_flow.CONFERENCE,
            started_at=now,
            answered_at=now,
            volunteer_leg_sid="CA" + "2" * 32,
            conference_sid="CF" + "3" * 32,
        )
        session.add(call)
        session.flush()
        for role, sid in (("caller", call.call_sid), ("volunteer", call.volunteer_leg_sid)):
            session.add(CallParticipant(call_id=call.id, role=role, call_sid=sid, added_by="line", added_at=now))
        return conversation.id


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


def _supervisors_in_call(runtime: Runtime) -> list[tuple[int | None, str | None]]:
    with runtime.sessions() as session:
        return [
            (row.supervisor_id, row.mode)
            for row in session.scalars(select(CallParticipant).where(CallParticipant.role == "supervisor"))
        ]


def test_a_plain_supervisor_not_on_call_cannot_listen_to_a_call_but_an_admin_can(
    supervisor_client: FlaskClient, admin_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = live_call(runtime)
    page = supervisor_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    assert ">Listen<" in page  # the controls show for a live call; the rights are checked on use
    for mode in ("listen", "coach", "join"):
        refused = supervisor_client.post(
            f"/dashboard/conversations/{conversation_id}/call",
            data={"mode": mode, "csrf_token": csrf_token(page)},
            follow_redirects=True,
        )
        assert "Listening to calls is for admins and the supervisor on call." in refused.get_data(as_text=True)
    assert _supervisors_in_call(runtime) == []
    assert not [action for _, action in _audit(runtime) if action.startswith("call_")]
    admin_page = admin_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    admin_client.post(
        f"/dashboard/conversations/{conversation_id}/call",
        data={"mode": "listen", "csrf_token": csrf_token(admin_page)},
    )
    assert _supervisors_in_call(runtime) == [(accounts["admin"].id, "listen")]
    assert ("alex@example.org", "call_listened") in _audit(runtime)


def test_a_plain_supervisor_on_call_may_listen(
    supervisor_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    conversation_id = live_call(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(update(Supervisor).where(Supervisor.id == accounts["supervisor"].id).values(on_call=True))
    page = supervisor_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    supervisor_client.post(
        f"/dashboard/conversations/{conversation_id}/call", data={"mode": "coach", "csrf_token": csrf_token(page)}
    )
    assert _supervisors_in_call(runtime) == [(accounts["supervisor"].id, "coach")]
    # `[supervision] any_supervisor_may_listen` opening it to everyone: tests/unit/test_presence_and_transfer.py.


def test_call_controls_show_only_for_a_live_call(
    supervisor_client: FlaskClient, accounts: dict[str, Account], runtime: Runtime
) -> None:
    text_page = supervisor_client.get(f"/dashboard/conversations/{_active_conversation(runtime)}/live")
    assert ">Listen<" not in text_page.get_data(as_text=True)
    conversation_id = live_call(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(update(Call).values(stage=call_flow.ENDED))
    ended = supervisor_client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    assert ">Listen<" not in ended and "Add the crisis line" not in ended
    assert "Who was in the call" in ended, "the call record stays"
