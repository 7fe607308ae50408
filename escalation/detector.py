"""Classifies one message: which dangers it states, how urgently, and which danger signals it carries.

A message is read as words (escalation/reading.py), its words are given kinds by the language's
lexicon (escalation/vocabulary.py), parts said of someone else, denied, quoted or idiomatic are set
aside (escalation/scope.py), and the rules (escalation/rules.py) weigh the rest. Every rule that
fires is named with the words it fired on, so a supervisor can see why a message alarmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from escalation.assessment import NONE_ASSESSMENT, Assessment, Category, Level, Signal
from escalation.lexicon import Lexicon, spelled
from escalation.model import MEANS, Found, may_fire_mask, name
from escalation.parts import Kind, Part, mask_of, parts_mask
from escalation.reading import fold
from escalation.rules import ENDED, ENDED_IN_THE_PAST, TABLES
from escalation.scope import SET_ASIDE_BY_SPANS, Marks, affirmed, outside_idioms
from escalation.vocabulary import word_parts

# Kinds whose signal a message carries even when it states no risk: means, and acts done.
SIGNALLING = mask_of({*MEANS, Kind.INGEST, Kind.ACT_DONE})
_SET_ASIDE_BY_SPANS = mask_of(SET_ASIDE_BY_SPANS)


class Detector:
    """Assesses messages with per-language lexicons; a message of unknown language is read by all of them."""

    __slots__ = ("_all", "_lexicons")

    def __init__(self, lexicons: Mapping[str, Lexicon]) -> None:
        self._lexicons = dict(lexicons)
        self._all = tuple(self._lexicons.values())

    @classmethod
    def from_mappings(cls, parsed: Mapping[str, Mapping[str, object]]) -> Detector:
        """Build from parsed lexicon files keyed by language, as the service's loader reads them."""
        return cls({language: Lexicon.from_mapping(language, data) for language, data in parsed.items()})

    def assess(self, text: str, language: str | None = None) -> Assessment:
        """Assess one message; with no or an unknown language every lexicon reads it and the worst reading wins."""
        folded = fold(text)
        lexicon = self._lexicons.get(language) if language is not None else None
        if lexicon is not None:
            return _assess(lexicon, folded)
        return _worst(_assess(reader, folded) for reader in self._all)


def _assess(lexicon: Lexicon, folded: str) -> Assessment:
    seen, phrases, kinds = lexicon.read(folded)
    if not may_fire_mask(kinds):
        # No risk; a means or an act still signals, for the conversation ("I want to die" / "I have the pills").
        if not kinds & SIGNALLING:
            return NONE_ASSESSMENT
        tokens, words, classes = spelled(seen)
        return _signals_only(tokens, word_parts(words) + phrases, Marks(classes))
    tokens, words, classes = spelled(seen)
    parts = word_parts(words) + phrases
    # The gate is asked again only when scope set some part aside: the same parts have the same kinds.
    if kinds & _SET_ASIDE_BY_SPANS:
        outside = outside_idioms(parts)
        if len(outside) < len(parts) and not may_fire_mask(parts_mask(outside)):
            return NONE_ASSESSMENT  # "my mom is gonna kill me when she sees my grades"
        parts = outside
    marks = Marks(classes)
    kept = affirmed(tokens, parts, marks)
    if len(kept) < len(parts) and not may_fire_mask(parts_mask(kept)):
        return NONE_ASSESSMENT
    found = Found(tokens, kept, marks)
    levels: dict[Category, Level] = {}
    rules: list[str] = []
    ended = _ended(found)
    for category, needs, table in TABLES:
        if category in ended or not needs & found.mask:
            continue  # danger told as over ("i used to cut in high school", "two years clean"), or no part for it
        fired = table.first(found)
        if fired is not None:
            level, rule, where = fired
            levels[category] = level
            rules.append(name(found, lexicon.language, category, level, rule, where))
    signals = found.signals()
    if not levels:
        return Assessment(Level.NONE, signals=signals) if signals else NONE_ASSESSMENT
    return Assessment(
        level=max(levels.values()),
        categories=tuple(category for category in Category if category in levels),
        rules=tuple(rules),
        signals=signals,
    )


def _ended(found: Found) -> frozenset[Category]:
    """The categories a message tells as over: recovery ends them all ("two years clean", "i moved out, i feel
    safe"); the past alone ("when i was 15") ends one's own danger but not abuse, which a texter may first tell
    years later and which a supervisor must still know of."""
    if found.has(Kind.AGAIN) and found.outside(Kind.AGAIN, Kind.RECOVERY):
        return frozenset()  # "it is back", "cut again"; not the "still" of "glad i am still here"
    if found.has(Kind.RECOVERY):
        return ENDED
    return ENDED_IN_THE_PAST if found.has(Kind.PAST) else frozenset()


def _signals_only(tokens: list[str], parts: list[Part], marks: Marks) -> Assessment:
    signals = Found(tokens, affirmed(tokens, outside_idioms(parts), marks), marks).signals()
    return Assessment(Level.NONE, signals=signals) if signals else NONE_ASSESSMENT


def _worst(assessments: Iterable[Assessment]) -> Assessment:
    """The readings of one message by several languages as one: the highest level, every category, rule and signal."""
    readings = [assessment for assessment in assessments if assessment is not NONE_ASSESSMENT]
    if not readings:
        return NONE_ASSESSMENT
    if len(readings) == 1:
        return readings[0]
    categories = {category for reading in readings for category in reading.categories}
    signals = {signal for reading in readings for signal in reading.signals}
    return Assessment(
        level=max(reading.level for reading in readings),
        categories=tuple(category for category in Category if category in categories),
        rules=tuple(dict.fromkeys(rule for reading in readings for rule in reading.rules)),
        signals=tuple(signal for signal in Signal if signal in signals),
    )
