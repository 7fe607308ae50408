"""Bad input never gets a 500 and a signed message is never lost: malformed or missing
fields, unknown numbers, empty and huge bodies, invalid UTF-8, emoji."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from service.db import Message
from tests.support.line import Line
from tests.support.stack import People, Stack


def _messages(stack: Stack) -> int:
    with stack.runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Message)) or 0)


@pytest.mark.parametrize("missing", ["From", "To", "MessageSid"])
def test_missing_required_field_is_a_clear_400(line: Line, people: People, missing: str) -> None:
    form = line.sms_form(people.texter(), "hello")
    del form[missing]
    response = line.post("/twilio/sms", form)
    assert response.status_code == 400
    assert missing in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "💛🙏😔 can't sleep 😭",
        "x" * 100_000,
        "Ｔｅｘｔ\u200b with zero\u2060width and RTL \u202eoops",
        "\x00\x01 control",
    ],
    ids=["empty", "emoji", "100kB", "odd-unicode", "control-chars"],
)
def test_odd_bodies_are_kept_and_answered_safely(line: Line, people: People, stack: Stack, body: str) -> None:
    texter = people.texter()
    before = _messages(stack)
    response = line.text(texter, body)
    assert response.headers["Content-Type"].startswith("text/xml")
    assert _messages(stack) == before + 1, "the message is in the transcript"
    line.wait_for(texter, "trained peer volunteer")


def test_huge_body_reaches_the_volunteer_in_bounded_parts(line: Line, people: People) -> None:
    ana, texter = people.talking(line)
    line.text(texter, "word " * 20_000)
    line.wait_for(ana, "[message shortened]")
    parts = [m for m in line.inbox(ana) if m["Body"].startswith("(")]
    assert 1 < len(parts) <= 5
    assert all(len(m["Body"]) <= 1600 for m in line.inbox(ana))


def test_unknown_to_number_is_handled_as_the_main_line(line: Line, people: People) -> None:
    texter = people.texter()
    line.text(texter, "hello", to="+14155550000")
    welcome = line.wait_for(texter, "trained peer volunteer")
    assert welcome["From"] == line.main_number


@pytest.mark.parametrize("sender", ["12345", "ALICE", "+44 20 7946 0958", "(202) 555-0142"])
def test_non_e164_sender_is_answered_safely(line: Line, stack: Stack, sender: str) -> None:
    before = _messages(stack)
    response = line.text(sender, "hello", texter=False)
    assert response.status_code == 200
    assert _messages(stack) == before + 1


def test_invalid_utf8_never_500s(line: Line, people: People) -> None:
    texter = people.texter()
    raw = f"MessageSid=SM{'a' * 32}&From={texter.replace('+', '%2B')}&To=%2B15005550006&Body=%FF%FEbad%C3".encode()
    form = {"MessageSid": "SM" + "a" * 32, "From": texter, "To": "+15005550006", "Body": "\ufffd\ufffdbad\ufffd"}
    signature = RequestValidator(line.twilio.auth_token).compute_signature(line.public_url + "/twilio/sms", form)
    response = requests.post(
        line.server_url + "/twilio/sms",
        data=raw,
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )
    line.responses.append(response.text)
    assert response.status_code in (200, 403)


def test_body_over_the_request_limit_is_refused_with_413(line: Line, people: People) -> None:
    form = line.sms_form(people.texter(), "x" * 400_000)
    assert line.post("/twilio/sms", form).status_code == 413


@pytest.mark.parametrize("path", ["/twilio/sms", "/twilio/status"])
def test_get_and_json_requests_are_refused_cleanly(line: Line, path: str) -> None:
    assert requests.get(line.server_url + path, timeout=10).status_code == 405
    response = requests.post(line.server_url + path, json={"From": "+1"}, timeout=10)
    assert response.status_code == 403


def test_status_callback_with_a_non_ascii_digit_error_code_is_answered(line: Line) -> None:
    form = {"MessageSid": "SM" + "b" * 32, "MessageStatus": "failed", "ErrorCode": "²"}
    assert line.post("/twilio/status", form).status_code == 204
