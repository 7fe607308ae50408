"""The Procfile's processes started for real (gunicorn serving the app factory, rq workers),
as the fault-injection and benchmark scripts run them, and signed webhooks to send them.

Each process runs the Procfile's own command line through bash in a session of its own, so
stopping it stops its children too (gunicorn's workers, a forking rq worker's work horse).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

from scripts.harness.fake_twilio import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def procfile() -> dict[str, str]:
    """The Procfile's commands by process name."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: command.strip() for name, _, command in (line.partition(":") for line in lines if line.strip())}


def process_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This environment plus `extra`, with this interpreter's bin folder first on PATH (for
    `gunicorn` and `rq`)."""
    return {**os.environ, **extra, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


def line_environment(
    twilio: FakeTwilio, database_url: str, redis_url: str, config: Path, public_url: str, **extra: str
) -> dict[str, str]:
    """The environment the Procfile's processes need to run a line against `twilio`, with
    fresh secret and data keys, plus `extra`."""
    return process_environment(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "WARMLINE_PUBLIC_URL": public_url,
            "WARMLINE_SECRET_KEY": secrets.token_urlsafe(32),
            "WARMLINE_DATA_KEY": secrets.token_urlsafe(32),
            "WARMLINE_CONFIG": str(config),
            "WEB_CONCURRENCY": "2",
            **extra,
        }
    )


def spawn(command: str, env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Run a Procfile command line (its ${VARIABLES} expanded by bash from `env`), output to `log`."""
    with log.open("ab") as output:
        return subprocess.Popen(
            ["bash", "-c", f"exec {command}"],
            env=dict(env),
            cwd=ROOT,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes] | None, timeout: float = 15) -> None:
    """SIGTERM to the process's session (a warm shutdown), SIGKILL when it lingers; safe twice."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and its children at once, as a crash would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def children(pid: int) -> list[int]:
    """The ids of a process's child processes (gunicorn's workers), from /proc."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return sorted(found)


def resident_megabytes(pid: int) -> float:
    """A process's resident memory (VmRSS), in megabytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def wait_for_http(url: str, log: Path, timeout: float = 20) -> None:
    """Until `url` answers 200; a process that never does fails with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer: " + log.read_text(errors="replace")[-2000:])


def sms_form(account_sid: str, sender: str, to: str, body: str, sid: str | None = None) -> dict[str, str]:
    """An inbound SMS webhook's fields, as Twilio posts them (one new MessageSid unless given)."""
    return {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": account_sid,
        "From": sender,
        "To": to,
        "Body": body,
    }


def signature(auth_token: str, public_url: str, path: str, form: Mapping[str, str]) -> str:
    """`X-Twilio-Signature` for a POST of `form` to `public_url + path`, as Twilio computes it."""
    return str(RequestValidator(auth_token).compute_signature(public_url + path, dict(form)))
