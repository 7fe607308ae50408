"""Guessing a texter's language from their first message, so they are answered in it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_WORD = re.compile(r"[\w']+")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def detect_language(text: str, vocabularies: Mapping[str, frozenset[str]], default: str) -> str:
    """The language whose common words the text uses most; the default on a tie or no clue.

    Short greetings decide little, so a language must win by at least one word; Spanish
    marks (¿ ¡ ñ) count as a word for Spanish.
    """
    words = _WORD.findall(_fold(text))
    folded = {language: frozenset(_fold(word) for word in vocabulary) for language, vocabulary in vocabularies.items()}
    scores = {language: sum(word in vocabulary for word in words) for language, vocabulary in folded.items()}
    if "es" in scores and any(mark in text for mark in "¿¡ñÑ"):
        scores["es"] += 1
    best = max(scores.values(), default=0)
    winners = [language for language, score in scores.items() if score == best]
    if best == 0 or len(winners) > 1:
        return default
    return winners[0]
