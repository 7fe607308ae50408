"""The Procfile's web command serves the app factory under gunicorn, as in production."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import REPO
from tests.support.line import Line


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_procfile_web_process_answers_health_and_signed_webhooks(line: Line, environment: dict[str, str]) -> None:
    web = next(
        entry.split(":", 1)[1] for entry in (REPO / "Procfile").read_text().splitlines() if entry.startswith("web:")
    )
    port = _free_port()
    env = {
        **os.environ,
        **environment,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    process = subprocess.Popen(
        ["bash", "-c", f"exec {web.strip()}"], env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                health = requests.get(url + "/healthz", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["checks"] == {"database": True, "redis": True}
        gunicorn_line = Line(
            server_url=url,
            public_url=line.public_url,
            main_number=line.main_number,
            numbers=line.numbers,
            twilio=line.twilio,
        )
        texter = "+12025550199"
        line.texter_numbers.add(texter)
        assert gunicorn_line.text(texter, "hello from gunicorn").headers["Content-Type"].startswith("text/xml")
        line.wait_for(texter, "trained peer volunteer")
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert shlex.split(web)[0] == "gunicorn"
