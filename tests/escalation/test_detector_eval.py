"""The detector against a labelled evaluation set: missed risk costs lives, needless alarms wear out crisis lines.

Run with `pytest tests/escalation/test_detector_eval.py -s` to see the confusion tables.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from escalation.assessment import Level
from escalation.detector import Detector

ROOT = Path(__file__).resolve().parents[2]
EVAL_SET = Path(__file__).with_name("eval_set.jsonl")
MIN_RISK_RECALL = 0.95
MAX_FALSE_ALARM_RATE = 0.10
LEVELS = tuple(Level)


@dataclass(frozen=True)
class Outcome:
    id: str
    lang: str
    text: str
    label: Level
    assessed: Level


@pytest.fixture(scope="module")
def outcomes() -> list[Outcome]:
    detector = Detector.from_mappings(
        {
            path.stem: tomllib.loads(path.read_text("utf-8"))
            for path in sorted((ROOT / "config" / "lexicons").glob("*.toml"))
        }
    )
    rows = [json.loads(line) for line in EVAL_SET.read_text("utf-8").splitlines() if line.strip()]
    return [
        Outcome(
            row["id"], row["lang"], row["text"], Level(row["label"]), detector.assess(row["text"], row["lang"]).level
        )
        for row in rows
    ]


def confusion_table(outcomes: Iterable[Outcome], title: str) -> str:
    counts = Counter((outcome.label, outcome.assessed) for outcome in outcomes)
    width = max(len(level.value) for level in LEVELS) + 2
    lines = [title, "label \\ assessed".ljust(18) + "".join(level.value.rjust(width) for level in LEVELS)]
    for label in LEVELS:
        lines.append(label.value.ljust(18) + "".join(str(counts[label, assessed]).rjust(width) for assessed in LEVELS))
    return "\n".join(lines)


def report(outcomes: list[Outcome]) -> tuple[str, float, float, list[Outcome]]:
    """The printed report, risk recall, benign false-alarm rate, and imminent messages assessed none."""
    risky = [outcome for outcome in outcomes if outcome.label is not Level.NONE]
    benign = [outcome for outcome in outcomes if outcome.label is Level.NONE]
    imminent = [outcome for outcome in outcomes if outcome.label is Level.IMMINENT]
    recall = sum(outcome.assessed is not Level.NONE for outcome in risky) / len(risky)
    false_alarms = [outcome for outcome in benign if outcome.assessed is not Level.NONE]
    false_alarm_rate = len(false_alarms) / len(benign)
    imminent_recall = sum(outcome.assessed is Level.IMMINENT for outcome in imminent) / len(imminent)
    missed_imminent = [outcome for outcome in imminent if outcome.assessed is Level.NONE]
    exact = sum(outcome.assessed is outcome.label for outcome in outcomes) / len(outcomes)
    sections = [confusion_table(outcomes, f"All messages ({len(outcomes)})")]
    for lang in sorted({outcome.lang for outcome in outcomes}):
        subset = [outcome for outcome in outcomes if outcome.lang == lang]
        sections.append(confusion_table(subset, f"{lang} ({len(subset)})"))
    sections.append(
        "\n".join(
            [
                (
                    f"risk recall (elevated/imminent labelled, assessed elevated/imminent): {recall:.3f}"
                    f" (minimum {MIN_RISK_RECALL})"
                ),
                f"imminent assessed imminent: {imminent_recall:.3f}; imminent assessed none: {len(missed_imminent)}",
                (
                    f"benign false alarms: {len(false_alarms)}/{len(benign)} = {false_alarm_rate:.3f}"
                    f" (maximum {MAX_FALSE_ALARM_RATE})"
                ),
                f"exact level agreement: {exact:.3f}",
            ]
        )
    )
    wrong = [outcome for outcome in outcomes if outcome.assessed is not outcome.label]
    if wrong:
        sections.append(
            "Disagreements:\n"
            + "\n".join(
                f"  {outcome.id} label={outcome.label.value} assessed={outcome.assessed.value}: {outcome.text[:100]}"
                for outcome in wrong
            )
        )
    return "\n\n".join(sections), recall, false_alarm_rate, missed_imminent


def test_eval_set_is_large_and_covers_both_languages(outcomes: list[Outcome]) -> None:
    languages = Counter(outcome.lang for outcome in outcomes)
    labels = Counter(outcome.label for outcome in outcomes)
    assert len(outcomes) >= 260
    assert languages["es"] >= 90 and languages["en"] >= 90
    assert labels[Level.NONE] >= 100
    assert len({outcome.id for outcome in outcomes}) == len(outcomes), "ids must be unique"


def test_detector_meets_recall_and_false_alarm_targets(outcomes: list[Outcome]) -> None:
    text, recall, false_alarm_rate, missed_imminent = report(outcomes)
    print("\n" + text)
    assert not missed_imminent, "imminent messages assessed none:\n" + text
    assert recall >= MIN_RISK_RECALL, f"risk recall {recall:.3f} below {MIN_RISK_RECALL}:\n" + text
    assert false_alarm_rate <= MAX_FALSE_ALARM_RATE, f"false alarms {false_alarm_rate:.3f}:\n" + text
