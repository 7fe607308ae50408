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
