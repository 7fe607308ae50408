"""Volunteers' SMS commands: `#` first, so that no ordinary word is ever taken for one."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Command(StrEnum):
    ON = "on"
    OFF = "off"
    YES = "yes"
    PASS = "pass"
    DONE = "done"
    BREAK = "break"
    ESCALATE = "escalate"
    STATUS = "status"
    HELP = "help"
    OK = "ok"
    DEBRIEF = "debrief"
    # The rota (routing/rota.py): open shifts, take one, drop one, one's own, the calendar feed.
    SHIFTS = "shifts"
    TAKE = "take"
    DROP = "drop"
    MINE = "mine"
    CALENDAR = "calendar"
    SKIP = "skip"  # skip the wrap-up form
    RES = "res"  # list referral resources for a topic
    SEND = "send"  # send one of them to the texter
    FOLLOWUP = "followup"  # ask the texter at the end about a check-in text later
    # Supervisors inside a conversation (service/staff/stepping_in.py, transfers.py).
    SUP = "sup"
    TRANSFER = "transfer"
    CRISIS_LINE = "988"
    BLOCK = "block"


@dataclass(frozen=True)
class CommandText:
    """A text that starts with `#`: the command it names (None when unknown) and the rest."""

    command: Command | None
    word: str
    argument: str


def parse_command(text: str) -> CommandText | None:
    """Read `#word rest`; None when the text is not a command at all (it is then relayed)."""
    # NFKC folds the full-width `＃` some phone keyboards produce into `#`.
    stripped = unicodedata.normalize("NFKC", text).strip()
    if not stripped.startswith("#"):
        return None
    word, _, argument = stripped[1:].strip().partition(" ")
    word = word.lower()
    try:
        command: Command | None = Command(word)
    except ValueError:
        command = None
    return CommandText(command=command, word=word, argument=argument.strip())
