"""Performance on this machine: how close the SMS webhook comes to the limit of its own stack,
and how the line's cost grows with volunteers and traffic (issue #9).

One run starts the Procfile's processes (gunicorn with the production settings, rq workers)
against PostgreSQL (database `warmline_bench`), Redis (database 4) and the fake Twilio REST
server, plus two baselines under the same gunicorn command (`scripts/bench_baseline.py`): an
endpoint that only answers empty TwiML, and one that inserts and commits one row. Then:

- maximum sustained requests a second with p99 under 100 ms, closed loop with `wrk`, for
  both baselines and the SMS webhook (texters and volunteers in conversation, each request a
  new signed message), and how fast the workers then clear what the webhook queued;
- open-loop load at fixed rates (50, 100, 200 a second) from another process: a mix of
  texters in conversation (some with imminent risk), volunteers replying, new texters and
  status callbacks; webhook latency p50/p99 by kind, the same for the baselines at the same
  rates, and relay latency (webhook due until the fake Twilio receives the relayed text);
- routing one new texter with 10, 100, 1,000 and 10,000 volunteers on shift;
- `warmline assess` over a large JSONL file, on one core;
- each process's resident memory after the load;
- the supervisors' dashboard, each page loaded in Chromium with an empty line and with a big
  one (500 volunteers on shift, 2,000 conversations in the period);
- a surge of new texters (each request the first text of a new sender): the webhook's
  sustained throughput with the workers routing meanwhile, as a share of the one-insert
  endpoint's, and how many new texters a second the workers route (`scripts/bench_surge.py`).

Figures are ratios and medians measured in one run on a shared machine: compare them with
each other, not with another machine's. With `--runs N` every figure is the median of N runs.

    .venv/bin/python -m scripts.bench --runs 3        # the full benchmark; writes docs/performance.*
    .venv/bin/python -m scripts.bench --short --json /tmp/bench.json --no-docs   # the smoke test's pass
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select, text

from scripts import (
    bench_assess,
    bench_dashboard,
    bench_load,
    bench_report,
    bench_routing,
    bench_surge,
    bench_world,
    bench_wrk,
)
from scripts.bench_load import Conversation, Endpoint, Phase, percentile
from scripts.harness import procfile
from service.db import InboundReceipt
from service.sms import router_seat

ROOT = Path(__file__).resolve().parents[1]

P99_BOUND_MS = 100
RELAY_KINDS = (bench_load.TEXTER, bench_load.VOLUNTEER)


@dataclass(frozen=True)
class Plan:
    wrk_seconds: float
    wrk_connections: tuple[int, ...]
    rates: tuple[int, ...]
    phase_seconds: float
    baseline_seconds: float
    rosters: tuple[int, ...]
    routing_samples: int
    assess_messages: int
    conversations: int
    imminent_conversations: int
    workers: int
    settle_seconds: float
    # After each rate: the line is quiet once no text has gone out for this long.
    settle_quiet_seconds: float
    # Measure `warmline assess` and routing while the processes start (their figures then
    # count nothing but that the code runs: the smoke test's pass).
    overlap_start: bool
    # Loads of each dashboard page, after one to warm up; the best counts.
    dashboard_loads: int
    # Connection counts of the new-texter surge (`scripts/bench_surge.py`).
    surge_connections: tuple[int, ...]


# Each setting: (the full benchmark's, the short pass's). The short pass is the test suite's.
PLAN_SETTINGS: dict[str, tuple[Any, Any]] = {
    "wrk_seconds": (8, 1),
    "wrk_connections": ((1, 2, 4, 8, 16), (2,)),
    "rates": ((50, 100, 200), (50, 100, 200)),
    "phase_seconds": (20, 1.5),
    "baseline_seconds": (8, 0.5),
    "rosters": (bench_routing.ROSTERS, bench_routing.ROSTERS),
    "routing_samples": (15, 1),
    "assess_messages": (200_000, 2_000),
    "conversations": (600, 60),
    "imminent_conversations": (800, 40),
    "workers": (3, 2),
    "settle_seconds": (60, 15),
    "settle_quiet_seconds": (1.5, 0.75),
    "overlap_start": (False, True),
    "dashboard_loads": (5, 1),
    "surge_connections": ((2, 4, 8), (2,)),
}
FULL = Plan(**{name: full for name, (full, _) in PLAN_SETTINGS.items()})
SHORT = Plan(**{name: short for name, (_, short) in PLAN_SETTINGS.items()})


# --- Maximum sustained throughput (closed loop) -----------------------------------------------


def _sms_requests(
    stack: bench_world.Stack, conversations: Sequence[Conversation], count: int, first: int, path: str, signed: bool
) -> list[bench_wrk.Prepared]:
    """Texters (3 in 5) and volunteers (2 in 5) in conversation, each request a new message."""
    endpoint = _endpoint(stack)
    prepared = []
    for index in range(first, first + count):
        pair = conversations[(index * 7919) % len(conversations)]
        if index % 5 < 3:
            sender, to, body = pair.texter, endpoint.main_number, f"{bench_load.EVERYDAY[index % 6]} w{index}"
        else:
            sender, to, body = pair.volunteer, pair.thread, f"{bench_load.REPLIES[index % 3]} w{index}"
        form = bench_load.twilio_sms_form(endpoint, sender, to, body, 900_000_000 + index)
        signature = procfile.signature(endpoint.auth_token, endpoint.public_url, path, form) if signed else ""
        prepared.append(bench_wrk.Prepared(path, signature, urlencode(form)))
    return prepared


def max_throughput(
    stack: bench_world.Stack, conversations: Sequence[Conversation], plan: Plan, folder: Path
) -> dict[str, Any]:
    """wrk against both baselines and the webhook at each connection count, the three in turn
    (whatever else the machine runs then weighs on all three alike). The webhook runs without
    workers, as the baselines do, but as it runs under a stream of texts: a router seated (and
    paused with the workers), so that each webhook wakes it and queues no job. The texts wait,
    then the workers clear them."""
    expected = int(4_000 * plan.wrk_seconds)  # more than the webhook answers (the baselines cycle through theirs)
    files = {}
    for name in ("empty", "insert"):
        files[name] = folder / f"wrk-{name}.txt"
        bench_wrk.write_requests(files[name], _sms_requests(stack, conversations, 2_000, 0, f"/{name}", signed=False))
    urls = {
        "empty": f"{stack.baseline_url}/empty",
        "insert": f"{stack.baseline_url}/insert",
        "webhook": f"{stack.web_url}/twilio/sms",
    }
    _pause_with_router_seated(
        stack, _sms_requests(stack, conversations, 200, 10 * expected * len(plan.wrk_connections), "/twilio/sms", True)
    )
    runs: dict[str, list[bench_wrk.WrkRun]] = {name: [] for name in urls}
    for index, connections in enumerate(plan.wrk_connections):
        files["webhook"] = folder / f"wrk-webhook-{index}.txt"  # every request a new message, every run new ones
        bench_wrk.write_requests(
            files["webhook"], _sms_requests(stack, conversations, expected, index * expected, "/twilio/sms", True)
        )
        for name, url in urls.items():
            run = bench_wrk.run(url, files[name], connections, plan.wrk_seconds, folder)
            if name == "webhook" and run.requests >= expected:
                raise RuntimeError("wrk ran out of new messages for the webhook: raise `expected`")
            runs[name].append(run)
    drain = _drain(stack, plan)
    best = {name: bench_wrk.best_sustained(found, P99_BOUND_MS) for name, found in runs.items()}
    rate = {name: run.per_second if run else 0.0 for name, run in best.items()}
    return {
        "per_second": rate,
        "webhook_to_insert": round(rate["webhook"] / rate["insert"], 3) if rate["insert"] else None,
        "webhook_to_empty": round(rate["webhook"] / rate["empty"], 3) if rate["empty"] else None,
        "insert_to_empty": round(rate["insert"] / rate["empty"], 3) if rate["empty"] else None,
        "workers_clear_per_second": drain,
        "runs": {name: bench_wrk.as_dicts(found) for name, found in runs.items()},
    }


def _pause_with_router_seated(stack: bench_world.Stack, texts: Sequence[bench_wrk.Prepared]) -> None:
    """Send texts until a router holds its seat, then pause the workers with it seated."""
    seated = text(router_seat.SEAT_TAKEN)
    with stack.runtime.engine.connect() as connection:
        for prepared in texts:
            request = urllib.request.Request(
                stack.web_url + prepared.path,
                data=prepared.body.encode(),
                method="POST",
                headers={"X-Twilio-Signature": prepared.signature, "Content-Type": "application/x-www-form-urlencoded"},
            )
            urllib.request.urlopen(request, timeout=10).close()
            time.sleep(0.02)
            if connection.scalar(seated):
                stack.pause_workers()
                if connection.scalar(seated):
                    return
                stack.resume_workers()
    raise RuntimeError("no router took its seat: see the workers' logs in " + str(stack.folder))


def _drain(stack: bench_world.Stack, plan: Plan) -> float:
    """Resume the workers on the texts the webhook stored: texts routed (and relayed) a second
    until none is left waiting."""
    waiting = select(func.count()).select_from(InboundReceipt).where(InboundReceipt.routed_at.is_(None))
    stack.resume_workers()
    with stack.runtime.engine.connect() as connection:
        stored = connection.scalar(waiting) or 0
        started = time.monotonic()
        while connection.scalar(waiting):
            connection.rollback()
            time.sleep(0.1)
            if time.monotonic() - started > 600:
                raise RuntimeError("the workers did not route the stored texts in 10 minutes")
    return round(stored / (time.monotonic() - started), 1)


# --- Fixed rates (open loop) -------------------------------------------------------------------


def _endpoint(stack: bench_world.Stack, url: str | None = None) -> Endpoint:
    return Endpoint(
        url=url or stack.web_url,
        public_url=bench_world.PUBLIC_URL,
        account_sid=stack.twilio.account_sid,
        auth_token=stack.twilio.auth_token,
        twilio_control_url=stack.twilio.base_url,
        main_number=stack.runtime.settings.line.main_number,
    )


class LoadProcess:
    """The process that sends the webhooks (`bench_load.serve`), apart from this one, which
    meanwhile only waits: the load generator's own work never delays what it measures."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=bench_load.serve, args=(theirs,), daemon=True)
        self._process.start()

    def drive(self, endpoint: Endpoint, phase: Phase) -> bench_load.Result:
        self._connection.send((endpoint, phase))
        if not self._connection.poll(phase.seconds + 300):
            raise RuntimeError(f"the load process did not finish phase {phase.number}")
        return bench_load.Result.from_json(self._connection.recv())

    def close(self) -> None:
        self._connection.send(None)
        self._process.join(timeout=10)


def _latency(sent: Sequence[bench_load.Sent]) -> dict[str, float | int | None]:
    answered = [
        request.latency_ms for request in sent if 200 <= request.status < 300 and request.latency_ms is not None
    ]
    return {
        "p50": percentile(answered, 0.5),
        "p99": percentile(answered, 0.99),
        "count": len(sent),
        "failed": len(sent) - len(answered),
    }


def fixed_rates(
    stack: bench_world.Stack,
    pairs: Sequence[Conversation],
    imminent: Sequence[Conversation],
    plan: Plan,
    load: LoadProcess,
) -> dict[str, Any]:
    """At each rate: both baselines, then the mix against the webhook, then until the line is quiet."""
    figures: dict[str, Any] = {}
    used_imminent = 0
    number = 1
    for rate in plan.rates:
        row: dict[str, Any] = {}
        for name in ("empty", "insert"):
            phase = Phase(
                number=number,
                rate=rate,
                seconds=plan.baseline_seconds,
                conversations=tuple(pairs),
                imminent_conversations=(),
                new_texters=(),
                path=f"/{name}",
            )
            row[name] = _latency(load.drive(_endpoint(stack, stack.baseline_url), phase).requests)
            number += 1
        share = bench_load.MIX.count(bench_load.IMMINENT) / len(bench_load.MIX)
        imminent_needed = int(rate * plan.phase_seconds * share) + 1
        if used_imminent + imminent_needed > len(imminent):
            raise RuntimeError("not enough conversations for imminent messages: seed more")
        new_texters = tuple(
            f"+140457{number:02d}{index:03d}" for index in range(int(rate * plan.phase_seconds / 20) + 1)
        )
        phase = Phase(
            number=number,
            rate=rate,
            seconds=plan.phase_seconds,
            conversations=tuple(pairs),
            imminent_conversations=tuple(imminent[used_imminent : used_imminent + imminent_needed]),
            new_texters=new_texters,
        )
        used_imminent += imminent_needed
        seen = len(stack.twilio.messages())
        result = load.drive(_endpoint(stack), phase)
        stack.twilio.settle(quiet=plan.settle_quiet_seconds, timeout=plan.settle_seconds)
        row.update(_mix_figures(result, stack.twilio.messages(after=seen), phase.number))
        row["ratio_to_empty"] = _ratios(row["webhook"], row["empty"])
        row["ratio_to_insert"] = _ratios(row["webhook"], row["insert"])
        figures[str(rate)] = row
        number += 1
    return figures


def _mix_figures(result: bench_load.Result, sent_texts: Sequence[dict[str, Any]], phase: int) -> dict[str, Any]:
    """Webhook latency overall and by kind, the crisis text's presence, and relay latency."""
    requests = [request for request in result.requests if request.kind != "status_skipped"]
    figures: dict[str, Any] = {
        "webhook": _latency(requests),
        "late_start_ms": round(result.late_start_ms, 1),
        "status_callbacks_skipped": sum(request.kind == "status_skipped" for request in result.requests),
    }
    figures["by_kind"] = {
        kind: _latency([r for r in requests if r.kind == kind]) for kind in (*bench_load.SMS_KINDS, bench_load.STATUS)
    }
    imminent = [request for request in requests if request.kind == bench_load.IMMINENT]
    figures["imminent_inline_share"] = (
        round(sum(r.inline_reply for r in imminent) / len(imminent), 3) if imminent else None
    )
    arrived: dict[str, float] = {}
    token = re.compile(rf"\bb{phase}-(\d+)\b")
    for sent in sent_texts:
        for found in token.findall(sent.get("Body", "")):
            arrived.setdefault(f"b{phase}-{found}", sent["received_at"])
    relayed = [request for request in requests if request.kind in RELAY_KINDS and request.status == 200]
    delays = [(arrived[r.token] - r.due) * 1000 for r in relayed if r.token in arrived]
    figures["relay"] = {
        "p50": percentile(delays, 0.5),
        "p99": percentile(delays, 0.99),
        "relayed": len(delays),
        "expected": len(relayed),
    }
    return figures


def _ratios(measured: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    return {
        key: round(measured[key] / baseline[key], 2) if measured[key] and baseline[key] else None
        for key in ("p50", "p99")
    }


# --- Assessment, memory -----------------------------------------------------------------------


def assess_rate(messages: int, env: dict[str, str], folder: Path, net_of_start: bool) -> dict[str, float | None]:
    """`warmline assess` over a JSONL file of `messages`, each with its language (as an operator
    tuning a lexicon has them) and again without (every lexicon reads each, as in a webhook):
    messages per second of the command's own CPU time, which one core gives it whatever else
    the machine runs, and of wall time; both net of an empty run's (its start, the lexicons'
    compilation: seconds). Without `net_of_start` (the smoke test), one run, start included."""
    with_language = folder / "assess.jsonl"
    bench_assess.generate(with_language, messages, seed=20240601)
    command = [str(Path(sys.executable).parent / "warmline"), "assess"]

    def timed(source: Path | None) -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        with source.open("rb") if source else open(os.devnull, "rb") as stdin:
            subprocess.run(command, stdin=stdin, stdout=subprocess.DEVNULL, env=env, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall

    if not net_of_start:
        cpu, wall = timed(with_language)
        return {
            "messages": messages,
            "per_second": round(messages / cpu),
            "per_second_wall": round(messages / wall),
            "per_second_any_language": None,
            "startup_seconds": None,
        }
    without_language = folder / "assess-any-language.jsonl"
    without_language.write_text(
        "".join(
            json.dumps({key: value for key, value in json.loads(line).items() if key != "language"}, ensure_ascii=False)
            + "\n"
            for line in with_language.read_text().splitlines()
        )
    )
    start_cpu, start_wall = timed(None)
    cpu, wall = timed(with_language)
    any_cpu, _ = timed(without_language)
    return {
        "messages": messages,
        "per_second": round(messages / max(cpu - start_cpu, 1e-3)),
        "per_second_wall": round(messages / max(wall - start_wall, 1e-3)),
        "per_second_any_language": round(messages / max(any_cpu - start_cpu, 1e-3)),
        "startup_seconds": round(start_wall, 2),
    }


def memory(stack: bench_world.Stack) -> dict[str, float]:
    return {name: procfile.resident_megabytes(pid) for name, pid in stack.processes().items()}


# --- One run, several runs, the report --------------------------------------------------------


def _progress(started: float, what: str) -> None:
    print(f"  {time.monotonic() - started:6.1f} s  {what}", file=sys.stderr, flush=True)


def measure(plan: Plan, folder: Path, database: str, redis_db: int) -> dict[str, Any]:
    """One run of every measurement, on a fresh database."""
    started = time.monotonic()
    stack = bench_world.Stack(folder, database, redis_db)
    figures: dict[str, Any] = {"load_average_before": os.getloadavg()[0]}
    try:
        _progress(started, "starting gunicorn (app, baselines) and rq workers")
        stack.start(plan.workers)
        if not plan.overlap_start:
            stack.wait_until_ready()
        _progress(started, "warmline assess")
        figures["assess"] = assess_rate(plan.assess_messages, stack.env, folder, net_of_start=not plan.overlap_start)
        _progress(started, "routing with 10 to 10,000 volunteers on shift")
        figures["routing_ms"] = bench_routing.measure(stack.runtime, plan.rosters, plan.routing_samples)
        stack.wait_until_ready()
        seeded = bench_world.seed_pairs(
            stack.runtime, plan.conversations + plan.imminent_conversations, 20, datetime.now(UTC)
        )
        conversations = [Conversation(pair.texter, pair.volunteer, pair.thread) for pair in seeded]
        pairs, imminent = conversations[: plan.conversations], conversations[plan.conversations :]
        _progress(started, "maximum throughput (wrk)")
        figures["throughput"] = max_throughput(stack, pairs, plan, folder)
        load = LoadProcess()
        try:
            _progress(started, f"fixed rates {', '.join(map(str, plan.rates))} a second")
            figures["rates"] = fixed_rates(stack, pairs, imminent, plan, load)
        finally:
            load.close()
        figures["memory_mb"] = memory(stack)
        _progress(started, "the dashboard of an empty line and of a big one")
        figures["dashboard_ms"] = bench_dashboard.measure(stack, plan.dashboard_loads)
        # Last: it leaves tens of thousands of texters waiting in the queue.
        _progress(started, "a surge of new texters")
        figures["surge"] = bench_surge.measure(
            stack, _endpoint(stack), plan.surge_connections, plan.wrk_seconds, P99_BOUND_MS, folder
        )
    finally:
        stack.stop()
    _progress(started, "done")
    figures["load_average_after"] = os.getloadavg()[0]
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--short", action="store_true", help="a quick pass with every figure (the test suite runs this)"
    )
    parser.add_argument("--runs", type=int, default=1, help="repeat the whole run; figures are the medians")
    parser.add_argument("--workers", type=int, help="rq worker processes (default: the plan's)")
    parser.add_argument("--json", type=Path, help="write the report as JSON here (default docs/performance.json)")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/performance.md and the chart alone")
    parser.add_argument("--database", default=bench_world.DATABASE, help="PostgreSQL database to (re)create and use")
    parser.add_argument("--redis-db", type=int, default=bench_world.REDIS_DB, help="Redis database to flush and use")
    args = parser.parse_args()
    if not bench_wrk.available():
        parser.error("wrk is not installed (`make services` installs it; Debian: apt-get install wrk)")
    plan = SHORT if args.short else FULL
    if args.workers:
        plan = replace(plan, workers=args.workers)
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="warmline-bench-") as scratch:
            print(f"run {number + 1} of {args.runs}", file=sys.stderr, flush=True)
            runs.append(measure(plan, Path(scratch), args.database, args.redis_db))
    report = bench_report.summarise(runs, plan=plan.__dict__, short=args.short)
    out = args.json or ROOT / "docs" / "performance.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    if not args.no_docs:
        bench_report.write_markdown(report, ROOT / "docs" / "performance.md")
        bench_report.write_chart(report, ROOT / "docs" / "performance.png")
    print(bench_report.table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
