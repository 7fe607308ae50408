"""The fault-injection script, short: every fault recovers with nothing lost and (almost)
nothing sent twice, against real gunicorn, rq worker, PostgreSQL and Redis processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_short_fault_run_loses_nothing(tmp_path: Path) -> None:
    report = tmp_path / "faults.json"
    result = subprocess.run(
        [sys.executable, "-m", "scripts.faults", "--short", "--json", str(report)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = json.loads(report.read_text())
    faults = [row["fault"] for row in summary["rows"]]
    assert faults[1:] == [
        "worker SIGKILL mid-delivery",
        "Redis restart",
        "Twilio 500",
        "Twilio 429",
        "Twilio accepts, then hangs past the client timeout",
        "PostgreSQL down 3 s",
    ]
    assert all(row["sent"] > 0 for row in summary["rows"])
    assert summary["lost"] == 0, result.stdout[-3000:]
    assert summary["duplicated_share"] < 0.001
    assert result.returncode == 0
