"""What a texter's whole message may mean besides conversation: Twilio's opt-out and opt-in
keywords, a language switch, or a feedback score after a conversation."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

# Twilio's opt-in keywords. Keywords count only as the whole message, in any case: "please
# stop" is conversation.
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})


class Keyword(Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


# Twilio's `OptOutType` (sent with Advanced Opt-Out on a message it treated as a keyword).
# HELP is not here: Twilio answers it with its help text, and the texter's words are still
# theirs to say to the volunteer (a texter typing "help" may well mean it).
_TWILIO_OPT_OUT_TYPES = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN}
_TWILIO_TYPES = frozenset({"STOP", "START", "HELP"})


def opt_keyword(text: str, opt_out_type: str, opt_out_keywords: frozenset[str]) -> Keyword | None:
    """Whether Twilio has blocked (or unblocked) the texter with this message.

    Twilio, not the words, decides: when it says what it did (`opt_out_type`, Twilio's
    `OptOutType`), that is what happened to the texter's number. Without it, only the words
    the operator's setup still lets Twilio block (`opt_out_keywords`) are an opt-out: under
    the recommended setup a bare "end" is an ordinary message, not a texter cut off."""
    told = opt_out_type.strip().upper()
    if told in _TWILIO_TYPES:
        return _TWILIO_OPT_OUT_TYPES.get(told)
    word = text.strip().upper()
    if word in opt_out_keywords:
        return Keyword.OPT_OUT
    if word in OPT_IN_KEYWORDS:
        return Keyword.OPT_IN
    return None


def twilio_keyword(opt_out_type: str) -> bool:
    """Whether Twilio says it treated the message as an opt-out or opt-in keyword (only the
    webhook knows: it routes such a text itself)."""
    return opt_out_type.strip().upper() in _TWILIO_OPT_OUT_TYPES


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
