"""Hosts of the line started for real, as production runs them: each its own gunicorn (the
Procfile's web line) and rq worker (its worker line), its own spool folder and log files, all
on one PostgreSQL database and one Redis server of the test's own (no other test's worker can
take their jobs), with one fake Twilio."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import Any

from redis import Redis
from rq import Worker
from sqlalchemy import create_engine

from scripts.harness import procfile
from scripts.harness.database import create_database, drop_database
from scripts.harness.fake_twilio import FakeTwilio
from scripts.harness.redis_server import RedisServer
from service.db.migrate import upgrade
from service.runtime import Runtime
from service.settings import Settings
from tests.conftest import PUBLIC_URL, TEST_DATABASE
from tests.support.line import Line


@dataclass
class Host:
    name: str
    url: str
    folder: Path
    web: Popen[bytes]
    worker: Popen[bytes]

    @property
    def web_log(self) -> Path:
        return self.folder / "web.log"

    @property
    def worker_log(self) -> Path:
        return self.folder / "worker.log"

    def json_lines(self, log: Path) -> list[dict[str, Any]]:
        """The log's JSON lines (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


class Lab:
    """One deployment of the line: a database and a Redis server of its own, the fake Twilio,
    and the hosts started on them. `config` is the whole TOML layered over config/."""

    def __init__(self, folder: Path, name: str, config: str) -> None:
        self.folder = folder
        self.database = f"{TEST_DATABASE}_{name}"
        self.database_url = create_database(self.database, replace=True)
        engine = create_engine(self.database_url)
        upgrade(engine)
        engine.dispose()
        self.redis = RedisServer(folder)
        self.redis.start()
        self.twilio = FakeTwilio()
        self.config = config
        # The hosts of one line share one env file (the same keys).
        self.env = procfile.line_environment(
            self.twilio, self.database_url, self.redis.url, self._config_file(folder, folder / "spool"), PUBLIC_URL
        )
        self.runtime = Runtime(Settings.from_environment(self.env))
        self.hosts: list[Host] = []

    def _config_file(self, folder: Path, spool: Path) -> Path:
        path = folder / "line.toml"
        path.write_text(f'{self.config}\n[inbound]\nmax_texts_per_minute = 1000\nspool_dir = "{spool}"\n')
        return path

    def line(self, host: Host) -> Line:
        """The line as phones reach it through `host`."""
        settings = self.runtime.settings
        return Line(
            server_url=host.url,
            public_url=PUBLIC_URL,
            main_number=settings.line.main_number,
            numbers=settings.line.numbers,
            twilio=self.twilio,
        )

    def start_host(self, name: str, **env: str) -> Host:
        """A host's gunicorn and rq worker, with `env` added to the line's environment."""
        folder = self.folder / name
        folder.mkdir()
        port = procfile.free_port()
        config = self._config_file(folder, folder / "spool")
        host_env = {**self.env, "WARMLINE_CONFIG": str(config), "PORT": str(port), **env}
        commands = procfile.procfile()
        # The worker first, registered before the web answers: a web that saw no worker could
        # alert the supervisor (the alerts' own tests say when it must).
        worker = procfile.spawn(commands["worker"], host_env, folder / "worker.log")
        self._wait_for_workers(len(self.hosts) + 1, folder / "worker.log")
        web = procfile.spawn(commands["web"], host_env, folder / "web.log")
        host = Host(name, f"http://127.0.0.1:{port}", folder, web, worker)
        self.hosts.append(host)
        procfile.wait_for_http(f"{host.url}/healthz", host.web_log, timeout=90)
        return host

    def _wait_for_workers(self, count: int, log: Path, timeout: float = 90) -> None:
        redis = Redis.from_url(self.redis.url)
        deadline = time.monotonic() + timeout
        while len(Worker.all(connection=redis)) < count:
            assert time.monotonic() < deadline, "the worker did not start: " + log.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        redis.close()

    def stop(self) -> None:
        for host in self.hosts:
            procfile.stop(host.web)
            procfile.stop(host.worker)
        self.runtime.engine.dispose()
        self.redis.stop()
        self.twilio.stop()
        drop_database(self.database)
