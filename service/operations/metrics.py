"""`GET /metrics` in Prometheus's text format, closed unless `WARMLINE_METRICS_TOKEN` is given
as a bearer token.

Two sources, so that the figures are right however many gunicorn workers and hosts run:
- gauges (the queue, who is on shift, the outbox, escalations, jobs, workers) and the texts
  sent are read from PostgreSQL and Redis when Prometheus asks, so any web process answers the
  same;
- what only a web process sees as it happens (texts received, webhook latency) is counted in
  prometheus-client's multiprocess mode: each gunicorn worker writes its own file in one
  folder, made by the process that builds the app (gunicorn's master, with `--preload`), and a
  scrape adds them all up.
"""

from __future__ import annotations

import atexit
import hmac
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from service.jobs.job_queue import JobQueue
from service.operations.line_reading import read_line
from service.runtime import Runtime

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Seconds; Twilio gives up on a webhook after 15 s.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)


class WebCounters:
    """Texts received and webhook latency, counted by every web process of one gunicorn."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="warmline-metrics-")
        # prometheus-client writes where this variable points, and chooses multiprocess mode
        # when it is set; forked gunicorn workers inherit both.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = self.folder
        # prometheus-client chose its value class from the environment when it was imported.
        values.ValueClass = values.get_value_class()
        self.texts_received = Counter(
            "warmline_texts_received",
            "Texts the SMS webhook received: stored (or routed at once), or spooled while PostgreSQL was down.",
            ["outcome"],
            registry=None,
        )
        self.webhook_seconds = Histogram(
            "warmline_webhook_seconds",
            "Time to answer a Twilio webhook.",
            ["webhook"],
            registry=None,
            buckets=WEBHOOK_BUCKETS,
        )
        atexit.register(self._remove_folder, os.getpid())

    def _remove_folder(self, creator: int) -> None:
        """At the exit of the process that made it (gunicorn's master), not of a worker it forked."""
        if os.getpid() == creator:
            shutil.rmtree(self.folder, ignore_errors=True)


_counters: WebCounters | None = None


def web_counters() -> WebCounters:
    """This process tree's counters (one folder, whatever number of apps a test builds)."""
    global _counters
    if _counters is None:
        _counters = WebCounters()
    return _counters


def authorised(token: str, authorization: str) -> bool:
    """The request bears the configured token (compared in constant time)."""
    return bool(token) and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode())


def exposition(runtime: Runtime, counters: WebCounters) -> bytes:
    """Every process's counters, and the gauges read now."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=counters.folder)
    registry.register(LineCollector(runtime))
    return generate_latest(registry)


class LineCollector(Collector):
    """The gauges, read from PostgreSQL and Redis at scrape time; a store that does not answer
    is reported as down, not as an error."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "warmline_dependency_up", "1 when the service answered this scrape.", labels=["dependency"]
        )
        yield from self._database(up)
        yield from self._redis(up)
        yield up

    def _database(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        now = datetime.now(UTC)
        try:
            with self._runtime.sessions() as session:
                line = read_line(session, now)
        except Exception:
            up.add_metric(["database"], 0)
            return
        up.add_metric(["database"], 1)
        sent = CounterMetricFamily("warmline_texts_sent", "Texts Twilio accepted, by recipient.", labels=["recipient"])
        for kind in ("texter", "volunteer", "supervisor"):
            sent.add_metric([kind], line.sent.get(kind, 0))
        yield sent
        yield GaugeMetricFamily(
            "warmline_queue_length", "Texters and callers waiting for a volunteer.", value=line.waiting
        )
        yield GaugeMetricFamily(
            "warmline_queue_longest_wait_seconds",
            "How long the longest-waiting texter has waited.",
            value=line.longest_wait.total_seconds() if line.longest_wait else 0,
        )
        yield GaugeMetricFamily("warmline_volunteers_on_shift", "Volunteers on shift.", value=line.volunteers_on_shift)
        yield GaugeMetricFamily("warmline_outbox_backlog", "Texts not yet handed to Twilio.", value=line.unsent)
        yield GaugeMetricFamily(
            "warmline_outbox_oldest_unsent_seconds",
            "Age of the oldest text not yet handed to Twilio.",
            value=line.oldest_unsent.total_seconds() if line.oldest_unsent else 0,
        )
        yield CounterMetricFamily(
            "warmline_outbox_failed", "Texts that failed for good (failed or undelivered).", value=line.failed
        )
        yield GaugeMetricFamily(
            "warmline_escalations_open", "Escalations not yet acknowledged.", value=line.open_escalations
        )

    def _redis(self, up: GaugeMetricFamily) -> Iterator[Metric]:
        queue = JobQueue(self._runtime)
        try:
            failed, workers, queued = queue.failed_count(), queue.live_workers(), queue.queued_count()
        except RedisError:
            up.add_metric(["redis"], 0)
            return
        up.add_metric(["redis"], 1)
        yield GaugeMetricFamily(
            "warmline_jobs_failed", "Jobs in RQ's failed registry (the sweeper retries each 3 times).", value=failed
        )
        yield GaugeMetricFamily("warmline_workers_live", "rq workers with a live heartbeat.", value=workers)
        yield GaugeMetricFamily("warmline_jobs_queued", "Jobs waiting for a worker.", value=queued)
