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

import pytest
import redis
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError
from werkzeug.serving import BaseWSGIServer, make_server

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
# RQ logs this once the worker takes jobs, after it has compiled the risk lexicons (seconds,
# and more on a busy machine): a test that starts before it would wait on routing instead.
WORKER_LISTENING = "*** Listening on"


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


def start_stack(environment: dict[str, str], folder: Path) -> Stack:
    runtime = Runtime(Settings.from_environment(environment))
    server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    log_path = folder / "worker.log"
    rq = Path(sys.executable).parent / "rq"
    command = [
        str(rq),
        "worker",
        "--with-scheduler",
        "--worker-class",
        "service.jobs.worker.Worker",
        "--serializer",
        "json",
        "--url",
        environment["REDIS_URL"],
        "warmline",
    ]
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while WORKER_LISTENING not in log_path.read_text():
        assert worker.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, "the worker did not start listening within 120 s"
        time.sleep(0.1)
    return Stack(runtime, f"http://127.0.0.1:{server.server_port}", log_path, server, worker)


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
    folder = tmp_path_factory.mktemp("one-number")
    config = folder / "one-number.toml"
    config.write_text(Path(environment["WARMLINE_CONFIG"]).read_text() + "\n[line]\npool_numbers = []\n")
    redis_url = environment["REDIS_URL"].rsplit("/", 1)[0] + f"/{TEST_REDIS_DB - 1}"
    redis.Redis.from_url(redis_url).flushdb()
    deployment = start_stack({**environment, "WARMLINE_CONFIG": str(config), "REDIS_URL": redis_url}, folder)
    yield deployment
    deployment.stop()


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
            session.add(
                Volunteer(
                    name=f"{alias} Example",
                    alias=alias,
                    phone=phone,
                    languages=languages,
                    max_concurrent=max_concurrent,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        return phone

    def supervisor(self, name: str, on_call: bool = True) -> str:
        phone = self.new_number()
        with self.runtime.sessions() as session, session.begin():
            session.add(
                Supervisor(
                    name=name,
                    email=f"{name.lower()}@example.org",
                    phone=phone,
                    password_hash="!",
                    role="supervisor",
                    on_call=on_call,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        return phone

    def texter(self) -> str:
        return self.new_number()
