"""Risk lexicons: phrase lists operators edit in TOML, compiled once into a few big regexes.

A phrase is normalised like a message (Spelling.normalise_phrase), so operators write "Don't",
"don't" or "dont" alike. Within a phrase, besides plain words:
    <name>   any alternative of the list `name` under [terms]; an "" alternative makes it optional
    ...      up to four other words
    #        a number written in digits
Adjacent words also match with no space between them ("killmyself", "k i l l m y s e l f"), and a
doubled letter also matches written once ("kill" matches "kil", and "killll", which reads as "kil").

A normalised message is lower-case words one space apart with a space in front (" i want to die"),
and clause marks as " ,". Every pattern starts at that space, so the regex engine jumps from word to
word instead of trying each character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import NamedTuple

from escalation.assessment import Category, Level, Signal

_END = "(?![a-z0-9])"
# Between a phrase's words: a space, none ("killmyself"), or a clause mark ("I want to... die").
# Written out as the four strings " ?(?:, )?" matches, in the order it tries them: the regex engine
# rejects each alternative on its first character, where an optional group needs a repeat context.
_OPTIONAL_SPACE = "(?: , | |, |)"
_GAP = "(?: , [a-z0-9]+| [a-z0-9]+){0,4}"
_NUMBER = "[0-9]+"
_TERM = re.compile(r"<([a-z0-9_]+)>")
# Texts a message's readings have spelled alike, by text after the emoji and leet table (Spelling.normalise_message).
Spelled = dict[tuple[str, tuple[tuple[str, str], ...]], str]
# How many distinct phrase texts a lexicon remembers the rule of; past it, readers run for new ones.
_KNOWN_PHRASES = 20_000


class LexiconError(ValueError):
    """A lexicon an operator edited cannot be used; the message names the section to fix."""


def _invisible_characters() -> str:
    """A regex class of accents split off by NFKD, format characters (zero-width joiners) and variation selectors.

    Only the Basic Multilingual Plane and the tag and variation-selector planes: any other range
    makes the regex engine test each character against a list instead of a bitmap, 20 times slower.
    """
    codes = [
        code
        for code in (*range(0x10000), *range(0xE0000, 0xE1000))
        if unicodedata.category(chr(code)) in ("Mn", "Me", "Cf")
    ]
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in ranges) + "]"


_INVISIBLE = re.compile(_invisible_characters())
_APOSTROPHES = re.compile("['`\u00b4\u02bc\u2018\u2019\u2032]")
# Clause marks become " ," (a negation does not reach across "No, I want to die"); other punctuation a space.
_CLAUSE = re.compile(r"[.,;:!?\u2026\u3001\u3002](?:\s*[.,;:!?\u2026\u3001\u3002])*")
_PUNCTUATION = re.compile(r"[\"#$%&()*+\-/<=>@\[\\\]^_{|}~\u00a1-\u00bf\u2010-\u205e\u3000-\u303f]+")
# The same for ASCII text (most messages) as a byte table: bytes.translate costs a quarter of the regex.
# A space per mark instead of per run: _squeeze's clause pattern and its split read any run of spaces alike.
_ASCII_PUNCTUATION = bytes(32 if _PUNCTUATION.match(chr(code)) else code for code in range(256))
# Letters typed with separators ("k i l l", "s.u.i.c.i.d.e"); two or more spaces separate words.
_SPACED_LETTER = r"[ .*_\-]{1,3}[a-z](?![a-z0-9])"
_SPACED = re.compile(rf" [a-z](?:{_SPACED_LETTER}){{2,}}")
_SPACED_FOUND = re.compile(rf" [a-z]{_SPACED_LETTER}{_SPACED_LETTER}")  # where _SPACED matches; found faster
_WORD_BREAK = re.compile(r"\s{2,}")
_LETTER_SEPARATORS = re.compile(r"[ .*_\-]")
_EMPHASIS = re.compile(r"([a-z])\1\1+")  # "killll", "nooo": three or more of a letter read as one
_TRIPLE = re.compile(r"(.)\1\1")  # any character thrice: a search twice as fast that most messages fail


def fold(text: str) -> str:
    """Language-free first step of normalisation: no accents, no apostrophes, lower case.

    Done once per message however many lexicons then read it; "Ñ" becomes "n", "don't" becomes "dont".
    """
    if text.isascii():
        return text.replace("'", "").replace("`", "").lower()
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))
    return _INVISIBLE.sub("", decomposed).casefold()


def _join_spaced(match: re.Match[str]) -> str:
    return " " + " ".join(_LETTER_SEPARATORS.sub("", word) for word in _WORD_BREAK.split(match.group()[1:]))


def _squeeze(text: str) -> str:
    """Words one space apart with a space in front, clause marks as " ,", emphatic letters once."""
    if text.isascii():
        text = text.encode("ascii").translate(_ASCII_PUNCTUATION).decode("ascii")
    else:
        text = _PUNCTUATION.sub(" ", text)
    # Emphasis touches letters only and splitting spaces only, so they go in either order; after the
    # split, three of a character are most likely emphasis. Rare, and searching is cheaper than substituting.
    text = " ".join(_CLAUSE.sub(" , ", text).split())
    if _TRIPLE.search(text) is not None and _EMPHASIS.search(text) is not None:
        text = _EMPHASIS.sub(r"\1", text)
    return " " + text


def _spellings(word: str) -> list[str]:
    """The ways a word matches given its doubled letters may be written once: "kill" -> kill, kil."""
    forms = [""]
    for index, character in enumerate(word):
        doubled = index > 0 and character == word[index - 1] and character.isalpha()
        forms = [form + character for form in forms] + ([*forms] if doubled else [])
    return forms


def _word_atoms(word: str) -> list[str]:
    """A word's regex atoms; a doubled letter may also be written once ("kill": k, i, l, l?)."""
    atoms: list[str] = []
    for index, character in enumerate(word):
        doubled = index > 0 and character == word[index - 1] and character.isalpha()
        atoms.append(re.escape(character) + "?" if doubled else re.escape(character))
    return atoms


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise LexiconError(f"{where}: expected a list of strings")
    return tuple(value)


def _table(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(item, str) for item in value.values()):
        raise LexiconError(f"{where}: expected a table of strings")
    return dict(value)


_Trie = dict[str, "_Trie | object"]
_LEAF = ""  # trie key marking where a phrase ends; every other key is a non-empty regex atom


def _insert(trie: _Trie, atoms: Sequence[str], value: object) -> None:
    node = trie
    for atom in atoms:
        # a non-leaf key always holds a sub-trie; _Trie's values also allow the leaves' values
        node = node.setdefault(atom, {})  # type: ignore[assignment]
    node.setdefault(_LEAF, value)  # the first phrase inserted wins: imminent tiers go in first


def _emit(node: _Trie, leaf: Callable[[object], str]) -> str:
    """Regex source for a trie, so shared prefixes are tried once instead of once per phrase."""
    # every key but _LEAF holds a sub-trie (see _insert)
    options = [atom + _emit(child, leaf) for atom, child in node.items() if atom != _LEAF]  # type: ignore[arg-type]
    if _LEAF in node:
        options.append(leaf(node[_LEAF]))
    return options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"


def _alternation(keys: Sequence[str], start: str, end: str, atoms: Callable[[str], list[str]]) -> re.Pattern[str]:
    """One pattern matching any of the strings, sharing their prefixes, between `start` and `end`."""
    trie: _Trie = {}
    for key in keys:
        _insert(trie, atoms(key), True)
    return re.compile(start + _emit(trie, lambda _: "") + end)


def _characters(key: str) -> list[str]:
    return [re.escape(character) for character in key]


@dataclass(frozen=True, eq=False)  # compares by identity: it holds compiled patterns and tables
class Spelling:
    """How texters spell in one language: leet characters, emoji that stand for words, shorthand."""

    leet: re.Pattern[str] | None
    leet_table: Mapping[int, str]
    emoji: re.Pattern[str] | None
    emoji_words: Mapping[str, str]
    rewrites: re.Pattern[str] | None
    rewritten: Mapping[str, str]  # " " + every spelling the rewrites pattern can match -> " " + replacement
    # The leet table as sorted pairs: spellings with equal tables read letters alike, so readings of one
    # message by several lexicons share every step but the emoji and the rewrites (normalise_message).
    letters: tuple[tuple[str, str], ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], where: str) -> Spelling:
        unknown = set(data) - {"leet", "emoji", "words"}
        if unknown:
            raise LexiconError(f"{where}: unknown keys {sorted(unknown)}; expected leet, emoji, words")
        leet = _table(data.get("leet", {}), f"{where}.leet")
        if any(len(key) != 1 or len(value) != 1 for key, value in leet.items()):
            raise LexiconError(f"{where}.leet: each key and value must be one character")
        characters = "".join(re.escape(key) for key in leet)
        leet_pattern = (
            # inside a word ("k1ll", "mys3lf"), or first of a word of three more letters ("$uicide", "0verdose");
            # the class comes first so the engine skips straight to candidate characters
            re.compile(rf"[{characters}](?:(?<=[a-z].)(?=[a-z])|(?<![a-z0-9].)(?=[a-z]{{3}}))") if leet else None
        )
        emoji_words = {
            fold(key): _squeeze(fold(value)).strip()
            for key, value in _table(data.get("emoji", {}), f"{where}.emoji").items()
        }
        rewrites = {
            _squeeze(fold(key)).strip(): _squeeze(fold(value))
            for key, value in _table(data.get("words", {}), f"{where}.words").items()
        }
        return cls(
            leet=leet_pattern,
            leet_table=str.maketrans(leet),
            emoji=_alternation(list(emoji_words), "", "", _characters) if emoji_words else None,
            emoji_words=emoji_words,
            # no capture group: the engine would open one at every word
            rewrites=_alternation(list(rewrites), " ", _END, _word_atoms) if rewrites else None,
            rewritten={" " + form: value for key, value in rewrites.items() for form in _spellings(key)},
            letters=tuple(sorted(leet.items())),
        )

    def normalise_message(self, folded: str, shared: Spelled | None = None) -> str:
        """A folded message in the form phrases are written in; leet and spaced letters are texters' habits only.

        Lexicons reading one message pass the same `shared`: after the emoji, the steps up to the rewrites
        depend only on the leet table, so they run once per table instead of once per lexicon.
        """
        text = folded
        if self.emoji is not None and not text.isascii():
            text = self.emoji.sub(self._emoji_word, text)
        if shared is None:
            return self._rewrite(self._spell(text))
        key = (text, self.letters)
        spelled = shared.get(key)
        if spelled is None:
            spelled = shared[key] = self._spell(text)
        return self._rewrite(spelled)

    def normalise_phrase(self, phrase: str) -> str:
        """An operator's phrase as plain words, one space apart, in the form messages are read in."""
        text = fold(phrase)
        if self.emoji is not None and not text.isascii():
            text = self.emoji.sub(self._emoji_word, text)
        return self._rewrite(_squeeze(text)).strip()

    def _spell(self, text: str) -> str:
        """Leet undone, spaced letters joined, then squeezed: what a message is before the rewrites."""
        if self.leet is not None:
            text = self.leet.sub(self._unleet, text)
        text = " " + text
        if _SPACED_FOUND.search(text) is not None:  # rare, and searching is cheaper than substituting
            text = _SPACED.sub(_join_spaced, text)
        return _squeeze(text)

    def _rewrite(self, text: str) -> str:
        return text if self.rewrites is None else self.rewrites.sub(self._rewritten_word, text)

    def _emoji_word(self, match: re.Match[str]) -> str:
        return f" {self.emoji_words[match.group()]} "

    def _unleet(self, match: re.Match[str]) -> str:
        return match.group().translate(self.leet_table)

    def _rewritten_word(self, match: re.Match[str]) -> str:
        return self.rewritten[match.group()]


@dataclass(frozen=True)
class Rule:
    """One lexicon phrase: a risk statement (a category at a level), a signal, or an idiom that cancels
    both where it stands ("this exam is killing me"); its name is what supervisors see."""

    name: str
    level: Level = Level.NONE
    category: Category | None = None
    signal: Signal | None = None
    idiom: bool = False


class Match(NamedTuple):
    """Where a rule matched in a normalised message: its first and one-past-last character.

    A NamedTuple rather than a frozen dataclass: one is made per phrase found, on the hot path.
    """

    rule: Rule
    start: int
    end: int


class _PhraseCompiler:
    """Turns operator phrases into regex atoms, expanding <terms> once and caching their patterns."""

    def __init__(self, spelling: Spelling, terms: Mapping[str, tuple[str, ...]], where: str) -> None:
        self._spelling = spelling
        self._terms = terms
        self._where = where
        self._compiled: dict[str, tuple[_Trie, str, bool]] = {}
        self._compiling: list[str] = []

    def variants(self, phrase: str) -> Iterator[list[str]]:
        """The atom sequences of a phrase: one per choice of including its optional terms.

        A leading <term> is split by first letter ("h" + "(?:e|er|is)" ...), so at each word the regex
        engine rejects the term by one character comparison instead of trying its every alternative.
        """
        return self._expand(self._tokens(phrase))

    def _expand(self, tokens: list[str]) -> Iterator[list[str]]:
        first = _TERM.fullmatch(tokens[0]) if tokens else None
        leads: list[list[str] | None] = [None]
        rest = tokens
        if first is not None:
            trie, _, optional = self._term(first.group(1))
            rest = tokens[1:]
            leads = [
                # every key but _LEAF holds a sub-trie (see _insert)
                [atom] if set(child) == {_LEAF} else [atom, "(?:" + _emit(child, lambda _: "") + ")"]  # type: ignore[arg-type]
                for atom, child in trie.items()
            ]
            if optional:
                yield from self._expand(rest)  # the term left out: the next token leads
        choices = [self._choices(token) for token in rest]
        for lead in leads:
            for choice in product(*choices):
                parts: list[str | list[str]] = [part for part in choice if part is not None]
                atoms = self._join(parts if lead is None else [lead, *parts])
                if atoms:
                    yield atoms

    def _choices(self, token: str) -> tuple[str | None, ...]:
        name = _TERM.fullmatch(token)
        if name is None:
            return (token,)
        _, pattern, optional = self._term(name.group(1))
        return (pattern, None) if optional else (pattern,)

    def _tokens(self, phrase: str) -> list[str]:
        """Specials stay whole; each run of plain words is normalised like a message, then split into words."""
        tokens: list[str] = []
        plain: list[str] = []
        for word in phrase.split():
            if word in ("...", "#") or _TERM.fullmatch(word):
                if plain:
                    tokens.extend(self._spelling.normalise_phrase(" ".join(plain)).split())
                    plain = []
                tokens.append(word)
            else:
                plain.append(word)
        if plain:
            tokens.extend(self._spelling.normalise_phrase(" ".join(plain)).split())
        if tokens and "..." in (tokens[0], tokens[-1]):
            raise LexiconError(f"{self._where}: {phrase!r} may not begin or end with '...'")
        return tokens

    def _join(self, parts: Sequence[str | list[str]]) -> list[str]:
        """Atoms for a phrase's parts: words, "#", "...", term patterns, or a leading term's atoms."""
        atoms: list[str] = []
        for index, part in enumerate(parts):
            if part == "...":
                atoms.append(_GAP)
                continue
            if index:
                atoms.append(_OPTIONAL_SPACE)
            if isinstance(part, list):
                atoms.extend(part)
            elif part == "#":
                atoms.append(_NUMBER)
            elif part.startswith("(?"):  # a term's compiled pattern; normalised words never hold "("
                atoms.append(part)
            else:
                atoms.extend(_word_atoms(part))
        return atoms

    def _term(self, name: str) -> tuple[_Trie, str, bool]:
        """A term's trie and regex, and whether the term may be left out."""
        if name in self._compiled:
            return self._compiled[name]
        if name not in self._terms:
            raise LexiconError(f"{self._where}: <{name}> is not defined under [terms]")
        if name in self._compiling:
            loop = " -> ".join((*self._compiling, name))
            raise LexiconError(f"{self._where}: [terms] refer to each other in a loop: {loop}")
        self._compiling.append(name)
        trie: _Trie = {}
        optional = False
        for alternative in self._terms[name]:
            found = False
            for atoms in self.variants(alternative):
                _insert(trie, atoms, True)
                found = True
            optional = optional or not found
        self._compiling.pop()
        if not trie:
            raise LexiconError(f"{self._where}: [terms] {name} has no words")
        compiled = (trie, "(?:" + _emit(trie, lambda _: "") + ")", optional)
        self._compiled[name] = compiled
        return compiled


_CATEGORIES = {category.value: category for category in Category}
_TIERS = {"imminent": Level.IMMINENT, "elevated": Level.ELEVATED}  # imminent first: it wins a shared phrase
_SIGNALS = {signal.value: signal for signal in Signal}
_SECTIONS = {"normalise", "terms", "signals", "idioms", "negation", "history", *_CATEGORIES}


@dataclass(frozen=True, eq=False)  # compares by identity: it holds compiled patterns
class Lexicon:
    """One language's risk phrases, signals, idioms and negations, compiled once into a few regexes."""

    language: str
    spelling: Spelling
    # Risk phrases, signals and idioms are read in two steps. `scan` has one capture group (each one
    # slows every step of the engine) spanning the phrase found at each word where some phrase starts;
    # the reader for the word's first letter, a smaller pattern with one empty group per phrase, says
    # which: readers[c] = (pattern, rules) where rules[i] is the phrase whose group is i + 1.
    scan: re.Pattern[str]
    readers: Mapping[str, tuple[re.Pattern[str], tuple[Rule, ...]]]
    negations: re.Pattern[str] | None
    past: re.Pattern[str] | None
    # The rule each phrase text found so far is read as. Both patterns try phrases in the same order,
    # and a phrase ends with a lookahead at one character, so the text the scan spans decides the rule:
    # the reader runs once per distinct phrase text ("is killing me") instead of once per message.
    _known: dict[str, Rule] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mapping(cls, language: str, data: Mapping[str, object]) -> Lexicon:
        """Build from a parsed lexicon TOML file; raises LexiconError naming the section an operator got wrong."""
        where = f"lexicon {language!r}"
        unknown = set(data) - _SECTIONS
        if unknown:
            raise LexiconError(f"{where}: unknown sections {sorted(unknown)}; expected {sorted(_SECTIONS)}")
        spelling = Spelling.from_mapping(_section(data, "normalise", where), f"{where} [normalise]")
        terms = {
            name: _strings(value, f"{where} [terms] {name}") for name, value in _section(data, "terms", where).items()
        }
        compiler = _PhraseCompiler(spelling, terms, where)

        trie: _Trie = {}

        def add(phrases: tuple[str, ...], prefix: str, **kind: object) -> None:
            for phrase in phrases:
                # `kind` carries Rule's own keyword fields (level, category...), typed object here
                rule = Rule(prefix + phrase, **kind)  # type: ignore[arg-type]
                for atoms in compiler.variants(phrase):
                    _insert(trie, atoms, rule)

        for tier, level in _TIERS.items():  # every imminent tier first, so it wins a phrase listed twice
            for section, category in _CATEGORIES.items():
                tiers = _section(data, section, where)
                _expect_keys(tiers, _TIERS, f"{where} [{section}]")
                phrases = _strings(tiers.get(tier, []), f"{where} [{section}] {tier}")
                add(phrases, f"{language}.{section}.{tier}: ", level=level, category=category)
        signals = _section(data, "signals", where)
        _expect_keys(signals, _SIGNALS, f"{where} [signals]")
        for key, signal in _SIGNALS.items():
            phrases = _strings(signals.get(key, []), f"{where} [signals] {key}")
            add(phrases, f"{language}.signals.{key}: ", signal=signal)
        idioms = _section(data, "idioms", where)
        _expect_keys(idioms, {"benign": None}, f"{where} [idioms]")
        add(_strings(idioms.get("benign", []), f"{where} [idioms] benign"), f"{language}.idioms: ", idiom=True)

        scan = re.compile(" (?=(" + _emit(trie, lambda _: _END) + "))") if trie else re.compile("(?!)")

        negation = _section(data, "negation", where)
        _expect_keys(negation, {"cues": None, "window": None}, f"{where} [negation]")
        window = negation.get("window", 2)
        if not isinstance(window, int) or window < 1:
            raise LexiconError(f"{where} [negation] window: expected a whole number of words, at least 1")
        past = _section(data, "history", where)
        _expect_keys(past, {"cues": None}, f"{where} [history]")

        def words(phrases: object, key: str, start: str, end: str) -> re.Pattern[str] | None:
            found: _Trie = {}
            for phrase in _strings(phrases, f"{where} {key}"):
                for atoms in compiler.variants(phrase):
                    _insert(found, atoms, True)
            return re.compile(start + _emit(found, lambda _: end)) if found else None

        return cls(
            language=language,
            spelling=spelling,
            scan=scan,
            readers=_readers(trie),
            negations=words(
                negation.get("cues", []), "[negation] cues", "(?<![a-z0-9])", f"(?: [a-z0-9]+){{0,{window - 1}}} $"
            ),
            past=words(past.get("cues", []), "[history] cues", " ", _END),
        )

    def prepare(self, folded: str, shared: Spelled | None = None) -> str:
        """The message as phrases see it (see the module docstring); `shared` as in Spelling.normalise_message."""
        return self.spelling.normalise_message(folded, shared)

    def find(self, text: str) -> list[Match]:
        """Every rule matching a prepared message, one per word where a phrase starts, in order."""
        matches: list[Match] = []
        known = self._known
        for hit in self.scan.finditer(text):
            start, end = hit.span(1)
            phrase = text[start:end]
            rule = known.get(phrase)
            if rule is None:
                rule = self._read(text, start)
                if len(known) < _KNOWN_PHRASES:
                    known[phrase] = rule
            matches.append(Match(rule, start, end))
        return matches

    def _read(self, text: str, start: int) -> Rule:
        """Which rule the phrase the scan found at `start` is, by the reader for its first character."""
        reader, rules = self.readers[text[start]]
        found = reader.match(text, start)
        # the reader matches wherever the scan found a phrase, and each phrase has its group
        return rules[found.lastindex - 1]  # type: ignore[union-attr, operator]

    def denies(self, text: str, start: int) -> bool:
        """Whether a negation cue ("not", "never") stands just before the phrase starting at `start`."""
        return self.negations is not None and self.negations.search(text, max(start - 80, 0), start) is not None

    def recalls_past(self, text: str) -> bool:
        """Whether the message speaks of the past ("years ago"), so an act it names is history, not in progress."""
        return self.past is not None and self.past.search(text) is not None


def _readers(trie: _Trie) -> dict[str, tuple[re.Pattern[str], tuple[Rule, ...]]]:
    """One pattern per first character a phrase can start with, naming its phrases by capture group."""
    readers: dict[str, tuple[re.Pattern[str], tuple[Rule, ...]]] = {}
    for first in sorted({character for atom in trie for character in _first_characters(atom)}):
        rules: list[Rule] = []
        branches = {atom: child for atom, child in trie.items() if re.fullmatch(atom, first)}
        readers[first] = (re.compile(_emit(branches, _numbered(rules))), tuple(rules))
    return readers


def _first_characters(atom: str) -> set[str]:
    """The characters a phrase's first atom can match: its letter, or the digits of a leading "#"."""
    if len(atom) == 1 or (len(atom) == 2 and atom[0] == "\\"):
        return {atom[-1]}
    characters = {digit for digit in "0123456789" if re.fullmatch(atom, digit)}
    if not characters:
        raise LexiconError(f"a phrase cannot start with {atom!r}")
    return characters


def _numbered(rules: list[Rule]) -> Callable[[object], str]:
    """A trie leaf writer giving each phrase an empty capture group numbered by its place in `rules`."""

    def leaf(rule: object) -> str:
        # the trie's leaves are the Rules inserted by Lexicon.load
        rules.append(rule)  # type: ignore[arg-type]
        return _END + "()"

    return leaf


def _section(data: Mapping[str, object], name: str, where: str) -> Mapping[str, object]:
    section = data.get(name, {})
    if not isinstance(section, Mapping):
        raise LexiconError(f"{where}: [{name}] must be a table")
    return section


def _expect_keys(section: Mapping[str, object], allowed: Mapping[str, object], where: str) -> None:
    unknown = set(section) - set(allowed)
    if unknown:
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)}; expected {sorted(allowed)}")
