"""A local stand-in for Twilio's Messages REST API (2010-04-01), and the Calls API as far as
a warmline uses it (placing calls and redirecting live ones).

The test suite, benchmarks and fault-injection scripts point the official
``twilio`` client at this server instead of https://api.twilio.com, so our code
is exercised over real HTTP with no patching and no real texts sent. Requests
are checked against Twilio's own OpenAPI spec (parameter names, enums, formats,
the "From or MessagingServiceSid" and "Body, MediaUrl or ContentSid" rules) and
answered with resources and errors shaped like Twilio's, so a mistake that the
real Twilio would reject fails here too.

It serves:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: send a message.
* ``GET  /2010-04-01/Accounts/{AccountSid}/Messages.json``: list messages
  (``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>``, ``PageSize``,
  ``Page``), newest first, which is how a client reconciles a lost response.
* ``GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json``: fetch one.
* Signed ``sent`` then ``delivered`` status callbacks, when enabled.
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json``: place a call (recorded; it is
  ``queued`` until a test says otherwise: the fake never rings anyone or fetches TwiML).
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json``: update a live call (a
  redirect). Like Twilio, a call it does not know is a 404 (20404) and one that has ended
  cannot be redirected (21220). Inbound calls become known through the control API.
* ``GET  /2010-04-01/Accounts/{Sid}.json``: the account (checks the credentials).
* ``GET  /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json`` (``PhoneNumber``
  filter), ``GET`` and ``POST .../IncomingPhoneNumbers/{Sid}.json``: the account's numbers,
  fetched and updated (their SMS, voice and status URLs).
* Messaging v1, at ``/messaging/v1/...`` (https://messaging.twilio.com under the base URL):
  ``Services`` list, create, fetch and update, and a service's ``PhoneNumbers`` list, add
  and remove; a number sits in one service at most (21712). Twilio's spec in
  ../shared/twilio-oai covers api_v2010 only, so these shapes are written by hand from what
  the twilio library sends and reads (see SERVICE_FORM).
* A JSON control API under ``/_control/`` for tests: inspect accepted messages, calls
  placed and updated, and every API request; give the account a number, list numbers and
  services; say a call is live or over; reset, toggle
  callbacks, and inject faults (500, 429, hangs, Twilio error codes, and a message
  accepted whose response never comes).

Deliberately stricter than Twilio in one way: unknown parameters are rejected
(400, code 20001) rather than ignored, so a misspelt parameter fails a test.
Faults apply only to create and update requests that pass authentication and validation.

Run ``python -m scripts.harness.fake_twilio_server --port 0 --account-sid AC... --auth-token T``;
it prints ``listening http://127.0.0.1:PORT`` once ready and serves until
SIGTERM or SIGINT. It logs method, path and status only, never phone numbers.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import http.client
import json
import logging
import math
import operator
import re
import signal
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from scripts.harness.fake_twilio_conferences import (
    CONFERENCE_PATH,
    PARTICIPANT_PATH,
    PARTICIPANTS_PATH,
    ConferenceContract,
    Conferences,
    SpecRules,
)

logger = logging.getLogger("fake_twilio")

API_VERSION = "2010-04-01"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGES_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages\.json")
MESSAGE_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json")
CALLS_PATH = "/2010-04-01/Accounts/{AccountSid}/Calls.json"
CALL_PATH = "/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json"
CALLS_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Calls\.json")
CALL_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\.json")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")


def spec_route(path: str) -> re.Pattern[str]:
    """A spec path as a pattern: each {Parameter} is one path segment, captured."""
    return re.compile(re.sub(r"\\\{\w+\\\}", "([^/]+)", re.escape(path)))


ACCOUNT_PATH = "/2010-04-01/Accounts/{Sid}.json"
NUMBERS_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
NUMBER_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"
ACCOUNT_ROUTE, NUMBERS_ROUTE, NUMBER_ROUTE = (spec_route(path) for path in (ACCOUNT_PATH, NUMBERS_PATH, NUMBER_PATH))
# Messaging v1 lives on messaging.twilio.com; clients reach it as {base}/messaging/... (the
# interface contract's rule for Twilio's hosts other than api.twilio.com).
SERVICES_ROUTE = re.compile(r"/messaging/v1/Services")
SERVICE_ROUTE = re.compile(r"/messaging/v1/Services/(MG[0-9a-f]{32})")
MEMBERS_ROUTE = re.compile(r"/messaging/v1/Services/(MG[0-9a-f]{32})/PhoneNumbers")
MEMBER_ROUTE = re.compile(r"/messaging/v1/Services/(MG[0-9a-f]{32})/PhoneNumbers/(PN[0-9a-f]{32})")
MESSAGING_URL = "https://messaging.twilio.com"
E164 = re.compile(r"\+[1-9]\d{1,14}")

BODY_MAX_CHARS = 1600  # Twilio's documented limit for Body (error 21617).
MAX_REQUEST_BYTES = 1 << 20
HANG_SECONDS = 60.0
CALLBACK_STEP_SECONDS = 0.05  # Pause before each status callback, as a carrier would take.
CALLBACK_TIMEOUT_SECONDS = 5.0
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

# Fault mode -> the (HTTP status, Twilio code, message) answered. "hang" answers after hanging.
FAULT_ERRORS: dict[str, tuple[int, int, str]] = {
    "status500": (500, 20500, "An internal server error has occurred"),
    "status429": (429, 20429, "Too Many Requests"),
    "hang": (500, 20500, "An internal server error has occurred"),
    "error21610": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "error21211": (400, 21211, "Invalid 'To' Phone Number"),
}
FAULT_MODES = frozenset(FAULT_ERRORS) | {"accept_then_hang"}

# Twilio's codes for specific parameters; anything else that breaks the spec gets 20001.
REQUIRED_ERRORS = {"To": (21604, "A 'To' phone number is required.")}
ONE_OF_ERRORS = {
    "From": (21603, "A 'From' or 'MessagingServiceSid' parameter is required"),
    "Body": (21602, "Message body is required."),
}
CALL_NOT_LIVE = (400, 21220, "Call is not in-progress. Cannot redirect.")
LIVE_CALL_STATUSES = frozenset({"queued", "ringing", "in-progress"})
INVALID_ERRORS = {
    "To": (21211, "Invalid 'To' Phone Number"),
    "From": (21212, "Invalid 'From' Phone Number"),
    "StatusCallback": (21609, "Invalid 'StatusCallback' URL"),
}
PARAMETER_ERROR_CODE = 20001

# GSM-7 alphabet: messages using only these are 160 characters a segment, others are UCS-2.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


class ApiError(Exception):
    """An answer in Twilio's error shape, raised anywhere while handling an API request."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON Twilio sends with an error, which the twilio client turns into TwilioRestException."""
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


# --- The spec ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormContract:
    """One operation's form parameters: their schemas, the required ones, the one-of groups."""

    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    one_of: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Contract:
    """The parts of Twilio's OpenAPI spec this fake enforces (requests) and mirrors (responses)."""

    create_properties: dict[str, dict[str, Any]]
    create_required: tuple[str, ...]
    create_one_of: tuple[tuple[str, ...], ...]
    message_fields: tuple[str, ...]
    list_fields: tuple[str, ...]
    call_create: FormContract
    call_update: FormContract
    call_fields: tuple[str, ...]
    number_update: FormContract
    number_fields: tuple[str, ...]
    number_list_fields: tuple[str, ...]
    number_list_query: tuple[str, ...]
    account_fields: tuple[str, ...]


def default_spec_path() -> Path:
    """Where CI and developers keep the spec: shared/ beside the repository checkout."""
    repo_root = Path(__file__).resolve().parents[2]
    return repo_root.parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"


def load_contract(spec_path: Path) -> Contract:
    """Read the CreateMessage, ListMessage, CreateCall, UpdateCall, FetchAccount and the
    IncomingPhoneNumber list, fetch and update operations out of the spec, with $refs resolved."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    create = _operation(spec, MESSAGES_PATH, "post", "CreateMessage")
    listing = _operation(spec, MESSAGES_PATH, "get", "ListMessage")
    messages = _form_contract(spec, create)
    message = _resolve(spec, create["responses"]["201"]["content"]["application/json"]["schema"])
    page = _resolve(spec, listing["responses"]["200"]["content"]["application/json"]["schema"])
    call_create = _operation(spec, CALLS_PATH, "post", "CreateCall")
    call = _resolve(spec, call_create["responses"]["201"]["content"]["application/json"]["schema"])
    number_update = _operation(spec, NUMBER_PATH, "post", "UpdateIncomingPhoneNumber")
    _operation(spec, NUMBER_PATH, "get", "FetchIncomingPhoneNumber")
    number = _resolve(spec, number_update["responses"]["200"]["content"]["application/json"]["schema"])
    number_listing = _operation(spec, NUMBERS_PATH, "get", "ListIncomingPhoneNumber")
    number_page = _resolve(spec, number_listing["responses"]["200"]["content"]["application/json"]["schema"])
    account_fetch = _operation(spec, ACCOUNT_PATH, "get", "FetchAccount")
    account = _resolve(spec, account_fetch["responses"]["200"]["content"]["application/json"]["schema"])
    return Contract(
        create_properties=messages.properties,
        create_required=messages.required,
        create_one_of=messages.one_of,
        message_fields=tuple(message["properties"]),
        list_fields=tuple(page["properties"]),
        call_create=_form_contract(spec, call_create),
        call_update=_form_contract(spec, _operation(spec, CALL_PATH, "post", "UpdateCall")),
        call_fields=tuple(call["properties"]),
        number_update=_form_contract(spec, number_update),
        number_fields=tuple(number["properties"]),
        number_list_fields=tuple(number_page["properties"]),
        number_list_query=tuple(p["name"] for p in number_listing["parameters"] if p.get("in") == "query"),
        account_fields=tuple(account["properties"]),
    )


def load_conference_contract(spec: dict[str, Any]) -> ConferenceContract:
    """Conferences and Participants: the operations the fake answers, out of the spec."""
    create = _operation(spec, PARTICIPANTS_PATH, "post", "CreateParticipant")
    _operation(spec, PARTICIPANTS_PATH, "get", "ListParticipant")
    _operation(spec, PARTICIPANT_PATH, "get", "FetchParticipant")
    _operation(spec, PARTICIPANT_PATH, "delete", "DeleteParticipant")
    fetch = _operation(spec, CONFERENCE_PATH, "get", "FetchConference")
    participant = _resolve(spec, create["responses"]["201"]["content"]["application/json"]["schema"])
    conference = _resolve(spec, fetch["responses"]["200"]["content"]["application/json"]["schema"])
    return ConferenceContract(
        participant_create=_form_contract(spec, create),
        participant_update=_form_contract(spec, _operation(spec, PARTICIPANT_PATH, "post", "UpdateParticipant")),
        conference_update=_form_contract(spec, _operation(spec, CONFERENCE_PATH, "post", "UpdateConference")),
        participant_fields=tuple(participant["properties"]),
        conference_fields=tuple(conference["properties"]),
    )


def _form_contract(spec: dict[str, Any], operation: dict[str, Any]) -> FormContract:
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    properties = {}
    for name, schema in form["properties"].items():
        resolved = _resolve(spec, schema)
        if resolved.get("type") == "array":
            resolved = {**resolved, "items": _resolve(spec, resolved["items"])}
        properties[name] = resolved
    # x-twilio "conditional" lists snake_case groups, e.g. ["from", "messaging_service_sid"].
    by_key = {name.lower(): name for name in properties}
    one_of = tuple(
        tuple(by_key[member.replace("_", "")] for member in group)
        for group in operation.get("x-twilio", {}).get("conditional", [])
    )
    return FormContract(properties=properties, required=tuple(form.get("required", [])), one_of=one_of)


def _operation(spec: dict[str, Any], path: str, method: str, operation_id: str) -> dict[str, Any]:
    operation = spec["paths"][path][method]
    if operation.get("operationId") != operation_id:
        raise ValueError(f"spec has no {operation_id} at {method.upper()} {path}")
    return operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


# --- Validating a create request ---------------------------------------------------------------


def parse_form(content_type: str, body: bytes) -> dict[str, list[str]]:
    """Decode a form body as Twilio does; anything undecodable is a 400, not a crash."""
    if body and content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise ApiError(400, PARAMETER_ERROR_CODE, "Content-Type must be application/x-www-form-urlencoded")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=1000)
    except ValueError as exc:
        raise ApiError(400, PARAMETER_ERROR_CODE, "Malformed form body") from exc


def validate_create(contract: Contract, form: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """Apply the spec's and Twilio's documented rules to a message; return the fields, one
    value each except arrays."""
    fields = validate_form(
        FormContract(contract.create_properties, contract.create_required, contract.create_one_of), form
    )
    body = fields.get("Body", "")
    if isinstance(body, str) and len(body) > BODY_MAX_CHARS:
        raise ApiError(400, 21617, f"The concatenated message body exceeds the {BODY_MAX_CHARS} character limit.")
    return fields


def validate_form(contract: FormContract, form: dict[str, list[str]]) -> dict[str, str | list[str]]:
    """Apply one operation's spec rules; return the fields, one value each except arrays."""
    unknown = sorted(set(form) - set(contract.properties))
    if unknown:
        raise ApiError(400, PARAMETER_ERROR_CODE, f"Unknown parameters: {', '.join(unknown)}")
    present = {name for name, values in form.items() if any(values)}
    for name in contract.required:
        if name not in present:
            code, message = REQUIRED_ERRORS.get(name, (PARAMETER_ERROR_CODE, f"'{name}' is required"))
            raise ApiError(400, code, message)
    for group in contract.one_of:
        if present.isdisjoint(group):
            fallback = (PARAMETER_ERROR_CODE, f"One of {', '.join(group)} is required")
            code, message = ONE_OF_ERRORS.get(group[0], fallback)
            raise ApiError(400, code, message)
    fields: dict[str, str | list[str]] = {}
    for name, values in form.items():
        schema = contract.properties[name]
        if schema.get("type") == "array":
            for value in values:
                _check_value(name, schema["items"], value)
            fields[name] = values
        elif len(values) > 1:
            raise ApiError(400, PARAMETER_ERROR_CODE, f"'{name}' given more than once")
        else:
            _check_value(name, schema, values[0])
            fields[name] = values[0]
    return fields


def _check_value(name: str, schema: dict[str, Any], value: str) -> None:
    if value == "":  # Blank counts as absent, which the required and one-of rules already judged.
        return
    if not _value_ok(schema, value):
        code, message = INVALID_ERRORS.get(name, (PARAMETER_ERROR_CODE, f"Invalid value for parameter '{name}'"))
        raise ApiError(400, code, message)


def _value_ok(schema: dict[str, Any], value: str) -> bool:
    if "enum" in schema and value not in schema["enum"]:
        return False
    kind = schema.get("type")
    if kind == "boolean":
        return value.lower() in ("true", "false")
    if kind in ("integer", "number"):
        try:
            int(value) if kind == "integer" else float(value)
        except ValueError:
            return False
        return True
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", math.inf):
        return False
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    fmt = None if schema.get("x-twilio", {}).get("ignoreFormat") else schema.get("format")
    if fmt == "phone-number":
        return E164.fullmatch(value) is not None
    if fmt == "endpoint":  # a number, or a client: / sip: address
        return E164.fullmatch(value) is not None or value.startswith(("client:", "sip:"))
    if fmt == "uri":
        return _is_url(value)
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
    return True


def _is_url(value: str) -> bool:
    """Twilio's StatusCallback rules: absolute http(s), a hostname without underscores, <= 4000 chars."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and bool(host)
        and "_" not in host
        and len(value) <= 4000
        and not any(ch.isspace() for ch in value)
    )


# --- Building resources ------------------------------------------------------------------------


def rfc2822(moment: datetime) -> str:
    """Twilio's timestamp format, e.g. 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def segment_count(body: str) -> int:
    """How many SMS segments Twilio would bill for this body (GSM-7 or UCS-2)."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body):
        units = len(body) + sum(ch in GSM7_EXTENDED for ch in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def message_resource(
    contract: Contract, account_sid: str, fields: dict[str, str | list[str]], now: datetime
) -> dict[str, Any]:
    """A queued message, with exactly the spec's field names (null for any we have no value for)."""
    media = [url for url in fields.get("MediaUrl", []) if url]
    sid = ("MM" if media else "SM") + uuid.uuid4().hex
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}"
    body = str(fields.get("Body", ""))
    stamp = rfc2822(now)
    known: dict[str, Any] = {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": stamp,
        "date_sent": stamp,
        "date_updated": stamp,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": fields.get("From") or None,
        "messaging_service_sid": fields.get("MessagingServiceSid") or None,
        "num_media": str(len(media)),
        "num_segments": str(segment_count(body)),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": fields["To"],
        "uri": f"{uri}.json",
    }
    return {name: known.get(name) for name in contract.message_fields}


def call_resource(
    contract: Contract, account_sid: str, fields: dict[str, str | list[str]], now: datetime
) -> dict[str, Any]:
    """A queued outbound call, with exactly the spec's field names (null for any we have no value for)."""
    sid = "CA" + uuid.uuid4().hex
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Calls/{sid}"
    known: dict[str, Any] = {
        "sid": sid,
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "direction": "outbound-api",
        "from": fields["From"],
        "from_formatted": fields["From"],
        "to": fields["To"],
        "to_formatted": fields["To"],
        "price_unit": "USD",
        "status": "queued",
        "uri": f"{uri}.json",
        "subresource_uris": {"notifications": f"{uri}/Notifications.json", "recordings": f"{uri}/Recordings.json"},
    }
    return {name: known.get(name) for name in contract.call_fields}


def _date_predicate(key: str, raw: str) -> Callable[[datetime], bool]:
    """A DateSent filter: a bare date (and DateSent itself) compares days, a timestamp compares instants."""
    try:
        bound = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ApiError(400, PARAMETER_ERROR_CODE, f"Invalid value for parameter '{key}'") from exc
    if bound.tzinfo is None:
        bound = bound.replace(tzinfo=UTC)
    by_day = key == "DateSent" or len(raw) == 10
    compare = {"DateSent": operator.eq, "DateSent<": operator.le, "DateSent>": operator.ge}[key]
    target = _day(bound) if by_day else bound
    return lambda sent: compare(_day(sent) if by_day else sent, target)


def _day(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


# --- The account, its numbers and Messaging Services ------------------------------------------
#
# Messaging v1 is not in ../shared/twilio-oai (it holds api_v2010 only), so its request
# parameters and resource fields are written here by hand, from what twilio 9.x sends
# (twilio/rest/messaging/v1/service/__init__.py and phone_number.py) and reads back
# (ServiceInstance and PhoneNumberInstance).

_URI = {"type": "string", "format": "uri"}
_METHOD = {"type": "string", "enum": ["GET", "POST"]}
_BOOLEAN = {"type": "boolean"}
SERVICE_FORM = FormContract(
    properties={
        "FriendlyName": {"type": "string", "minLength": 1, "maxLength": 64},
        "InboundRequestUrl": _URI,
        "InboundMethod": _METHOD,
        "FallbackUrl": _URI,
        "FallbackMethod": _METHOD,
        "StatusCallback": _URI,
        "StickySender": _BOOLEAN,
        "MmsConverter": _BOOLEAN,
        "SmartEncoding": _BOOLEAN,
        "ScanMessageContent": {"type": "string", "enum": ["inherit", "enable", "disable"]},
        "FallbackToLongCode": _BOOLEAN,
        "AreaCodeGeomatch": _BOOLEAN,
        "ValidityPeriod": {"type": "integer"},
        "SynchronousValidation": _BOOLEAN,
        "Usecase": {
            "type": "string",
            "enum": ["notifications", "marketing", "verification", "discussion", "poll", "undeclared"],
        },
        "UseInboundWebhookOnNumber": _BOOLEAN,
    },
    required=(),
    one_of=(),
)
SERVICE_CREATE_FORM = FormContract(SERVICE_FORM.properties, required=("FriendlyName",), one_of=())
MEMBER_FORM = FormContract(
    properties={"PhoneNumberSid": {"type": "string", "pattern": "^PN[0-9a-fA-F]{32}$"}},
    required=("PhoneNumberSid",),
    one_of=(),
)
V1_LIST_QUERY = ("PageSize", "Page", "PageToken")
# Twilio's answer when a number is added to a second Messaging Service.
IN_ANOTHER_SERVICE = (409, 21712, "Phone Number or Short Code is already associated with another Messaging Service")
# What a number Twilio has just sold answers with, before anyone configures it.
NEW_NUMBER_URLS = {
    "sms_url": "https://demo.twilio.com/welcome/sms/reply/",
    "voice_url": "https://demo.twilio.com/welcome/voice/",
}


def snake_case(parameter: str) -> str:
    """A form parameter's resource field name: SmsUrl -> sms_url."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", parameter).lower()


def typed_fields(contract: FormContract, fields: dict[str, str | list[str]]) -> dict[str, Any]:
    """Validated form fields as a resource stores them: snake_case names, booleans and integers typed."""
    typed: dict[str, Any] = {}
    for name, value in fields.items():
        kind = contract.properties[name].get("type")
        if kind == "boolean" and isinstance(value, str):
            typed[snake_case(name)] = value.lower() == "true"
        elif kind == "integer" and isinstance(value, str):
            typed[snake_case(name)] = int(value)
        else:
            typed[snake_case(name)] = value
    return typed


def iso8601(moment: datetime) -> str:
    """Messaging v1's timestamp format, e.g. '2026-12-07T02:50:00Z'."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def number_resource(contract: Contract, account_sid: str, phone_number: str, now: datetime) -> dict[str, Any]:
    """A number the account owns, as Twilio sells it: demo URLs, nothing else set."""
    sid = "PN" + uuid.uuid4().hex
    known: dict[str, Any] = {
        "account_sid": account_sid,
        "address_requirements": "none",
        "api_version": API_VERSION,
        "beta": False,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "date_created": rfc2822(now),
        "date_updated": rfc2822(now),
        "friendly_name": phone_number,
        "phone_number": phone_number,
        "origin": "twilio",
        "sid": sid,
        "sms_application_sid": "",
        "sms_fallback_method": "POST",
        "sms_fallback_url": "",
        "sms_method": "POST",
        "status_callback": "",
        "status_callback_method": "POST",
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": "",
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": "",
        "voice_method": "POST",
        "emergency_status": "Inactive",
        "status": "in-use",
        "type": "local",
        **NEW_NUMBER_URLS,
    }
    return {name: known.get(name) for name in contract.number_fields}


def account_resource(contract: Contract, account_sid: str, auth_token: str) -> dict[str, Any]:
    uri = f"/{API_VERSION}/Accounts/{account_sid}"
    known: dict[str, Any] = {
        "auth_token": auth_token,
        "date_created": rfc2822(datetime(2024, 1, 1, tzinfo=UTC)),
        "date_updated": rfc2822(datetime(2024, 1, 1, tzinfo=UTC)),
        "friendly_name": "Warmline test account",
        "owner_account_sid": account_sid,
        "sid": account_sid,
        "status": "active",
        "subresource_uris": {"incoming_phone_numbers": f"{uri}/IncomingPhoneNumbers.json"},
        "type": "Full",
        "uri": f"{uri}.json",
    }
    return {name: known.get(name) for name in contract.account_fields}


def service_resource(account_sid: str, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new Messaging Service with Twilio's defaults under the given fields."""
    sid = "MG" + uuid.uuid4().hex
    url = f"{MESSAGING_URL}/v1/Services/{sid}"
    return {
        "sid": sid,
        "account_sid": account_sid,
        "friendly_name": None,
        "date_created": iso8601(now),
        "date_updated": iso8601(now),
        "inbound_request_url": None,
        "inbound_method": "POST",
        "fallback_url": None,
        "fallback_method": "POST",
        "status_callback": None,
        "sticky_sender": True,
        "mms_converter": True,
        "smart_encoding": True,
        "scan_message_content": "inherit",
        "fallback_to_long_code": False,
        "area_code_geomatch": True,
        "synchronous_validation": False,
        "validity_period": 36000,
        "url": url,
        "links": {
            name: f"{url}/{path}"
            for name, path in (
                ("phone_numbers", "PhoneNumbers"),
                ("short_codes", "ShortCodes"),
                ("alpha_senders", "AlphaSenders"),
            )
        },
        "usecase": "undeclared",
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": False,
        **fields,
    }


def member_resource(service_sid: str, number: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A number as a Messaging Service lists it."""
    return {
        "sid": number["sid"],
        "account_sid": number["account_sid"],
        "service_sid": service_sid,
        "date_created": iso8601(now),
        "date_updated": iso8601(now),
        "phone_number": number["phone_number"],
        "country_code": "US",
        "capabilities": ["SMS", "MMS", "Voice"],
        "url": f"{MESSAGING_URL}/v1/Services/{service_sid}/PhoneNumbers/{number['sid']}",
    }


class Inventory:
    """The account's numbers and Messaging Services, behind their own lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._numbers: dict[str, dict[str, Any]] = {}
        self._services: dict[str, dict[str, Any]] = {}
        self._members: dict[str, dict[str, dict[str, Any]]] = {}

    def reset(self) -> None:
        with self._lock:
            self._numbers.clear()
            self._services.clear()
            self._members.clear()

    def add_number(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if any(n["phone_number"] == resource["phone_number"] for n in self._numbers.values()):
                raise ValueError("the account owns that number already")
            self._numbers[resource["sid"]] = resource
            return dict(resource)

    def numbers(self, phone_number: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(n) for n in self._numbers.values() if phone_number in (None, n["phone_number"])]

    def number(self, sid: str) -> dict[str, Any]:
        with self._lock:
            if sid not in self._numbers:
                raise ApiError(404, 20404, f"The requested resource /IncomingPhoneNumbers/{sid}.json was not found")
            return dict(self._numbers[sid])

    def update_number(self, sid: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if sid not in self._numbers:
                raise ApiError(404, 20404, f"The requested resource /IncomingPhoneNumbers/{sid}.json was not found")
            number = self._numbers[sid]
            number.update({key: value for key, value in fields.items() if key in number})
            number["date_updated"] = rfc2822(datetime.now(UTC))
            return dict(number)

    def services(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(service) for service in self._services.values()]

    def service(self, sid: str) -> dict[str, Any]:
        with self._lock:
            return dict(self._service_locked(sid))

    def _service_locked(self, sid: str) -> dict[str, Any]:
        if sid not in self._services:
            raise ApiError(404, 20404, f"The requested resource /Services/{sid} was not found")
        return self._services[sid]

    def create_service(self, resource: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._services[resource["sid"]] = resource
            self._members[resource["sid"]] = {}
            return dict(resource)

    def update_service(self, sid: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            service = self._service_locked(sid)
            service.update(fields)
            service["date_updated"] = iso8601(datetime.now(UTC))
            return dict(service)

    def members(self, service_sid: str) -> list[dict[str, Any]]:
        with self._lock:
            self._service_locked(service_sid)
            return [dict(member) for member in self._members[service_sid].values()]

    def add_member(self, service_sid: str, number_sid: str) -> dict[str, Any]:
        """Put an owned number in a service; like Twilio, a number sits in one service at most."""
        with self._lock:
            self._service_locked(service_sid)
            number = self._numbers.get(number_sid)
            if number is None:
                raise ApiError(404, 20404, f"The requested resource /IncomingPhoneNumbers/{number_sid} was not found")
            if any(number_sid in members for members in self._members.values()):
                raise ApiError(*IN_ANOTHER_SERVICE)
            member = member_resource(service_sid, number, datetime.now(UTC))
            self._members[service_sid][number_sid] = member
            return dict(member)

    def remove_member(self, service_sid: str, number_sid: str) -> None:
        with self._lock:
            self._service_locked(service_sid)
            if self._members[service_sid].pop(number_sid, None) is None:
                raise ApiError(404, 20404, f"The requested resource /PhoneNumbers/{number_sid} was not found")

    def summary(self) -> list[dict[str, Any]]:
        """For tests: each service with the numbers it holds."""
        with self._lock:
            return [
                {**service, "phone_numbers": [m["phone_number"] for m in self._members[sid].values()]}
                for sid, service in self._services.items()
            ]


# --- State -------------------------------------------------------------------------------------


@dataclass
class Fault:
    """An injected failure for create requests, spent by count or by time, whichever ends first."""

    mode: str
    remaining: int | None
    until: float | None


class State:
    """Everything the fake remembers, behind one lock shared by request and callback threads."""

    def __init__(self, callbacks_enabled: bool) -> None:
        self._lock = threading.Lock()
        self._callbacks_default = callbacks_enabled
        self._release = threading.Event()
        self.callbacks_enabled = callbacks_enabled
        self._messages: list[dict[str, Any]] = []
        self._resources: dict[str, dict[str, Any]] = {}
        self._sent_at: dict[str, datetime] = {}
        self._requests: list[dict[str, Any]] = []
        self._fault: Fault | None = None
        self._calls: dict[str, dict[str, Any]] = {}
        self._call_log: list[dict[str, Any]] = []

    def reset(self) -> None:
        """Forget everything, clear faults and let hung requests answer."""
        with self._lock:
            self._messages.clear()
            self._resources.clear()
            self._sent_at.clear()
            self._requests.clear()
            self._calls.clear()
            self._call_log.clear()
            self.callbacks_enabled = self._callbacks_default
            self._clear_fault_locked()

    def set_fault(self, fault: Fault | None) -> None:
        """Install a fault, or with None clear it (which also releases hung requests)."""
        with self._lock:
            self._clear_fault_locked()
            self._fault = fault

    def _clear_fault_locked(self) -> None:
        self._fault = None
        self._release.set()
        self._release = threading.Event()

    def take_fault(self) -> str | None:
        """The fault mode this create request suffers, spending one of its count."""
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if fault.until is not None and time.monotonic() >= fault.until:
                self._fault = None
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._fault = None
            return fault.mode

    def hang(self) -> None:
        """Block this request until HANG_SECONDS pass or the fault is cleared."""
        with self._lock:
            release = self._release
        release.wait(HANG_SECONDS)

    def record_request(
        self, method: str, path: str, query: dict[str, Any], form: dict[str, Any] | None, received_at: float
    ) -> dict[str, Any]:
        """Log an API request on arrival; its status is filled in when it is answered."""
        record = {
            "method": method,
            "path": path,
            "query": query,
            "form": form,
            "received_at": received_at,
            "status": None,
            "error_code": None,
        }
        with self._lock:
            self._requests.append(record)
        return record

    def finish_request(self, record: dict[str, Any], status: int, error_code: int | None) -> None:
        """Note how a logged request was answered."""
        with self._lock:
            record["status"] = status
            record["error_code"] = error_code

    def accept(self, resource: dict[str, Any], fields: dict[str, Any], received_at: float, sent_at: datetime) -> None:
        """Store an accepted message for the list/fetch endpoints and the control API."""
        with self._lock:
            sid = resource["sid"]
            self._resources[sid] = resource
            self._sent_at[sid] = sent_at
            self._messages.append({**fields, "sid": sid, "received_at": received_at})

    def advance(self, sid: str, status: str) -> dict[str, Any] | None:
        """Move a message to a new status; None if it was forgotten by a reset meanwhile."""
        with self._lock:
            resource = self._resources.get(sid)
            if resource is None:
                return None
            resource["status"] = status
            resource["date_updated"] = rfc2822(datetime.now(UTC))
            return dict(resource)

    def resource(self, sid: str) -> dict[str, Any] | None:
        """A copy of one stored message resource."""
        with self._lock:
            resource = self._resources.get(sid)
            return None if resource is None else dict(resource)

    def find(self, keep: Callable[[dict[str, Any], datetime], bool]) -> list[dict[str, Any]]:
        """Copies of the stored resources that pass the filter, newest first like Twilio's list."""
        with self._lock:
            found = [dict(r) for sid, r in self._resources.items() if keep(r, self._sent_at[sid])]
        return found[::-1]

    def messages(self, after: int = 0) -> list[dict[str, Any]]:
        """Accepted messages in order of arrival (received_at), with their current status;
        `after` skips the first that many accepted (a poller asks only for what is new)."""
        with self._lock:
            found = [{**m, "status": self._resources[m["sid"]]["status"]} for m in self._messages[after:]]
        # Concurrent requests can finish validating out of order; arrival is what tests reason about.
        return sorted(found, key=lambda m: m["received_at"])

    def requests(self) -> list[dict[str, Any]]:
        """Every API request so far, rejected ones included."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def place_call(self, resource: dict[str, Any], fields: dict[str, Any], received_at: float) -> None:
        """Store a call placed through the API, as live (queued)."""
        with self._lock:
            self._calls[resource["sid"]] = resource
            self._call_log.append({**fields, "action": "create", "sid": resource["sid"], "received_at": received_at})

    def update_call(self, sid: str, fields: dict[str, Any], received_at: float) -> dict[str, Any]:
        """Redirect a live call; an unknown one is Twilio's 404, an ended one its 21220."""
        with self._lock:
            resource = self._calls.get(sid)
            if resource is None:
                raise ApiError(404, 20404, f"The requested resource /Calls/{sid}.json was not found")
            if resource["status"] not in LIVE_CALL_STATUSES:
                raise ApiError(*CALL_NOT_LIVE)
            if fields.get("Status"):
                resource["status"] = fields["Status"]
            resource["date_updated"] = rfc2822(datetime.now(UTC))
            self._call_log.append({**fields, "action": "update", "sid": sid, "received_at": received_at})
            return dict(resource)

    def set_call_status(self, sid: str, status: str, account_sid: str) -> None:
        """A test says a call is live (an inbound call the fake never saw placed) or over."""
        with self._lock:
            resource = self._calls.setdefault(sid, {"sid": sid, "account_sid": account_sid, "direction": "inbound"})
            resource["status"] = status

    def calls(self) -> list[dict[str, Any]]:
        """Calls placed and updated through the API, in order: form fields plus action and sid."""
        with self._lock:
            return [dict(entry) for entry in self._call_log]


# --- HTTP --------------------------------------------------------------------------------------


class FakeTwilioServer(ThreadingHTTPServer):
    """The HTTP server plus what its handlers share: credentials, the spec contract and state."""

    def __init__(
        self, address: tuple[str, int], contract: Contract, account_sid: str, auth_token: str, callbacks_enabled: bool
    ) -> None:
        super().__init__(address, Handler)
        self.contract = contract
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.state = State(callbacks_enabled)
        self.inventory = Inventory()
        self.conferences: Conferences | None = None  # set by main(), from the spec

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep one broken connection from printing a traceback with who-knows-what in it."""
        logger.warning("connection error: %s", sys.exc_info()[1].__class__.__name__)


def _flatten(values: dict[str, list[str]]) -> dict[str, str | list[str]]:
    return {key: vals[0] if len(vals) == 1 else vals for key, vals in values.items()}


def _single(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[-1] if values else None


def _int_param(query: dict[str, list[str]], key: str, default: int, low: int, high: float) -> int:
    raw = _single(query, key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not low <= value <= high:
        raise ApiError(400, PARAMETER_ERROR_CODE, f"Invalid value for parameter '{key}'")
    return value


def _never() -> re.Match[str]:
    """For a route match the caller has already found to be there (this tells the type checker)."""
    raise AssertionError("unreachable: the route matched")


class Handler(BaseHTTPRequestHandler):
    """Routes one connection's requests to the Twilio API emulation or the control API."""

    server: FakeTwilioServer
    protocol_version = "HTTP/1.1"  # Keep-alive, as the twilio client's requests.Session expects.
    # A response is written as headers, then body: with Nagle's algorithm the body waits for
    # the client's delayed ACK of the headers (about 40 ms on a kept-alive connection).
    disable_nagle_algorithm = True
    timeout = 120  # Seconds a connection may sit idle or stall mid-request before it is dropped.

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    # Logging: method, path (no query string: it holds phone numbers) and status only.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A request line that failed to parse leaves no path attribute behind.
        logger.info("%s %s %s", self.command, urlsplit(getattr(self, "path", "")).path, code)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("http.server: %s", format)

    def _dispatch(self) -> None:
        received_at = time.time()
        self._record: dict[str, Any] | None = None
        url = urlsplit(self.path)
        try:
            body = self._read_body()
        except ApiError as exc:
            self.close_connection = True
            self._send_json(exc.status, exc.body())
            return
        if url.path.startswith("/_control/"):
            self._control(url.path, url.query, body)
        else:
            self._api(url.path, url.query, body, received_at)

    def _read_body(self) -> bytes:
        raw = self.headers.get("Content-Length", "0")
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_REQUEST_BYTES:
            raise ApiError(400, PARAMETER_ERROR_CODE, "Bad Content-Length")
        return self.rfile.read(length) if length else b""

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        if self._record is not None:
            code = payload.get("code") if status >= 400 and isinstance(payload, dict) else None
            self.server.state.finish_request(self._record, status, code)
        data = json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # The client gave up, e.g. timed out on a hang.

    # --- Twilio API ---

    def _api(self, path: str, query_string: str, body: bytes, received_at: float) -> None:
        query = parse_qs(query_string, keep_blank_values=True)
        form: dict[str, list[str]] | None = None
        form_error: ApiError | None = None
        if self.command == "POST":
            try:
                form = parse_form(self.headers.get("Content-Type", ""), body)
            except ApiError as exc:
                form_error = exc
        state = self.server.state
        self._record = state.record_request(
            self.command, path, _flatten(query), None if form is None else _flatten(form), received_at
        )
        try:
            if self._inventory_api(path, query, form, form_error):
                return
            if self._conferences_api(path, form, form_error):
                return
            if self.command == "DELETE":
                raise ApiError(405, 20004, "Method not allowed")
            calls, call = CALLS_ROUTE.fullmatch(path), CALL_ROUTE.fullmatch(path)
            if calls is not None or call is not None:
                self._calls_api(calls, call, form, form_error, received_at)
                return
            listing, single = MESSAGES_ROUTE.fullmatch(path), MESSAGE_ROUTE.fullmatch(path)
            if listing is None and single is None:
                raise ApiError(404, 20404, f"The requested resource {path} was not found")
            self._authenticate((listing or single or _never()).group(1))
            if single is not None:
                if self.command != "GET":
                    raise ApiError(405, 20004, "Method not allowed")
                self._fetch(path, single.group(2))
            elif self.command == "GET":
                self._list(path, query)
            elif form_error is not None:
                raise form_error
            else:
                self._create(form or {}, received_at)
        except ApiError as exc:
            self._send_json(exc.status, exc.body(), exc.headers)

    def _calls_api(
        self,
        calls: re.Match[str] | None,
        call: re.Match[str] | None,
        form: dict[str, list[str]] | None,
        form_error: ApiError | None,
        received_at: float,
    ) -> None:
        """Place a call (POST Calls.json) or redirect one (POST Calls/{Sid}.json); nothing else."""
        self._authenticate((calls or call or _never()).group(1))
        if self.command != "POST":
            raise ApiError(405, 20004, "Method not allowed")
        if form_error is not None:
            raise form_error
        server = self.server
        contract = server.contract.call_create if calls is not None else server.contract.call_update
        fields = validate_form(contract, form or {})
        if "Twiml" in fields:
            _check_twiml(str(fields["Twiml"]))
        fault = server.state.take_fault()
        if fault == "hang":
            server.state.hang()
        if fault in FAULT_ERRORS:
            raise ApiError(*FAULT_ERRORS[fault])
        if call is not None:
            self._send_json(200, server.state.update_call(call.group(2), fields, received_at))
            return
        resource = call_resource(server.contract, server.account_sid, fields, datetime.now(UTC))
        server.state.place_call(resource, fields, received_at)
        self._send_json(201, resource)

    def _conferences_api(self, path: str, form: dict[str, list[str]] | None, form_error: ApiError | None) -> bool:
        """Conferences and their Participants (scripts/harness/fake_twilio_conferences.py)."""
        if self.server.conferences is None or "/Conferences/" not in path:
            return False
        self._authenticate(path.split("/")[3])
        if form_error is not None and self.command == "POST":
            raise form_error
        answer = self.server.conferences.handle(self.command, path, form)
        if answer is None:
            return False
        status, payload = answer
        if status == 204:
            self._send_empty(204)
        else:
            self._send_json(status, payload)
        return True

    def _inventory_api(
        self, path: str, query: dict[str, list[str]], form: dict[str, list[str]] | None, form_error: ApiError | None
    ) -> bool:
        """The account, its numbers and its Messaging Services; False when the path is none of theirs."""
        server, inventory, method = self.server, self.server.inventory, self.command
        if path.startswith("/messaging/"):
            self._authenticate(server.account_sid)
            return self._messaging_api(path, query, form, form_error)
        account, numbers, number = (
            ACCOUNT_ROUTE.fullmatch(path),
            NUMBERS_ROUTE.fullmatch(path),
            NUMBER_ROUTE.fullmatch(path),
        )
        found = account or numbers or number
        if found is None:
            return False
        self._authenticate(found.group(1))
        if account is not None and method == "GET":
            self._send_json(200, account_resource(server.contract, server.account_sid, server.auth_token))
        elif numbers is not None and method == "GET":
            self._list_numbers(path, query)
        elif number is not None and method == "GET":
            self._send_json(200, inventory.number(number.group(2)))
        elif number is not None and method == "POST":
            if form_error is not None:
                raise form_error
            fields = validate_form(server.contract.number_update, form or {})
            self._send_json(
                200, inventory.update_number(number.group(2), typed_fields(server.contract.number_update, fields))
            )
        else:
            raise ApiError(405, 20004, "Method not allowed")
        return True

    def _list_numbers(self, path: str, query: dict[str, list[str]]) -> None:
        """ListIncomingPhoneNumber: the spec's query parameters, the PhoneNumber filter, one page."""
        unknown = sorted(set(query) - set(self.server.contract.number_list_query))
        if unknown:
            raise ApiError(400, PARAMETER_ERROR_CODE, f"Unknown parameters: {', '.join(unknown)}")
        phone_number = _single(query, "PhoneNumber")
        found = self.server.inventory.numbers(phone_number)
        filters = [] if phone_number is None else [("PhoneNumber", phone_number)]
        fields = self.server.contract.number_list_fields
        self._send_json(200, v2010_page(path, query, filters, "incoming_phone_numbers", found, fields))

    def _messaging_api(
        self, path: str, query: dict[str, list[str]], form: dict[str, list[str]] | None, form_error: ApiError | None
    ) -> bool:
        """Messaging v1 Services and their PhoneNumbers: list, create, fetch, update, add and remove."""
        inventory, method, now = self.server.inventory, self.command, datetime.now(UTC)
        services, service = SERVICES_ROUTE.fullmatch(path), SERVICE_ROUTE.fullmatch(path)
        members, member = MEMBERS_ROUTE.fullmatch(path), MEMBER_ROUTE.fullmatch(path)
        if form_error is not None and method == "POST":
            raise form_error
        if services is not None and method == "GET":
            self._send_json(200, _v1_page(path, query, "services", inventory.services()))
        elif services is not None and method == "POST":
            fields = typed_fields(SERVICE_FORM, validate_form(SERVICE_CREATE_FORM, form or {}))
            self._send_json(201, inventory.create_service(service_resource(self.server.account_sid, fields, now)))
        elif service is not None and method == "GET":
            self._send_json(200, inventory.service(service.group(1)))
        elif service is not None and method == "POST":
            fields = typed_fields(SERVICE_FORM, validate_form(SERVICE_FORM, form or {}))
            self._send_json(200, inventory.update_service(service.group(1), fields))
        elif members is not None and method == "GET":
            self._send_json(200, _v1_page(path, query, "phone_numbers", inventory.members(members.group(1))))
        elif members is not None and method == "POST":
            sid = str(validate_form(MEMBER_FORM, form or {})["PhoneNumberSid"])
            self._send_json(201, inventory.add_member(members.group(1), sid))
        elif member is not None and method == "DELETE":
            inventory.remove_member(member.group(1), member.group(2))
            self._send_empty(204)
        elif any((services, service, members, member)):
            raise ApiError(405, 20004, "Method not allowed")
        else:
            raise ApiError(404, 20404, f"The requested resource {path} was not found")
        return True

    def _send_empty(self, status: int) -> None:
        if self._record is not None:
            self.server.state.finish_request(self._record, status, None)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _authenticate(self, path_account: str) -> None:
        scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except ValueError:
            user = password = ""
        user_ok = hmac.compare_digest(user.encode(), self.server.account_sid.encode())
        token_ok = hmac.compare_digest(password.encode(), self.server.auth_token.encode())
        if not (scheme.lower() == "basic" and user_ok and token_ok) or path_account != self.server.account_sid:
            raise ApiError(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})

    def _create(self, form: dict[str, list[str]], received_at: float) -> None:
        server = self.server
        fields = validate_create(server.contract, form)
        fault = server.state.take_fault()
        if fault == "hang":
            server.state.hang()
        if fault in FAULT_ERRORS:
            raise ApiError(*FAULT_ERRORS[fault])
        now = datetime.now(UTC)
        resource = message_resource(server.contract, server.account_sid, fields, now)
        answer = dict(resource)  # The stored one moves on to sent/delivered; the answer says queued.
        server.state.accept(resource, fields, received_at, now)
        callback = fields.get("StatusCallback") if server.state.callbacks_enabled else None
        if fault == "accept_then_hang":
            # Twilio took the message and will deliver it; only the answer is lost.
            self._start_callbacks(answer["sid"], callback)
            server.state.hang()
            self._send_json(201, answer)
            return
        self._send_json(201, answer)
        self._start_callbacks(answer["sid"], callback)

    def _start_callbacks(self, sid: str, url: Any) -> None:
        if isinstance(url, str) and url:
            threading.Thread(target=deliver_callbacks, args=(self.server, sid, url), daemon=True).start()

    def _fetch(self, path: str, sid: str) -> None:
        resource = self.server.state.resource(sid)
        if resource is None:
            raise ApiError(404, 20404, f"The requested resource {path} was not found")
        self._send_json(200, resource)

    def _list(self, path: str, query: dict[str, list[str]]) -> None:
        filters = [
            (key, value)
            for key in ("To", "From", "DateSent", "DateSent<", "DateSent>")
            if (value := _single(query, key)) is not None
        ]
        to, sender = _single(query, "To"), _single(query, "From")
        dates = [_date_predicate(key, value) for key, value in filters if key.startswith("DateSent")]

        def keep(resource: dict[str, Any], sent_at: datetime) -> bool:
            return (
                (to is None or resource["to"] == to)
                and (sender is None or resource["from"] == sender)
                and all(test(sent_at) for test in dates)
            )

        found = self.server.state.find(keep)
        page_body = v2010_page(path, query, filters, "messages", found, self.server.contract.list_fields)
        self._send_json(200, page_body)

    # --- Control API ---

    def _control(self, path: str, query: str, body: bytes) -> None:
        state = self.server.state
        routes: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", "/_control/messages"): lambda: state.messages(_after(query)),
            ("GET", "/_control/requests"): state.requests,
            ("POST", "/_control/reset"): self._control_reset,
            ("GET", "/_control/numbers"): self.server.inventory.numbers,
            ("POST", "/_control/numbers"): lambda: self._control_number(body),
            ("GET", "/_control/services"): self.server.inventory.summary,
            ("POST", "/_control/fault"): lambda: self._control_fault(body),
            ("POST", "/_control/callbacks"): lambda: self._control_callbacks(body),
            ("GET", "/_control/calls"): state.calls,
            ("POST", "/_control/calls"): lambda: self._control_call(body),
            ("POST", "/_control/conferences"): lambda: self._control_conference(body),
            ("GET", "/_control/conferences"): self._control_conference_log,
        }
        action = routes.get((self.command, path))
        if action is None:
            known_path = any(p == path for _, p in routes)
            self._send_json(405 if known_path else 404, {"error": f"no {self.command} {path}"})
            return
        try:
            result = action()
        except ValueError as exc:
            self._send_json(400, {"error": str(exc)})
            return
        self._send_json(200, {"ok": True} if result is None else result)

    def _control_fault(self, body: bytes) -> None:
        payload = _json_object(body)
        if set(payload) - {"mode", "count", "seconds"}:
            raise ValueError("fault takes only mode, count and seconds")
        mode, count, seconds = payload.get("mode"), payload.get("count"), payload.get("seconds")
        if mode == "ok":
            self.server.state.set_fault(None)
            return
        if mode not in FAULT_MODES:
            raise ValueError(f"mode must be one of {sorted(FAULT_MODES | {'ok'})}")
        if count is not None and (type(count) is not int or count < 1):
            raise ValueError("count must be a positive integer or null")
        if seconds is not None and (type(seconds) not in (int, float) or not seconds > 0):
            raise ValueError("seconds must be a positive number or null")
        until = None if seconds is None else time.monotonic() + seconds
        self.server.state.set_fault(Fault(mode, count, until))

    def _control_call(self, body: bytes) -> None:
        payload = _json_object(body)
        sid, status = payload.get("sid"), payload.get("status")
        if set(payload) - {"sid", "status"} or not isinstance(sid, str) or not sid.startswith("CA"):
            raise ValueError("calls takes a sid (CA...) and a status")
        if status not in ("queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"):
            raise ValueError("status must be one of Twilio's call statuses")
        self.server.state.set_call_status(sid, status, self.server.account_sid)

    def _control_conference(self, body: bytes) -> dict[str, Any]:
        payload = _json_object(body)
        sid, name, calls = payload.get("sid"), payload.get("friendly_name"), payload.get("calls")
        if set(payload) - {"sid", "friendly_name", "calls"} or not isinstance(name, str) or not isinstance(calls, dict):
            raise ValueError("conferences takes a sid, a friendly_name and calls {CA...: label}")
        assert self.server.conferences is not None
        return self.server.conferences.start(str(sid), name, calls)

    def _control_conference_log(self) -> list[dict[str, Any]]:
        return self.server.conferences.log() if self.server.conferences is not None else []

    def _control_reset(self) -> None:
        self.server.state.reset()
        self.server.inventory.reset()
        if self.server.conferences is not None:
            self.server.conferences.reset()

    def _control_number(self, body: bytes) -> dict[str, Any]:
        """The account buys a number (with Twilio's demo URLs, as a new number has)."""
        payload = _json_object(body)
        phone_number = payload.get("phone_number")
        if set(payload) - {"phone_number"} or not isinstance(phone_number, str) or not E164.fullmatch(phone_number):
            raise ValueError("numbers takes a phone_number in E.164 form")
        resource = number_resource(self.server.contract, self.server.account_sid, phone_number, datetime.now(UTC))
        return self.server.inventory.add_number(resource)

    def _control_callbacks(self, body: bytes) -> dict[str, bool]:
        enabled = _json_object(body).get("enabled")
        if not isinstance(enabled, bool):
            raise ValueError("enabled must be true or false")
        self.server.state.callbacks_enabled = enabled
        return {"enabled": enabled}


def v2010_page(
    path: str,
    query: dict[str, list[str]],
    filters: list[tuple[str, str]],
    key: str,
    found: list[dict[str, Any]],
    fields: tuple[str, ...],
) -> dict[str, Any]:
    """One page of a 2010-04-01 list (PageSize, Page), with the spec's field names and the
    relative page URIs Twilio answers with."""
    page_size = _int_param(query, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int_param(query, "Page", 0, 0, math.inf)
    start = page * page_size
    items = found[start : start + page_size]

    def page_uri(number: int, token: str | None = None) -> str:
        params: list[tuple[str, Any]] = [*filters, ("PageSize", page_size), ("Page", number)]
        return f"{path}?{urlencode(params + ([('PageToken', token)] if token else []))}"

    more = len(found) > start + page_size
    known = {
        "end": start + max(len(items) - 1, 0),
        "first_page_uri": page_uri(0),
        "next_page_uri": page_uri(page + 1, "PA" + items[-1]["sid"]) if more else None,
        "page": page,
        "page_size": page_size,
        "previous_page_uri": page_uri(page - 1) if page > 0 else None,
        "start": start,
        "uri": page_uri(page),
        key: items,
    }
    return {name: known.get(name) for name in fields}


def _v1_page(path: str, query: dict[str, list[str]], key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of a v1 list, with the absolute meta URLs v1 answers with (on messaging.twilio.com)."""
    unknown = sorted(set(query) - set(V1_LIST_QUERY))
    if unknown:
        raise ApiError(400, PARAMETER_ERROR_CODE, f"Unknown parameters: {', '.join(unknown)}")
    page_size = _int_param(query, "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int_param(query, "Page", 0, 0, math.inf)
    start = page * page_size

    def url(number: int) -> str:
        return f"{MESSAGING_URL}{path.removeprefix('/messaging')}?{urlencode({'PageSize': page_size, 'Page': number})}"

    more = len(items) > start + page_size
    return {
        key: items[start : start + page_size],
        "meta": {
            "page": page,
            "page_size": page_size,
            "first_page_url": url(0),
            "previous_page_url": url(page - 1) if page > 0 else None,
            "url": url(page),
            "next_page_url": url(page + 1) if more else None,
            "key": key,
        },
    }


def _after(query: str) -> int:
    """The control API's `after` parameter: how many accepted messages the caller has seen."""
    raw = _single(parse_qs(query), "after") or "0"
    if not raw.isascii() or not raw.isdigit():
        raise ValueError("after must be a count of messages")
    return int(raw)


def _check_twiml(twiml: str) -> None:
    """Twilio rejects TwiML that is not a well-formed <Response> document (error 12100)."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError as exc:
        raise ApiError(400, 12100, "Document parse failure") from exc
    if root.tag != "Response":
        raise ApiError(400, 12100, "Document parse failure")


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"null")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError("body must be a JSON object") from exc
    if not isinstance(payload, dict):
        raise ValueError("body must be a JSON object")
    return payload


def deliver_callbacks(server: FakeTwilioServer, sid: str, url: str) -> None:
    """POST 'sent' then 'delivered' to the StatusCallback, signed as Twilio signs; failures are ignored."""
    validator = RequestValidator(server.auth_token)
    for status in ("sent", "delivered"):
        time.sleep(CALLBACK_STEP_SECONDS)
        resource = server.state.advance(sid, status)
        if resource is None:
            return
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": resource["account_sid"],
            "To": resource["to"],
            "ApiVersion": API_VERSION,
        }
        if resource["from"]:
            params["From"] = resource["from"]
        if resource["messaging_service_sid"]:
            params["MessagingServiceSid"] = resource["messaging_service_sid"]
        request = urllib.request.Request(
            url,
            data=urlencode(params).encode("utf-8"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(url, params),
                "User-Agent": "TwilioProxy/1.1",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=CALLBACK_TIMEOUT_SECONDS) as response:
                response.read()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            logger.info("status callback %s for %s failed: %s", status, sid, exc.__class__.__name__)


# --- Command line ------------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local fake of Twilio's Messages REST API.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--account-sid", required=True, help="the AC... SID clients must authenticate as")
    parser.add_argument("--auth-token", required=True, help="the auth token clients must present")
    parser.add_argument(
        "--spec",
        type=Path,
        default=None,
        help="Twilio's twilio_api_v2010.json (default: ../shared/twilio-oai/ beside the repo)",
    )
    parser.add_argument(
        "--status-callbacks",
        action="store_true",
        help="POST signed sent/delivered callbacks to each message's StatusCallback",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    args = parser.parse_args(argv)
    if not ACCOUNT_SID.fullmatch(args.account_sid):
        parser.error("--account-sid must be AC followed by 32 hex digits")
    if not args.auth_token:
        parser.error("--auth-token must not be empty")
    return args


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT (exit 0); print the URL on stdout once listening so callers can wait on it."""
    args = _parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    spec_path = args.spec or default_spec_path()
    try:
        contract = load_contract(spec_path)
    except (OSError, ValueError, KeyError) as exc:
        logger.error("cannot load Twilio spec %s: %s: %s", spec_path, exc.__class__.__name__, exc)
        return 2
    server = FakeTwilioServer(
        (args.host, args.port), contract, args.account_sid, args.auth_token, args.status_callbacks
    )
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    rules = SpecRules(validate=validate_form, typed=typed_fields, error=ApiError)
    server.conferences = Conferences(load_conference_contract(spec), rules, args.account_sid)

    def stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever(), which runs in this (the signal-handling) thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    # SIGINT too, explicitly: a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening http://{server.server_name}:{server.server_port}", flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
