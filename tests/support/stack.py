"""The live stack for the scenario and dashboard tests: the app served over real HTTP, a
real `rq worker` process (with its scheduler), real PostgreSQL and Redis, and the fake Twilio
REST server. Every test ends with a privacy audit of what it produced."""

from __future__ import annotations

import itertools
import logging
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from werkzeug.serving import BaseWSGIServer, make_server

from scripts.harness import seed
from scripts.harness.database import create_database, empty_database
from scripts.harness.fake_twilio import FakeTwilio
from service.app import create_app
from service.db import InboundReceipt, Supervisor, Volunteer
from service.db.migrate import upgrade
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import PUBLIC_URL, TEST_DATABASE, TEST_REDIS_DB
from tests.support.line import Line
from tests.support.privacy import leaks


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="session")
def log_lines() -> Iterator[list[str]]:
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)


# How RQ's worker log shows a sweep starting.
SWEEP_STARTED = "warmline: sweep("


@dataclass
class Stack:
    """One deployment of the line: its settings, web server and worker process."""

    runtime: Runtime
    server_url: str
    worker_log: Path
    _server: BaseWSGIServer
    _worker: subprocess.Popen[bytes]

    @property
    def worker_pid(self) -> int:
        return self._worker.pid

    def wait_for_sweeps(self, count: int, timeout: float = 30.0) -> None:
        """Until the worker has started `count` more sweeps than now: what a sweep would do
        (a re-alert, a requeue) has had its chance, however loaded the machine."""
        started = self.worker_log.read_text().count(SWEEP_STARTED)
        deadline = time.monotonic() + timeout
        while self.worker_log.read_text().count(SWEEP_STARTED) < started + count:
            assert time.monotonic() < deadline, f"the worker ran no {count} sweeps within {timeout} s"
            time.sleep(0.1)

    def stop(self) -> None:
        self._server.shutdown()
        self._worker.terminate()
        try:
            self._worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._worker.kill()


def runtime_of_its_own(environment: dict[str, str], name: str, folder: Path, config: str = "") -> Runtime:
    """A runtime on a fresh, migrated database of its own (`{TEST_DATABASE}_{name}`), which no
    worker of the other tests touches, with `config` layered over the tests' own."""
    url = create_database(f"{TEST_DATABASE}_{name}", replace=True)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    path = folder / f"{name}.toml"
    path.write_text(Path(environment["WARMLINE_CONFIG"]).read_text() + "\n" + config)
    return Runtime(Settings.from_environment({**environment, "DATABASE_URL": url, "WARMLINE_CONFIG": str(path)}))


def worker_command(redis_url: str) -> list[str]:
    """The Procfile's worker, run directly (no `nice`), on `redis_url`."""
    rq = str(Path(sys.executable).parent / "rq")
    options = ["--with-scheduler", "--worker-class", "service.jobs.worker.Worker", "--serializer", "json"]
    return [rq, "worker", *options, "--url", redis_url, "warmline"]


def start_stack(environment: dict[str, str], folder: Path) -> Stack:
    runtime = Runtime(Settings.from_environment(environment))
    server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log_path = folder / "worker.log"
    command = worker_command(environment["REDIS_URL"])
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT)
    _await_worker(worker, environment["REDIS_URL"], log_path)
    return Stack(runtime, f"http://127.0.0.1:{server.server_port}", log_path, server, worker)


def _await_worker(worker: subprocess.Popen[bytes], redis_url: str, log_path: Path, timeout: float = 120.0) -> None:
    """Until the worker has registered with RQ, ready to take jobs: it compiles the risk
    lexicons first, which takes many seconds on a busy machine, and a test's first text
    must not wait for that."""
    connection = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while worker.pid not in {
        int(connection.hget(key, "pid") or 0) for key in connection.smembers("rq:workers:warmline")
    }:
        assert worker.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, f"the worker did not start within {timeout} s: {log_path.read_text()}"
        time.sleep(0.2)


@pytest.fixture(scope="session")
def stack(
    environment: dict[str, str], log_lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The line as configured for tests: main number plus two pool numbers."""
    deployment = start_stack(environment, tmp_path_factory.mktemp("stack"))
    yield deployment
    deployment.stop()


@pytest.fixture(scope="session")
def one_number_stack(
    environment: dict[str, str], log_lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A line with a single number: each volunteer holds one conversation at a time."""
    deployment = start_variant(environment, tmp_path_factory.mktemp("one-number"), "[line]\npool_numbers = []", 1)
    yield deployment
    deployment.stop()


def start_variant(environment: dict[str, str], folder: Path, config: str, redis_offset: int) -> Stack:
    """A second deployment: `config` layered over the tests' own, on a Redis database of its
    own (`redis_offset` below the tests'), so that its worker takes no other stack's jobs."""
    path = folder / "variant.toml"
    path.write_text(Path(environment["WARMLINE_CONFIG"]).read_text() + "\n" + config + "\n")
    redis_url = environment["REDIS_URL"].rsplit("/", 1)[0] + f"/{TEST_REDIS_DB - redis_offset}"
    redis.Redis.from_url(redis_url).flushdb()
    return start_stack({**environment, "WARMLINE_CONFIG": str(path), "REDIS_URL": redis_url}, folder)


def _clean_line(stack: Stack, fake_twilio: FakeTwilio, log_lines: list[str]) -> Iterator[Line]:
    """A clean line for each test; afterwards, no texter number may appear in any text sent,
    response served or log line written (by the web app or the worker)."""
    empty_database(stack.runtime.engine)
    fake_twilio.reset()
    first_log_line = len(log_lines)
    worker_log_start = stack.worker_log.stat().st_size
    settings = stack.runtime.settings
    the_line = Line(
        server_url=stack.server_url,
        public_url=PUBLIC_URL,
        main_number=settings.line.main_number,
        numbers=settings.line.numbers,
        twilio=fake_twilio,
        await_routing=lambda sid: _await_routing(stack, sid),
    )
    yield the_line
    the_line.settle(quiet=0.5, timeout=5)
    bodies = [message.get("Body", "") for message in fake_twilio.messages()]
    with stack.worker_log.open("rb") as handle:
        handle.seek(worker_log_start)
        worker_lines = handle.read().decode("utf-8", "replace").splitlines()
    sources = {
        "outbound text": bodies,
        "response": the_line.responses,
        "log line": log_lines[first_log_line:] + worker_lines,
    }
    for number in the_line.texter_numbers:
        for kind, texts in sources.items():
            for item in texts:
                found = leaks(item, number)
                assert not found, f"texter number {found} in a {kind}: {item[:200]!r}"


def _await_routing(stack: Stack, sid: str, timeout: float = 15.0) -> None:
    """Until the text is routed: at once when the webhook routed it itself, after the worker's
    turn when the webhook stored it. A text that was never stored (spooled while the database
    was down, as it may still be) has nothing to wait for."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with stack.runtime.sessions() as session:
                found = session.execute(select(InboundReceipt.routed_at).where(InboundReceipt.sid == sid)).first()
        except OperationalError:
            return
        if found is None or found.routed_at is not None:
            return
        time.sleep(0.02)
    raise AssertionError(f"text {sid} was stored but not routed within {timeout} s (is the worker running?)")


@pytest.fixture
def line(stack: Stack, fake_twilio: FakeTwilio, log_lines: list[str]) -> Iterator[Line]:
    yield from _clean_line(stack, fake_twilio, log_lines)


@pytest.fixture
def one_number_line(one_number_stack: Stack, fake_twilio: FakeTwilio, log_lines: list[str]) -> Iterator[Line]:
    yield from _clean_line(one_number_stack, fake_twilio, log_lines)


@pytest.fixture
def people(stack: Stack) -> People:
    return People(stack.runtime)


class People:
    """Volunteers and supervisors registered directly (as `warmline volunteer add` would)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # Every number handed out in this test run is distinct: two people drawn at random from
    # 10,000 numbers shared one in a CI run (a duplicate-phone error, not a warmline bug).
    _numbers: Iterator[int] = itertools.cycle(random.sample(range(10_000), 10_000))

    @classmethod
    def new_number(cls) -> str:
        return f"+1202555{next(cls._numbers):04d}"

    def volunteer(self, alias: str, languages: str = "en", max_concurrent: int | None = None) -> str:
        phone = self.new_number()
        with self.runtime.sessions() as session, session.begin():
            row = seed.volunteer(alias, phone, datetime.now(UTC), languages=languages, max_concurrent=max_concurrent)
            session.add(Volunteer(**row))
        return phone

    def supervisor(self, name: str, on_call: bool = True) -> str:
        phone = self.new_number()
        with self.runtime.sessions() as session, session.begin():
            session.add(Supervisor(**seed.supervisor(name, phone, datetime.now(UTC), on_call=on_call)))
        return phone

    def texter(self) -> str:
        return self.new_number()

    def on_shift(self, line: Line, alias: str, **details: Any) -> str:
        """A volunteer who has texted #on: their number."""
        volunteer = self.volunteer(alias, **details)
        line.start_shift(volunteer)
        return volunteer

    def talking(self, line: Line, alias: str = "Ana") -> tuple[str, str]:
        """A volunteer on shift, in a conversation with a new texter: their two numbers."""
        volunteer, texter = self.on_shift(line, alias), self.texter()
        line.connect(volunteer, texter)
        return volunteer, texter
