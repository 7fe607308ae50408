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
from itertools import compress, count

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


Seen = tuple[tuple[Kind, ...], str, str]  # a word's kinds, its code as written, the code of its form


class _Phrases:
    """Phrases of several words found in one pass. Each word that some phrase uses is coded as two characters, so
    a message is searched as a short string whose characters 2n and 2n+1 are its n-th word: a match's end gives a
    word's position, with no counting of spaces, and words no phrase uses all read as one filler code.

    Two characters, not one: pyahocorasick looks a node's children up one by one, and a root with a child for
    each of a thousand first words made every character a thousand comparisons. A code's first character comes
    from one range and its second from another, so a phrase can only match from a word's start."""

    __slots__ = ("_automaton", "codes")

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self._automaton = ahocorasick.Automaton()

    def add(self, words: list[str], kind: Kind) -> None:
        """A phrase listed under several kinds is one key carrying them all ("en la mano": access, for a blade)."""
        key = "".join(self.codes.setdefault(word, _code(len(self.codes))) for word in words)
        kinds, length = self._automaton.get(key, ((), len(words)))
        if kind not in kinds:
            self._automaton.add_word(key, ((*kinds, kind), length))

    def built(self) -> _Phrases | None:
        if not len(self._automaton):
            return None
        self._automaton.make_automaton()
        return self

    def find(self, coded: str, found: list[Part]) -> None:
        """The phrases in a message coded word by word (`codes`, FILLER elsewhere), as parts."""
        new = tuple.__new__  # a NamedTuple's own __new__ is a Python call
        for last, (kinds, length) in self._automaton.iter(coded):
            end = last // 2 + 1
            for kind in kinds:
                found.append(new(Part, (kind, end - length, end)))


_HIGH, _LOW, _SPAN = 0x100, 0x200, 64  # a code's first and second character ranges, each _SPAN wide
FILLER = chr(_HIGH + _SPAN - 1) + chr(_LOW + _SPAN - 1)  # never a phrase word's code: no key starts with it
_MAX_CODES = (_SPAN - 1) * _SPAN


def _code(number: int) -> str:
    """The two characters coding the number-th phrase word."""
    if number >= _MAX_CODES:
        raise VocabularyError(f"more than {_MAX_CODES} distinct words in phrases of one kind table")
    return chr(_HIGH + number // _SPAN) + chr(_LOW + number % _SPAN)


@dataclass(frozen=True, eq=False)  # compares by identity: it holds automata and a cache
class Vocabulary:
    """Words and phrases by kind for one language."""

    language: str
    words: Mapping[str, tuple[Kind, ...]]  # a word as listed -> its kinds
    stems: Mapping[str, tuple[Kind, ...]]  # the stem of a listed word whose kind allows any ending
    fuzzy: tuple[str, ...]  # listed words a misspelling may be read as
    phrases: _Phrases | None  # phrases matched as written
    forms: _Phrases | None  # phrases matched by their words' forms
    stemmer: Stemmer.Stemmer
    # Per word seen: its kinds and its codes in the two phrase tables, worked out once.
    _known: dict[str, Seen] = field(default_factory=dict, repr=False)

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
        as_listed, by_form = _Phrases(), _Phrases()
        for name, listed in words.items():
            kind = _KINDS.get(name)
            if kind is None:
                raise VocabularyError(f"{where} [words]: unknown kind {name!r}; expected one of {sorted(_KINDS)}")
            for entry in _strings(listed, f"{where} [words] {name}"):
                as_written = entry.startswith(AS_WRITTEN)  # "=me mato": not "me mata" (he kills me)
                phrase = fold(entry.removeprefix(AS_WRITTEN)).split()
                if len(phrase) > 1:
                    if kind in exact or as_written:
                        as_listed.add(phrase, kind)
                    else:
                        by_form.add([_form(stemmer, language, word) for word in phrase], kind)
                    continue
                if not phrase:
                    continue
                word = phrase[0]
                single.setdefault(word, set()).add(kind)
                if kind not in exact_words:
                    stems.setdefault(stemmer.stemWord(word), set()).add(kind)
                if kind in fuzzy_kinds and len(word) >= _MIN_FUZZY_LENGTH:
                    fuzzy.add(word)
        if language in _STEMMERS:
            # Loads the language's dictionary now (half a second), not on a texter's message.
            simplemma.lemmatize(language, lang=language)
        return cls(
            language=language,
            words={word: _ordered(kinds) for word, kinds in single.items()},
            stems={stem: _ordered(kinds) for stem, kinds in stems.items()},
            fuzzy=tuple(sorted(fuzzy)),
            phrases=as_listed.built(),
            forms=by_form.built(),
            stemmer=stemmer,
        )

    def look_up_word(self, token: str) -> Seen:
        """A word's kinds and its phrase codes (as written, by form)."""
        return self._known.get(token) or self._learn(token)

    def phrases_in(self, as_written: str, by_form: str) -> list[Part]:
        """The phrases in a message coded word by word, as written and by form."""
        found: list[Part] = []
        if self.phrases is not None:
            self.phrases.find(as_written, found)
        if self.forms is not None:
            self.forms.find(by_form, found)
        return found

    def _learn(self, token: str) -> Seen:
        """A word's kinds and phrase codes, remembered (up to a bound, so odd input cannot fill memory)."""
        kinds = self.kinds_of(token)
        as_listed = FILLER if self.phrases is None else self.phrases.codes.get(token, FILLER)
        form = _form(self.stemmer, self.language, token)
        by_form = FILLER if self.forms is None else self.forms.codes.get(form, FILLER)
        seen = (kinds, as_listed, by_form)
        if len(self._known) < _KNOWN_WORDS:
            self._known[token] = seen
        return seen

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


def word_parts(kinds: list[tuple[Kind, ...]]) -> list[Part]:
    """A part for each kind of each word, in order (tuple.__new__: a NamedTuple's own __new__ is a Python call)."""
    new = tuple.__new__
    # compress(count(), kinds): the positions of words with a kind, picked in C; most words have none.
    return [new(Part, (kind, index, index + 1)) for index in compress(count(), kinds) for kind in kinds[index]]


def _form(stemmer: Stemmer.Stemmer, language: str, word: str) -> str:
    """A word's form for matching phrases: the stem of its lemma ("gave" -> "give", "quitarme" -> "quit").

    Spanish pronouns written onto an infinitive or gerund go first ("irme" -> "ir", "cortandome" -> "cortando"):
    the lemmatiser knows few such words, and "irme de este mundo" must find "me quiero ir de este mundo".
    """
    if language not in _STEMMERS or not word[:1].isalpha():
        return word
    if language == "es" and len(word) > 3:
        word = _ENCLITIC.sub(r"\1", word)
    form: str = stemmer.stemWord(simplemma.lemmatize(word, lang=language))
    return form


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
