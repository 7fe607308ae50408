"""Error reports to Sentry, only when `SENTRY_DSN` is set: personal data off, and a scrubber
that takes phone numbers and message bodies out of every event before it leaves the process.

A report is for finding a bug; it never needs who texted or what they wrote. Local variables
and request bodies are not collected at all; what remains (exception messages, log lines and
breadcrumbs, headers) is searched for anything shaped like a phone number.
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, version
from typing import Any

# Seven digits or more, with the separators people and libraries write between them; a digit
# run inside a word (a Twilio SID, an ISO time's "...07T02") is left alone.
PHONE_NUMBER = re.compile(r"(?<![\w.])\+?\d(?:[\s().-]{0,2}\d){6,}(?!\w)")
NUMBER_REMOVED = "[number]"
REMOVED = "[removed]"
# Fields that hold who texted or called, or what they wrote or said (Twilio's names, any case).
PERSONAL_KEYS = frozenset({"body", "from", "to", "caller", "called", "sender", "phone", "digits", "speechresult"})
# Parts of an event that may quote what the service was handling.
SCRUBBED_PARTS = ("message", "logentry", "exception", "breadcrumbs", "request", "extra", "threads")


def scrub_event(event: dict[str, Any], _hint: object = None) -> dict[str, Any]:
    """Sentry's `before_send`: the event without numbers or bodies (never dropped: the bug
    still needs reporting)."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "query_string", "cookies"):
            if key in request:
                request[key] = REMOVED
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    for part in SCRUBBED_PARTS:
        if part in event:
            event[part] = _scrub(event[part])
    return event


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return PHONE_NUMBER.sub(NUMBER_REMOVED, value)
    if isinstance(value, dict):
        return {key: _scrub_field(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item) for item in value]
    return value


def _scrub_field(key: str, item: Any) -> Any:
    if key.lower() in PERSONAL_KEYS:
        return REMOVED
    return item if key == "timestamp" else _scrub(item)


def error_report_options(dsn: str) -> dict[str, Any]:
    """sentry_sdk.init's options: no personal data, no local variables, no request bodies.
    `data_collection` is what sentry-sdk 2.76 put in place of `send_default_pii=False` (which
    it deprecates and 3.0 removes)."""
    try:
        release = f"warmline@{version('warmline')}"
    except PackageNotFoundError:
        release = None
    return {
        "dsn": dsn,
        "release": release,
        "data_collection": {
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
            "queues": False,
        },
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": scrub_event,
    }


def start_error_reports(dsn: str) -> bool:
    """Start reporting errors when a DSN is given; nothing at all (not even an import) otherwise."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(**error_report_options(dsn))
    return True
