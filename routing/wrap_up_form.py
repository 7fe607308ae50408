"""A contact note: the volunteer's wrap-up of a conversation, asked after `#done` as a short
numbered form and answered in one text (`2 5 1 1 feeling calmer`): one number per question,
in order (`2+5` where a question takes several), then a free note.

Pure: the questions come from the line's configuration (`[note_questions.<key>]`), so each
line asks what its funders need; the shell stores what `read_wrap_up` returns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The longest free note kept: a wrap-up is a line or two, not a transcript.
MAX_NOTE_CHARS = 500
_ONE = re.compile(r"\d{1,3}")
_SEVERAL = re.compile(r"\d{1,3}([+,]\d{1,3})*")


@dataclass(frozen=True)
class NoteQuestion:
    """One question of the wrap-up form: `key` names it in storage and reports."""

    key: str
    label: str
    choices: tuple[str, ...]
    multiple: bool


@dataclass(frozen=True)
class WrapUp:
    """An answered form: the choices picked for each question (by their words, so that a later
    change of the form does not change what old notes say), and the free note."""

    answers: Mapping[str, tuple[str, ...]]
    note: str


class WrapUpError(ValueError):
    """The reply does not answer the form; `position` (1-based) is the question it fails at."""

    def __init__(self, position: int, question: NoteQuestion) -> None:
        super().__init__(f"answer {position} ({question.key}) is not one of its choices")
        self.position = position
        self.question = question


def answers_form(reply: str) -> bool:
    """Whether a text in the thread of an ended conversation is meant for the form (it starts
    with a choice's number); anything else ("are you still there?") was meant for the texter,
    and the volunteer is told it went nowhere."""
    return reply.strip()[:1].isdigit()


def read_wrap_up(reply: str, questions: Sequence[NoteQuestion]) -> WrapUp:
    """The form's answers in `reply`: one token per question, in order, each a choice's number
    (or several joined by `+` or `,` where the question allows); the rest is the free note.
    Raises WrapUpError naming the first question not answered."""
    rest = reply.strip()
    answers: dict[str, tuple[str, ...]] = {}
    for position, question in enumerate(questions, start=1):
        token, _, after = rest.partition(" ")
        pattern = _SEVERAL if question.multiple else _ONE
        if not pattern.fullmatch(token):
            raise WrapUpError(position, question)
        numbers = [int(number) for number in re.split(r"[+,]", token)]
        if any(not 1 <= number <= len(question.choices) for number in numbers):
            raise WrapUpError(position, question)
        picked = dict.fromkeys(question.choices[number - 1] for number in numbers)  # once each, in order
        answers[question.key] = tuple(picked)
        rest = after.strip()
    return WrapUp(answers=answers, note=rest[:MAX_NOTE_CHARS])


def example_reply(questions: Sequence[NoteQuestion], note: str) -> str:
    """A reply that answers every question with its first choice, then `note`: the form's example."""
    return " ".join(["1"] * len(questions) + ([note] if note else []))
