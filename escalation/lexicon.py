"""One language's lexicon, as operators write it in config/lexicons/<language>.toml: how texters spell
([reading]), words by kind ([words]) and how each kind matches ([matching])."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import reduce
from itertools import chain
from operator import itemgetter, or_
from typing import cast

from escalation.parts import Kind, Part, mask_of, parts_mask
from escalation.reading import Reader, mark_classes
from escalation.vocabulary import Vocabulary, VocabularyError

_SECTIONS = ("reading", "words", "matching")
_KNOWN_CHUNKS = 200_000  # past this many distinct stretches, new ones are read each time instead of kept
# A stretch between spaces as read: its words, each word's kinds, and its words' phrase codes (as written, by form).
# Tuples, not lists: tuples of strings and kinds leave the garbage collector's lists, which a cache of lists would
# make every collection walk.
# And its marks string (escalation/reading.py's mark_classes), and the kinds of all its words as bits.
Chunk = tuple[tuple[str, ...], tuple[tuple[Kind, ...], ...], str, str, str, int]
_WORDS, _KINDS, _AS_WRITTEN, _BY_FORM, _MARKS, _MASK = (itemgetter(index) for index in range(6))


class LexiconError(VocabularyError):
    """A lexicon an operator edited cannot be used; the message names the section to fix."""


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A language's reader and vocabulary, built once when the service starts."""

    language: str
    reader: Reader
    vocabulary: Vocabulary
    _chunks: dict[str, Chunk] = field(default_factory=dict, repr=False)

    def read(self, folded: str) -> tuple[list[Chunk], list[Part], int]:
        """A folded message's stretches as read, the phrases in it, and the kinds of its words and phrases as bits.

        The hot path of every assessment: each stretch between spaces ("im", "gonna", "k1ll", "💊💊") is read,
        looked up and coded once and remembered, so a message costs about one dict look-up per stretch. The
        words themselves are flattened (`spelled`) only for a message whose kinds may make a risk.
        """
        prepared = self.reader.prepare(folded)
        known = list(map(self._chunks.get, prepared))  # in C; a stretch not read before is None
        seen = (
            [chunk or self._learn(text) for chunk, text in zip(known, prepared, strict=True)]
            if None in known
            else cast(list[Chunk], known)
        )
        phrases = self.vocabulary.phrases_in("".join(map(_AS_WRITTEN, seen)), "".join(map(_BY_FORM, seen)))
        return seen, phrases, reduce(or_, map(_MASK, seen), parts_mask(phrases))

    def _learn(self, chunk: str) -> Chunk:
        words = self.reader.read_chunk(chunk)
        looked_up = [self.vocabulary.look_up_word(word) for word in words]
        seen = (
            tuple(words),
            tuple([kinds for kinds, _, _ in looked_up]),
            "".join([code for _, code, _ in looked_up]),
            "".join([code for _, _, code in looked_up]),
            mark_classes(words),
            mask_of(chain.from_iterable(kinds for kinds, _, _ in looked_up)),
        )
        if len(self._chunks) < _KNOWN_CHUNKS:
            self._chunks[chunk] = seen
        return seen

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


def spelled(seen: list[Chunk]) -> tuple[list[str], list[tuple[Kind, ...]], str]:
    """The stretches' words, each word's kinds, and the marks string, flattened by C-level maps (a Python loop over
    the stretches cost as much as all the rest of reading)."""
    return (
        list(chain.from_iterable(map(_WORDS, seen))),
        list(chain.from_iterable(map(_KINDS, seen))),
        "".join(map(_MARKS, seen)),
    )


def _section(data: Mapping[str, object], name: str, where: str) -> Mapping[str, object]:
    section = data.get(name, {})
    if not isinstance(section, Mapping):
        raise LexiconError(f"{where}: [{name}] must be a table")
    return section
