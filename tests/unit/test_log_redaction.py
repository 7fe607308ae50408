"""Phone numbers never reach a log line: redacted from every record's message, arguments and
exception text, in every form people and programs write them; ids and times are kept."""

from __future__ import annotations

import io
import logging

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from service.operations.log_redaction import REDACTED, install, redact
from tests.support.privacy import leaks

WRITTEN = [
    "+12025550143",
    "12025550143",
    "2025550143",
    "(202) 555-0143",
    "202-555-0143",
    "202.555.0143",
    "202 555 0143",
    "+1 202-555-0143",
    "+1 (202) 555-0143",
    "1-202-555-0143",
    "+44 20 7946 0958",
    "020 7946 0958",
    "06 12 34 56 78",
    "%2B12025550143",
    "tel:+12025550143",
]
NOT_NUMBERS = [
    "2026-12-07 02:12:01,123",
    "2026-12-07T02:12:01.123456+00:00",
    "12:34:56.789",
    "1765073521",
    "1765073521.123",
    "1765073521123",
    "conversation=123456789",
    "outbox=42 attempts=3",
    "10.0.12.200",
    "192.168.100.200",
    "0.0123456",
    "duration=12.345678s",
    "SM1234567890abcdef1234567890abcdef",
    "job=a3f0c2d4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    "v1.2.3",
    "redis://127.0.0.1:6379/14",
    "+00:00",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_every_common_form_of_a_number_is_redacted(written: str) -> None:
    redacted = redact(f"sms.failed sender={written} reason=x")
    assert REDACTED in redacted and written not in redacted and redacted.endswith(" reason=x")


@pytest.mark.parametrize("kept", NOT_NUMBERS)
def test_ids_times_addresses_and_durations_are_kept(kept: str) -> None:
    assert redact(f"at {kept} done") == f"at {kept} done"


@given(st.integers(min_value=2_000_000_000, max_value=9_999_999_999))
@example(8_490_000_000)  # the Dominican Republic's 849 takes an exchange starting with 0
def test_any_north_american_number_in_any_format_is_redacted(digits: int) -> None:
    number = phonenumbers.parse(f"+1{digits}", None)
    for form in (
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
    ):
        written = phonenumbers.format_number(number, form)
        assert not leaks(redact(f"texter {written}."), f"+1{digits}") or not phonenumbers.is_valid_number(number)


def test_a_record_s_message_arguments_and_exception_are_redacted() -> None:
    install()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("Key (phone)=(+12025550143) already exists")
        except ValueError:
            logger.error("store failed for %s in %r", "(202) 555-0143", {"phone_1": "+12025550143"}, exc_info=True)
        logger.warning("conversation=%d at %s", 1234, "2026-12-07 02:12:01")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "Key (phone)=([phone]) already exists" in written and "store failed for [phone]" in written
    assert not leaks(written, "+12025550143")
    assert "conversation=1234 at 2026-12-07 02:12:01" in written
