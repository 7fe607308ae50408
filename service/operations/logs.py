"""Logging for every process (gunicorn's web workers, rq workers, the CLI): one configuration,
with the request or job each line belongs to.

`text` (the default) gives `time level=... logger=... message` lines, `json` one JSON object a
line. Messages carry pseudonyms and ids only (the house rule): a line never holds a number or
a message body. A request's id is Twilio's `I-Twilio-Idempotency-Token` (or one made here) and
is returned in `X-Request-Id`; a job's is its RQ id; every line logged while one of them runs
carries it, so one webhook's or one job's lines can be found together.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("warmline_request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("warmline_job_id", default=None)
# Loggers that gunicorn and the rq command give handlers of their own: their lines go through
# ours instead, so that every line of a process has one shape.
LIBRARY_LOGGERS = ("gunicorn.error", "gunicorn.access", "rq.worker")
# Libraries whose INFO lines are noise or worse: Twilio's client writes ten lines for each API
# request, and the query string of a lookup (reconciling a lost answer) holds a number.
QUIET_LOGGERS = ("twilio.http_client",)
# gunicorn hands an access line's fields to its log record; our response header is one of them.
ACCESS_REQUEST_ID = "{x-request-id}o"
# Twilio's idempotency token is a UUID-like string; anything else is replaced, never logged.
REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_OURS = "_warmline"


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> logging.Handler:
    """Send every logger's lines (ours, RQ's, gunicorn's) to standard error in `log_format`.
    Safe to call again: the handler is replaced, not added twice. A filter that must see every
    line (redaction, say) belongs on the handler returned."""
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if getattr(handler, _OURS, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_with_ids)
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(level)
    for name in LIBRARY_LOGGERS:
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def _with_ids(record: logging.LogRecord) -> bool:
    """Adds the request and job ids of the moment to each record."""
    record.request_id = REQUEST_ID.get() or _access_request_id(record)
    record.job_id = JOB_ID.get()
    return True


def _access_request_id(record: logging.LogRecord) -> str | None:
    """gunicorn writes its access line after the request has ended: its id is in the line's fields."""
    if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
        value = record.args.get(ACCESS_REQUEST_ID)
        return str(value) if value and value != "-" else None
    return None


def _ids(record: logging.LogRecord) -> dict[str, str]:
    return {name: value for name in ("request_id", "job_id") if (value := getattr(record, name, None))}


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = "".join(f" {name}={value}" for name, value in _ids(record).items())
        first, newline, rest = line.partition("\n")
        return first + ids + newline + rest


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def request_id_from(token: str | None) -> str:
    """Twilio's idempotency token when it has a sane shape, otherwise a new id."""
    if token and REQUEST_ID_SHAPE.fullmatch(token):
        return token
    return uuid.uuid4().hex


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Every line logged while the job runs carries its id."""
    token = JOB_ID.set(job_id)
    try:
        yield
    finally:
        JOB_ID.reset(token)
