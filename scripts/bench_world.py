"""The line the benchmark runs against: its processes and the people in its database.

`Stack` starts the Procfile's processes (gunicorn with the production settings, rq workers)
against the benchmark's PostgreSQL database and Redis database and the fake Twilio server,
plus the baselines (`scripts/bench_baseline.py`) under the same gunicorn command. `seed_pairs`
writes volunteers on shift, each already in conversation with texters, straight into the
database (the webhooks would take minutes to build the same world).
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import redis
from sqlalchemy import create_engine

from scripts.harness import procfile, seed
from scripts.harness.database import create_database
from scripts.harness.fake_twilio import FakeTwilio
from service.db import Conversation, Shift, Supervisor, Texter, Volunteer
from service.db.migrate import upgrade
from service.runtime import Runtime
from service.settings import Settings

DATABASE = "warmline_bench"
REDIS_DB = 4
PUBLIC_URL = "https://warmline.example.org"
# Texters here are machines: a per-minute flood limit would only slow them down to its notice.
CONFIG = """
[inbound]
max_texts_per_minute = 100000
[shifts]
max_conversations_per_shift = 100000
"""
APP = '"service.app:create_app()"'
BASELINE_APP = '"scripts.bench_baseline:create_app()"'


def volunteer_phone(index: int) -> str:
    return f"+130355{index:05d}"


def texter_phone(index: int) -> str:
    return f"+140455{index:05d}"


class Stack:
    """Every process of one benchmark run. The database and settings exist from the start;
    `start()` runs the processes; `stop()` ends them (the database stays, for inspection)."""

    def __init__(self, folder: Path, database: str = DATABASE, redis_db: int = REDIS_DB) -> None:
        self.folder = folder
        self.twilio = FakeTwilio(log_level="WARNING")
        self.web_port, self.baseline_port = procfile.free_port(), procfile.free_port()
        database_url = create_database(database, replace=True)
        engine = create_engine(database_url)
        upgrade(engine)
        engine.dispose()
        self.redis_url = f"redis://127.0.0.1:6379/{redis_db}"
        redis.Redis.from_url(self.redis_url).flushdb()
        (folder / "bench.toml").write_text(CONFIG)
        self.env = procfile.line_environment(
            self.twilio, database_url, self.redis_url, folder / "bench.toml", PUBLIC_URL
        )
        self.runtime = Runtime(Settings.from_environment(self.env))
        self.web: subprocess.Popen[bytes] | None = None
        self.baseline: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def start(self, workers: int) -> None:
        """Spawn gunicorn for the app and for the baselines, and `workers` rq workers, as the
        Procfile runs them; `wait_until_ready` waits for them."""
        commands = procfile.procfile()
        assert APP in commands["web"], "the Procfile's web command no longer names the app factory"
        self.web = procfile.spawn(commands["web"], {**self.env, "PORT": str(self.web_port)}, self.folder / "web.log")
        self.baseline = procfile.spawn(
            commands["web"].replace(APP, BASELINE_APP),
            {**self.env, "PORT": str(self.baseline_port)},
            self.folder / "baseline.log",
        )
        self._spawn_workers(workers)

    def wait_until_ready(self) -> None:
        """Until every process answers: each has compiled the lexicons, none is still starting."""
        procfile.wait_for_http(f"{self.web_url}/healthz", self.folder / "web.log", timeout=120)
        procfile.wait_for_http(f"{self.baseline_url}/healthz", self.folder / "baseline.log", timeout=120)
        registry = redis.Redis.from_url(self.redis_url)
        deadline = time.monotonic() + 120
        while registry.scard("rq:workers") < len(self.workers):
            if time.monotonic() > deadline or any(worker.poll() is not None for worker in self.workers):
                raise RuntimeError("the rq workers did not start: see " + str(self.folder))
            time.sleep(0.1)

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def baseline_url(self) -> str:
        return f"http://127.0.0.1:{self.baseline_port}"

    def pause_workers(self) -> None:
        """Stop the rq workers where they are (SIGSTOP): they take no CPU and no job until
        `resume_workers`, and need no new start (seconds of lexicon compiling) afterwards."""
        for worker in self.workers:
            worker.send_signal(signal.SIGSTOP)

    def resume_workers(self) -> None:
        for worker in self.workers:
            worker.send_signal(signal.SIGCONT)

    def _spawn_workers(self, count: int) -> None:
        command = procfile.procfile()["worker"]
        self.workers += [
            procfile.spawn(command, self.env, self.folder / f"worker-{len(self.workers) + index}.log")
            for index in range(count)
        ]

    def processes(self) -> dict[str, int]:
        """The pid of every process serving the line, named as a report would name them."""
        found = {"fake twilio": self.twilio.pid}
        for name, process in (("web", self.web), ("baseline", self.baseline)):
            if process is not None:
                found[f"{name} (gunicorn master)"] = process.pid
                for index, child in enumerate(procfile.children(process.pid)):
                    found[f"{name} worker {index + 1}"] = child
        for index, worker in enumerate(self.workers):
            found[f"rq worker {index + 1}"] = worker.pid
        return found

    def stop(self) -> None:
        self.resume_workers()  # a paused worker would not hear SIGTERM until resumed
        for process in (self.web, self.baseline, *self.workers):
            procfile.stop(process)
        self.web = self.baseline = None
        self.workers = []
        self.runtime.engine.dispose()
        self.twilio.stop()


@dataclass(frozen=True)
class Pair:
    """A texter in conversation with a volunteer, and the line number of their thread."""

    texter: str
    volunteer: str
    thread: str


def seed_pairs(runtime: Runtime, pairs: int, idle_volunteers: int, now: datetime) -> list[Pair]:
    """Volunteers on shift holding two conversations each (one per thread), `idle_volunteers`
    more with none, and a supervisor on call."""
    vault, numbers = runtime.vault, runtime.settings.line.numbers
    holding = (pairs + 1) // 2
    made: list[Pair] = []
    with runtime.sessions() as session, session.begin():
        volunteers = [
            Volunteer(
                **seed.volunteer(
                    f"V{index}",
                    volunteer_phone(index),
                    now - timedelta(days=30),
                    name=f"Volunteer {index}",
                    languages="en,es" if index % 5 == 0 else "en",
                ),
            )
            for index in range(holding + idle_volunteers)
        ]
        session.add_all(volunteers)
        session.add(Supervisor(**seed.supervisor("Sam Lee", "+13035559999", now, email="sam@example.org")))
        session.flush()
        session.add_all(
            Shift(
                volunteer_id=volunteer.id,
                started_at=now - timedelta(minutes=30),
                planned_end_at=now + timedelta(hours=3),
                conversations_taken=2 if index < holding else 0,
            )
            for index, volunteer in enumerate(volunteers)
        )
        for index in range(pairs):
            volunteer, thread, phone = volunteers[index // 2], numbers[index % 2], texter_phone(index)
            texter = Texter(
                pseudonym=f"T-{index:06d}",
                phone_hash=vault.lookup_hash(phone),
                phone_encrypted=vault.encrypt(phone),
                language="en",
                last_volunteer_id=volunteer.id,
                created_at=now - timedelta(minutes=20),
            )
            session.add(
                Conversation(
                    texter=texter,
                    channel="sms",
                    status="active",
                    language="en",
                    priority=0,
                    volunteer_id=volunteer.id,
                    line_number=thread,
                    created_at=now - timedelta(minutes=20),
                    queued_at=now - timedelta(minutes=20),
                    assigned_at=now - timedelta(minutes=19),
                    last_texter_at=now - timedelta(minutes=1),
                )
            )
            made.append(Pair(texter=phone, volunteer=volunteer.phone, thread=thread))
    return made
