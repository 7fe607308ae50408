"""The RQ worker class the Procfile runs: `rq worker -w service.jobs.worker.Worker -S json`.

A SimpleWorker runs jobs in its own process instead of forking one per job: our jobs are
short database and HTTP calls, and forking costs more than they do (about 110 against 280
no-op jobs per second here). Each job still opens and closes its own transaction.

Periodic jobs (the sweeper, the retention purge) are enqueued by a ticker thread in each
worker, not by jobs that book their successors in Redis: a Redis restart loses every
scheduled job, and the sweeper is what recovers from exactly that kind of fault.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job

from service import log_redaction
from service.jobs.job_queue import RETENTION_INTERVAL_SECONDS, JobQueue
from service.jobs.registry import RegisteredJob
from service.key_strength import require_strong_secrets
from service.operations import observe_process
from service.operations.logs import job_context
from service.runtime import process_runtime
from service.settings import SettingsError

log = logging.getLogger(__name__)


# Seconds: an idle worker renews its registration this often (less 15 s), and a dead one drops
# out of `/healthz`'s and the alerts' count of live workers 60 s after that (RQ's default, 420,
# would hide a crashed worker for eight minutes).
WORKER_TTL_SECONDS = 60


class Worker(SimpleWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Only the line's own jobs run, found by name (`registry`), whatever `--job-class` says:
        # the rq command passes its default, `rq.job.Job`, which imports any dotted path.
        kwargs["job_class"] = RegisteredJob
        kwargs.setdefault("worker_ttl", WORKER_TTL_SECONDS)
        super().__init__(*args, **kwargs)

    def work(self, *args: Any, **kwargs: Any) -> bool:
        runtime = process_runtime()
        try:
            require_strong_secrets(runtime.settings)
        except SettingsError as error:
            raise SystemExit(f"warmline worker: not starting: {error}") from error
        # Before RQ's own set-up, so that its lines go through ours too.
        observe_process(runtime.settings)
        # Compile the risk lexicons now (seconds), not in the first texter's routing job.
        runtime.detector  # noqa: B018 - reading the property compiles them
        stop = threading.Event()
        threading.Thread(target=_tick, args=(stop,), name="warmline-ticker", daemon=True).start()
        try:
            return super().work(*args, **kwargs)
        finally:
            stop.set()

    def execute_job(self, job: Job, queue: Queue) -> None:
        with job_context(job.id):
            super().execute_job(job, queue)

    def handle_job_failure(
        self, job: Job, queue: Queue, started_job_registry: Any = None, exc_string: str = ""
    ) -> None:
        """A failed job's traceback is kept in Redis (the failed-job registry, `rq info`), where
        a log filter does not reach: redacted like a log line."""
        super().handle_job_failure(job, queue, started_job_registry, log_redaction.redact(exc_string))


def _tick(stop: threading.Event) -> None:
    runtime = process_runtime()
    queue = JobQueue(runtime)
    interval = runtime.settings.delivery.sweep_interval_seconds
    while not stop.wait(interval):
        try:
            queue.enqueue_periodic("sweep", interval, datetime.now(UTC))
            if runtime.settings.alerts.enabled:
                queue.enqueue_periodic("alert_operators", interval, datetime.now(UTC))
            queue.enqueue_periodic("purge_expired", RETENTION_INTERVAL_SECONDS, datetime.now(UTC))
        except RedisError as error:
            log.warning("ticker.redis_unavailable error=%s", type(error).__name__)
