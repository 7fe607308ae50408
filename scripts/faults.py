"""Fault injection: is every message delivered at least once, and as few as possible twice?

Runs the Procfile's processes (gunicorn with the app factory, `rq worker --with-scheduler`)
against a PostgreSQL database of its own (behind a TCP proxy that can cut it), a Redis of
its own (so it can be restarted) and the fake Twilio API, then streams texter and volunteer
messages while injecting one fault at a time: a worker SIGKILLed mid-delivery, Redis
restarted, Twilio answering 500, 429, or hanging past the client timeout, PostgreSQL down
for 10 seconds (the short pass: shorter faults). Each message carries a unique token, so the
fake Twilio's record tells, per fault, what was sent, delivered, lost and duplicated, and how
long recovery took.

    .venv/bin/python -m scripts.faults            # the full run, ~3 minutes
    .venv/bin/python -m scripts.faults --short    # a quick pass (the test suite runs this)
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from scripts.harness import database, procfile
from scripts.harness.fake_twilio import FakeTwilio
from scripts.harness.redis_server import RedisServer
from scripts.harness.tcp_proxy import TcpProxy
from service.db.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]

PUBLIC_URL = "https://warmline.example.org"
CONFIG = """
[delivery]
twilio_timeout_seconds = 2
retry_base_seconds = 0.5
stuck_after_seconds = 4
sweep_interval_seconds = 1
[inbound]
max_texts_per_minute = 1000
"""
TOKEN = re.compile(r"\bm(\d+)-(\d+)\b")


@dataclass(frozen=True)
class Row:
    fault: str
    sent: int
    delivered: int
    lost: int
    duplicated: int
    recover_seconds: float


class Lab:
    """Every process and service of one run, each of which a fault can stop and start."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.web_port = procfile.free_port()
        self.redis = RedisServer(folder)
        self.twilio = FakeTwilio()
        self.proxy = TcpProxy(5432)
        self.proxy.start()
        self.database = f"warmline_faults_{secrets.token_hex(3)}"
        database_url = database.create_database(self.database).replace(":5432/", f":{self.proxy.port}/")
        (folder / "faults.toml").write_text(CONFIG)
        self.env = procfile.line_environment(
            self.twilio,
            database_url,
            self.redis.url,
            folder / "faults.toml",
            PUBLIC_URL,
            PORT=str(self.web_port),
        )
        engine = create_engine(self.env["DATABASE_URL"])
        upgrade(engine)
        engine.dispose()
        self.worker: subprocess.Popen[bytes] | None = None
        self.redis.start()
        self.web = procfile.spawn(procfile.procfile()["web"], self.env, folder / "web.log")
        self.start_worker()
        procfile.wait_for_http(f"http://127.0.0.1:{self.web_port}/healthz", folder / "web.log")

    def start_worker(self) -> None:
        if self.worker is None or self.worker.poll() is not None:
            self.worker = procfile.spawn(procfile.procfile()["worker"], self.env, self.folder / "worker.log")

    def kill_worker(self) -> None:
        assert self.worker is not None
        procfile.kill(self.worker)

    def restart_redis_and_worker(self) -> None:
        """Recovery from a Redis restart: Redis back, then (after a moment) the worker."""
        self.redis.start()
        time.sleep(0.5)
        self.start_worker()

    def text(self, sender: str, body: str) -> int:
        form = procfile.sms_form(self.twilio.account_sid, sender, "+15005550006", body)
        signature = procfile.signature(self.twilio.auth_token, PUBLIC_URL, "/twilio/sms", form)
        try:
            return requests.post(
                f"http://127.0.0.1:{self.web_port}/twilio/sms",
                data=form,
                timeout=20,
                headers={"X-Twilio-Signature": signature},
            ).status_code
        except requests.RequestException:
            return 0

    def stop(self) -> None:
        for process in (self.web, self.worker):
            procfile.stop(process)
        self.redis.stop()
        self.proxy.cut()
        self.twilio.stop()
        database.drop_database(self.database)


def connect_pairs(lab: Lab, pairs: int) -> list[tuple[str, str]]:
    """Volunteers on shift, each in a conversation with one texter (a volunteer holds two)."""
    volunteers = [f"+1303555{index:04d}" for index in range((pairs + 1) // 2)]
    engine = create_engine(lab.env["DATABASE_URL"])
    with engine.begin() as connection:
        for phone in volunteers:
            connection.execute(
                text(
                    "INSERT INTO volunteers (name, alias, phone, languages, active, awaiting_ok, created_at) "
                    "VALUES (:p, 'V', :p, 'en', true, false, now())"
                ),
                {"p": phone},
            )
    engine.dispose()
    for phone in volunteers:
        lab.text(phone, "#on")
    pairs_made = []
    for index in range(pairs):
        volunteer, texter = volunteers[index // 2], f"+1404555{index:04d}"
        lab.text(texter, "hello, can we talk")
        time.sleep(0.3)
        lab.text(volunteer, "#yes")
        pairs_made.append((volunteer, texter))
    time.sleep(2)
    return pairs_made


def run_phase(
    lab: Lab,
    phase: int,
    name: str,
    pairs: list[tuple[str, str]],
    seconds: float,
    rate: float,
    fault: Callable[[], None],
    heal: Callable[[], None],
    fault_after: float,
    heal_after: float,
    settle: float,
) -> Row:
    """Stream messages for `seconds`; inject the fault and heal it at the given offsets; then
    wait for delivery and count, from the fake Twilio's record, what arrived how often. Time
    to recover: from the heal until the last message sent before it reached Twilio."""
    started, count = time.monotonic(), 0
    faulted = healed = False
    healed_at, sent_before_heal = time.time(), 0
    while (elapsed := time.monotonic() - started) < seconds:
        if not faulted and elapsed >= fault_after:
            fault()
            faulted = True
        if faulted and not healed and elapsed >= heal_after:
            heal()
            healed, healed_at, sent_before_heal = True, time.time(), count
        volunteer, texter = pairs[count % len(pairs)]
        sender = texter if count % 2 else volunteer
        lab.text(sender, f"token m{phase}-{count} from the stream")
        count += 1
        time.sleep(max(0.0, count / rate - (time.monotonic() - started)))
    if not healed:
        heal()
        healed_at, sent_before_heal = time.time(), count
    expected = set(range(count))
    deadline = time.monotonic() + settle
    arrivals: dict[int, list[float]] = {}
    while time.monotonic() < deadline:
        arrivals = {}
        for message in lab.twilio.messages():
            for p, n in TOKEN.findall(message.get("Body", "")):
                if int(p) == phase:
                    arrivals.setdefault(int(n), []).append(float(message["received_at"]))
        if set(arrivals) >= expected:
            break
        time.sleep(0.25)
    delivered = len(set(arrivals) & expected)
    backlog_cleared = max((min(arrivals[n]) for n in range(sent_before_heal) if n in arrivals), default=healed_at)
    return Row(
        fault=name,
        sent=count,
        delivered=delivered,
        lost=count - delivered,
        duplicated=sum(len(times) - 1 for times in arrivals.values()),
        recover_seconds=round(max(0.0, backlog_cleared - healed_at), 1),
    )


def _nothing() -> None:
    """The fault and the recovery of the run without a fault."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="short phases (for the test suite)")
    parser.add_argument("--json", type=Path, help="write the table as JSON here too")
    args = parser.parse_args()
    # How long each fault lasts, full run and short pass; a short pass also injects it after half
    # a second and streams on for half a second past the heal (a hang outlasts the 2 s client timeout).
    seconds, rate, fault_at, after_heal = (2.0, 5.0, 0.5, 0.5) if args.short else (20.0, 10.0, 1.0, 1.0)
    with tempfile.TemporaryDirectory(prefix="warmline-faults-") as scratch:
        lab = Lab(Path(scratch))
        try:
            pairs = connect_pairs(lab, 4)
            lasting = {"kill": (2, 1), "redis": (3, 1.5), "twilio": (3, 1.5), "hang": (4, 3), "postgres": (10, 3)}
            last = {name: short if args.short else full for name, (full, short) in lasting.items()}
            phases: list[tuple[str, Callable[[], None], Callable[[], None], float]] = [
                ("none", _nothing, _nothing, 0),
                ("worker SIGKILL mid-delivery", lab.kill_worker, lab.start_worker, last["kill"]),
                (
                    "Redis restart",
                    lab.redis.stop,
                    lab.restart_redis_and_worker,
                    last["redis"],
                ),
                (
                    "Twilio 500",
                    lambda: lab.twilio.fault("status500", seconds=last["twilio"]),
                    lab.twilio.clear_faults,
                    last["twilio"],
                ),
                (
                    "Twilio 429",
                    lambda: lab.twilio.fault("status429", seconds=last["twilio"]),
                    lab.twilio.clear_faults,
                    last["twilio"],
                ),
                (
                    "Twilio hangs past the client timeout",
                    lambda: lab.twilio.fault("hang", seconds=last["hang"]),
                    lab.twilio.clear_faults,
                    last["hang"],
                ),
                (f"PostgreSQL down {last['postgres']:g} s", lab.proxy.cut, lab.proxy.start, last["postgres"]),
            ]
            rows = [
                run_phase(
                    lab,
                    index,
                    name,
                    pairs,
                    max(seconds, fault_at + lasts + after_heal),
                    rate,
                    fault,
                    heal,
                    fault_at,
                    fault_at + lasts,
                    settle=60,
                )
                for index, (name, fault, heal, lasts) in enumerate(phases)
            ]
        finally:
            lab.stop()
    print("| fault | sent | delivered | lost | duplicated | time to recover (s) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.fault} | {row.sent} | {row.delivered} | {row.lost} | {row.duplicated} | {row.recover_seconds} |")
    total_sent = sum(row.sent for row in rows)
    duplicated = sum(row.duplicated for row in rows)
    lost = sum(row.lost for row in rows)
    duplicated_share = round(duplicated / max(total_sent, 1), 4)
    summary = {"rows": [asdict(row) for row in rows], "lost": lost, "duplicated_share": duplicated_share}
    print(json.dumps(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if lost == 0 and duplicated_share < 0.001 else 1


if __name__ == "__main__":
    sys.exit(main())
