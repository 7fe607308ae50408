"""A call in its conference, with the test playing Twilio (signed webhooks; every TwiML
document checked as it arrives) and the fake Twilio taking the Conference and Participant
requests the worker sends, checked against Twilio's spec: the answered call moves into a
conference, a supervisor listens (muted), then coaches, then joins; the crisis line is added
as a third participant and the volunteer leaves, with the caller still connected; the call
record shows who was added when."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from routing import call_flow
from service.app import create_app
from service.db import AuditEntry, Call, CallParticipant, Conversation
from tests.dashboard.conftest import add_account, csrf_token, sign_in
from tests.support.line import Line
from tests.support.phone_calls import Call as PhoneCall
from tests.support.phone_calls import Leg, says, wait_for_call_request
from tests.support.stack import People, Stack


@pytest.fixture(scope="module")
def app(stack: Stack) -> Flask:
    return create_app(stack.runtime)


def _conference_request(line: Line, action: str, **fields: str) -> dict[str, Any]:
    """The first Conference/Participant change the worker made that has these fields."""
    return _wait(lambda: line.twilio.conference_requests(), action, fields)


def _wait(listing: Any, action: str, fields: dict[str, str], timeout: float = 15.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in listing():
            if entry["action"] == action and all(entry.get(key) == value for key, value in fields.items()):
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no {action} with {fields}; the fake got {listing()}")


def _event(line: Line, call_id: int, conference_sid: str, event: str, call_sid: str = "", label: str = "") -> None:
    form = {
        "AccountSid": line.twilio.account_sid,
        "ConferenceSid": conference_sid,
        "FriendlyName": f"warmline-call-{call_id}",
        "StatusCallbackEvent": event,
        "Timestamp": "Mon, 07 Dec 2026 22:00:00 +0000",
        "SequenceNumber": "1",
    }
    if call_sid:
        form |= {"CallSid": call_sid, "ParticipantLabel": label, "Muted": "false", "Hold": "false"}
    response = line.post(f"/twilio/voice/conference-status?call={call_id}", form)
    assert response.status_code == 204, response.text


def _record(stack: Stack) -> dict[str, CallParticipant]:
    with stack.runtime.sessions() as session:
        rows = session.scalars(select(CallParticipant).order_by(CallParticipant.id)).all()
        return {row.role if row.role != "supervisor" else f"supervisor:{row.supervisor_id}": row for row in rows}


def _connected_call(line: Line, people: People, stack: Stack) -> tuple[str, PhoneCall, Leg, int, str]:
    """A caller answered by Ana, moved into their conference: (Ana's phone, the call, her leg,
    the call's id, the conference SID)."""
    ana = people.on_shift(line, "Ana")
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    [leg] = call.rung()
    line.twilio.call_status(leg.sid, "in-progress")  # the volunteer's leg is live at Twilio
    leg.pick_up()
    assert leg.press("1").findall("*") == [], "the whisper is kept: 1 connects"
    moved = wait_for_call_request(line, lambda request: request["action"] == "update" and request["sid"] == leg.sid)
    assert "/twilio/voice/conference?call=" in moved["Url"]
    volunteer_side = call.post(moved["Url"], {**leg._form()})
    room = volunteer_side.find("Dial/Conference")
    assert room is not None and room.attrib["participantLabel"] == "volunteer"
    assert room.attrib["endConferenceOnExit"] == "true", "until a hand-off, the volunteer hanging up ends the call"
    caller_side = call.dial_ends("completed", leg)
    joined = caller_side.find("Dial/Conference")
    assert joined is not None and joined.text == room.text and joined.attrib["participantLabel"] == "caller"
    assert "/twilio/voice/conference-over" in (caller_side.find("Dial").attrib["action"])
    with stack.runtime.sessions() as session:
        call_id = session.scalars(select(Call.id).where(Call.call_sid == call.sid)).one()
    conference_sid = "CF" + secrets.token_hex(16)
    line.twilio.start_conference(conference_sid, room.text or "", {call.sid: "caller", leg.sid: "volunteer"})
    _event(line, call_id, conference_sid, "conference-start")
    _event(line, call_id, conference_sid, "participant-join", leg.sid, "volunteer")
    _event(line, call_id, conference_sid, "participant-join", call.sid, "caller")
    return ana, call, leg, call_id, conference_sid


def _signed_in(app: Flask, stack: Stack, name: str, role: str, on_call: bool) -> tuple[FlaskClient, Any]:
    account = add_account(stack.runtime, name, role, People.new_number(), on_call=on_call)
    client = app.test_client()
    sign_in(client, account)
    return client, account


def _post(client: FlaskClient, path: str, **fields: str) -> str:
    page = client.get(path.rsplit("/", 1)[0] + "/live").get_data(as_text=True)
    response = client.post(path, data={**fields, "csrf_token": csrf_token(page)}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_supervisor_listens_then_coaches_then_joins_an_answered_call(
    line: Line, people: People, stack: Stack, app: Flask
) -> None:
    ana, call, leg, call_id, conference_sid = _connected_call(line, people, stack)
    robin, account = _signed_in(app, stack, "Robin", "supervisor", on_call=True)
    with stack.runtime.sessions() as session:
        conversation_id = session.scalars(select(Conversation.id).where(Conversation.channel == "voice")).one()
    base = f"/dashboard/conversations/{conversation_id}"
    page = robin.get(f"{base}/live").get_data(as_text=True)
    assert "Live call" in page and ">Listen<" in page and "Add the crisis line" in page

    assert "called into the call, muted" in _post(robin, f"{base}/call", mode="listen")
    listening = _conference_request(line, "create_participant", To=account.phone, Muted="true")
    assert listening["From"] == line.main_number and listening["conference_sid"] == conference_sid
    assert listening["Label"].startswith("supervisor-")
    _event(line, call_id, conference_sid, "participant-join", listening["call_sid"], listening["Label"])

    _post(robin, f"{base}/call", mode="coach")
    coaching = _conference_request(line, "update_participant", call_sid=listening["call_sid"], Coaching="true")
    assert coaching["CallSidToCoach"] == leg.sid and coaching["Muted"] == "false"

    _post(robin, f"{base}/call", mode="join")
    joined = _conference_request(line, "update_participant", call_sid=listening["call_sid"], Coaching="false")
    assert joined["Muted"] == "false"
    robin_in = _record(stack)[f"supervisor:{account.id}"]
    assert (robin_in.mode, robin_in.call_sid, robin_in.added_by) == ("join", listening["call_sid"], account.email)
    assert robin_in.joined_at is not None and robin_in.left_at is None
    with stack.runtime.sessions() as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert [a for a in actions if a.startswith("call_")] == ["call_listened", "call_coached", "call_joined"]


def test_the_crisis_line_joins_as_a_third_participant_and_the_volunteer_leaves_the_caller_connected(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam", on_call=True)
    ana, call, leg, call_id, conference_sid = _connected_call(line, people, stack)
    line.text(ana, "#sup", texter=False)
    asked = line.wait_for(sam, "asks you to listen to the call")
    assert "/dashboard/conversations/" in asked["Body"] and asked["Body"].endswith("/live")
    line.text(ana, "#988", texter=False)
    crisis = _conference_request(line, "create_participant", To=stack.runtime.settings.supervision.crisis_line_number)
    assert crisis["From"] == line.main_number and crisis["Label"].startswith("crisis_line-")
    released = _conference_request(line, "update_participant", call_sid=leg.sid, EndConferenceOnExit="false")
    assert released["conference_sid"] == conference_sid
    line.wait_for(ana, "crisis line is being added")
    _event(line, call_id, conference_sid, "participant-join", crisis["call_sid"], crisis["Label"])
    _event(line, call_id, conference_sid, "participant-leave", leg.sid, "volunteer")  # Ana hangs up
    _event(line, call_id, conference_sid, "participant-leave", leg.sid, "volunteer")  # Twilio repeats it
    record = _record(stack)
    assert record["volunteer"].left_at is not None
    assert record["caller"].left_at is None, "the caller is still connected, with the crisis line"
    assert record["crisis_line"].joined_at is not None and record["crisis_line"].added_at is not None
    assert record["crisis_line"].added_by.startswith("volunteer:")
    with stack.runtime.sessions() as session:
        caller_call = session.scalars(select(Call).where(Call.call_sid == call.sid)).one()
        assert caller_call.stage == call_flow.CONFERENCE and caller_call.ended_at is None, "the call goes on"
        assert caller_call.conference_sid == conference_sid
        # The volunteer's part is over: their conversation closes, and they are free for the next.
        assert session.scalars(select(Conversation.status)).one() == "closed"
    line.wait_for(ana, "ended")
    # The caller and the crisis line talk, then hang up: the conference ends and the call closes.
    _event(line, call_id, conference_sid, "conference-end")
    over = call.post(call.document.find("Dial").attrib["action"], {"CallStatus": "completed"})
    assert says(over) == "" and over.find("Hangup") is not None
    with stack.runtime.sessions() as session:
        caller_call = session.scalars(select(Call).where(Call.call_sid == call.sid)).one()
        assert caller_call.outcome == call_flow.ANSWERED
