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
from collections.abc import Callable, Iterator
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
from scripts.harness.redis_server import RedisServer
from scripts.harness.tcp_proxy import TcpProxy
from service.app import create_app
from service.db import InboundReceipt, Supervisor, Volunteer
from service.db.migrate import upgrade
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import PUBLIC_URL, TEST_CONFIG, TEST_DATABASE, TEST_REDIS_DB
from tests.support.line import Line
from tests.support.privacy import leaks, mentions


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
    # The variables its processes were started with (a command run against it needs them too).
    environment: dict[str, str]

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

    def start_worker_if_stopped(self) -> None:
        """Start the worker again if it has ended (as a Redis outage ends it), as the Procfile's
        process manager would."""
        if self._worker.poll() is not None:
            self._worker = _spawn_worker(self.environment, self.worker_log)

    def stop(self) -> None:
        self._server.shutdown()
        self._worker.terminate()
        try:
            self._worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._worker.kill()


def database_of_its_own(name: str) -> str:
    """A fresh, migrated database (`{TEST_DATABASE}_{name}`), which no worker of the other
    tests touches; its URL."""
    url = create_database(f"{TEST_DATABASE}_{name}", replace=True)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def runtime_of_its_own(environment: dict[str, str], name: str, folder: Path, config: str = "") -> Runtime:
    """A runtime on a database of its own, with `config` layered over the tests' own."""
    url = database_of_its_own(name)
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
    worker = _spawn_worker(environment, log_path)
    _await_listening(worker, log_path)
    return Stack(runtime, f"http://127.0.0.1:{server.server_port}", log_path, server, worker, environment)


def _await_listening(worker: subprocess.Popen[bytes], log_path: Path, timeout: float = 120.0) -> None:
    """Until the worker takes jobs: it compiles the risk lexicons first, which takes seconds,
    and half a minute on a loaded machine (texts sent before would wait for it)."""
    deadline = time.monotonic() + timeout
    while WORKER_LISTENING not in log_path.read_text("utf-8", "replace"):
        assert worker.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, f"the worker took no jobs within {timeout} s"
        time.sleep(0.1)


def _spawn_worker(environment: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    command = worker_command(environment["REDIS_URL"])
    with log_path.open("ab") as log:
        return subprocess.Popen(command, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT)


def private_stack(
    environment: dict[str, str],
    name: str,
    folder: Path,
    inbound: str = "",
    database_proxy: TcpProxy | None = None,
    redis_server: RedisServer | None = None,
    config: str = "",
    **variables: str,
) -> Iterator[Stack]:
    """A stack on a database (`database_of_its_own`) and a Redis server of its own, so that no
    other test's worker takes its jobs or replays its spool, with its spool file in `folder`;
    `inbound` adds to its `[inbound]` settings, and `variables` change its environment. A
    `database_proxy` (started) stands between it and its database; a `redis_server` given is
    the caller's to stop and start, and is started here."""
    redis_server = redis_server or RedisServer(folder)
    redis_server.start()
    url = database_of_its_own(name)
    if database_proxy is not None:
        url = url.replace(":5432/", f":{database_proxy.port}/")
    config_path = folder / f"{name}.toml"
    config_path.write_text(f'{TEST_CONFIG}\n[inbound]\nspool_dir = "{folder / "spool"}"\n{inbound}\n{config}')
    own = {"DATABASE_URL": url, "REDIS_URL": redis_server.url, "WARMLINE_CONFIG": str(config_path), **variables}
    deployment = start_stack({**environment, **own}, folder)
    yield deployment
    deployment.stop()
    redis_server.stop()


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
    for words in the_line.private_words:
        for kind in ("outbound text", "log line"):
            for item in sources[kind]:
                assert not mentions(item, words), f"a contact note's words in a {kind}: {item[:200]!r}"


def private_line_fixtures(
    name: str,
    inbound: str = "",
    variables: Callable[[dict[str, str]], dict[str, str]] | None = None,
    config: str = "",
) -> tuple[Any, Any]:
    """The fixtures `{name}_stack` (a module's own `private_stack`, for settings the shared
    stack lacks: `inbound` settings, other `config` sections, and environment `variables`
    drawn from the tests' own environment) and `{name}_line` (a clean line on it for each
    test, audited like `line`).
    Assign both in the test module so that pytest finds them."""

    @pytest.fixture(scope="module", name=f"{name}_stack")
    def own_stack(
        environment: dict[str, str], log_lines: list[str], tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Stack]:
        changed = {**environment, **variables(environment)} if variables else environment
        yield from private_stack(changed, name, tmp_path_factory.mktemp(name), inbound=inbound, config=config)

    @pytest.fixture(name=f"{name}_line")
    def own_line(request: pytest.FixtureRequest, fake_twilio: FakeTwilio, log_lines: list[str]) -> Iterator[Line]:
        yield from _clean_line(request.getfixturevalue(f"{name}_stack"), fake_twilio, log_lines)

    return own_stack, own_line


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

    def talking(self, line: Line, alias: str = "Ana", first_words: str = "hi", **details: Any) -> tuple[str, str]:
        """A volunteer on shift, in a conversation with a new texter who opened with
        `first_words`: their two numbers."""
        volunteer, texter = self.on_shift(line, alias, **details), self.texter()
        line.connect(volunteer, texter, first_words)
        return volunteer, texter
