"""Supervisors inside a text conversation, through real webhooks, the worker and the fake
Twilio: writing from the dashboard (labelled to texter and volunteer), `#sup` bringing the
supervisor on call into the thread on their phone until `#leave`, `#988` giving the texter
the crisis line while the conversation stays open, and warm transfers (`#transfer`) that a
second volunteer accepts or nobody does. The privacy audit after each test checks that no
texter number reached any phone but the texter's."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from service.app import create_app
from service.db import AuditEntry, Conversation, Message, SupervisorSeat, Transfer, Volunteer
from tests.dashboard.conftest import add_account, csrf_token, sign_in
from tests.support.line import Line
from tests.support.stack import People, Stack


@pytest.fixture(scope="module")
def app(stack: Stack) -> Flask:
    return create_app(stack.runtime)


def _signed_in(app: Flask, stack: Stack, name: str, role: str = "supervisor", on_call: bool = False) -> FlaskClient:
    account = add_account(stack.runtime, name, role, People.new_number(), on_call=on_call)
    client = app.test_client()
    sign_in(client, account)
    return client


def _conversation_id(stack: Stack) -> int:
    with stack.runtime.sessions() as session:
        return session.scalars(select(Conversation.id).where(Conversation.status == "active")).one()


def test_a_supervisor_writes_from_the_dashboard_and_texter_and_volunteer_get_it_labelled(
    line: Line, people: People, stack: Stack, app: Flask
) -> None:
    ana, texter = people.talking(line, first_words="i can't sleep again")
    client = _signed_in(app, stack, "Sam")
    conversation_id = _conversation_id(stack)
    page = client.get(f"/dashboard/conversations/{conversation_id}/live")
    assert page.status_code == 200 and "i can&#39;t sleep again" in page.get_data(as_text=True)
    response = client.post(
        f"/dashboard/conversations/{conversation_id}/write",
        data={"message": "We're here with you tonight.", "csrf_token": csrf_token(page.get_data(as_text=True))},
    )
    assert response.status_code == 302
    to_texter = line.wait_for(texter, "We're here with you tonight.")
    assert to_texter["Body"] == "(Supervisor) We're here with you tonight." and to_texter["From"] == line.main_number
    to_volunteer = line.wait_for(ana, "We're here with you tonight.")
    assert to_volunteer["Body"].startswith("Supervisor Sam to T-")
    with stack.runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["conversation_watched", "supervisor_wrote"]
        assert session.scalars(select(Message.author).order_by(Message.id.desc())).first() == "supervisor"


def test_sup_brings_the_supervisor_on_call_into_the_thread_until_leave(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam", on_call=True)
    people.supervisor("Kim", on_call=False)
    ana, texter = people.talking(line, first_words="it's been a rough week")
    thread = line.wait_for(ana, "You're connected")["From"]
    line.text(ana, "#sup", to=thread, texter=False)
    invite = line.wait_for(sam, "asks you into the conversation")
    seat_thread = invite["From"]
    assert seat_thread in line.numbers and "it's been a rough week" in invite["Body"]
    line.wait_for(ana, "Supervisor Sam has joined")
    line.wait_for(texter, "A supervisor from")
    # Everyone sees what the others write, each labelled.
    line.text(texter, "thanks for staying")
    assert line.wait_for(sam, "thanks for staying")["Body"].startswith("T-")
    line.text(ana, "of course", to=thread, texter=False)
    assert line.wait_for(sam, "of course")["Body"].startswith("Ana to T-")
    line.text(sam, "You did the right thing reaching out.", to=seat_thread, texter=False)
    assert line.wait_for(texter, "You did the right thing")["Body"].startswith("(Supervisor) ")
    assert line.wait_for(ana, "You did the right thing")["From"] == thread
    line.text(sam, "#leave", to=seat_thread, texter=False)
    line.wait_for(sam, "You've left the conversation")
    line.wait_for(ana, "Supervisor Sam has left")
    line.wait_for(texter, "The supervisor has left")
    seen = len(line.inbox(sam))
    line.text(texter, "ok")
    line.wait_for(ana, ": ok")
    line.settle(quiet=0.5)
    assert len(line.inbox(sam)) == seen, "out of the thread, the supervisor hears nothing more"
    with stack.runtime.sessions() as session:
        seat = session.scalars(select(SupervisorSeat)).one()
        assert seat.left_at is not None and seat.line_number == seat_thread
        assert {"supervisor_joined", "supervisor_wrote", "supervisor_left"} <= set(
            session.scalars(select(AuditEntry.action))
        )


def test_a_supervisor_seated_in_a_conversation_is_told_when_it_ends(line: Line, people: People) -> None:
    sam = people.supervisor("Sam", on_call=True)
    ana, texter = people.talking(line)
    thread = line.wait_for(ana, "You're connected")["From"]
    line.text(ana, "#sup", to=thread, texter=False)
    line.wait_for(sam, "asks you into")
    line.text(ana, "#done", to=thread, texter=False)
    line.wait_for(sam, "has ended; this thread is closed")


def test_988_sends_the_texter_the_crisis_line_and_the_conversation_stays_open(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter = people.talking(line)
    thread = line.wait_for(ana, "You're connected")["From"]
    line.text(ana, "#988", to=thread, texter=False)
    options = line.wait_for(texter, "crisis line")
    assert "Call 988" in options["Body"] and "text 988" in options["Body"]
    line.wait_for(ana, "crisis line's call and text options")
    line.text(ana, "I'm still here with you", to=thread, texter=False)
    line.wait_for(texter, "I'm still here with you")
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Conversation.status)).one() == "active"


def test_transfer_hands_the_texter_to_a_second_volunteer_with_the_note(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter = people.talking(line, first_words="i need help with my housing")
    ben = people.on_shift(line, "Ben")
    thread = line.wait_for(ana, "You're connected")["From"]
    line.text(ana, "#transfer Ben knows the housing resources", to=thread, texter=False)
    offer = line.wait_for(ben, "asks another volunteer to take")
    assert "Ben knows the housing resources" in offer["Body"] and "i need help with my housing" in offer["Body"]
    line.wait_for(ana, "Stay with them until someone accepts")
    # Until Ben accepts, Ana still has the texter.
    line.text(texter, "are you still there?")
    line.wait_for(ana, "are you still there?")
    line.text(ben, "#yes", to=offer["From"], texter=False)
    taken = line.wait_for(ben, "You now have")
    line.wait_for(ana, "Ben has taken")
    line.wait_for(texter, "You're now texting with Ben")
    line.text(texter, "hi Ben")
    assert line.wait_for(ben, "hi Ben")["From"] == taken["From"]
    with stack.runtime.sessions() as session:
        transfer = session.scalars(select(Transfer)).one()
        assert transfer.status == "accepted" and transfer.decided_at is not None
        assert session.scalars(select(Message.author).where(Message.author == "transfer")).all() == ["transfer"]


def test_a_transfer_nobody_accepts_falls_back_to_the_first_volunteer(line: Line, people: People, stack: Stack) -> None:
    ana, texter = people.talking(line)
    ben = people.on_shift(line, "Ben")
    thread = line.wait_for(ana, "You're connected")["From"]
    line.text(ana, "#transfer", to=thread, texter=False)
    line.wait_for(ben, "asks another volunteer to take")
    lapsed = line.wait_for(ana, "they stay with you", timeout=30)
    assert lapsed["From"] == thread
    line.wait_for(ben, "is closed")
    line.text(ben, "#yes", texter=False)
    line.wait_for(ben, "no offer waiting")
    line.text(texter, "still here")
    line.wait_for(ana, "still here")
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Transfer.status)).one() == "lapsed"


def test_a_supervisor_transfers_from_the_dashboard_to_a_named_volunteer(
    line: Line, people: People, stack: Stack, app: Flask
) -> None:
    ana, texter = people.talking(line)
    ben = people.on_shift(line, "Ben")
    cai = people.on_shift(line, "Cai")
    client = _signed_in(app, stack, "Sam")
    conversation_id = _conversation_id(stack)
    page = client.get(f"/dashboard/conversations/{conversation_id}/live").get_data(as_text=True)
    with stack.runtime.sessions() as session:
        cai_id = session.scalars(select(Volunteer.id).where(Volunteer.alias == "Cai")).one()
    client.post(
        f"/dashboard/conversations/{conversation_id}/transfer",
        data={"volunteer_id": str(cai_id), "csrf_token": csrf_token(page)},
    )
    offer = line.wait_for(cai, "asks another volunteer to take")
    line.text(cai, "#yes", to=offer["From"], texter=False)
    line.wait_for(texter, "You're now texting with Cai")
    line.settle(quiet=0.5)
    assert not [m for m in line.inbox(ben) if "asks another volunteer" in m["Body"]], "offered to Cai alone"
