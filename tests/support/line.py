"""Phones for scenario tests: texts go to the live server as Twilio would send them
(signed, form-encoded, one MessageSid each); texts the line sends are read back from the
fake Twilio server, which received them through the real delivery job."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from twilio.request_validator import RequestValidator

from scripts.harness.fake_twilio import FakeTwilio
from tests.support import twiml


@dataclass
class Line:
    """The line as a phone user sees it, plus what a test needs to watch it."""

    server_url: str
    public_url: str
    main_number: str
    numbers: tuple[str, ...]
    twilio: FakeTwilio
    responses: list[str] = field(default_factory=list)
    texter_numbers: set[str] = field(default_factory=set)
    # Words a volunteer wrote in a contact note: never in a log line or a text sent.
    private_words: set[str] = field(default_factory=set)
    # Every TwiML document a voice webhook returned, each checked as it arrived.
    voice_documents: list[str] = field(default_factory=list)
    # Waits until the line has routed the text with this MessageSid (the webhook may leave
    # that to a worker), so that a test reads the state the text leads to.
    await_routing: Callable[[str], None] | None = None

    def post(
        self, path: str, form: dict[str, str], *, sign: bool = True, signature: str | None = None, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if sign:
            headers["X-Twilio-Signature"] = signature or RequestValidator(self.twilio.auth_token).compute_signature(
                self.public_url + path, form
            )
        response = requests.post(self.server_url + path, data=form, headers=headers, timeout=20, **kwargs)
        self.responses.append(response.text)
        if path.startswith("/twilio/voice") and response.headers.get("Content-Type", "").startswith("text/xml"):
            twiml.check(
                response.text,
                path=path.split("?")[0],
                public_url=self.public_url,
                line_numbers=self.numbers,
                secret_numbers=self.texter_numbers,
            )
            self.voice_documents.append(response.text)
        return response

    def sms_form(self, sender: str, body: str, to: str | None = None, sid: str | None = None) -> dict[str, str]:
        return {
            "MessageSid": sid or "SM" + secrets.token_hex(16),
            "AccountSid": self.twilio.account_sid,
            "From": sender,
            "To": to or self.main_number,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "ApiVersion": "2010-04-01",
        }

    def text(
        self, sender: str, body: str, to: str | None = None, sid: str | None = None, texter: bool = True
    ) -> requests.Response:
        """`sender` texts the line; a texter's number is remembered for the privacy audit."""
        if texter:
            self.texter_numbers.add(sender)
        form = self.sms_form(sender, body, to, sid)
        response = self.post("/twilio/sms", form)
        assert response.status_code == 200, response.text
        if self.await_routing is not None:
            self.await_routing(form["MessageSid"])
        return response

    def write_note(self, volunteer: str, answers: str, note: str, thread: str) -> requests.Response:
        """`volunteer` answers the wrap-up form in `thread`: the choices, then the free `note`,
        which the privacy audit then looks for in every log line and text sent."""
        self.private_words.add(note)
        return self.text(volunteer, f"{answers} {note}", to=thread, texter=False)

    def inbox(self, phone: str) -> list[dict[str, Any]]:
        return [message for message in self.twilio.messages() if message.get("To") == phone]

    def wait_for(self, phone: str, containing: str, timeout: float = 15.0, after: int = 0) -> dict[str, Any]:
        """The first text to `phone` (past the first `after`) whose body contains `containing`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.inbox(phone)[after:]:
                if containing in message.get("Body", ""):
                    return message
            time.sleep(0.1)
        bodies = [message.get("Body", "") for message in self.inbox(phone)]
        raise AssertionError(f"no text containing {containing!r} reached the phone; it got: {bodies}")

    def settle(self, quiet: float = 1.0, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait until no new text has been sent for `quiet` seconds; returns everything sent."""
        return self.twilio.settle(quiet, timeout)

    def start_shift(self, volunteer: str) -> None:
        self.text(volunteer, "#on", texter=False)
        self.wait_for(volunteer, "shift has started")

    def connect(self, volunteer: str, texter: str, first_words: str = "hi") -> dict[str, Any]:
        """`texter` texts the line and `volunteer` (already on shift) accepts; returns the offer."""
        self.text(texter, first_words)
        offer = self.wait_for(volunteer, first_words[:40])
        self.text(volunteer, "#yes", to=offer["From"], texter=False)
        self.wait_for(texter, "You're now texting with")
        return offer
