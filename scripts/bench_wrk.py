"""Closed-loop maximum throughput with `wrk`: the most requests a second an endpoint answers
with its p99 under a bound, over a few connection counts.

wrk sends prepared requests (each with its own MessageSid and Twilio signature, written to a
file beforehand), so a webhook never sees the same message twice and the load generator
computes no HMAC while it measures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

# Reads "path<TAB>signature<TAB>body" lines into ready-made requests, sends them in order,
# and prints one JSON line of figures at the end (latencies in microseconds).
SCRIPT = r"""
local prepared = {}
local index = 0
function init(args)
  for line in io.lines(args[1]) do
    local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
    if signature ~= "" then headers["X-Twilio-Signature"] = signature end
    prepared[#prepared + 1] = wrk.format("POST", path, headers, body)
  end
end
function request()
  index = index % #prepared + 1
  return prepared[index]
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('WRK {"requests": %d, "seconds": %.3f, "socket_errors": %d, "non_2xx": %d, '
    .. '"p50_us": %d, "p90_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, errors.connect + errors.read + errors.write + errors.timeout,
    errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Prepared:
    """One request wrk will send: a path, its signature (empty for none) and a form body."""

    path: str
    signature: str
    body: str


@dataclass(frozen=True)
class WrkRun:
    connections: int
    requests: int
    per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int


def available() -> bool:
    return shutil.which("wrk") is not None


def write_requests(path: Path, requests: Iterable[Prepared]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for request in requests:
            out.write(f"{request.path}\t{request.signature}\t{request.body}\n")
            count += 1
    return count


def run(url: str, requests_file: Path, connections: int, seconds: float, folder: Path) -> WrkRun:
    """One wrk run: one thread (the machine's cores are for the server), `connections` open."""
    script = folder / "prepared.lua"
    script.write_text(SCRIPT)
    result = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            str(requests_file),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("WRK "))
    figures = json.loads(line.removeprefix("WRK "))
    return WrkRun(
        connections=connections,
        requests=figures["requests"],
        per_second=round(figures["requests"] / figures["seconds"], 1),
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=figures["socket_errors"] + figures["non_2xx"],
    )


def best_sustained(runs: Sequence[WrkRun], p99_bound_ms: float) -> WrkRun | None:
    """The highest throughput among error-free runs whose p99 stayed under the bound."""
    good = [run for run in runs if run.p99_ms < p99_bound_ms and run.errors == 0]
    return max(good, key=lambda run: run.per_second, default=None)


def as_dicts(runs: Sequence[WrkRun]) -> list[dict[str, float]]:
    return [asdict(run) for run in runs]
