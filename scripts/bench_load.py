"""Open-loop load at a fixed rate: signed webhooks sent on a schedule, from a process of their own.

Each request is due at a fixed time (evenly spaced at the phase's rate) and its latency is
counted from that time, not from when it was actually sent: a server that falls behind makes
every later request late, as it would for Twilio, instead of slowing the load down (the
"coordinated omission" a closed loop hides). A pool of sender threads keeps requests in
flight while earlier ones wait. Every SMS carries a token (`b<phase>-<n>`), so the relayed
text the fake Twilio receives can be matched with the webhook that caused it.

Kinds of request, mixed in a fixed pattern (`MIX`): a texter in conversation, a texter in
conversation whose message is imminent risk (each to a conversation of its own, so every one
gets the crisis text inline), a volunteer replying in a thread, a new texter, and a status
callback for a message the fake Twilio has accepted.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

TEXTER = "texter"
IMMINENT = "imminent"
VOLUNTEER = "volunteer"
NEW_TEXTER = "new_texter"
STATUS = "status"
SMS_KINDS = (TEXTER, IMMINENT, VOLUNTEER, NEW_TEXTER)
# One cycle of 20 requests: 45% texters (5% of all requests imminent), 30% volunteers,
# 5% new texters, 20% status callbacks.
MIX = (
    TEXTER,
    VOLUNTEER,
    STATUS,
    TEXTER,
    VOLUNTEER,
    TEXTER,
    IMMINENT,
    STATUS,
    VOLUNTEER,
    TEXTER,
    TEXTER,
    VOLUNTEER,
    STATUS,
    TEXTER,
    NEW_TEXTER,
    VOLUNTEER,
    TEXTER,
    STATUS,
    VOLUNTEER,
    TEXTER,
)
EVERYDAY = (
    "work was rough today and my manager keeps piling things on me",
    "I can't sleep again, my brain won't shut off",
    "honestly I just feel lonely since I moved here",
    "money is tight and rent is due on friday",
    "thank you for listening, it helps to say it out loud",
    "I'm nervous about my interview tomorrow morning",
)
REPLIES = ("that sounds really hard, tell me more", "I'm here with you", "what helped last time you felt like this?")
IMMINENT_TEXT = "I have the pills in front of me and I'm going to take them all tonight"
SENDER_THREADS = 48


@dataclass(frozen=True)
class Endpoint:
    """Where to send, and as which Twilio account (public_url is what signatures cover)."""

    url: str
    public_url: str
    account_sid: str
    auth_token: str
    twilio_control_url: str
    main_number: str


@dataclass(frozen=True)
class Conversation:
    texter: str
    volunteer: str
    thread: str


@dataclass(frozen=True)
class Phase:
    """One stretch of load: `rate` requests a second for `seconds`. `path` set means every
    request is an SMS posted there (a baseline endpoint) instead of the mix."""

    number: int
    rate: float
    seconds: float
    conversations: tuple[Conversation, ...]
    imminent_conversations: tuple[Conversation, ...]
    new_texters: tuple[str, ...]
    path: str | None = None


@dataclass
class Sent:
    kind: str
    due: float  # time.time() at which it was due
    latency_ms: float | None = None  # None: failed or never sent
    status: int = 0
    token: str = ""
    inline_reply: bool = False


@dataclass
class Result:
    requests: list[Sent] = field(default_factory=list)
    late_start_ms: float = 0.0  # how far behind schedule the last request left

    def to_json(self) -> str:
        return json.dumps({"requests": [asdict(sent) for sent in self.requests], "late_start_ms": self.late_start_ms})

    @classmethod
    def from_json(cls, text: str) -> Result:
        data = json.loads(text)
        return cls(requests=[Sent(**sent) for sent in data["requests"]], late_start_ms=data["late_start_ms"])


def _kinds(phase: Phase) -> Iterator[str]:
    index = 0
    while True:
        yield TEXTER if phase.path else MIX[index % len(MIX)]
        index += 1


class _Sids:
    """SIDs of messages the fake Twilio accepted, for status callbacks (polled once a second)."""

    def __init__(self, control_url: str) -> None:
        self._control_url = control_url
        self._seen = 0
        self._sids: list[str] = []
        self._lock = threading.Lock()
        self.poll()

    def poll(self) -> None:
        with urllib.request.urlopen(
            f"{self._control_url}/_control/messages?after={self._seen}", timeout=10
        ) as response:
            new = json.loads(response.read())
        with self._lock:
            self._seen += len(new)
            self._sids.extend(message["sid"] for message in new)

    def take(self) -> str | None:
        with self._lock:
            return self._sids.pop() if self._sids else None


def twilio_sms_form(endpoint: Endpoint, sender: str, to: str, body: str, index: int) -> dict[str, str]:
    """An inbound SMS with the fields Twilio sends (their number changes the signature's cost)."""
    sid = f"SM{index:032x}"
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "CO",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": endpoint.account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


def _prepared(
    endpoint: Endpoint, phase: Phase, kind: str, index: int, cursors: dict[str, int]
) -> tuple[str, dict[str, str], str]:
    """(path, form, token) of one SMS request of this kind."""
    token = f"b{phase.number}-{index}"
    position = cursors[kind]
    cursors[kind] += 1
    if kind == IMMINENT:
        pair = phase.imminent_conversations[position % len(phase.imminent_conversations)]
        return (
            "/twilio/sms",
            twilio_sms_form(
                endpoint, pair.texter, endpoint.main_number, f"{IMMINENT_TEXT} {token}", _sid_index(phase, index)
            ),
            token,
        )
    if kind == VOLUNTEER:
        pair = phase.conversations[(position * 7 + 3) % len(phase.conversations)]
        body = f"{REPLIES[position % len(REPLIES)]} {token}"
        return (
            "/twilio/sms",
            twilio_sms_form(endpoint, pair.volunteer, pair.thread, body, _sid_index(phase, index)),
            token,
        )
    if kind == NEW_TEXTER:
        texter = phase.new_texters[position % len(phase.new_texters)]
        body = f"hi, is anyone there? {token}"
        return (
            "/twilio/sms",
            twilio_sms_form(endpoint, texter, endpoint.main_number, body, _sid_index(phase, index)),
            token,
        )
    pair = phase.conversations[position % len(phase.conversations)]
    body = f"{EVERYDAY[position % len(EVERYDAY)]} {token}"
    return (
        phase.path or "/twilio/sms",
        twilio_sms_form(endpoint, pair.texter, endpoint.main_number, body, _sid_index(phase, index)),
        token,
    )


def _sid_index(phase: Phase, index: int) -> int:
    """A MessageSid no other phase or request uses."""
    return phase.number * 10_000_000 + index + 1


def serve(connection: Connection) -> None:
    """The load process: runs each (endpoint, phase) it is sent and answers with the `Result`
    as JSON, until it is sent None. One process for every phase, started once."""
    while (request := connection.recv()) is not None:
        endpoint, phase = request
        connection.send(drive(endpoint, phase).to_json())


def drive(endpoint: Endpoint, phase: Phase) -> Result:
    """Send the phase's load on schedule; every request's latency is from when it was due."""
    validator = RequestValidator(endpoint.auth_token)
    total = int(phase.rate * phase.seconds)
    cursors = dict.fromkeys((*SMS_KINDS, STATUS), 0)
    kinds = _kinds(phase)
    # Every SMS is prepared (signed) before the clock starts; status callbacks are signed as
    # they are sent, since their SIDs exist only once the line has sent something.
    plan: list[tuple[str, str, bytes | None, dict[str, str], str]] = []
    for index in range(total):
        kind = next(kinds)
        if kind == STATUS:
            plan.append((kind, "/twilio/status", None, {}, ""))
            continue
        path, form, token = _prepared(endpoint, phase, kind, index, cursors)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "" if phase.path else validator.compute_signature(endpoint.public_url + path, form),
        }
        plan.append((kind, path, urlencode(form).encode(), headers, token))
    sids = _Sids(endpoint.twilio_control_url) if not phase.path else None
    result = Result(requests=[Sent(kind=kind, due=0.0, token=token) for kind, _, _, _, token in plan])
    host = urlsplit(endpoint.url)
    next_index = iter(range(total))
    lock = threading.Lock()
    start = time.time() + 0.5
    finished = threading.Event()

    def send() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            kind, path, body, headers, _ = plan[index]
            due = start + index / phase.rate
            record = result.requests[index]
            record.due = due
            time.sleep(max(0.0, due - time.time()))
            if body is None:
                body, headers = _status_callback(endpoint, validator, sids, index)
                if body is None:
                    record.kind = "status_skipped"
                    continue
            connection = http.client.HTTPConnection(host.netloc, timeout=30)
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                record.latency_ms = (time.time() - due) * 1000
                record.status = response.status
                record.inline_reply = b"<Message>" in text
            except OSError:
                record.status = 0
            finally:
                connection.close()
            if index == total - 1:
                result.late_start_ms = max(0.0, (time.time() - due) * 1000 - (record.latency_ms or 0))

    def poll_sids() -> None:
        while sids is not None and not finished.wait(1.0):
            sids.poll()

    poller = threading.Thread(target=poll_sids, daemon=True)
    poller.start()
    senders = [threading.Thread(target=send) for _ in range(SENDER_THREADS)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    finished.set()
    return result


def _status_callback(
    endpoint: Endpoint, validator: RequestValidator, sids: _Sids | None, index: int
) -> tuple[bytes | None, dict[str, str]]:
    sid = sids.take() if sids is not None else None
    if sid is None:
        return None, {}
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "delivered" if index % 2 else "sent",
        "SmsStatus": "delivered",
        "AccountSid": endpoint.account_sid,
        "To": "+13035550000",
        "From": endpoint.main_number,
        "ApiVersion": "2010-04-01",
    }
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": validator.compute_signature(endpoint.public_url + "/twilio/status", form),
    }
    return urlencode(form).encode(), headers


def percentile(values: Sequence[float], share: float) -> float | None:
    """The value below which `share` of the values lie (nearest rank); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 2)
