"""The fake Twilio must behave like Twilio as seen through the official client, or tests built on it lie."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from scripts.harness.fake_twilio import REPO_ROOT, FakeTwilio
from service.outbound.twilio_gateway import BaseUrlHttpClient

SPEC = REPO_ROOT.parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"
TEXTER = "+15005550006"
LINE = "+15005550001"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture(autouse=True)
def clean(fake: FakeTwilio) -> None:
    fake.reset()


@pytest.fixture
def client(fake: FakeTwilio) -> Client:
    return fake.client(timeout=5.0)


def _messages_uri(fake: FakeTwilio) -> str:
    return f"/Accounts/{fake.account_sid}/Messages.json"


def test_create_returns_queued_message_and_records_it(fake: FakeTwilio, client: Client) -> None:
    before = time.time()
    message = client.messages.create(
        to=TEXTER,
        from_=LINE,
        body="You're talking to a peer now.",
        status_callback="https://warmline.example/twilio/status",
    )

    assert message.sid.startswith("SM") and len(message.sid) == 34
    assert (message.status, message.direction, message.to, message.body) == (
        "queued",
        "outbound-api",
        TEXTER,
        "You're talking to a peer now.",
    )
    [recorded] = fake.messages()
    assert recorded["sid"] == message.sid
    assert recorded["To"] == TEXTER and recorded["From"] == LINE
    assert recorded["StatusCallback"] == "https://warmline.example/twilio/status"
    assert before <= recorded["received_at"] <= time.time()
    assert client.messages(message.sid).fetch().body == "You're talking to a peer now."


def test_resource_fields_are_exactly_the_specs(fake: FakeTwilio, client: Client) -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    fields = set(spec["components"]["schemas"]["api.v2010.account.message"]["properties"])
    sid = client.messages.create(to=TEXTER, from_=LINE, body="hi").sid

    fetched = requests.get(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
        auth=(fake.account_sid, fake.auth_token),
        timeout=5,
    )

    assert fetched.status_code == 200
    assert set(fetched.json()) == fields
    assert fetched.json()["date_created"].endswith(" +0000")  # RFC 2822, as Twilio sends it


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": TEXTER, "from_": LINE}, 21602),
        ({"to": TEXTER, "body": "hi"}, 21603),
        ({"to": "5550006", "from_": LINE, "body": "hi"}, 21211),
        ({"to": TEXTER, "from_": LINE, "body": "x" * 1601}, 21617),
        ({"to": TEXTER, "from_": LINE, "body": "hi", "status_callback": "not a url"}, 21609),
        ({"to": TEXTER, "from_": LINE, "body": "hi", "risk_check": "sometimes"}, 20001),
    ],
    ids=["no-body", "no-from", "to-not-e164", "body-too-long", "bad-callback-url", "bad-enum"],
)
def test_invalid_creates_get_twilios_error_codes(
    fake: FakeTwilio, client: Client, kwargs: dict[str, Any], code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(**kwargs)

    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake.messages() == []
    assert [(r["status"], r["error_code"]) for r in fake.requests()] == [(400, code)]


def test_unknown_parameter_is_rejected(fake: FakeTwilio, client: Client) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.api.v2010.create(
            "POST", _messages_uri(fake), data={"To": TEXTER, "From": LINE, "Body": "hi", "Tags": "{}"}
        )

    assert (caught.value.status, caught.value.code) == (400, 20001)
    assert fake.messages() == []


def test_wrong_auth_token_is_401(fake: FakeTwilio) -> None:
    impostor = Client(fake.account_sid, "not-the-token", http_client=BaseUrlHttpClient(fake.base_url, 5.0))

    with pytest.raises(TwilioRestException) as caught:
        impostor.messages.create(to=TEXTER, from_=LINE, body="hi")

    assert (caught.value.status, caught.value.code) == (401, 20003)


@pytest.mark.parametrize(
    ("mode", "status", "code"), [("status500", 500, 20500), ("status429", 429, 20429), ("error21610", 400, 21610)]
)
def test_counted_fault_fails_then_clears(fake: FakeTwilio, client: Client, mode: str, status: int, code: int) -> None:
    fake.fault(mode, count=1)

    with pytest.raises(TwilioRestException) as caught:
        client.messages.create(to=TEXTER, from_=LINE, body="hi")
    assert (caught.value.status, caught.value.code) == (status, code)

    assert client.messages.create(to=TEXTER, from_=LINE, body="hi").sid.startswith("SM")
    assert len(fake.messages()) == 1


def test_hang_makes_the_client_time_out(fake: FakeTwilio) -> None:
    fake.fault("hang", seconds=3)

    with pytest.raises(requests.exceptions.Timeout):
        fake.client(timeout=1.0).messages.create(to=TEXTER, from_=LINE, body="hi")

    assert fake.messages() == []


def test_accept_then_hang_loses_the_answer_but_not_the_message(fake: FakeTwilio, client: Client) -> None:
    fake.fault("accept_then_hang", count=1)

    with pytest.raises(requests.exceptions.Timeout):
        fake.client(timeout=1.0).messages.create(to=TEXTER, from_=LINE, body="lost answer")

    [listed] = client.messages.list(to=TEXTER)
    assert listed.body == "lost answer"
    assert [m["sid"] for m in fake.messages()] == [listed.sid]


def test_list_filters_and_pages_like_twilio(client: Client) -> None:
    sids = [client.messages.create(to=TEXTER, from_=LINE, body=str(i)).sid for i in range(3)]
    client.messages.create(to="+15005550009", from_=LINE, body="someone else")

    listed = client.messages.list(to=TEXTER, date_sent_after="2000-01-01", page_size=2)

    assert [m.sid for m in listed] == sids[::-1]  # newest first, across two pages


Callback = tuple[str, dict[str, str], str]  # path with query, form fields, X-Twilio-Signature


@pytest.fixture
def callback_sink() -> Iterator[tuple[str, list[Callback]]]:
    """A stand-in for our webhook endpoint, recording what the fake posts to it."""
    received: list[Callback] = []

    class Sink(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
            received.append((self.path, dict(parse_qsl(body)), self.headers.get("X-Twilio-Signature", "")))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_signed_status_callbacks(fake: FakeTwilio, client: Client, callback_sink: tuple[str, list[Callback]]) -> None:
    base, received = callback_sink
    url = f"{base}/twilio/status?shift=7"
    fake.callbacks(True)

    sid = client.messages.create(to=TEXTER, from_=LINE, body="hi", status_callback=url).sid
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)

    assert [params["MessageStatus"] for _, params, _ in received] == ["sent", "delivered"]
    validator = RequestValidator(fake.auth_token)
    for path, params, signature in received:
        assert path == "/twilio/status?shift=7"
        assert params["MessageSid"] == params["SmsSid"] == sid
        assert (params["To"], params["From"], params["AccountSid"]) == (TEXTER, LINE, fake.account_sid)
        assert validator.validate(url, params, signature)
    assert client.messages(sid).fetch().status == "delivered"


def test_a_poller_asks_only_for_the_messages_it_has_not_seen(fake: FakeTwilio, client: Client) -> None:
    sids = [client.messages.create(to=TEXTER, from_=LINE, body=f"message {n}").sid for n in range(3)]
    assert [m["sid"] for m in fake.messages(after=1)] == sids[1:]
    assert fake.messages(after=3) == []
    assert requests.get(f"{fake.base_url}/_control/messages?after=-1", timeout=5).status_code == 400


def test_bad_input_is_a_400_not_a_crash(fake: FakeTwilio, client: Client) -> None:
    auth = (fake.account_sid, fake.auth_token)
    form = requests.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Messages.json",
        auth=auth,
        data=b"To&&=%FF",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    control = requests.post(f"{fake.base_url}/_control/fault", data=b"{nope", timeout=5)
    bad_mode = requests.post(f"{fake.base_url}/_control/fault", json={"mode": "explode"}, timeout=5)

    assert (form.status_code, form.json()["status"]) == (400, 400)
    assert control.status_code == bad_mode.status_code == 400
    assert client.messages.create(to=TEXTER, from_=LINE, body="still up").status == "queued"


def test_spec_path_is_overridable(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_bytes(SPEC.read_bytes())

    with FakeTwilio(spec=spec) as other:
        assert other.client().messages.create(to=TEXTER, from_=LINE, body="hi").sid.startswith("SM")


# --- Calls: placing a call and redirecting a live one --------------------------------------

VOLUNTEER = "+15005550010"
TWIML_URL = "https://warmline.example/twilio/voice/callback/answered?call=1"


def test_placed_call_is_queued_recorded_and_shaped_like_the_spec(fake: FakeTwilio, client: Client) -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))
    fields = set(spec["components"]["schemas"]["api.v2010.account.call"]["properties"])

    call = client.calls.create(
        to=VOLUNTEER,
        from_=LINE,
        url=TWIML_URL,
        timeout=20,
        status_callback="https://warmline.example/twilio/voice/status?call=1",
    )

    assert call.sid.startswith("CA") and len(call.sid) == 34
    assert (call.status, call.direction, call.to, call.from_formatted) == ("queued", "outbound-api", VOLUNTEER, LINE)
    [placed] = fake.calls()
    assert (placed["action"], placed["sid"], placed["To"], placed["Url"], placed["Timeout"]) == (
        "create",
        call.sid,
        VOLUNTEER,
        TWIML_URL,
        "20",
    )
    raw = requests.post(
        f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/Calls.json",
        auth=(fake.account_sid, fake.auth_token),
        data={"To": VOLUNTEER, "From": LINE, "Url": TWIML_URL},
        timeout=5,
    )
    assert raw.status_code == 201 and set(raw.json()) == fields


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"To": VOLUNTEER, "From": LINE}, 20001),
        ({"To": "5550010", "From": LINE, "Url": TWIML_URL}, 21211),
        ({"To": VOLUNTEER, "From": LINE, "Url": TWIML_URL, "IfMachine": "Hangup"}, 20001),
        ({"To": VOLUNTEER, "From": LINE, "Twiml": "<Response><Say>unclosed</Response>"}, 12100),
    ],
    ids=["no-url-twiml-or-app", "to-not-e164", "unknown-parameter", "malformed-twiml"],
)
def test_invalid_call_creates_get_twilios_error_codes(
    fake: FakeTwilio, client: Client, data: dict[str, str], code: int
) -> None:
    with pytest.raises(TwilioRestException) as caught:
        client.api.v2010.create("POST", f"/Accounts/{fake.account_sid}/Calls.json", data=data)

    assert (caught.value.status, caught.value.code) == (400, code)
    assert fake.calls() == []


def test_redirect_needs_a_live_call(fake: FakeTwilio, client: Client) -> None:
    inbound = "CA" + "1" * 32
    ring_url = "https://warmline.example/twilio/voice/ring?call=7"

    with pytest.raises(TwilioRestException) as unknown:
        client.calls(inbound).update(url=ring_url, method="POST")
    fake.call_status(inbound, "in-progress")
    redirected = client.calls(inbound).update(url=ring_url, method="POST")
    fake.call_status(inbound, "completed")
    with pytest.raises(TwilioRestException) as over:
        client.calls(inbound).update(url=ring_url, method="POST")

    assert (unknown.value.status, unknown.value.code) == (404, 20404)
    assert redirected.sid == inbound
    assert (over.value.status, over.value.code) == (400, 21220)
    assert [(c["action"], c["sid"], c["Url"], c["Method"]) for c in fake.calls()] == [
        ("update", inbound, ring_url, "POST")
    ]


def test_faults_apply_to_call_requests_too(fake: FakeTwilio, client: Client) -> None:
    fake.fault("status500", count=1)

    with pytest.raises(TwilioRestException) as caught:
        client.calls.create(to=VOLUNTEER, from_=LINE, url=TWIML_URL)

    assert caught.value.status == 500
    assert client.calls.create(to=VOLUNTEER, from_=LINE, url=TWIML_URL).status == "queued"


# --- The account, its numbers and Messaging Services ---


def test_account_and_numbers_are_shaped_like_the_spec(fake: FakeTwilio, client: Client) -> None:
    spec = json.loads(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
    bought = fake.buy_number(LINE)
    auth = (fake.account_sid, fake.auth_token)
    base = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}"

    account = requests.get(f"{base}.json", auth=auth, timeout=5).json()
    number = requests.get(f"{base}/IncomingPhoneNumbers/{bought['sid']}.json", auth=auth, timeout=5).json()
    page = requests.get(f"{base}/IncomingPhoneNumbers.json", params={"PhoneNumber": LINE}, auth=auth, timeout=5).json()

    assert set(account) == set(spec["api.v2010.account"]["properties"]) and account["status"] == "active"
    assert set(number) == set(spec["api.v2010.account.incoming_phone_number"]["properties"])
    assert page["incoming_phone_numbers"] == [number] and number["phone_number"] == LINE
    assert client.api.v2010.accounts(fake.account_sid).fetch().sid == fake.account_sid


def test_a_number_is_found_by_its_phone_number_and_its_urls_updated(fake: FakeTwilio, client: Client) -> None:
    fake.buy_number(LINE)
    fake.buy_number(TEXTER)

    [number] = client.incoming_phone_numbers.list(phone_number=LINE)
    client.incoming_phone_numbers(number.sid).update(
        sms_url="https://warmline.example/twilio/sms",
        voice_url="https://warmline.example/twilio/voice",
        status_callback="https://warmline.example/twilio/voice/status",
        voice_application_sid="",
    )

    fetched = client.incoming_phone_numbers(number.sid).fetch()
    assert (fetched.sms_url, fetched.voice_url, fetched.status_callback) == (
        "https://warmline.example/twilio/sms",
        "https://warmline.example/twilio/voice",
        "https://warmline.example/twilio/voice/status",
    )
    assert client.incoming_phone_numbers.list(phone_number="+15005550999") == []


def test_number_updates_are_checked_against_the_spec(fake: FakeTwilio) -> None:
    sid = fake.buy_number(LINE)["sid"]
    url = f"{fake.base_url}/2010-04-01/Accounts/{fake.account_sid}/IncomingPhoneNumbers/{sid}.json"
    auth = (fake.account_sid, fake.auth_token)

    unknown = requests.post(url, data={"SmsUrll": "https://x.example"}, auth=auth, timeout=5)
    bad_method = requests.post(url, data={"SmsMethod": "PUT"}, auth=auth, timeout=5)

    assert (unknown.status_code, unknown.json()["code"]) == (400, 20001)
    assert (bad_method.status_code, bad_method.json()["code"]) == (400, 20001)


def test_messaging_services_hold_numbers_once_and_page_through_the_messaging_host(
    fake: FakeTwilio, client: Client
) -> None:
    sids = [fake.buy_number(f"+1500555000{digit}")["sid"] for digit in range(3)]
    services = client.messaging.v1.services
    first = services.create(friendly_name="Line", use_inbound_webhook_on_number=True)
    second = services.create(friendly_name="Other")
    for sid in sids:
        services(first.sid).phone_numbers.create(phone_number_sid=sid)

    with pytest.raises(TwilioRestException) as taken:
        services(second.sid).phone_numbers.create(phone_number_sid=sids[0])
    services(first.sid).phone_numbers(sids[0]).delete()
    services(second.sid).phone_numbers.create(phone_number_sid=sids[0])
    updated = services(second.sid).update(inbound_request_url="https://warmline.example/twilio/sms")

    assert taken.value.code == 21712
    assert first.use_inbound_webhook_on_number is True and updated.inbound_request_url.endswith("/twilio/sms")
    # One to a page: the client follows next_page_url on messaging.twilio.com through the base URL.
    assert [member.sid for member in services(first.sid).phone_numbers.list(page_size=1)] == sids[1:]
    assert [service.friendly_name for service in services.list(page_size=1)] == ["Line", "Other"]
    paths = [request["path"] for request in fake.requests()]
    assert f"/messaging/v1/Services/{first.sid}/PhoneNumbers" in paths


def test_messaging_requests_are_checked_by_hand_where_the_spec_has_none(fake: FakeTwilio) -> None:
    url = f"{fake.base_url}/messaging/v1/Services"
    auth = (fake.account_sid, fake.auth_token)

    nameless = requests.post(url, data={"UseInboundWebhookOnNumber": "true"}, auth=auth, timeout=5)
    misspelt = requests.post(
        url, data={"FriendlyName": "x", "UseInboundWebhookOnNumbers": "true"}, auth=auth, timeout=5
    )
    not_boolean = requests.post(url, data={"FriendlyName": "x", "StickySender": "yes"}, auth=auth, timeout=5)
    stranger = requests.get(url, auth=(fake.account_sid, "wrong"), timeout=5)

    assert [r.status_code for r in (nameless, misspelt, not_boolean, stranger)] == [400, 400, 400, 401]
    assert fake.services() == []
