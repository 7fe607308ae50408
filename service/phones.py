"""Reading phone numbers as Twilio and people write them, and masking them for logs."""

from __future__ import annotations

import phonenumbers


def normalise(raw: str, default_region: str) -> str:
    """E.164 when the number is valid; otherwise a stable form of what was given.

    Twilio sends E.164, but short codes, alphanumeric senders and odd carriers exist: a
    message from them must still be handled (never dropped), so they keep their own form.
    """
    text = raw.strip()
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in text if ch.isalnum() or ch == "+")[:20] or "unknown"
    if phonenumbers.is_possible_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return "".join(ch for ch in text if ch.isalnum() or ch == "+")[:20] or "unknown"


def is_e164(number: str) -> bool:
    return number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16


# What Twilio puts in `From` when a caller hides or has no caller ID (the words spelled on a
# keypad: ANONYMOUS, RESTRICTED, BLOCKED, UNAVAILABLE, UNKNOWN).
HIDDEN_CALLER_IDS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})


def is_anonymous_caller(number: str) -> bool:
    """A caller whose number we cannot know, so cannot call or text back."""
    return number in HIDDEN_CALLER_IDS or not is_e164(number)
