"""One language's lexicon, as operators write it in config/lexicons/<language>.toml: how texters spell
([reading]), words by kind ([words]) and how each kind matches ([matching])."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from escalation.reading import Reader
from escalation.vocabulary import Vocabulary, VocabularyError

_SECTIONS = ("reading", "words", "matching")


class LexiconError(VocabularyError):
    """A lexicon an operator edited cannot be used; the message names the section to fix."""


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A language's reader and vocabulary, built once when the service starts."""

    language: str
    reader: Reader
    vocabulary: Vocabulary

    @classmethod
    def from_mapping(cls, language: str, data: Mapping[str, object]) -> Lexicon:
        """Build from a parsed lexicon file; raises LexiconError naming what an operator got wrong."""
        where = f"lexicon {language!r}"
        unknown = set(data) - set(_SECTIONS)
        if unknown:
            raise LexiconError(f"{where}: unknown sections {sorted(unknown)}; expected {list(_SECTIONS)}")
        reading, words, matching = (_section(data, name, where) for name in _SECTIONS)
        try:
            reader = Reader.from_mapping(reading, f"{where} [reading]")
            vocabulary = Vocabulary.from_mapping(language, words, matching)
        except ValueError as error:
            raise LexiconError(str(error)) from error
        return cls(language=language, reader=reader, vocabulary=vocabulary)


def _section(data: Mapping[str, object], name: str, where: str) -> Mapping[str, object]:
    section = data.get(name, {})
    if not isinstance(section, Mapping):
        raise LexiconError(f"{where}: [{name}] must be a table")
    return section
