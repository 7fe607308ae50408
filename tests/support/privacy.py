"""Finding a texter's phone number in text, in any of the forms people and programs write it;
and a volunteer's private words (a contact note's free text) anywhere they must not be."""

from __future__ import annotations

import re

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-.()/]")


def number_forms(e164: str) -> set[str]:
    parsed = phonenumbers.parse(e164, None)
    national = str(parsed.national_number)
    return {
        e164,
        e164.lstrip("+"),
        national,
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    }


def leaks(text: str, e164: str) -> list[str]:
    """The forms of `e164` found in `text`, separators ignored (so "555 123-4567" counts)."""
    compact = _SEPARATORS.sub("", text)
    found = [form for form in number_forms(e164) if form in text]
    national = str(phonenumbers.parse(e164, None).national_number)
    if national in compact and national not in found:
        found.append(f"{national} (with separators)")
    return found


def mentions(text: str, private: str) -> bool:
    """Whether `private` (a note's words) is in `text`, whatever the case and spacing."""
    squeeze = re.compile(r"\s+")
    return squeeze.sub(" ", private).strip().lower() in squeeze.sub(" ", text).lower()
