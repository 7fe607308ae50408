"""Answering a texter in their language from their first words."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from routing.language import detect_language

MESSAGES = Path(__file__).resolve().parents[2] / "config" / "messages"
VOCABULARIES = {
    code: frozenset(tomllib.loads((MESSAGES / f"{code}.toml").read_text())["language"]["common_words"])
    for code in ("en", "es")
}


@pytest.mark.parametrize(
    "text",
    [
        "hola, necesito hablar con alguien",
        "no puedo dormir y me siento muy mal",
        "¿hay alguien?",
        "estoy muy triste hoy",
    ],
)
def test_spanish_first_messages_are_spanish(text: str) -> None:
    assert detect_language(text, VOCABULARIES, "en") == "es"


@pytest.mark.parametrize(
    "text", ["hi, I need to talk to someone", "I can't sleep and I feel awful", "is anyone there?"]
)
def test_english_first_messages_are_english(text: str) -> None:
    assert detect_language(text, VOCABULARIES, "en") == "en"


@pytest.mark.parametrize("text", ["", "ok", "😔", "12345"])
def test_no_clue_keeps_the_default(text: str) -> None:
    assert detect_language(text, VOCABULARIES, "en") == "en"
