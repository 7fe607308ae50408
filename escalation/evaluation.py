"""How well the detector reads a labelled set of messages: recall and false alarms, by language and class.

Missed risk costs lives; needless alarms wear out crisis lines and teach supervisors to ignore them.
The targets are the line's (issue 19), per language on messages written apart from the lexicons:
every imminent message alarms (none read as "none") and 95% of them are read as imminent, 95% of
risk messages alarm, and at most 5% of benign look-alikes do.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from escalation.assessment import Level

MIN_IMMINENT_RECALL = 0.95
MIN_RISK_RECALL = 0.95
MAX_FALSE_ALARMS = 0.05
LEVELS = tuple(Level)


@dataclass(frozen=True)
class Example:
    """One labelled message of a set."""

    id: str
    language: str
    text: str
    label: Level
    kind: str  # the message's class in the labelling brief ("act_done", "benign_idiom"...), "-" when unknown


@dataclass(frozen=True)
class Outcome:
    example: Example
    assessed: Level
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    """The target figures of one group of outcomes (a set, a language)."""

    count: int
    imminent_recall: float
    imminent_as_none: int
    risk_recall: float
    false_alarms: float

    def meets_targets(self) -> bool:
        return (
            self.imminent_recall >= MIN_IMMINENT_RECALL
            and self.imminent_as_none == 0
            and self.risk_recall >= MIN_RISK_RECALL
            and self.false_alarms <= MAX_FALSE_ALARMS
        )


def load(path: Path) -> list[Example]:
    """A JSON-lines set: id, lang, text, label and, in the newer sets, class."""
    examples = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["id"], row["lang"], row["text"], Level(row["label"]), row.get("class", "-")))
    return examples


def run(examples: Iterable[Example], assess: Callable[[str, str], tuple[Level, tuple[str, ...]]]) -> list[Outcome]:
    """Assess every example in its own language."""
    return [Outcome(example, *assess(example.text, example.language)) for example in examples]


def figures(outcomes: Sequence[Outcome]) -> Figures:
    imminent = [outcome for outcome in outcomes if outcome.example.label is Level.IMMINENT]
    risky = [outcome for outcome in outcomes if outcome.example.label is not Level.NONE]
    benign = [outcome for outcome in outcomes if outcome.example.label is Level.NONE]
    return Figures(
        count=len(outcomes),
        imminent_recall=_share(imminent, lambda outcome: outcome.assessed is Level.IMMINENT),
        imminent_as_none=sum(outcome.assessed is Level.NONE for outcome in imminent),
        risk_recall=_share(risky, lambda outcome: outcome.assessed is not Level.NONE),
        false_alarms=_share(benign, lambda outcome: outcome.assessed is not Level.NONE, empty=0.0),
    )


def by_language(outcomes: Sequence[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.example.language, []).append(outcome)
    return dict(sorted(groups.items()))


def class_rows(outcomes: Sequence[Outcome]) -> list[tuple[str, int, str, float, float]]:
    """Per class: messages, labels, share alarming (recall for risk, false alarms for benign), share at its level."""
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.example.kind, []).append(outcome)
    rows = []
    for kind, group in sorted(groups.items(), key=lambda item: (item[0].startswith("benign"), item[0])):
        labels = Counter(outcome.example.label for outcome in group)
        mix = "/".join(f"{labels[level]}{level.value[0]}" for level in LEVELS if labels[level])
        alarming = _share(group, lambda outcome: outcome.assessed is not Level.NONE)
        exact = _share(group, lambda outcome: outcome.assessed is outcome.example.label)
        rows.append((kind, len(group), mix, alarming, exact))
    return rows


def confusion(outcomes: Sequence[Outcome]) -> dict[tuple[Level, Level], int]:
    """Counts of (gold label, detected level)."""
    counts = Counter((outcome.example.label, outcome.assessed) for outcome in outcomes)
    return {(label, assessed): counts[label, assessed] for label in LEVELS for assessed in LEVELS}


def _share(group: Sequence[Outcome], test: Callable[[Outcome], bool], empty: float = 1.0) -> float:
    return sum(test(outcome) for outcome in group) / len(group) if group else empty
