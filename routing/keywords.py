"""What a texter's whole message may mean besides conversation: Twilio's opt-out and opt-in
keywords, a language switch, or a feedback score after a conversation."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

# Twilio's default keywords. They count only as the whole message, in any case: "please
# stop" is conversation. Twilio blocks an opted-out pair itself; we mirror its reading so
# that we stop writing to them at the same moment.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})


class Keyword(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


def opt_keyword(text: str) -> Keyword | None:
    word = text.strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return Keyword.OPT_OUT
    if word in OPT_IN_KEYWORDS:
        return Keyword.OPT_IN
    return None


def deletion_request(text: str, delete_keywords: Mapping[str, frozenset[str]]) -> str | None:
    """The language of a whole-message request to delete one's data ("DELETE MY DATA"), if it is one."""
    words = " ".join(text.strip().strip(".!¡").upper().split())
    for language, keywords in delete_keywords.items():
        if words in keywords:
            return language
    return None


def language_switch(text: str, switch_keywords: Mapping[str, frozenset[str]]) -> str | None:
    """The language a texter asks for by sending its keyword alone (e.g. `ESPAÑOL`)."""
    word = text.strip().strip(".!¡").upper()
    for language, keywords in switch_keywords.items():
        if word in keywords:
            return language
    return None


def feedback_score(text: str) -> int | None:
    """A reply of 1 to 5 to the closing question, alone or as "4/5" or "4 stars"."""
    stripped = text.strip()
    if stripped[:1] in "12345" and stripped[:1] and not stripped[1:2].isdigit():
        rest = stripped[1:].strip().lower()
        if rest in ("", "/5", "!", ".", "stars", "star", "estrellas", "estrella"):
            return int(stripped[0])
    return None
