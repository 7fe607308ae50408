"""Classifies one message: which risk it states, how urgently, and which danger signals it carries."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from enum import Enum
from typing import TypeVar

from escalation.assessment import NONE_ASSESSMENT, Assessment, Category, Level, Signal
from escalation.lexicon import Lexicon, Spelled, fold

_Member = TypeVar("_Member", bound=Enum)
_CATEGORY_ORDER = tuple(Category)
_SIGNAL_ORDER = tuple(Signal)
RISK_WITH_SIGNAL = "context: risk statement with a means, plan, time or act"
SIGNALS_TOGETHER = "context: a plan or act with other danger signals"
_PREPARATION = frozenset({Signal.PLAN, Signal.ACT})
_PLAN_WITH_MEANS = frozenset({Signal.PLAN, Signal.MEANS})


class Detector:
    """Assesses messages against per-language lexicons; a message of unknown language is read by all of them.

    Within a message:
      - a risk phrase counts at its lexicon level (elevated: ideation, abuse, harm without immediacy;
        imminent: intent, plan, means at hand, an act in progress);
      - a phrase overlapping an idiom does not count ("this exam is killing me", "jump rope");
      - a phrase inside a longer one counts only as part of it ("told me to kill myself" is abuse);
      - a phrase with a negation cue just before it ("I'm not suicidal", "I would never kill myself")
        is denied and counts one level lower, so a denied imminent phrase still alarms as elevated;
      - an imminent phrase in a message that speaks of the past ("I overdosed years ago") counts as elevated;
      - an affirmed risk phrase plus any signal (means, plan, time, act) makes the message imminent;
      - with no risk phrase, a plan or act signal with another kind of signal is elevated suicide risk
        ("I wrote a note, tonight is the night"); a plan with means ("I have a plan and the pills"), or
        three kinds together, is imminent; means with a time alone is everyday talk ("cooking with the
        new knife tonight").
    """

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
            return _verdict(((lexicon, lexicon.prepare(folded)),))
        shared: Spelled = {}
        return _verdict((reader, reader.prepare(folded, shared)) for reader in self._all)


def _verdict(readings: Iterable[tuple[Lexicon, str]]) -> Assessment:
    """Weigh every phrase found in each lexicon's reading of the message by the rules in Detector's docstring."""
    levels: dict[Category, Level] = {}
    affirmed: set[Category] = set()
    signals: set[Signal] = set()
    rules: dict[str, None] = {}  # insertion-ordered set
    for lexicon, text in readings:
        matches = lexicon.find(text)
        if not matches:
            continue
        idioms = [(match.start, match.end) for match in matches if match.rule.idiom]
        past: bool | None = None
        covered = -1  # end of the furthest-reaching risk phrase so far
        for match in matches:
            rule = match.rule
            if rule.idiom or (idioms and _overlaps(idioms, match.start, match.end)):
                continue  # part of a figure of speech ("this exam is killing me", "jump rope")
            if rule.signal is not None:
                signals.add(rule.signal)
                rules[rule.name] = None
                continue
            if match.end <= covered:
                continue  # inside a longer phrase, which is the more specific reading ("told me to kill myself")
            covered = match.end
            level = rule.level
            if lexicon.denies(text, match.start):
                level = level.lowered()
            else:
                if level is Level.IMMINENT:
                    past = lexicon.recalls_past(text) if past is None else past
                    level = Level.ELEVATED if past else level
                # a rule's category is Category | None; the phrase rules that reach here all have one
                affirmed.add(rule.category)  # type: ignore[arg-type]
            if level is not Level.NONE:
                _raise(levels, rule.category, level)  # type: ignore[arg-type]  # as above
                rules[rule.name] = None
    if not levels:
        if not signals:
            return NONE_ASSESSMENT
        if len(signals) < 2 or not signals & _PREPARATION:
            return Assessment(Level.NONE, rules=tuple(rules), signals=_ordered(signals, _SIGNAL_ORDER))
        imminent = len(signals) > 2 or signals >= _PLAN_WITH_MEANS
        levels[Category.SUICIDE] = Level.IMMINENT if imminent else Level.ELEVATED
        rules[SIGNALS_TOGETHER] = None
    if signals and any(levels[category] is not Level.IMMINENT for category in affirmed):
        for category in affirmed:
            levels[category] = Level.IMMINENT
        rules[RISK_WITH_SIGNAL] = None
    return Assessment(
        level=max(levels.values()),
        categories=_ordered(levels, _CATEGORY_ORDER),
        rules=tuple(rules),
        signals=_ordered(signals, _SIGNAL_ORDER),
    )


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps one of the spans; a loop, as a generator costs more than a few idioms."""
    for span_start, span_end in spans:
        if span_start < end and start < span_end:
            return True
    return False


def _raise(levels: dict[Category, Level], category: Category, level: Level) -> None:
    if level > levels.get(category, Level.NONE):
        levels[category] = level


def _ordered(present: Collection[_Member], order: tuple[_Member, ...]) -> tuple[_Member, ...]:
    """Enum order, so equal verdicts compare equal whatever order the phrases came in."""
    return tuple(member for member in order if member in present)
