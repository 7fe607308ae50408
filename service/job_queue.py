"""Handing a committed turn's follow-ups to RQ: deliveries now, timers later.

Redis being down never fails a webhook: the rows and deadlines are already committed in the
database and the sweeper picks them up once Redis is back.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from service.runtime import Runtime
from service.turn import Turn

log = logging.getLogger(__name__)

QUEUE_NAME = "warmline"
RETENTION_INTERVAL_SECONDS = 3600


class JobQueue:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        # JSON, not RQ's default pickle: a job payload must never be able to run code.
        self._queue = Queue(QUEUE_NAME, connection=runtime.redis, serializer=JSONSerializer)

    def submit(self, turn: Turn) -> bool:
        """Enqueue the turn's deliveries and timers; False (and logged) when Redis is unreachable."""
        try:
            with self._queue.connection.pipeline() as pipe:
                for outbox_id in turn.outbox_ids:
                    self._queue.enqueue("service.jobs.deliver_outbound", outbox_id, pipeline=pipe, job_id=f"deliver-{outbox_id}-{turn.now.timestamp():.0f}", result_ttl=0)
                pipe.execute()
            for timer in turn.timers:
                self._queue.enqueue_at(timer.at, f"service.jobs.{timer.job}", timer.target_id, job_id=f"{timer.job}-{timer.target_id}", result_ttl=0)
        except RedisError as error:
            log.error("jobs.enqueue_failed error=%s outbox=%d timers=%d", type(error).__name__, len(turn.outbox_ids), len(turn.timers))
            return False
        return True

    def schedule_periodic(self, job: str, interval: int, now: datetime) -> None:
        """Book `job` in the next time slot of `interval` seconds; the slot is in the job id,
        so any number of workers and restarts converge on one run per slot."""
        slot = int(now.timestamp()) // interval + 1
        at = datetime.fromtimestamp(slot * interval, UTC)
        self._queue.enqueue_at(at, f"service.jobs.{job}", job_id=f"{job}-{slot}", result_ttl=0)

    def schedule_sweep(self, now: datetime) -> None:
        self.schedule_periodic("sweep", self._runtime.settings.delivery.sweep_interval_seconds, now)

    def schedule_retention(self, now: datetime) -> None:
        self.schedule_periodic("purge_expired", RETENTION_INTERVAL_SECONDS, now)
