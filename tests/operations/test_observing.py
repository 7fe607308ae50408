"""Seeing the line run, as an operator does: JSON log lines with request and job ids (and no
number), `/metrics` behind its token, `/healthz` with the workers and the outbox. Against the
Procfile's real gunicorn (two workers) and rq worker."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.hosts import Host, Lab
from tests.support.line import Line
from tests.support.privacy import leaks
from tests.support.stack import People

TOKEN = "metrics-token-for-tests"
CONFIG = """
[delivery]
sweep_interval_seconds = 1

[alerts]
enabled = false
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    lab = Lab(tmp_path_factory.mktemp("observing"), "observing", CONFIG)
    try:
        lab.start_host("json", WARMLINE_LOG_FORMAT="json", WARMLINE_METRICS_TOKEN=TOKEN)
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def host(lab: Lab) -> Host:
    return lab.hosts[0]


@pytest.fixture
def line(lab: Lab, host: Host) -> Line:
    return lab.line(host)


def _entries(host: Host, log: str, where: Any, timeout: float = 20) -> list[dict[str, Any]]:
    """The JSON lines of `log` for which `where(entry)` holds, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [entry for entry in host.json_lines(host.folder / log) if where(entry)]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no such line in {log}")


def test_a_worker_logs_a_routed_text_as_json_with_its_job_id_and_no_number(host: Host, line: Line) -> None:
    texter = People.new_number()
    line.text(texter, "hello, is anyone there? this is " + texter)
    line.wait_for(texter, "No volunteer is on shift")
    [received] = _entries(host, "worker.log", lambda entry: entry["message"].startswith("sms.received from=texter"))
    assert received["level"] == "INFO" and received["logger"] == "service.sms.inbound"
    assert received["job_id"] and received["time"].startswith("20")
    # RQ's own line about the job carries its id too.
    _entries(
        host, "worker.log", lambda entry: entry.get("job_id") == received["job_id"] and "Job OK" in entry["message"]
    )
    worker_log = host.worker_log.read_text()
    assert not leaks(worker_log, texter) and "anyone there" not in worker_log
    assert not leaks(host.web_log.read_text(), texter)


def test_webhook_lines_carry_twilios_idempotency_token_as_their_request_id(host: Host, line: Line) -> None:
    token = "f1c0ffee-0000-4000-8000-000000000001"
    form = line.sms_form(People.new_number(), "hello")
    response = line.post("/twilio/sms", form, headers={"I-Twilio-Idempotency-Token": token})
    assert response.headers["X-Request-Id"] == token
    [access] = _entries(host, "web.log", lambda entry: entry.get("request_id") == token)
    assert access["logger"] == "gunicorn.access" and "POST /twilio/sms" in access["message"]
    other = line.post("/twilio/sms", line.sms_form(People.new_number(), "hi"))
    assert other.headers["X-Request-Id"] not in ("", token)


def _metrics(host: Host, **headers: str) -> requests.Response:
    return requests.get(f"{host.url}/metrics", headers=headers, timeout=10)


def _value(exposition: str, sample: str) -> float:
    """The sum of every series of `sample`: a name (all its labels) or `name{labels}`."""
    rows = [row.rsplit(" ", 1) for row in exposition.splitlines() if not row.startswith("#")]
    found = [float(value) for series, value in rows if (series if "{" in sample else series.split("{")[0]) == sample]
    assert found, f"{sample} not in /metrics"
    return sum(found)


def test_metrics_refuse_without_the_token_and_show_the_texts_just_sent(host: Host, line: Line) -> None:
    assert _metrics(host).status_code == 401
    assert _metrics(host, Authorization="Bearer wrong").status_code == 401
    before = _metrics(host, Authorization=f"Bearer {TOKEN}")
    assert before.status_code == 200 and before.headers["Content-Type"].startswith("text/plain")
    texters = [People.new_number() for _ in range(6)]
    for texter in texters:
        line.text(texter, "hello")
    for texter in texters:
        line.wait_for(texter, "No volunteer is on shift")
    after = _metrics(host, Authorization=f"Bearer {TOKEN}").text
    # gunicorn runs two workers: every text is counted, whichever of them answered it.
    received = _value(after, "warmline_texts_received_total") - _value(before.text, "warmline_texts_received_total")
    assert received == len(texters)
    sent = _value(after, 'warmline_texts_sent_total{recipient="texter"}')
    assert sent - _value(before.text, 'warmline_texts_sent_total{recipient="texter"}') >= len(texters)
    assert _value(after, "warmline_queue_length") >= len(texters)
    assert _value(after, "warmline_queue_longest_wait_seconds") > 0
    assert _value(after, "warmline_volunteers_on_shift") == 0
    assert _value(after, 'warmline_webhook_seconds_count{webhook="sms"}') >= len(texters)
    assert _value(after, "warmline_workers_live") == 1
    assert _value(after, "warmline_outbox_backlog") == 0


def test_healthz_reports_the_live_workers_and_the_outbox_backlog(host: Host) -> None:
    health = requests.get(f"{host.url}/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "checks": {"database": True, "redis": True},
        "failed_jobs": 0,
        "workers": 1,
        "outbox_backlog": 0,
    }
