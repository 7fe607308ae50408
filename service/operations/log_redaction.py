"""Phone numbers kept out of every log line, whoever logs it and however it is formatted.

Our own log calls name texters by pseudonym, but a library's do not: SQLAlchemy's error
carries the failed statement's parameters, PostgreSQL's DETAIL quotes a duplicate key,
Twilio's client logs a request's query string, and a traceback prints them all. Every log
record is therefore redacted as it is made (the process's record factory, so that handlers
RQ or gunicorn add later are covered too): anything shaped like a phone number in its
message, its arguments, its exception text or its stack becomes `[phone]`. Ids, times, dates,
durations and addresses are not phone-shaped and stay.
"""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[phone]"

# E.164 and international forms: a "+" and 7 to 15 digits, with spaces, dots, dashes or
# brackets between them ("+1 (555) 010-4477", "+44 20 7946 0958"); also URL-encoded.
_INTERNATIONAL = r"(?<![\w+])\+\d(?:[ .\-()]{0,2}\d){6,14}(?!\d)|%2[Bb]\d{7,15}(?!\d)"
# North American national forms: 10 digits (11 with a leading 1) whose area code starts with
# 2-9, bare or written with separators: "(555) 010-4477", "555.010.4477". The exchange may start
# with any digit: the plan forbids 0 and 1 there, but numbering metadata (the Dominican
# Republic's 849, say) accepts them, so a texter may have one. An epoch in seconds starts with
# 1 and is not one.
_NORTH_AMERICAN = r"(?:1[ .\-]?)?(?:\([2-9]\d\d\)|[2-9]\d\d)[ .\-]?\d{3}[ .\-]?\d{4}"
# National forms with a trunk 0, as most of the world writes them: "020 7946 0958", "06 12 34 56 78".
_TRUNK_ZERO = r"0\d{1,4}(?:[ .\-]?\d{2,4}){2,4}"
# A national form stands alone: not glued to a word, a decimal point, a time, a path or a
# longer number (so "10.0.12.200", "2026-12-07 02:12:01" and "3.14159265" are left alone).
_ALONE_BEFORE = r"(?<![\w.:/%+\-])"
_ALONE_AFTER = r"(?![\w]|[.:\-]\d)"
_PHONE = re.compile(rf"{_INTERNATIONAL}|{_ALONE_BEFORE}(?:{_NORTH_AMERICAN}|{_TRUNK_ZERO}){_ALONE_AFTER}")
_DIGIT = re.compile(r"\d")
# Fewer digits than this is a short code or an extension, not a number that names a person.
_MIN_DIGITS = 9


def _replace(match: re.Match[str]) -> str:
    found = match.group()
    return REDACTED if found.startswith(("+", "%")) or len(_DIGIT.findall(found)) >= _MIN_DIGITS else found


def redact(text: str) -> str:
    """`text` with every phone-shaped run of digits replaced by `[phone]`."""
    return _PHONE.sub(_replace, text)


_exception_formatter = logging.Formatter()


def _redacted(record: logging.LogRecord) -> logging.LogRecord:
    message = record.getMessage()
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        # Formatters print `exc_text` when it is set, instead of formatting the exception again.
        record.exc_text = redact(_exception_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def install() -> None:
    """Redact every log record this process makes from now on; a second call changes nothing."""
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "redacts_phones", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _redacted(make_record(*args, **kwargs))

    redacting_factory.redacts_phones = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
