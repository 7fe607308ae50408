"""The RQ worker class the Procfile runs: `rq worker -w service.worker.Worker -S json`.

A SimpleWorker runs jobs in its own process instead of forking one per job: our jobs are
short database and HTTP calls, and forking costs more than they do (about 110 against 280
no-op jobs per second here). Each job still opens and closes its own transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rq import SimpleWorker

from service.job_queue import JobQueue
from service.runtime import process_runtime


class Worker(SimpleWorker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        # Start the periodic chains; each run books its successor.
        queue = JobQueue(process_runtime())
        queue.schedule_sweep(datetime.now(UTC))
        queue.schedule_retention(datetime.now(UTC))
        return super().work(*args, **kwargs)
