"""Evaluate the risk detector on the tuning, held-out and old sets: recall and false alarms per language and
class, and a confusion table (gold label x detected level) per set and language.

    .venv/bin/python scripts/evaluate_detector.py                   # every set, figures only
    .venv/bin/python scripts/evaluate_detector.py --misses tuning3  # also the messages read wrong (not held-out)
    .venv/bin/python scripts/evaluate_detector.py --write-docs      # also rewrite docs/detector.md's figures

The held-out set was written apart from the lexicons and is kept unseen so that its figures say how the
detector does on words nobody tuned it for: this script never prints its messages, whatever it is asked.
Exits 1 when the held-out set misses a target in some language.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from escalation.assessment import Level
from escalation.detector import Detector
from escalation.evaluation import LEVELS, Outcome, by_language, class_rows, confusion, figures, load, run

ROOT = Path(__file__).resolve().parents[1]

SETS = {
    "tuning": ROOT / "tests" / "escalation" / "sets" / "tuning.jsonl",
    "tuning2": ROOT / "tests" / "escalation" / "sets" / "tuning2.jsonl",
    "tuning3": ROOT / "tests" / "escalation" / "sets" / "tuning3.jsonl",
    "held-out": ROOT / "tests" / "escalation" / "sets" / "heldout.jsonl",
    "old": ROOT / "tests" / "escalation" / "eval_set.jsonl",
}
UNSEEN = "held-out"
DOCS = ROOT / "docs" / "detector.md"
BEGIN, END = "<!-- evaluation:begin (scripts/evaluate_detector.py --write-docs) -->", "<!-- evaluation:end -->"


def detector() -> Detector:
    folder = ROOT / "config" / "lexicons"
    return Detector.from_mappings(
        {path.stem: tomllib.loads(path.read_text("utf-8")) for path in sorted(folder.glob("*.toml"))}
    )


def outcomes(name: str, reader: Detector) -> list[Outcome]:
    def assess(text: str, language: str) -> tuple[Level, tuple[str, ...]]:
        verdict = reader.assess(text, language)
        return verdict.level, verdict.rules

    return run(load(SETS[name]), assess)


def report(name: str, results: Sequence[Outcome]) -> list[str]:
    """Markdown: the target figures per language, the confusion table per language, the per-class table."""
    lines = [f"### {name} set ({len(results)} messages)", ""]
    lines += [
        "| language | messages | imminent recall | imminent read as none | risk recall | benign false alarms"
        " | targets |"
    ]
    lines += ["| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for language, group in by_language(results).items():
        numbers = figures(group)
        verdict = "met" if numbers.meets_targets() else "missed"
        lines.append(
            f"| {language} | {numbers.count} | {numbers.imminent_recall:.3f} | {numbers.imminent_as_none} "
            f"| {numbers.risk_recall:.3f} | {numbers.false_alarms:.3f} | {verdict} |"
        )
    for language, group in by_language(results).items():
        counts = confusion(group)
        lines += ["", f"Confusion, {language} (rows: gold label, columns: detected level)", ""]
        lines += ["| gold \\ detected | " + " | ".join(level.value for level in LEVELS) + " |", "| --- " * 4 + "|"]
        for label in LEVELS:
            lines.append(f"| {label.value} | " + " | ".join(str(counts[label, level]) for level in LEVELS) + " |")
    lines += [
        "",
        "| class | messages | labels | alarmed | at the label's level |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for kind, count, mix, alarming, exact in class_rows(results):
        lines.append(f"| {kind} | {count} | {mix} | {alarming:.2f} | {exact:.2f} |")
    return lines


def misses(results: Sequence[Outcome]) -> list[str]:
    wrong = [outcome for outcome in results if outcome.assessed is not outcome.example.label]
    return [
        f"{o.example.id} [{o.example.kind}] gold={o.example.label.value} got={o.assessed.value}: {o.example.text}"
        + (f"\n    {'; '.join(o.rules)}" if o.rules else "")
        for o in wrong
    ]


def write_docs(sections: list[str]) -> None:
    text = DOCS.read_text("utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    DOCS.write_text(text[:start] + "\n\n" + "\n".join(sections) + "\n\n" + text[end:], "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", choices=[name for name in SETS if name != UNSEEN], action="append", default=[])
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite the figures in {DOCS.relative_to(ROOT)}")
    args = parser.parse_args()
    reader = detector()
    sections: list[str] = []
    met = True
    for name in SETS:
        results = outcomes(name, reader)
        sections += [*report(name, results), ""]
        if name == UNSEEN:
            met = all(figures(group).meets_targets() for group in by_language(results).values())
        if name in args.misses:
            print("\n".join([f"# messages of the {name} set read wrong", *misses(results), ""]))
    print("\n".join(sections))
    if args.write_docs:
        write_docs(sections)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
