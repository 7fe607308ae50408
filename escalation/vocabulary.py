"""One language's words by kind, found in a message's tokens: single words by form, stem, lemma or
near spelling; phrases of several words all at once.

Why these libraries (all small, maintained, on PyPI, with C or precompiled cores):
  - PyStemmer (Snowball): "pills", "pastillas", "overdosing", "cortándome" meet the listed "pill",
    "pastilla", "overdose", "cortar" without anyone listing every ending;
  - simplemma: irregular forms Snowball cannot reach ("knives" -> knife, "hung" -> hang, "bled" ->
    bleed, "tragué" -> tragar), and whether a word is a known word of the language at all;
  - rapidfuzz: misspelt medicine and method names ("sertaline", "clonazepan", "suicde") that are not
    words of the language, matched to the nearest listed word;
  - pyahocorasick: every multi-word phrase of every kind found in one pass over the message.
A word's kinds are worked out once and remembered, so a message costs one dict look-up per word.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import ahocorasick
import simplemma
import Stemmer
from rapidfuzz import fuzz, process

from escalation.parts import Kind, Part
from escalation.reading import fold

_STEMMERS = {"en": "english", "es": "spanish"}
_MIN_FUZZY_LENGTH = 6  # shorter words have too many near neighbours ("pill" ~ "will")
_FUZZY_SCORE = 86.0
_KNOWN_WORDS = 200_000  # past this many distinct words, new ones are worked out each time instead of kept
_DOUBLED = re.compile(r"([a-z])\1+")
_NO_KINDS: tuple[Kind, ...] = ()
_NUMBER = (Kind.NUMBER,)
_KINDS = {kind.value: kind for kind in Kind}


class VocabularyError(ValueError):
    """A lexicon an operator edited cannot be used; the message names the table to fix."""


@dataclass(frozen=True, eq=False)  # compares by identity: it holds an automaton and a cache
class Vocabulary:
    """Words and phrases by kind for one language."""

    language: str
    words: Mapping[str, tuple[Kind, ...]]  # a word as listed -> its kinds
    stems: Mapping[str, tuple[Kind, ...]]  # the stem of a listed word whose kind allows any ending
    fuzzy: tuple[str, ...]  # listed words a misspelling may be read as
    phrases: ahocorasick.Automaton | None  # " phrase " -> (kinds, number of words)
    stemmer: Stemmer.Stemmer
    _known: dict[str, tuple[Kind, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, language: str, words: Mapping[str, object], matching: Mapping[str, object]) -> Vocabulary:
        """From a lexicon's [words] and [matching] tables."""
        where = f"lexicon {language!r}"
        exact = _kinds(matching.get("exact", []), f"{where} [matching] exact")
        fuzzy_kinds = _kinds(matching.get("fuzzy", []), f"{where} [matching] fuzzy")
        stemmer = Stemmer.Stemmer(_STEMMERS.get(language, "porter"))
        single: dict[str, set[Kind]] = {}
        stems: dict[str, set[Kind]] = {}
        fuzzy: set[str] = set()
        automaton = ahocorasick.Automaton()
        for name, listed in words.items():
            kind = _KINDS.get(name)
            if kind is None:
                raise VocabularyError(f"{where} [words]: unknown kind {name!r}; expected one of {sorted(_KINDS)}")
            for entry in _strings(listed, f"{where} [words] {name}"):
                phrase = " ".join(fold(entry).split())
                if " " in phrase:
                    _add_phrase(automaton, phrase, kind)
                    continue
                single.setdefault(phrase, set()).add(kind)
                if kind not in exact:
                    stems.setdefault(stemmer.stemWord(phrase), set()).add(kind)
                if kind in fuzzy_kinds and len(phrase) >= _MIN_FUZZY_LENGTH:
                    fuzzy.add(phrase)
        if len(automaton):
            automaton.make_automaton()
        if language in _STEMMERS:
            # Loads the language's dictionary now (half a second), not on a texter's message.
            simplemma.lemmatize(language, lang=language)
        return cls(
            language=language,
            words={word: _ordered(kinds) for word, kinds in single.items()},
            stems={stem: _ordered(kinds) for stem, kinds in stems.items()},
            fuzzy=tuple(sorted(fuzzy)),
            phrases=automaton if len(automaton) else None,
            stemmer=stemmer,
        )

    def find(self, tokens: list[str]) -> list[Part]:
        """Every kind found in a message's tokens, single words first, then phrases, each in order."""
        known = self._known
        found: list[Part] = []
        # One dict look-up per word in a comprehension; the loop below visits only words that have kinds.
        looked_up: list[tuple[Kind, ...] | None] = [known.get(token, None) for token in tokens]
        if None in looked_up:
            for index, token in enumerate(tokens):
                if looked_up[index] is None:
                    worked_out = self.kinds_of(token)
                    looked_up[index] = worked_out
                    if len(known) < _KNOWN_WORDS:
                        known[token] = worked_out
        for index, kinds in enumerate(looked_up):
            if kinds:
                for kind in kinds:
                    found.append(Part(kind, index, index + 1))
        if self.phrases is not None and tokens:
            text = " " + " ".join(tokens) + " "
            count = text.count
            for end, (kinds, length) in self.phrases.iter(text):
                last = count(" ", 0, end)  # the phrase's closing space is its last word's end
                for kind in kinds:
                    found.append(Part(kind, last - length, last))
        return found

    def kinds_of(self, word: str) -> tuple[Kind, ...]:
        """A word's kinds: as listed, by its stem, by its lemma's stem, then by its nearest listed spelling."""
        if word.isdigit() or (word[0] == "x" and word[1:].isdigit()):
            return _NUMBER
        if not word[0].isalpha():
            return _NO_KINDS
        kinds = self.words.get(word)
        if kinds is not None:
            return kinds
        found = self.stems.get(self.stemmer.stemWord(word))
        if found is None and self.language in _STEMMERS:
            lemma = simplemma.lemmatize(word, lang=self.language)
            found = self.stems.get(self.stemmer.stemWord(lemma))
        if found is None and _DOUBLED.search(word) is not None:
            found = self.words.get(_DOUBLED.sub(r"\1", word))  # emphasis the reader left doubled: "diiee" -> "die"
        if found is None and len(word) >= _MIN_FUZZY_LENGTH and self.fuzzy:
            found = self._misspelt(word)
        return found or _NO_KINDS

    def _misspelt(self, word: str) -> tuple[Kind, ...] | None:
        """The kinds of the listed word nearest a misspelling; a real word of the language is never misspelt."""
        if self.language in _STEMMERS and simplemma.is_known(word, lang=self.language):
            return None
        nearest = process.extractOne(word, self.fuzzy, scorer=fuzz.ratio, score_cutoff=_FUZZY_SCORE)
        return None if nearest is None else self.words.get(nearest[0])


def _add_phrase(automaton: ahocorasick.Automaton, phrase: str, kind: Kind) -> None:
    """A phrase listed under several kinds is one key carrying them all ("en la mano": access, for a blade)."""
    key = f" {phrase} "
    kinds, length = automaton.get(key, ((), phrase.count(" ") + 1))
    if kind not in kinds:
        automaton.add_word(key, ((*kinds, kind), length))


def _ordered(kinds: set[Kind]) -> tuple[Kind, ...]:
    return tuple(kind for kind in Kind if kind in kinds)


def _kinds(value: object, where: str) -> frozenset[Kind]:
    names = _strings(value, where)
    unknown = [name for name in names if name not in _KINDS]
    if unknown:
        raise VocabularyError(f"{where}: unknown kinds {unknown}")
    return frozenset(_KINDS[name] for name in names)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise VocabularyError(f"{where}: expected a list of strings")
    return tuple(value)
