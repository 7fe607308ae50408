"""Generated requests to every Twilio webhook (texts, delivery statuses and each step of a
call), each sent forged, unsigned and signed, with random and malformed fields and query
parameters: never a 5xx, nothing written unless signed, and the router's rules still hold.

The webhooks are read from their blueprint, so a new one is fuzzed without editing this file.
Most requests are shaped as Twilio sends them (every field, ids of calls and offers that
exist), so that signed ones walk calls through their stages; the rest are malformed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from service.app import create_app
from service.db import InboundReceipt
from service.runtime import Runtime
from service.sms.blueprint import sms_webhooks
from service.voice.blueprint import voice_webhooks
from tests.fuzz.invariants import DatabaseWrites, assert_consistent
from tests.support.routes import blueprint_rules
from tests.support.world import (
    CALLER_PHONES,
    TEXTER_PHONES,
    VOLUNTEER_PHONES,
    build_line,
    route_stored_texts,
    twilio_post,
)

WEBHOOKS = [rule.rule for blueprint in (sms_webhooks, voice_webhooks) for rule in blueprint_rules(blueprint)]
# Each example is sent three ways; with the dashboard's share (test_dashboard_fuzz.py), over
# 10,000 generated requests.
EXAMPLES = 2_400
REQUESTS_PER_EXAMPLE = 3

JUNK = st.one_of(
    st.text(max_size=200),
    st.text(min_size=1, max_size=30).map(lambda piece: piece * 80),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)
NUMBERS = st.one_of(
    st.sampled_from(VOLUNTEER_PHONES),
    st.sampled_from(
        [*TEXTER_PHONES, *CALLER_PHONES, "+12025550145", "2025550146", "(202) 555-0147", "+44 20 7946 0958"]
    ),
    st.sampled_from(["ALICE", "", "+", "+1" + "9" * 40, "\u202e+1202555", "client:alice", "anonymous"]),
)
BODIES = st.one_of(
    # Volunteers' commands, #yes (taking a texter) most of all.
    st.sampled_from(
        [
            "#on",
            "#off",
            "#yes",
            "#yes",
            "#yes",
            "#pass",
            "#done",
            "#break",
            "#ok",
            "#status",
            "#escalate",
            "#ack",
            "#debrief",
        ]
    ),
    st.sampled_from(
        ["STOP", "START", "ESPAÑOL", "4", "DELETE MY DATA", "hello", "I want to die", "i have the pills now", "call me"]
    ),
)
# A few SIDs again and again (Twilio retrying a webhook), and fresh ones (new texts and calls).
SIDS = st.one_of(
    st.sampled_from([f"{kind}{n:032x}" for kind in ("SM", "CA") for n in range(10)]),
    st.tuples(st.sampled_from(["SM", "CA"]), st.integers(0, 2**128 - 1)).map(lambda sid: f"{sid[0]}{sid[1]:032x}"),
)
CALL_STATUSES = st.sampled_from(
    ["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "canceled", "failed"]
)

# Every field any webhook reads (service/sms/blueprint.py, service/voice/blueprint.py), and what Twilio puts in it.
TWILIO_FIELDS: dict[str, st.SearchStrategy[str]] = {
    "MessageSid": SIDS,
    "CallSid": SIDS,
    "AccountSid": st.just("AC" + "0" * 32),
    "From": NUMBERS,
    "To": st.sampled_from(["+15005550006", "+15005550007", "+15005550008"]),
    "Body": BODIES,
    "NumMedia": st.sampled_from(["0", "1"]),
    "MessageStatus": st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read"]),
    "ErrorCode": st.sampled_from(["", "21610", "30003", "30008"]),
    "Digits": st.sampled_from(["1", "2", "9", "0", "*", "#", "19", "91", ""]),
    "SpeechResult": st.sampled_from(["crisis", "volunteer", "español", "I want to die", "hello", ""]),
    "CallStatus": CALL_STATUSES,
    "DialCallStatus": CALL_STATUSES | st.just("answered"),
    "QueueResult": st.sampled_from(
        ["bridged", "bridging-in-process", "error", "hangup", "leave", "redirected", "queue-full", "system-error"]
    ),
    "CallDuration": st.integers(0, 7200).map(str),
}
MALFORMED_FIELDS: dict[str, st.SearchStrategy[str]] = {
    name: st.one_of(values, JUNK, st.sampled_from(["²", "٣", "-5", "9" * 40, "COMPLETED", "\x00"]))
    for name, values in TWILIO_FIELDS.items()
}
# Ids of calls and offers (in the URLs the service's TwiML gives Twilio): mostly rows that exist.
ROW_IDS = st.one_of(st.integers(1, 10), st.integers(1, 60)).map(str)
BAD_ROW_IDS = st.one_of(
    ROW_IDS, JUNK, st.sampled_from(["", "0", "-1", "1.5", "1e3", "٣", "²", "2147483648", "9" * 19, "9" * 5000, " 1"])
)

FORMS = st.one_of(
    st.fixed_dictionaries(TWILIO_FIELDS),
    st.fixed_dictionaries(TWILIO_FIELDS),
    st.fixed_dictionaries({}, optional=MALFORMED_FIELDS),
)
QUERIES = st.one_of(
    st.fixed_dictionaries({"call": ROW_IDS, "offer": ROW_IDS}),
    st.fixed_dictionaries({"call": ROW_IDS}),
    st.fixed_dictionaries({}, optional={"call": BAD_ROW_IDS, "offer": BAD_ROW_IDS, "other": JUNK}),
)


@dataclass(frozen=True)
class Fuzzing:
    """What the generated requests share, and what they did."""

    client: FlaskClient
    writes: DatabaseWrites
    accepted_message_sids: set[str]
    sent: Counter[str] = field(default_factory=Counter)


@pytest.fixture(scope="module")
def fuzzing(runtime: Runtime) -> Iterator[Fuzzing]:
    """The line built by signed webhooks; once the requests are sent, every webhook has had some,
    the stored texts route without error, the router's rules hold and exactly the signed,
    well-formed texts were received."""
    client = create_app(runtime).test_client()
    received = build_line(client, runtime)
    fuzz = Fuzzing(client, DatabaseWrites(runtime.engine), received)
    yield fuzz
    fuzz.writes.close()
    assert sum(fuzz.sent.values()) >= EXAMPLES * REQUESTS_PER_EXAMPLE and set(fuzz.sent) == set(WEBHOOKS), fuzz.sent
    assert fuzz.writes.count, "no signed request wrote: the refused ones' silence proves nothing"
    route_stored_texts(runtime)  # the fuzzed texts too, as a worker would
    with runtime.sessions() as session:
        assert_consistent(runtime, session)
        receipts = set(session.scalars(select(InboundReceipt.sid)))
    assert receipts == fuzz.accepted_message_sids, "exactly the signed, well-formed texts were acted on"


# One run across all webhooks, in random order, as Twilio interleaves them: a call's steps
# meet texts and delivery statuses that change who is free to take it.
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(path=st.sampled_from(WEBHOOKS), form=FORMS, query=QUERIES)
def test_generated_webhooks_never_500_and_only_signed_ones_act(
    fuzzing: Fuzzing, runtime: Runtime, path: str, form: dict[str, str], query: dict[str, str]
) -> None:
    """Each generated request is sent forged and unsigned (refused, writing nothing), then signed."""
    for kind in ("forged", "unsigned"):
        before = fuzzing.writes.count
        status, _ = twilio_post(fuzzing.client, runtime, path, form, query, kind)
        fuzzing.sent[path] += 1
        assert status == 403, kind
        assert fuzzing.writes.count == before, f"a {kind} request wrote to the database"
    status, body = twilio_post(fuzzing.client, runtime, path, form, query, "signed")
    fuzzing.sent[path] += 1
    assert status < 500, body[:300]
    if path == "/twilio/sms" and status == 200:
        fuzzing.accepted_message_sids.add(form["MessageSid"])
