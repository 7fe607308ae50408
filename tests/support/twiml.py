"""Checking a TwiML document the way Twilio would read it, plus the line's own rules.

The allow-list below is Twilio's TwiML reference (twilio.com/docs/voice/twiml: the pages of
<Say>, <Play>, <Pause>, <Gather>, <Dial> and its nouns <Number>, <Queue> and <Conference>, <Enqueue>,
<Leave>, <Hangup>, <Redirect>, <Reject>), cross-checked against the builders of the twilio
library: the verbs and nouns, the attributes each takes and the values those allow, what
nests where, and the verbs a queue's wait URL and a <Number> whisper may use. On top:
every <Dial> that rings a phone shows a line number as caller ID, the URLs Twilio is sent
back to are the service's own, and no caller's number appears anywhere in the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from xml.etree import ElementTree

from tests.support.privacy import leaks

VERBS = frozenset({"Say", "Play", "Pause", "Gather", "Dial", "Enqueue", "Leave", "Hangup", "Redirect", "Reject"})

ATTRIBUTES: dict[str, frozenset[str]] = {
    "Response": frozenset(),
    "Say": frozenset({"voice", "language", "loop"}),
    "Play": frozenset({"loop", "digits"}),
    "Pause": frozenset({"length"}),
    "Gather": frozenset(
        {
            "action",
            "actionOnEmptyResult",
            "bargeIn",
            "debug",
            "enhanced",
            "finishOnKey",
            "hints",
            "input",
            "language",
            "maxSpeechTime",
            "method",
            "numDigits",
            "partialResultCallback",
            "partialResultCallbackMethod",
            "profanityFilter",
            "speechModel",
            "speechTimeout",
            "timeout",
        }
    ),
    "Dial": frozenset(
        {
            "action",
            "answerOnBridge",
            "callerId",
            "events",
            "hangupOnStar",
            "method",
            "record",
            "recordingStatusCallback",
            "recordingStatusCallbackEvent",
            "recordingStatusCallbackMethod",
            "recordingTrack",
            "referMethod",
            "referUrl",
            "ringTone",
            "sequential",
            "timeLimit",
            "timeout",
            "trim",
        }
    ),
    "Number": frozenset(
        {
            "amdStatusCallback",
            "amdStatusCallbackMethod",
            "byoc",
            "machineDetection",
            "machineDetectionSilenceTimeout",
            "machineDetectionSpeechEndThreshold",
            "machineDetectionSpeechThreshold",
            "machineDetectionTimeout",
            "method",
            "sendDigits",
            "statusCallback",
            "statusCallbackEvent",
            "statusCallbackMethod",
            "url",
        }
    ),
    "Queue": frozenset({"url", "method", "reservationSid", "postWorkActivitySid"}),
    "Conference": frozenset(
        {
            "muted",
            "beep",
            "startConferenceOnEnter",
            "endConferenceOnExit",
            "waitUrl",
            "waitMethod",
            "maxParticipants",
            "record",
            "region",
            "coach",
            "trim",
            "statusCallbackEvent",
            "statusCallback",
            "statusCallbackMethod",
            "recordingStatusCallback",
            "recordingStatusCallbackMethod",
            "recordingStatusCallbackEvent",
            "eventCallbackUrl",
            "jitterBufferSize",
            "participantLabel",
        }
    ),
    "Enqueue": frozenset({"action", "maxQueueSize", "method", "waitUrl", "waitUrlMethod", "workflowSid"}),
    "Leave": frozenset(),
    "Hangup": frozenset(),
    "Redirect": frozenset({"method"}),
    "Reject": frozenset({"reason"}),
}

CHILDREN: dict[str, frozenset[str]] = {
    "Response": VERBS,
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": frozenset({"Number", "Queue", "Conference"}),
}

# Verbs Twilio runs in a queue's waitUrl document, and in a <Number url> whisper.
WAIT_VERBS = frozenset({"Play", "Say", "Pause", "Hangup", "Redirect", "Leave", "Gather"})
WHISPER_VERBS = frozenset({"Play", "Say", "Pause", "Gather", "Hangup"})
# A queue's wait URL, and the <Gather> action inside it, run in the queue's wait context.
WAIT_PATH = re.compile(r"/wait(-choice)?$")

METHODS = frozenset({"GET", "POST"})
BOOLEANS = frozenset({"true", "false"})
BOOLEAN_ATTRIBUTES = frozenset(
    {
        "answerOnBridge",
        "hangupOnStar",
        "actionOnEmptyResult",
        "bargeIn",
        "debug",
        "enhanced",
        "profanityFilter",
        "muted",
        "startConferenceOnEnter",
        "endConferenceOnExit",
    }
)
# <Conference beep>: Twilio's four values; its status callback events, space-separated.
CONFERENCE_BEEPS = frozenset({"true", "false", "onEnter", "onExit"})
CONFERENCE_EVENTS = frozenset({"start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"})
# (element, attribute) -> inclusive range of whole numbers Twilio accepts.
RANGES: dict[tuple[str, str], tuple[int, int]] = {
    ("Gather", "timeout"): (1, 600),
    ("Gather", "numDigits"): (1, 100),
    ("Dial", "timeout"): (5, 600),
    ("Dial", "timeLimit"): (1, 14400),
    ("Pause", "length"): (1, 3600),
    ("Say", "loop"): (0, 1000),
    ("Play", "loop"): (0, 1000),
    ("Enqueue", "maxQueueSize"): (1, 5000),
    ("Conference", "maxParticipants"): (2, 250),
}
URL_ATTRIBUTES = frozenset({"action", "url", "waitUrl", "statusCallback"})
LANGUAGE_TAG = re.compile(r"[a-z]{2,3}-[A-Z]{2}")
DIALLABLE = re.compile(r"\+[1-9]\d{6,14}|\d{3,6}")


class TwimlError(AssertionError):
    """A TwiML document Twilio would refuse, or one that breaks the line's rules."""


def check(
    document: str, *, path: str, public_url: str, line_numbers: Iterable[str], secret_numbers: Iterable[str]
) -> ElementTree.Element:
    """Parse and check one TwiML document served at `path`; returns its root."""
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as error:
        raise TwimlError(f"{path}: not XML ({error}): {document[:200]!r}") from error
    if root.tag != "Response":
        raise TwimlError(f"{path}: root is <{root.tag}>, not <Response>")
    allowed_verbs = (
        WAIT_VERBS if WAIT_PATH.search(path) else WHISPER_VERBS if path.startswith("/twilio/voice/whisper") else VERBS
    )
    for verb in root:
        if verb.tag not in allowed_verbs:
            raise TwimlError(f"{path}: <{verb.tag}> may not be used here (allowed: {sorted(allowed_verbs)})")
    _check_element(root, path, public_url, frozenset(line_numbers))
    for number in secret_numbers:
        found = leaks(document, number)
        if found:
            raise TwimlError(f"{path}: a caller's number ({found}) is in the TwiML")
    return root


def _check_element(element: ElementTree.Element, path: str, public_url: str, line_numbers: frozenset[str]) -> None:
    tag = element.tag  # known: the root is <Response>, and every child was checked against CHILDREN
    unknown = set(element.attrib) - ATTRIBUTES[tag]
    if unknown:
        raise TwimlError(f"{path}: <{tag}> has attributes Twilio does not document: {sorted(unknown)}")
    for child in element:
        if child.tag not in CHILDREN.get(tag, frozenset()):
            raise TwimlError(f"{path}: <{child.tag}> cannot be nested in <{tag}>")
        _check_element(child, path, public_url, line_numbers)
    for name, value in element.attrib.items():
        _check_value(tag, name, value, path, public_url)
    text = (element.text or "").strip()
    if tag == "Say" and not text:
        raise TwimlError(f"{path}: <Say> says nothing")
    if (
        tag in ("Say", "Gather")
        and "language" in element.attrib
        and not LANGUAGE_TAG.fullmatch(element.attrib["language"])
    ):
        raise TwimlError(f"{path}: <{tag} language={element.attrib['language']!r}> is not a language tag")
    if tag == "Number" and not DIALLABLE.fullmatch(text):
        raise TwimlError(f"{path}: <Number> {text!r} is not a number to dial")
    if tag in ("Enqueue", "Queue") and not 1 <= len(text) <= 64:
        raise TwimlError(f"{path}: <{tag}> needs a queue name of 1 to 64 characters")
    if tag == "Conference" and not 1 <= len(text) <= 128:
        raise TwimlError(f"{path}: <Conference> needs a room name of 1 to 128 characters")
    if tag in ("Redirect", "Play") and not text.startswith(("https://", "http://")):
        raise TwimlError(f"{path}: <{tag}> needs an absolute URL")
    if tag == "Redirect" and not text.startswith(public_url + "/twilio/voice/"):
        raise TwimlError(f"{path}: <Redirect> leaves the service: {text!r}")
    if tag == "Dial":
        _check_dial(element, text, path, line_numbers)


def _check_value(tag: str, name: str, value: str, path: str, public_url: str) -> None:
    if name == "method" or name.endswith("Method"):
        if value not in METHODS:
            raise TwimlError(f"{path}: <{tag} {name}={value!r}> must be GET or POST")
    elif name in BOOLEAN_ATTRIBUTES:
        if value not in BOOLEANS:
            raise TwimlError(f"{path}: <{tag} {name}={value!r}> must be true or false")
    elif (tag, name) in RANGES:
        low, high = RANGES[(tag, name)]
        if not (value.isdigit() and low <= int(value) <= high):
            raise TwimlError(f"{path}: <{tag} {name}={value!r}> must be a whole number from {low} to {high}")
    elif name in URL_ATTRIBUTES:
        if not value.startswith(public_url + "/twilio/voice/"):
            raise TwimlError(f"{path}: <{tag} {name}={value!r}> is not one of the service's voice webhooks")
    elif tag == "Conference" and name == "beep":
        if value not in CONFERENCE_BEEPS:
            raise TwimlError(f"{path}: <Conference beep={value!r}> must be one of {sorted(CONFERENCE_BEEPS)}")
    elif tag == "Conference" and name == "statusCallbackEvent":
        if not value.split() or set(value.split()) - CONFERENCE_EVENTS:
            raise TwimlError(f"{path}: <Conference statusCallbackEvent={value!r}> names events Twilio does not send")
    elif tag == "Gather" and name == "input":
        if not value.split() or set(value.split()) - {"dtmf", "speech"}:
            raise TwimlError(f"{path}: <Gather input={value!r}> must be dtmf, speech or both")
    elif tag == "Gather" and name == "speechTimeout":
        if value != "auto" and not value.isdigit():
            raise TwimlError(f"{path}: <Gather speechTimeout={value!r}> must be auto or seconds")


def _check_dial(dial: ElementTree.Element, text: str, path: str, line_numbers: frozenset[str]) -> None:
    """A <Dial> rings a queue, or phones: then its caller ID must be one of the line's numbers,
    so nobody the line calls ever sees who is calling the line."""
    nouns = [child.tag for child in dial]
    if text and nouns:
        raise TwimlError(f"{path}: <Dial> has both a number and nouns")
    if not text and not nouns:
        raise TwimlError(f"{path}: <Dial> dials nothing")
    if text and not DIALLABLE.fullmatch(text):
        raise TwimlError(f"{path}: <Dial> {text!r} is not a number to dial")
    if "Conference" in nouns and len(nouns) > 1:
        raise TwimlError(f"{path}: <Dial> joins a conference and dials something else")
    if len(nouns) > 10:
        raise TwimlError(f"{path}: <Dial> rings {len(nouns)} numbers; Twilio rings at most 10 at once")
    rings_a_phone = bool(text) or "Number" in nouns
    caller_id = dial.attrib.get("callerId")
    if rings_a_phone and caller_id is None:
        raise TwimlError(f"{path}: <Dial> rings a phone without callerId: it would show the caller's number")
    if caller_id is not None and caller_id not in line_numbers:
        raise TwimlError(f"{path}: <Dial callerId={caller_id!r}> is not one of the line's numbers")


def inline_reply(response_text: str) -> str:
    """The texts of a webhook's TwiML reply (its <Message>s), joined: what reaches the sender
    at once, with no worker, such as the crisis text."""
    return " ".join(message.text or "" for message in ElementTree.fromstring(response_text).iter("Message"))
