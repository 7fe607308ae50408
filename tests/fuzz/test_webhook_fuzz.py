"""Thousands of generated webhook requests, signed and unsigned, with random and malformed
fields: never a 5xx, nothing acted on unless signed, and the router's state consistent after."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator

from service import shifts
from service.app import create_app
from service.db import Base, Conversation, InboundReceipt, Volunteer
from service.runtime import Runtime
from tests.conftest import PUBLIC_URL

PATHS = ["/twilio/sms", "/twilio/status"]
FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "NumMedia", "MessageStatus", "ErrorCode", "SmsStatus", "ApiVersion"]
NUMBERS = st.sampled_from(["+15005550006", "+15005550007", "+12025550101", "+12025550102", "+12025550143", "2025550143", "(202) 555-0144",
                           "+44 20 7946 0958", "ALICE", "", "+", "+1" + "9" * 40, "\u202e+1202555"])
WORDS = st.sampled_from(["#on", "#off", "#yes", "#pass", "#done", "#break", "#ok", "#status", "#escalate", "#ack", "STOP", "START", "ESPAÑOL",
                         "4", "DELETE MY DATA", "hello", "I want to die", "i have the pills now", "queued", "delivered", "failed", "21610"])
VALUES = st.one_of(WORDS, NUMBERS, st.text(max_size=200), st.text(min_size=1, max_size=30).map(lambda piece: piece * 80),
                   st.binary(max_size=64).map(lambda b: b.decode("latin-1")))
REQUEST = st.tuples(
    st.sampled_from(PATHS),
    st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=len(FIELDS)),
    st.sampled_from(["signed", "unsigned", "forged"]),
)


ACCEPTED_SIDS: set[str] = set()


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[FlaskClient]:
    with runtime.engine.begin() as connection:
        connection.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables) + " CASCADE"))
        for phone in ("+12025550101", "+12025550102"):
            connection.execute(Volunteer.__table__.insert().values(name=phone, alias="V", phone=phone, languages="en,es", active=True,
                                                                   awaiting_ok=False, created_at=func.now()))
    app = create_app(runtime)
    yield app.test_client()
    with runtime.sessions() as session:
        _assert_consistent(runtime, session)
        receipts = set(session.scalars(select(InboundReceipt.sid)))
    assert receipts == ACCEPTED_SIDS, "exactly the signed, well-formed texts were acted on"


def _assert_consistent(runtime: Runtime, session) -> None:  # type: ignore[no-untyped-def]
    assert not session.scalars(select(Conversation).where(Conversation.status == "active", Conversation.volunteer_id.is_(None))).all()
    states = shifts.volunteer_states(session, session.scalars(select(Volunteer.id)).all(), datetime.now(UTC))
    limits = runtime.shift_limits
    for state in states.values():
        assert state.active_conversations <= limits.concurrency_limit(state.max_concurrent, state.lifted)
        assert state.conversations_this_shift <= limits.max_conversations_per_shift


@settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(request=REQUEST)
def test_generated_webhooks_never_500_and_only_signed_ones_act(client: FlaskClient, runtime: Runtime, request: tuple[str, dict[str, str], str]) -> None:
    path, form, kind = request
    headers = {}
    if kind == "signed":
        headers["X-Twilio-Signature"] = RequestValidator(runtime.settings.twilio_auth_token).compute_signature(PUBLIC_URL + path, form)
    elif kind == "forged":
        headers["X-Twilio-Signature"] = RequestValidator("not-the-token").compute_signature(PUBLIC_URL + path, form)
    response = client.post(path, data=form, headers=headers, base_url="http://internal:8000")
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if kind != "signed":
        assert response.status_code == 403
    elif path == "/twilio/sms" and response.status_code == 200:
        ACCEPTED_SIDS.add(form["MessageSid"])
