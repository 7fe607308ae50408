"""The detector against labelled sets: missed risk costs lives, needless alarms wear out crisis lines.

`scripts/evaluate_detector.py` prints the figures. The first two tuning sets (the first written beside the
lexicons, the second by another writer from the labelling brief, used to find which kinds of wording the model
lacked) must meet the line's targets in each language. The held-out set (never read while tuning), the third
tuning set (written independently, measured untouched first, then used for its misses) and the old set do not
meet them yet; for them this test holds the figures reached so far as floors, so that a change that reads them
worse fails here. Raise a floor when the model improves; the targets themselves live in
escalation/evaluation.py.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from escalation.assessment import Level
from escalation.detector import Detector
from escalation.evaluation import Figures, Outcome, by_language, figures, load, run

ROOT = Path(__file__).resolve().parents[2]
SETS = Path(__file__).with_name("sets")
# Per set and language: imminent recall, imminent read as none (at most), risk recall, benign false alarms (at most).
FLOORS = {
    ("held-out", "en"): Figures(230, 0.81, 14, 0.82, 0.06),
    ("held-out", "es"): Figures(230, 0.77, 12, 0.81, 0.10),
    ("tuning3", "en"): Figures(300, 0.95, 3, 0.90, 0.03),
    ("tuning3", "es"): Figures(300, 0.93, 5, 0.95, 0.02),
    ("old", "en"): Figures(397, 0.95, 0, 0.99, 0.02),
    ("old", "es"): Figures(228, 0.95, 1, 0.97, 0.04),
}
PATHS = {
    "held-out": SETS / "heldout.jsonl",
    "tuning3": SETS / "tuning3.jsonl",
    "old": ROOT / "tests" / "escalation" / "eval_set.jsonl",
}
TUNING = ("tuning.jsonl", "tuning2.jsonl")


@pytest.fixture(scope="module")
def detector() -> Detector:
    folder = ROOT / "config" / "lexicons"
    return Detector.from_mappings({path.stem: tomllib.loads(path.read_text("utf-8")) for path in folder.glob("*.toml")})


def outcomes(detector: Detector, path: Path) -> dict[str, list[Outcome]]:
    def assess(text: str, language: str) -> tuple[Level, tuple[str, ...]]:
        verdict = detector.assess(text, language)
        return verdict.level, verdict.rules

    return by_language(run(load(path), assess))


def test_sets_cover_both_languages_and_every_label(detector: Detector) -> None:
    for path in (
        *(SETS / name for name in TUNING),
        *PATHS.values(),
    ):
        examples = load(path)
        assert {example.language for example in examples} == {"en", "es"}
        assert {example.label for example in examples} == set(Level)
        assert len({example.id for example in examples}) == len(examples), f"{path.name}: ids must be unique"


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", TUNING)
def test_tuning_sets_meet_the_targets(detector: Detector, name: str, language: str) -> None:
    numbers = figures(outcomes(detector, SETS / name)[language])
    assert numbers.meets_targets(), numbers


@pytest.mark.parametrize(("name", "language"), list(FLOORS))
def test_held_out_and_old_sets_read_no_worse_than_so_far(detector: Detector, name: str, language: str) -> None:
    path = PATHS[name]
    numbers, floor = figures(outcomes(detector, path)[language]), FLOORS[name, language]
    assert numbers.count == floor.count
    assert numbers.imminent_recall >= floor.imminent_recall, numbers
    assert numbers.imminent_as_none <= floor.imminent_as_none, numbers
    assert numbers.risk_recall >= floor.risk_recall, numbers
    assert numbers.false_alarms <= floor.false_alarms, numbers
