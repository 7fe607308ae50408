"""The privacy audit must be able to fail: it finds a number in every format people write."""

from __future__ import annotations

import pytest

from tests.support.privacy import leaks, mentions

NUMBER = "+12025550142"


@pytest.mark.parametrize(
    "text",
    [
        "call +12025550142",
        "12025550142",
        "(202) 555-0142",
        "202-555-0142",
        "202.555.0142",
        "+1 202-555-0142",
        "2025550142",
        "num=202 555 0142",
    ],
)
def test_finds_the_number_in_any_format(text: str) -> None:
    assert leaks(text, NUMBER)


@pytest.mark.parametrize(
    "text", ["T-4821 wrote: hi", "outbox=2025 attempts=3", "+12025550143", "sms.received from=texter pseudonym=T-0142"]
)
def test_ignores_text_without_the_number(text: str) -> None:
    assert not leaks(text, NUMBER)


def test_finds_a_notes_words_whatever_the_case_and_spacing() -> None:
    assert mentions("contact_note saved text=Feeling  calmer\nafter", "feeling calmer")
    assert not mentions("contact_note saved conversation=12", "feeling calmer")
