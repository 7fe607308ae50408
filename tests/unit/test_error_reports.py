"""Error reports leave the process without a phone number or a message body: the scrubber is
run on the event Sentry's own SDK builds from a failing webhook request (the form with the
body, a log line before the failure, an exception whose message quotes the number).

A body quoted in free text (an exception's message) cannot be told from any other words: the
house rule keeps bodies out of messages, and the options keep request bodies and local
variables out of reports."""

from __future__ import annotations

import json
import logging
from typing import Any

import sentry_sdk
from flask import Flask, request
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from service.operations.error_reports import error_report_options, scrub_event

TEXTER = "+12025550143"
BODY = "i cannot sleep again tonight"


class Captured(Transport):
    """Keeps the envelopes Sentry would send."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            self.events.append(dict(event))


def failing_app() -> Flask:
    app = Flask(__name__)

    @app.post("/twilio/sms")
    def sms() -> str:
        logging.getLogger("service.sms").warning("about to fail for %s", request.form["From"])
        sentry_sdk.add_breadcrumb(message="form read", data=dict(request.form))
        raise ValueError(f"cannot route {request.form['From']}")

    return app


def test_an_event_from_a_failing_webhook_carries_no_number_and_no_body() -> None:
    captured = Captured()
    sentry_sdk.init(**error_report_options("https://public@sentry.invalid/1"), transport=captured)
    try:
        client = failing_app().test_client()
        response = client.post(
            "/twilio/sms?From=%2B12025550143", data={"From": TEXTER, "To": "+15005550006", "Body": BODY}
        )
        sentry_sdk.flush()
    finally:
        sentry_sdk.init()
    assert response.status_code == 500
    assert len(captured.events) == 1
    event = captured.events[0]
    text = json.dumps(event)
    assert event["exception"]["values"][-1]["type"] == "ValueError"
    assert "/twilio/sms" in event["request"]["url"]
    for secret in (TEXTER, TEXTER[2:], "2025550143", BODY, "cannot sleep"):
        assert secret not in text
    assert "[number]" in event["exception"]["values"][-1]["value"]


def test_the_scrubber_removes_numbers_written_in_any_common_format_and_keeps_the_rest() -> None:
    event = {
        "message": "texter (202) 555-0143 and +1 202 555 0143 and 202.555.0143",
        "breadcrumbs": {
            "values": [
                {
                    "message": "sms.received pseudonym=T-4821 outbox=12",
                    "timestamp": "2026-12-07T02:19:17.123Z",
                    "data": {"Body": BODY},
                }
            ]
        },
        "extra": {"sid": "SM0123456789abcdef0123456789abcdef"},
    }
    scrubbed = scrub_event(event)
    assert "555" not in scrubbed["message"]
    crumb = scrubbed["breadcrumbs"]["values"][0]
    assert crumb["message"] == "sms.received pseudonym=T-4821 outbox=12"
    assert crumb["timestamp"] == "2026-12-07T02:19:17.123Z"
    assert crumb["data"]["Body"] == "[removed]"
    assert scrubbed["extra"]["sid"] == "SM0123456789abcdef0123456789abcdef"
