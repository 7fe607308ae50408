"""Reading a text message as words: accents, case, emoji, leetspeak and texting shorthand undone.

Texters write "k1ll", "💊💊", "tome todas las pastis", "im gonna"; the parts of risk are written in
the lexicons as plain words ("kill", "pills", "pastillas", "i am going to"). A `Reader` brings a
message to that form once, so every later step (word classes, phrases, scope) sees plain words.
Clause marks stay as tokens of their own ("." "," "!" "?"), because negation and who-is-speaking
do not reach across them ("no, I want to die").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

CLAUSE_MARKS = frozenset(".,;:!?")
SENTENCE_MARKS = frozenset(".!?;")
# Each word of a message as one character of its marks string: a sentence mark, another clause mark, or a word.
# Scope asks "is there a mark between a and b" of many parts; str.find and str.count answer it in C.
SENTENCE, CLAUSE, WORD = "s", "c", "w"
# Words, numbers with their unit ("30mg", "x6"), and clause marks; everything else separates.
_TOKEN = re.compile(r"[a-z0-9]+|[.,;:!?]")
# A leet character between two letters ("k1ll", "su1cide"); digits next to digits or units stay ("10mg", "3am").
_LEET = re.compile(r"(?<=[a-z])[013457@$!|](?=[a-z])")
# Three or more of a letter ("killll", "nooo") read as two: the vocabulary tries one as well on a miss.
_EMPHASIS = re.compile(r"([a-z])\1\1+")
# Letters typed one by one ("k i l l  m y s e l f", "s.u.i.c.i.d.e"): four or more single letters in a row.
_SPACED = re.compile(r"(?<![a-z0-9])[a-z](?:[ .*_-]{1,2}[a-z](?![a-z0-9])){3,}")
_SPACERS = re.compile(r"[ .*_-]")
_LEET_HINT = re.compile(r"[013457@$!|]")
_SPACED_HINT = re.compile(r"(?:^|[ .*_-])[a-z][ .*_-][a-z][ .*_-]")
# Four stretches of one character each in a row, among the stretches' lengths (one byte each), or in the text
# when a stretch is too long for a byte.
_ONE_BY_ONE = b"\x01\x01\x01\x01"
_ONE_BY_ONE_TEXT = re.compile(r"(?<!\S)\S(?:\s+\S){3}(?!\S)")
# A character past ASCII: in a folded message, an emoji or a symbol the emoji table may spell as a word.
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_TRIPLE = re.compile(r"(.)\1\1")
_APOSTROPHES = re.compile("['`\u00b4\u02bc\u2018\u2019\u2032]")
# A quoted stretch: opened after a space or at the start, closed before a space, a mark or the end, so the
# apostrophe in "i'm" neither opens nor closes one. What a texter quotes is not what they say of themself.
# The opening mark is matched first and what stands before it checked after, so the regex engine skips to the marks
# instead of testing what precedes every character.
_QUOTED = re.compile("[\"'\u2018\u201c\u00ab](?<![\\w][\"'\u2018\u201c\u00ab])(.+?)[\"'\u2019\u201d\u00bb](?![\\w])")
QUOTE_MARK = "zqz"  # a token no language uses, standing where a quotation began and ended
# A character that may open a quotation: only a text with one is searched for quotations at all.
_QUOTE_OPENING = re.compile("[\"'\u2018\u201c\u00ab]")


def _mark_quotation(match: re.Match[str]) -> str:
    """A function, not a template string: re.sub hands a template to Python code on every call, match or not."""
    return f" {QUOTE_MARK} {match.group(1)} {QUOTE_MARK} "


def _invisible_characters() -> str:
    """A regex class of accents split off by NFKD, zero-width joiners and variation selectors (as in "🗡️").

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


def fold(text: str) -> str:
    """No accents, no apostrophes, lower case, fancy letters as plain ones ("𝓴𝓲𝓵𝓵" -> "kill", "Ñ" -> "n").

    Done once per message however many languages then read it. Quotations become QUOTE_MARK-bounded
    stretches first, since the quote characters themselves are dropped with the apostrophes.
    """
    if text.isascii():
        if "'" in text or '"' in text:
            text = _QUOTED.sub(_mark_quotation, text)
        return text.replace("'", "").replace("`", "").lower()
    if _QUOTE_OPENING.search(text) is not None:
        text = _QUOTED.sub(_mark_quotation, text)
    decomposed = unicodedata.normalize("NFKD", _APOSTROPHES.sub("", text))
    return _INVISIBLE.sub("", decomposed).casefold()


@dataclass(frozen=True, eq=False)  # compares by identity: it holds compiled tables
class Reader:
    """How texters of one language spell: emoji that stand for words, leet, shorthand ("rn", "xq")."""

    emoji: Mapping[int, str]  # a str.translate table: code point -> " word "
    shorthand: Mapping[str, str]  # one token -> the words it stands for ("rn" -> "right now")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], where: str) -> Reader:
        """From a lexicon's [reading] table; raises ValueError naming the key an operator got wrong."""
        emoji = _table(data.get("emoji", {}), f"{where}.emoji")
        shorthand = _table(data.get("shorthand", {}), f"{where}.shorthand")
        unknown = set(data) - {"emoji", "shorthand"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; expected emoji, shorthand")
        table: dict[int, str] = {}
        for symbol, word in emoji.items():
            folded = fold(symbol)
            if len(folded) != 1:
                raise ValueError(f"{where}.emoji: {symbol!r} is not one emoji")
            table[ord(folded)] = f" {fold(word)} "
        return cls(emoji=table, shorthand={fold(key): fold(value) for key, value in shorthand.items()})

    def prepare(self, folded: str) -> list[str]:
        """The stretches between spaces of a folded message, emoji as words, letters typed one by one across
        spaces joined ("k i l l  m e"). Each stretch is then read on its own (`read_chunk`), and
        escalation/lexicon.py remembers how each read."""
        # Only the few characters past ASCII are looked up: str.translate looks up every character of the message.
        text = folded if folded.isascii() else _NON_ASCII.sub(self._spell_emoji, folded)
        chunks = text.split()
        try:
            one_by_one = _ONE_BY_ONE in bytes(map(len, chunks))  # in C, no per-stretch Python call
        except ValueError:  # a stretch of 256 characters or more
            one_by_one = _ONE_BY_ONE_TEXT.search(text) is not None
        return _SPACED.sub(_join_letters, text).split() if one_by_one else chunks

    def _spell_emoji(self, match: re.Match[str]) -> str:
        character = match.group()
        return self.emoji.get(ord(character), character)

    def read_chunk(self, chunk: str) -> list[str]:
        """One stretch between spaces as words: leet and emphasis undone, split at marks, shorthand spelled out."""
        if _LEET_HINT.search(chunk) is not None:
            chunk = _LEET.sub(_unleet, chunk)
        if _SPACED_HINT.search(chunk) is not None:  # "s.u.i.c.i.d.e", "k-i-l-l"
            chunk = _SPACED.sub(_join_letters, chunk)
        if _TRIPLE.search(chunk) is not None:
            chunk = _EMPHASIS.sub(r"\1\1", chunk)
        shorthand = self.shorthand
        return " ".join([shorthand.get(token, token) for token in _TOKEN.findall(chunk)]).split()


def mark_classes(words: Iterable[str]) -> str:
    """The marks string of some words: SENTENCE, CLAUSE or WORD for each."""
    return "".join([SENTENCE if word in SENTENCE_MARKS else CLAUSE if word in CLAUSE_MARKS else WORD for word in words])


_LEET_LETTERS = str.maketrans("013457@$!|", "oieastasil")


def _join_letters(match: re.Match[str]) -> str:
    """Single letters run together; two or more spaces between them still part words ("k i l l  m e")."""
    return " ".join(_SPACERS.sub("", word) for word in re.split(r"\s{2,}", match.group()))


def _unleet(match: re.Match[str]) -> str:
    return match.group().translate(_LEET_LETTERS)


def _table(value: object, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise ValueError(f"{where}: expected a table of strings")
    return dict(value)
