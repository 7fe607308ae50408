"""A busy line for tests that go through every route, built as Twilio would build it (signed
webhooks through Flask's test client): eight volunteers on shift (enough that texters' offers
leave some free to be rung for a call), one talking with a texter, a second texter waiting with
an open escalation, a caller talking with a volunteer and a second caller whose volunteer's
phone is ringing. Ids restart at 1, so small numbers name real rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from twilio.request_validator import RequestValidator

from scripts.harness import seed
from scripts.harness.database import empty_database
from service.db import Call, Conversation, Escalation, InboundReceipt, Offer, Volunteer
from service.runtime import Runtime
from service.sms import inbound
from tests.conftest import PUBLIC_URL

VOLUNTEER_PHONES = tuple(f"+120255501{number:02d}" for number in range(1, 9))
TEXTER_PHONES = ("+12025550143", "+12025550144")
CALLER_PHONES = ("+12025550150", "+12025550151")


def twilio_post(
    client: FlaskClient,
    runtime: Runtime,
    path: str,
    form: dict[str, str],
    query: dict[str, str] | None = None,
    kind: str = "signed",
) -> tuple[int, str]:
    """Post a webhook as Twilio would ("signed"), with no signature ("unsigned"), or signed
    with another account's token ("forged"); the status and body of the answer."""
    url = path + ("?" + urlencode(query) if query else "")
    headers = {}
    if kind != "unsigned":
        token = runtime.settings.twilio_auth_token if kind == "signed" else "not-the-token"
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(PUBLIC_URL + url, form)
    response = client.post(url, data=form, headers=headers, base_url="http://internal:8000")
    return response.status_code, response.get_data(as_text=True)


def build_line(client: FlaskClient, runtime: Runtime) -> set[str]:
    """Empty the database and build the line; the MessageSids of the texts it took."""
    empty_database(runtime.engine, restart_ids=True)
    with runtime.engine.begin() as connection:
        for phone in VOLUNTEER_PHONES:
            connection.execute(
                insert(Volunteer).values(
                    **seed.volunteer(
                        f"V{phone[-3:]}", phone, func.now(), name=f"Volunteer {phone[-3:]}", languages="en,es"
                    )
                )
            )
    line_number = runtime.settings.line.main_number
    texts = [(phone, "#on") for phone in VOLUNTEER_PHONES] + [(TEXTER_PHONES[0], "hello, can someone talk?")]
    texts += [(phone, "#yes") for phone in VOLUNTEER_PHONES] + [(TEXTER_PHONES[1], "I'm going to kill myself tonight")]
    sids = set()
    for number, (sender, body) in enumerate(texts):
        sid = f"SM{number:032x}"
        status, answer = twilio_post(
            client, runtime, "/twilio/sms", {"MessageSid": sid, "From": sender, "To": line_number, "Body": body}
        )
        assert status == 200, answer
        sids.add(sid)
        route_stored_texts(runtime, until_routed=sid)  # in order, as the world is written
    for number, caller in enumerate(CALLER_PHONES):
        call_sid = f"CA{number:032x}"
        assert (
            twilio_post(client, runtime, "/twilio/voice", {"CallSid": call_sid, "From": caller, "To": line_number})[0]
            == 200
        )
        with runtime.sessions() as session:
            call_id = session.scalar(select(Call.id).where(Call.call_sid == call_sid))
        assert (
            twilio_post(
                client, runtime, "/twilio/voice/menu", {"CallSid": call_sid, "Digits": ""}, {"call": str(call_id)}
            )[0]
            == 200
        )
        with runtime.sessions() as session:
            offer_id = session.scalar(
                select(Offer.id)
                .join(Call, Call.conversation_id == Offer.conversation_id)
                .where(Call.id == call_id, Offer.kind == "ring", Offer.status == "pending")
            )
        assert offer_id is not None, "a free volunteer is rung"
        if number == 0:
            whisper = {"CallSid": f"CA{number + 100:032x}", "Digits": "1"}
            assert (
                twilio_post(client, runtime, "/twilio/voice/whisper-answer", whisper, {"offer": str(offer_id)})[0]
                == 200
            )
    with runtime.sessions() as session:
        active = session.scalars(select(Conversation.channel).where(Conversation.status == "active")).all()
        assert sorted(active) == ["sms", "voice"]
        assert session.scalar(select(func.count()).select_from(Escalation)) == 1
    return sids


def route_stored_texts(runtime: Runtime, until_routed: str | None = None) -> None:
    """Route the texts the SMS webhook stored, as the rq workers would (what the turns write to
    the outbox stays unsent); with `until_routed`, until that text is routed, here or by a
    worker of another test that took its job."""
    deadline = time.monotonic() + 15
    while True:
        while inbound.route_next(runtime, datetime.now(UTC)) is not None:
            pass
        if until_routed is None:
            return
        with runtime.sessions() as session:
            if session.scalar(select(InboundReceipt.routed_at).where(InboundReceipt.sid == until_routed)) is not None:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"text {until_routed} was never routed")
        time.sleep(0.01)
