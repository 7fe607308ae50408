"""Phone calls for scenario tests, with the test playing Twilio: each step posts the signed
webhook Twilio would post (CallSid, Digits, DialCallStatus, QueueResult...) to the URL the
previous TwiML named, and reads the TwiML the service answers. `Line.post` checks every one
of those documents (tests/support/twiml.py) as it arrives."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from tests.support.line import Line


def new_call_sid() -> str:
    return "CA" + secrets.token_hex(16)


@dataclass
class Leg:
    """A volunteer's phone rung by a <Dial>: it picks up (the whisper), then presses keys."""

    call: Call
    phone: str
    whisper_url: str
    sid: str = field(default_factory=new_call_sid)
    document: ElementTree.Element | None = None

    def pick_up(self) -> ElementTree.Element:
        self.document = self.call.post(self.whisper_url, self._form())
        return self.document

    def press(self, digits: str) -> ElementTree.Element:
        assert self.document is not None, "pick up first"
        gather = self.document.find("Gather")
        assert gather is not None, ElementTree.tostring(self.document)
        self.document = self.call.post(gather.attrib["action"], {**self._form(), "Digits": digits})
        return self.document

    def _form(self) -> dict[str, str]:
        dial = self.call.document.find("Dial")
        caller_id = dial.attrib["callerId"] if dial is not None else self.call.to
        return {
            "CallSid": self.sid,
            "ParentCallSid": self.call.sid,
            "From": caller_id,
            "To": self.phone,
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }


@dataclass
class Call:
    """One caller's call to the line, as Twilio would drive it."""

    line: Line
    caller: str
    to: str
    sid: str = field(default_factory=new_call_sid)
    document: ElementTree.Element = field(default_factory=lambda: ElementTree.Element("Response"))
    wait_document: ElementTree.Element | None = None
    # The last <Enqueue> the call was put in (its wait and action URLs outlive the document).
    enqueue: ElementTree.Element | None = None
    direction: str = "inbound"
    status_url: str = ""

    @classmethod
    def dial_in(cls, line: Line, caller: str, to: str | None = None) -> Call:
        """`caller` calls the line; their number joins the privacy audit like a texter's."""
        line.texter_numbers.add(caller)
        call = cls(line, caller, to or line.main_number)
        line.twilio.call_status(call.sid, "in-progress")
        call.document = call.post(line.public_url + "/twilio/voice", {})
        return call

    # The caller's own keys and words.

    def press(self, digits: str) -> ElementTree.Element:
        return self._gather({"Digits": digits})

    def say(self, words: str) -> ElementTree.Element:
        return self._gather({"SpeechResult": words, "Confidence": "0.92"})

    def no_input(self) -> ElementTree.Element:
        """The greeting's <Gather> times out: Twilio goes on to the next verb, a <Redirect>."""
        redirect = self.document.find("Redirect")
        assert redirect is not None, ElementTree.tostring(self.document)
        self.document = self.post(redirect.text or "", {})
        return self.document

    def _gather(self, fields: dict[str, str]) -> ElementTree.Element:
        gather = self.document.find("Gather")
        assert gather is not None, ElementTree.tostring(self.document)
        self.document = self.post(gather.attrib["action"], fields)
        return self.document

    # Ringing volunteers.

    def rung(self) -> list[Leg]:
        """The phones the current <Dial> rings."""
        dial = self.document.find("Dial")
        assert dial is not None, ElementTree.tostring(self.document)
        return [Leg(self, number.text or "", number.attrib["url"]) for number in dial.iter("Number")]

    def rung_phones(self) -> list[str]:
        return [leg.phone for leg in self.rung()] if self.document.find("Dial") is not None else []

    def dial_ends(
        self, dial_status: str, leg: Leg | None = None, call_status: str = "in-progress", duration: int = 0
    ) -> ElementTree.Element:
        """The <Dial> is over (DialCallStatus completed, no-answer, busy...): its action URL."""
        dial = self.document.find("Dial")
        assert dial is not None, ElementTree.tostring(self.document)
        fields = {"DialCallStatus": dial_status, "CallStatus": call_status}
        if leg is not None:
            fields |= {"DialCallSid": leg.sid, "DialCallDuration": str(duration)}
        self.document = self.post(dial.attrib["action"], fields)
        return self.follow_pauses()

    def follow_pauses(self, most: int = 30) -> ElementTree.Element:
        """A document that only pauses and redirects (the call moving into its conference) is
        followed as Twilio would, after its pause (shortened here)."""
        for _ in range(most):
            if [verb.tag for verb in self.document] != ["Pause", "Redirect"]:
                return self.document
            time.sleep(0.1)
            redirect = self.document.find("Redirect")
            assert redirect is not None
            self.document = self.post(redirect.text or "", {})
        raise AssertionError("the call kept pausing")

    # The hold queue.

    def hold(self, position: int = 1, queue_time: int = 0) -> ElementTree.Element:
        """Twilio plays the queue's wait URL (and again each time it finishes)."""
        enqueue = self.enqueue
        assert enqueue is not None, ElementTree.tostring(self.document)
        fields = {
            "QueuePosition": str(position),
            "QueueTime": str(queue_time),
            "AvgQueueTime": "0",
            "CurrentQueueSize": str(position),
            "QueueSid": "QU" + "0" * 32,
        }
        self.wait_document = self.post(enqueue.attrib["waitUrl"], fields)
        return self.wait_document

    def press_on_hold(self, digits: str) -> ElementTree.Element:
        assert self.wait_document is not None
        gather = self.wait_document.find("Gather")
        assert gather is not None, ElementTree.tostring(self.wait_document)
        self.wait_document = self.post(gather.attrib["action"], {"Digits": digits})
        return self.wait_document

    def leave_queue(self, result: str, call_status: str = "in-progress") -> ElementTree.Element:
        """The call left the queue (QueueResult leave, hangup, redirected...): the Enqueue action."""
        enqueue = self.enqueue
        assert enqueue is not None, ElementTree.tostring(self.document)
        answer = self.post(
            enqueue.attrib["action"], {"QueueResult": result, "QueueTime": "5", "CallStatus": call_status}
        )
        if result != "redirected":
            self.document = answer
        return answer

    def redirected(self, timeout: float = 15.0) -> ElementTree.Element:
        """Wait for the service to redirect this call through the REST API (as a job does), then
        fetch the URL it gave, as Twilio would."""
        update = wait_for_call_request(
            self.line, lambda request: request["action"] == "update" and request["sid"] == self.sid, timeout
        )
        self.document = self.post(update["Url"], {})
        return self.document

    def hang_up(self, duration: int = 60) -> None:
        self.line.twilio.call_status(self.sid, "completed")
        self.status("completed", duration)

    def status(self, status: str, duration: int = 0) -> None:
        """Twilio's status callback for this call."""
        form = {
            **self._form(),
            "CallStatus": status,
            "CallDuration": str(duration),
            "Timestamp": "Fri, 27 Nov 2026 22:00:00 +0000",
        }
        path = self.status_url.removeprefix(self.line.public_url) or "/twilio/voice/status"
        response = self.line.post(path, form)
        assert response.status_code == 204, response.text

    # Posting as Twilio.

    def post(self, url: str, fields: dict[str, str]) -> ElementTree.Element:
        assert url.startswith(self.line.public_url), url
        response = self.line.post(url.removeprefix(self.line.public_url), {**self._form(), **fields})
        assert response.status_code == 200, response.text
        document = ElementTree.fromstring(response.text)
        enqueue = document.find("Enqueue")
        if enqueue is not None:
            self.enqueue = enqueue
        return document

    def _form(self) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "AccountSid": self.line.twilio.account_sid,
            "From": self.caller,
            "To": self.to,
            "Caller": self.caller,
            "Called": self.to,
            "CallStatus": "in-progress",
            "Direction": self.direction,
            "ApiVersion": "2010-04-01",
        }


def wait_for_call_request(line: Line, matches: Any, timeout: float = 15.0) -> dict[str, Any]:
    """The first call placed or updated through the fake's API that `matches`."""
    return _wait_for(line.twilio.calls, matches, timeout)


def wait_for_api_request(line: Line, matches: Any, timeout: float = 15.0) -> dict[str, Any]:
    """The first request to the fake's API, refused ones included, that `matches`."""
    return _wait_for(line.twilio.requests, matches, timeout)


def _wait_for(listing: Any, matches: Any, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in listing():
            if matches(request):
                return request
        time.sleep(0.05)
    raise AssertionError(f"no such API request; the fake got: {listing()}")


def answer_placed_call(line: Line, placed: dict[str, Any], direction: str = "outbound-api") -> Call:
    """A call the line placed (a callback leg) is answered: Twilio fetches its URL."""
    call = Call(
        line,
        caller=placed["From"],
        to=placed["To"],
        sid=placed["sid"],
        direction=direction,
        status_url=placed["StatusCallback"],
    )
    line.twilio.call_status(call.sid, "in-progress")
    call.document = call.post(placed["Url"], {})
    return call


def says(document: ElementTree.Element) -> str:
    """Everything a document says, in order (for asserting on what a person hears)."""
    return " ".join(say.text or "" for say in document.iter("Say"))
