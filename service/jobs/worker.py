"""The RQ worker class the Procfile runs: `rq worker -w service.jobs.worker.Worker -S json`.

A SimpleWorker runs jobs in its own process instead of forking one per job: our jobs are
short database and HTTP calls, and forking costs more than they do (about 110 against 280
no-op jobs per second here). Each job still opens and closes its own transaction.

Periodic jobs (the sweeper, the retention purge) are enqueued by a ticker thread in each
worker, not by jobs that book their successors in Redis: a Redis restart loses every
scheduled job, and the sweeper is what recovers from exactly that kind of fault. The ticker
also notices Redis coming back, within a second, and queues the job that gives every waiting
row its job again (`resume_after_outage`); the sweeper stays as the safety net.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from rq.job import Job

from service.jobs.job_queue import RETENTION_INTERVAL_SECONDS, JobQueue
from service.jobs.registry import RegisteredJob
from service.operations import log_redaction, observe_process
from service.operations.key_strength import require_strong_secrets
from service.operations.logs import job_context
from service.runtime import process_runtime
from service.settings import SettingsError
from service.sms.spool import SPOOL_KEY

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


# Seconds: an idle worker renews its registration this often (less 15 s), and a dead one drops
# out of `/healthz`'s and the alerts' count of live workers 60 s after that (RQ's default, 420,
# would hide a crashed worker for eight minutes).
WORKER_TTL_SECONDS = 60


class Worker(SimpleWorker):
    # RQ waits up to 60 s between attempts to reach a Redis that went away (doubling from 1 s):
    # the line's worker tries every second, so it is back within a second of Redis.
    max_connection_wait_time = 1.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Only the line's own jobs run, found by name (`registry`), whatever `--job-class` says:
        # the rq command passes its default, `rq.job.Job`, which imports any dotted path.
        kwargs["job_class"] = RegisteredJob
        kwargs.setdefault("worker_ttl", WORKER_TTL_SECONDS)
        super().__init__(*args, **kwargs)
        self._scheduler_looked_at = 0.0

    @property
    def should_run_maintenance_tasks(self) -> bool:
        """RQ's maintenance, which restarts a scheduler whose process died, runs every 10
        minutes; a Redis restart kills the scheduler, and with it every timer (offer expiries,
        retries) for that long. So it also runs, at most once a second, when ours has died."""
        if super().should_run_maintenance_tasks:
            return True
        process = self.scheduler._process if self.scheduler is not None else None
        if process is None or process.is_alive() or time.monotonic() - self._scheduler_looked_at < 1.0:
            return False
        self._scheduler_looked_at = time.monotonic()
        return True

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
    """Every second: queue the periodic jobs when their slot comes, and `resume_after_outage`
    when the worker starts, as soon as Redis is reachable after it was not, or has lost its
    jobs, or holds texts spooled while PostgreSQL was down (the job waits while PostgreSQL
    still is)."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    interval = runtime.settings.delivery.sweep_interval_seconds
    # A worker that starts may replace one that died: its first tick resumes what waits.
    reachable = False
    while not stop.wait(TICK_SECONDS):
        now = datetime.now(UTC)
        try:
            queue.enqueue_periodic("sweep", interval, now)
            if runtime.settings.alerts.enabled:
                queue.enqueue_periodic("alert_operators", interval, now)
            queue.enqueue_periodic("watch_rota", interval, now)
            queue.enqueue_periodic("purge_expired", RETENTION_INTERVAL_SECONDS, now)
            if queue.lost_jobs() or not reachable or runtime.redis.llen(SPOOL_KEY):
                queue.resume(now)
            reachable = True
        except RedisError as error:
            reachable = False
            log.warning("ticker.redis_unavailable error=%s", type(error).__name__)
