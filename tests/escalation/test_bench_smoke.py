"""The assessment benchmark runs and reports every figure (the figures themselves are measured, not tested)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_assess.py"


def test_bench_assess_reports_rate_and_added_webhook_latency() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--messages", "2000"], capture_output=True, text=True, timeout=120, check=True
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["messages"] == 2000 and report["per_second"] > 0
    assert 0 < report["webhook_added_us"]["p50"] <= report["webhook_added_us"]["p99"]
