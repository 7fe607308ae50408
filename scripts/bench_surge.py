"""A surge of new texters (the line mentioned in the news), for `scripts/bench.py`.

Every request is the first text of a new, distinct sender. Two figures:

- the webhook's maximum sustained throughput (p99 under the bound, closed loop with `wrk`)
  under that surge, with the workers routing what it stores on the same machine, as a
  share of the one-insert endpoint's, measured in turn at each connection count;
- how many new texters the workers route a second (texter, conversation, first message,
  welcome, place in line, offers): the webhook stores a batch with the workers paused, then
  the workers route it alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from scripts import bench_load, bench_world, bench_wrk
from scripts.bench_load import Endpoint
from scripts.harness import procfile
from service.db import InboundReceipt

# Far from every number the rest of the benchmark uses (+1404 55x and 57x).
FIRST_SENDER = 7_000_000


def requests(endpoint: Endpoint, first: int, count: int, path: str, signed: bool) -> list[bench_wrk.Prepared]:
    """The first text of `count` new texters, each from a number of their own."""
    prepared = []
    for index in range(first, first + count):
        sender = f"+1404{FIRST_SENDER + index:07d}"
        form = bench_load.twilio_sms_form(
            endpoint, sender, endpoint.main_number, f"hi, is anyone there? s{index}", 800_000_000 + index
        )
        signature = procfile.signature(endpoint.auth_token, endpoint.public_url, path, form) if signed else ""
        prepared.append(bench_wrk.Prepared(path, signature, urlencode(form)))
    return prepared


def measure(
    stack: bench_world.Stack,
    endpoint: Endpoint,
    connections: Sequence[int],
    seconds: float,
    p99_bound_ms: float,
    folder: Path,
) -> dict[str, Any]:
    """The surge against the one-insert endpoint and the webhook at each connection count, the
    workers routing; then the workers' own routing rate on a batch stored while they wait."""
    expected = int(3_000 * seconds)  # more than the webhook answers under the surge
    insert_file = folder / "surge-insert.txt"
    bench_wrk.write_requests(insert_file, requests(endpoint, 0, 2_000, "/insert", signed=False))
    runs: dict[str, list[bench_wrk.WrkRun]] = {"insert": [], "webhook": []}
    used = 0
    for count in connections:
        webhook_file = folder / f"surge-webhook-{count}.txt"
        bench_wrk.write_requests(webhook_file, requests(endpoint, used, expected, "/twilio/sms", signed=True))
        used += expected
        runs["insert"].append(bench_wrk.run(f"{stack.baseline_url}/insert", insert_file, count, seconds, folder))
        run = bench_wrk.run(f"{stack.web_url}/twilio/sms", webhook_file, count, seconds, folder)
        if run.requests >= expected:
            raise RuntimeError("wrk ran out of new texters for the surge: raise `expected`")
        runs["webhook"].append(run)
    routed_during = _wait_until_routed(stack)
    best = {name: bench_wrk.best_sustained(found, p99_bound_ms) for name, found in runs.items()}
    rate = {name: found.per_second if found else 0.0 for name, found in best.items()}
    return {
        "per_second": rate,
        "webhook_to_insert": round(rate["webhook"] / rate["insert"], 3) if rate["insert"] else None,
        "routed_after_runs_seconds": routed_during,
        "routing_per_second": _routing_rate(stack, endpoint, used, connections[-1], seconds, folder),
        "runs": {name: bench_wrk.as_dicts(found) for name, found in runs.items()},
    }


_WAITING = select(func.count()).select_from(InboundReceipt).where(InboundReceipt.routed_at.is_(None))


def _wait_until_routed(stack: bench_world.Stack, timeout: float = 900) -> float:
    """Seconds until no stored text waits for routing."""
    started = time.monotonic()
    with stack.runtime.engine.connect() as connection:
        while connection.scalar(_WAITING):
            connection.rollback()
            if time.monotonic() - started > timeout:
                raise RuntimeError("the workers did not route the surge in time")
            time.sleep(0.2)
    return round(time.monotonic() - started, 1)


def _routing_rate(
    stack: bench_world.Stack, endpoint: Endpoint, first: int, connections: int, seconds: float, folder: Path
) -> float:
    """New texters routed a second by the workers alone: the webhook stores a surge while they
    are paused, then they route it."""
    batch = folder / "surge-batch.txt"
    bench_wrk.write_requests(batch, requests(endpoint, first, int(3_000 * seconds), "/twilio/sms", signed=True))
    stack.pause_workers()
    try:
        bench_wrk.run(f"{stack.web_url}/twilio/sms", batch, connections, seconds, folder)
    finally:
        stack.resume_workers()
    with stack.runtime.engine.connect() as connection:
        stored = connection.scalar(_WAITING) or 0
    started = time.monotonic()
    _wait_until_routed(stack)
    return round(stored / (time.monotonic() - started), 1)
