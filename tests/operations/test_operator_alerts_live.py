"""Operator alerts on a running line: the supervisor on call is texted when the line's hours
begin with nobody on shift, and not again within the interval; when no worker is left, the
web process texts them itself, once. A real gunicorn, rq worker and fake Twilio; the hours are
set to begin at the minute the lab starts, so the worker's own clock passes the opening (the
rules themselves are tested with the clock passed in: tests/unit/test_operator_alerts.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from scripts.harness import procfile
from tests.support.hosts import Host, Lab
from tests.support.stack import People

ALERT_CHECK_STARTED = "warmline: alert_operators("
NOBODY = "nobody is on shift"
NO_WORKER = "no worker is running"


def _config() -> str:
    opens = datetime.now(ZoneInfo("America/New_York")).replace(second=0, microsecond=0)
    return f"""
[delivery]
sweep_interval_seconds = 1

[alerts]
enabled = true
opens = "{opens:%H:%M}"
closes = "{opens + timedelta(hours=2):%H:%M}"
nobody_on_shift_after_minutes = 0
no_worker_after_seconds = 0
repeat_minutes = 30
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("alerts"), "alerts", _config())
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def on_call(lab: Lab) -> str:
    people = People(lab.runtime)
    phone = people.supervisor("Sam")
    people.supervisor("Kim", on_call=False)
    return phone


def _texts(lab: Lab, phone: str, containing: str) -> list[str]:
    return [m["Body"] for m in lab.twilio.messages() if m.get("To") == phone and containing in m.get("Body", "")]


def _until_texted(lab: Lab, phone: str, containing: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not _texts(lab, phone, containing):
        assert time.monotonic() < deadline, f"no {containing!r} text reached {phone}: {lab.twilio.messages()}"
        time.sleep(0.1)


def _wait_for_alert_checks(host: Host, count: int, timeout: float = 30) -> None:
    """Until the worker has run `count` more alert checks: a second alert has had its chances."""
    started = host.worker_log.read_text().count(ALERT_CHECK_STARTED)
    deadline = time.monotonic() + timeout
    while host.worker_log.read_text().count(ALERT_CHECK_STARTED) < started + count:
        assert time.monotonic() < deadline, f"the worker ran no {count} alert checks within {timeout} s"
        time.sleep(0.1)


def test_the_supervisor_on_call_is_texted_once_when_the_hours_begin_with_nobody_on_shift(
    lab: Lab, on_call: str
) -> None:
    host = lab.start_host("a")
    _until_texted(lab, on_call, NOBODY)
    _wait_for_alert_checks(host, 3)
    assert len(_texts(lab, on_call, NOBODY)) == 1
    assert [m["To"] for m in lab.twilio.messages()] == [on_call], "only the supervisor on call is texted"


def test_with_no_worker_left_the_web_texts_the_supervisor_once(lab: Lab, on_call: str) -> None:
    host = lab.hosts[0]
    procfile.stop(host.worker)  # a warm shutdown: the worker leaves RQ's registry at once
    health = requests.get(f"{host.url}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["workers"] == 0
    _until_texted(lab, on_call, NO_WORKER)
    for _ in range(3):
        assert requests.get(f"{host.url}/healthz", timeout=5).json()["workers"] == 0
    lab.twilio.settle(quiet=1.0, timeout=10)
    assert len(_texts(lab, on_call, NO_WORKER)) == 1


def test_healthz_answers_at_once_when_redis_is_down(lab: Lab) -> None:
    host = lab.hosts[0]
    lab.redis.stop()
    started = time.monotonic()
    response = requests.get(f"{host.url}/healthz", timeout=10)
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "checks": {"database": True, "redis": False}, "outbox_backlog": 0}
