"""One language's words by kind, found in a message's tokens: single words by form, stem, lemma or
near spelling; phrases of several words all at once.

Why these libraries (all small, maintained, on PyPI, with C or precompiled cores):
  - PyStemmer (Snowball): "pills", "pastillas", "overdosing", "cortándome" meet the listed "pill",
    "pastilla", "overdose", "cortar" without anyone listing every ending;
  - simplemma: irregular forms Snowball cannot reach ("knives" -> knife, "hung" -> hang, "bled" ->
    bleed, "tragué" -> tragar), and whether a word is a known word of the language at all;
  - rapidfuzz: misspelt medicine and method names ("sertaline", "clonazepan", "suicde") that are not
    words of the language, matched to the nearest listed word;
  - pyahocorasick: every multi-word phrase of every kind found in one pass over the message, once over
    the words as written (kinds whose tense or person matters: "took", "me pega") and once over their
    forms (stem of the lemma), so "quitarme la vida" also finds "me voy a quitar la vida" and "give my
    cat away" finds "gave my cats away".
A word's kinds and form are worked out once and remembered, so a message costs one dict look-up per word.
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
_ENCLITIC = re.compile(r"(ar|er|ir|ando|iendo)(?:me|te|se|nos|lo|la|le|los|las|les)$")
_NO_KINDS: tuple[Kind, ...] = ()
_NUMBER = (Kind.NUMBER,)
_KINDS = {kind.value: kind for kind in Kind}
AS_WRITTEN = "="  # a phrase entry starting with it matches only as written, whatever its kind


class VocabularyError(ValueError):
    """A lexicon an operator edited cannot be used; the message names the table to fix."""


@dataclass(frozen=True, eq=False)  # compares by identity: it holds an automaton and a cache
class Vocabulary:
    """Words and phrases by kind for one language."""

    language: str
    words: Mapping[str, tuple[Kind, ...]]  # a word as listed -> its kinds
    stems: Mapping[str, tuple[Kind, ...]]  # the stem of a listed word whose kind allows any ending
    fuzzy: tuple[str, ...]  # listed words a misspelling may be read as
    phrases: ahocorasick.Automaton | None  # " phrase as written " -> (kinds, number of words)
    forms: ahocorasick.Automaton | None  # " the phrase's word forms " -> (kinds, number of words)
    stemmer: Stemmer.Stemmer
    _known: dict[str, tuple[tuple[Kind, ...], str]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, language: str, words: Mapping[str, object], matching: Mapping[str, object]) -> Vocabulary:
        """From a lexicon's [words] and [matching] tables."""
        where = f"lexicon {language!r}"
        exact = _kinds(matching.get("exact", []), f"{where} [matching] exact")
        exact_words = exact | _kinds(matching.get("exact_words", []), f"{where} [matching] exact_words")
        unknown = set(matching) - {"exact", "exact_words", "fuzzy"}
        if unknown:
            raise VocabularyError(f"{where} [matching]: unknown keys {sorted(unknown)}")
        fuzzy_kinds = _kinds(matching.get("fuzzy", []), f"{where} [matching] fuzzy")
        stemmer = Stemmer.Stemmer(_STEMMERS.get(language, "porter"))
        single: dict[str, set[Kind]] = {}
        stems: dict[str, set[Kind]] = {}
        fuzzy: set[str] = set()
        automaton = ahocorasick.Automaton()
        forms = ahocorasick.Automaton()
        for name, listed in words.items():
            kind = _KINDS.get(name)
            if kind is None:
                raise VocabularyError(f"{where} [words]: unknown kind {name!r}; expected one of {sorted(_KINDS)}")
            for entry in _strings(listed, f"{where} [words] {name}"):
                as_written = entry.startswith(AS_WRITTEN)  # "=me mato": not "me mata" (he kills me)
                phrase = " ".join(fold(entry.removeprefix(AS_WRITTEN)).split())
                if " " in phrase:
                    if kind in exact or as_written:
                        _add_phrase(automaton, phrase, kind)
                    else:
                        _add_phrase(forms, " ".join(_form(stemmer, language, word) for word in phrase.split()), kind)
                    continue
                single.setdefault(phrase, set()).add(kind)
                if kind not in exact_words:
                    stems.setdefault(stemmer.stemWord(phrase), set()).add(kind)
                if kind in fuzzy_kinds and len(phrase) >= _MIN_FUZZY_LENGTH:
                    fuzzy.add(phrase)
        for built in (automaton, forms):
            if len(built):
                built.make_automaton()
        if language in _STEMMERS:
            # Loads the language's dictionary now (half a second), not on a texter's message.
            simplemma.lemmatize(language, lang=language)
        return cls(
            language=language,
            words={word: _ordered(kinds) for word, kinds in single.items()},
            stems={stem: _ordered(kinds) for stem, kinds in stems.items()},
            fuzzy=tuple(sorted(fuzzy)),
            phrases=automaton if len(automaton) else None,
            forms=forms if len(forms) else None,
            stemmer=stemmer,
        )

    def find(self, tokens: list[str]) -> list[Part]:
        """Every kind found in a message's tokens, single words first, then phrases, each in order."""
        known = self._known
        looked_up = [known.get(token) for token in tokens]
        if None in looked_up:
            for index, token in enumerate(tokens):
                if looked_up[index] is None:
                    worked_out = (self.kinds_of(token), _form(self.stemmer, self.language, token))
                    looked_up[index] = worked_out
                    if len(known) < _KNOWN_WORDS:
                        known[token] = worked_out
        found: list[Part] = []
        for index, (kinds, _) in enumerate(looked_up):  # type: ignore[misc]  # every None was worked out above
            for kind in kinds:
                found.append(Part(kind, index, index + 1))
        if tokens:
            if self.phrases is not None:
                _phrases(self.phrases, " " + " ".join(tokens) + " ", found)
            if self.forms is not None:
                _phrases(self.forms, " " + " ".join([seen[1] for seen in looked_up]) + " ", found)  # type: ignore[index]
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


def _phrases(automaton: ahocorasick.Automaton, text: str, found: list[Part]) -> None:
    """The phrases of an automaton in a text of space-separated words, as parts over word positions."""
    count = text.count
    for end, (kinds, length) in automaton.iter(text):
        last = count(" ", 0, end)  # the phrase's closing space is its last word's end
        for kind in kinds:
            found.append(Part(kind, last - length, last))


def _form(stemmer: Stemmer.Stemmer, language: str, word: str) -> str:
    """A word's form for matching phrases: the stem of its lemma ("gave" -> "give", "quitarme" -> "quit").

    Spanish pronouns written onto an infinitive or gerund go first ("irme" -> "ir", "cortandome" -> "cortando"):
    the lemmatiser knows few such words, and "irme de este mundo" must find "me quiero ir de este mundo".
    """
    if language not in _STEMMERS or not word[:1].isalpha():
        return word
    if language == "es" and len(word) > 3:
        word = _ENCLITIC.sub(r"\1", word)
    return stemmer.stemWord(simplemma.lemmatize(word, lang=language))


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
