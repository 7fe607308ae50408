"""The TwiML checker must be able to fail, and every step of a call must pass it: each step
the service can answer is rendered here and checked, and known-bad documents are refused."""

from __future__ import annotations

import pytest

from service.runtime import Runtime
from service.settings import Settings
from service.voice import callbacks, calls
from service.voice.call_script import CallScript, Step
from tests.support import twiml

PUBLIC = "https://warmline.example.org"
LINE = ("+15005550006", "+15005550007")
CALLER = "+12025550142"
ENVIRONMENT = {
    "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    "WARMLINE_PUBLIC_URL": PUBLIC,
    "WARMLINE_SECRET_KEY": "s" * 32,
    "WARMLINE_DATA_KEY": "d" * 32,
}

STEPS: dict[str, tuple[str, Step]] = {
    "greeting": ("/twilio/voice", calls.Greeting(1, "es")),
    "ringing": (
        "/twilio/voice/menu",
        calls.Ringing(1, "en", LINE[0], ((7, "+12025550100"), (8, "+12025550101")), announce=True),
    ),
    "on-hold": ("/twilio/voice/dial-result", calls.OnHold(1, "en")),
    "hold-notice": ("/twilio/voice/wait", calls.HoldNotice(1, "en", position=3, can_text=True, volunteer_coming=False)),
    "volunteer-coming": (
        "/twilio/voice/wait",
        calls.HoldNotice(1, "es", position=1, can_text=False, volunteer_coming=True),
    ),
    "leave-hold": ("/twilio/voice/wait-choice", calls.LeaveHold()),
    "crisis-line": ("/twilio/voice/menu", calls.CrisisLine("en", LINE[1])),
    "closing": ("/twilio/voice/queue-result", calls.Closing(1, "en", nobody_on_shift=False, callback=True)),
    "goodbye": ("/twilio/voice/callback", calls.Goodbye("es", "callback_recorded")),
    "whisper": ("/twilio/voice/whisper", calls.Whisper(7, "Warmline call from T-4821. Press 1 to accept.")),
    "outage": ("/twilio/voice", calls.Outage("en")),
    "connect": ("/twilio/voice/whisper-answer", calls.Continue()),
    "hang-up": ("/twilio/voice/whisper-answer", calls.HangUp()),
    "callback-prompt": (
        "/twilio/voice/callback/answered",
        callbacks.Prompt(4, "Hello. Press 1 if you'd like to talk now.", "en"),
    ),
    "callback-volunteer-waits": (
        "/twilio/voice/callback/pressed",
        callbacks.WaitForCaller(4, "warmline-callback-9", "Calling them now."),
    ),
    "callback-still-calling": ("/twilio/voice/callback/wait", callbacks.StillCalling()),
    "callback-volunteer-leaves": ("/twilio/voice/callback/wait", calls.LeaveHold()),
    "callback-caller-joins": ("/twilio/voice/callback/pressed", callbacks.JoinVolunteer(5, "warmline-callback-9")),
    "callback-spoken": ("/twilio/voice/callback/done", callbacks.Spoken("They didn't answer.")),
}


@pytest.fixture(scope="module")
def script() -> CallScript:
    return CallScript(Runtime(Settings.from_environment(ENVIRONMENT)))


def check(document: str, path: str = "/twilio/voice") -> None:
    twiml.check(document, path=path, public_url=PUBLIC, line_numbers=LINE, secret_numbers=[CALLER])


@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_step_of_a_call_is_twiml_twilio_documents(script: CallScript, name: str) -> None:
    path, step = STEPS[name]
    check(str(script.render(step)), path)


@pytest.mark.parametrize(
    ("document", "path", "complaint"),
    [
        ("<Response><Say>hi", "/twilio/voice", "not XML"),
        ("<Reply><Say>hi</Say></Reply>", "/twilio/voice", "root"),
        ('<Response><Say volume="11">hi</Say></Response>', "/twilio/voice", "attributes"),
        ("<Response><Speak>hi</Speak></Response>", "/twilio/voice", "may not be used here"),
        ("<Response><Gather><Speak>hi</Speak></Gather></Response>", "/twilio/voice", "cannot be nested"),
        ("<Response><Dial><Number>+12025550100</Number></Dial></Response>", "/twilio/voice", "without callerId"),
        (
            '<Response><Dial callerId="+12025550100">988</Dial></Response>',
            "/twilio/voice",
            "not one of the line's numbers",
        ),
        (
            f'<Response><Dial callerId="{LINE[0]}"><Number>{CALLER}</Number></Dial></Response>',
            "/twilio/voice",
            "caller's number",
        ),
        ("<Response><Say>Calling 202 555 0142 now</Say></Response>", "/twilio/voice", "caller's number"),
        (
            f'<Response><Dial callerId="{LINE[0]}">+12025550100</Dial></Response>',
            "/twilio/voice/wait",
            "may not be used here",
        ),
        ("<Response><Enqueue>again</Enqueue></Response>", "/twilio/voice/callback/wait", "may not be used here"),
        ("<Response><Enqueue>hold</Enqueue></Response>", "/twilio/voice/whisper", "may not be used here"),
        ('<Response><Gather numDigits="0"><Say>hi</Say></Gather></Response>', "/twilio/voice", "whole number"),
        ('<Response><Gather method="PUT"><Say>hi</Say></Gather></Response>', "/twilio/voice", "GET or POST"),
        ('<Response><Gather input="keys"><Say>hi</Say></Gather></Response>', "/twilio/voice", "dtmf, speech"),
        (
            '<Response><Gather action="https://evil.example/x"><Say>hi</Say></Gather></Response>',
            "/twilio/voice",
            "voice webhooks",
        ),
        ("<Response><Gather><Dial>988</Dial></Gather></Response>", "/twilio/voice", "cannot be nested"),
        ("<Response><Say></Say></Response>", "/twilio/voice", "says nothing"),
        ('<Response><Say language="english">hi</Say></Response>', "/twilio/voice", "language tag"),
        (f'<Response><Dial callerId="{LINE[0]}" timeout="2">988</Dial></Response>', "/twilio/voice", "from 5 to 600"),
        ("<Response><Enqueue></Enqueue></Response>", "/twilio/voice", "queue name"),
        ("<Response><Redirect>https://evil.example/next</Redirect></Response>", "/twilio/voice", "leaves the service"),
    ],
)
def test_the_checker_refuses_what_twilio_or_the_line_would_not_accept(document: str, path: str, complaint: str) -> None:
    with pytest.raises(twiml.TwimlError, match=complaint):
        check(document, path)
