"""Handing a committed turn's follow-ups to RQ: deliveries now, timers later.

Redis being down never fails a webhook: the rows and deadlines are already committed in the
database and the sweeper picks them up once Redis is back.

Jobs are queued by name (`deliver_outbound`), not by module path: the worker looks the name up
in `service.jobs.registry`, so moving a module never strands a job waiting in Redis.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cached_property

from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from service.db.turn import Turn
from service.runtime import Runtime

log = logging.getLogger(__name__)

QUEUE_NAME = "warmline"
RETENTION_INTERVAL_SECONDS = 3600
# Our jobs are a transaction and at most one Twilio request (10 s timeout). A job still
# "started" past this belongs to a dead worker: RQ then counts it as abandoned (failed).
JOB_TIMEOUT_SECONDS = 60
# How many times a failed or abandoned job is run again before it is left for an operator.
REQUEUE_LIMIT = 3
# Set while a `route_stored` job (the router) is queued and not yet running (a running one
# is seen in PostgreSQL: `router_seat`), so that a burst of texts queues one job, not one
# each. It expires in case that job is lost (the sweeper also routes texts left waiting).
ROUTING_QUEUED = "warmline:route-stored-queued"
ROUTING_QUEUED_SECONDS = 30
# Set by the workers' tickers and never expiring: found missing, Redis has lost its data (a
# restart without persistence, a flush) and with it every queued and scheduled job.
REDIS_ALIVE = "warmline:redis-alive"
# Set while a `resume_after_outage` job is queued and not yet running: the tickers of every
# worker ask for one each second while the database is down, and one queued is enough. It
# expires in case that job is lost.
RESUME_QUEUED = "warmline:resume-queued"
RESUME_QUEUED_SECONDS = 10


class JobQueue:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    @cached_property
    def _queue(self) -> Queue:
        """Built when a job is enqueued (most webhooks only check that one is queued)."""
        # JSON, not RQ's default pickle: a job payload must never be able to run code.
        return Queue(
            QUEUE_NAME, connection=self._runtime.redis, serializer=JSONSerializer, default_timeout=JOB_TIMEOUT_SECONDS
        )

    def route_stored(self) -> bool:
        """See that a worker routes the texts the webhook stored when no router is running:
        queue a `route_stored` job unless one is queued. False (and logged) when Redis is
        unreachable: the webhook then routes the text itself."""
        try:
            if self._runtime.redis.set(ROUTING_QUEUED, "1", nx=True, ex=ROUTING_QUEUED_SECONDS):
                self._queue.enqueue("route_stored", result_ttl=0)
        except RedisError as error:
            log.error("jobs.enqueue_failed error=%s job=route_stored", type(error).__name__)
            return False
        return True

    def router_started(self) -> None:
        """The queued router runs (or found another running): a text stored when no router is
        seated needs a job again. Left to expire when Redis is unreachable."""
        try:
            self._runtime.redis.delete(ROUTING_QUEUED)
        except RedisError as error:
            log.error("jobs.router_flag_left error=%s", type(error).__name__)

    def hand_over_routing(self) -> bool:
        """The router's job has run long enough: a fresh one, behind the jobs queued meanwhile,
        goes on (marked queued before this router leaves its seat). False (and logged) when
        Redis is unreachable: the router then leaves as when no text comes."""
        try:
            self._runtime.redis.set(ROUTING_QUEUED, "1", ex=ROUTING_QUEUED_SECONDS)
            self._queue.enqueue("route_stored", result_ttl=0)
        except RedisError as error:
            log.error("jobs.enqueue_failed error=%s job=route_stored", type(error).__name__)
            return False
        return True

    def share_routing(self) -> None:
        """A backlog: one more worker routes it too, until none is left (`jobs.help_route`)."""
        self._queue.enqueue("help_route", result_ttl=0)

    def submit(self, turn: Turn) -> bool:
        """Enqueue the turn's deliveries and timers; False (and logged) when Redis is unreachable."""
        try:
            with self._queue.connection.pipeline() as pipe:
                for outbox_id in turn.outbox_ids:
                    self._queue.enqueue(
                        "deliver_outbound",
                        outbox_id,
                        pipeline=pipe,
                        job_id=f"deliver-{outbox_id}-{turn.now.timestamp():.0f}",
                        result_ttl=0,
                    )
                pipe.execute()
        except RedisError as error:
            log.error(
                "jobs.enqueue_failed error=%s outbox=%d timers=%d",
                type(error).__name__,
                len(turn.outbox_ids),
                len(turn.timers),
            )
            return False
        return self.schedule(turn)

    def schedule(self, turn: Turn) -> bool:
        """Enqueue the turn's timers only; False (and logged) when Redis is unreachable."""
        try:
            for timer in turn.timers:
                job, job_id = timer.job, f"{timer.job}-{timer.target_id}"
                if (
                    timer.at <= turn.now
                ):  # due already (a caller to take off hold): now, not at the scheduler's next tick
                    self._queue.enqueue(job, timer.target_id, job_id=job_id, result_ttl=0)
                else:
                    self._queue.enqueue_at(
                        _whole_second_after(timer.at), job, timer.target_id, job_id=job_id, result_ttl=0
                    )
        except RedisError as error:
            log.error("jobs.enqueue_failed error=%s timers=%d", type(error).__name__, len(turn.timers))
            return False
        return True

    def enqueue_periodic(self, job: str, interval: int, now: datetime) -> None:
        """Enqueue `job` once per time slot of `interval` seconds: the slot is in the job id,
        so every worker's ticker converges on one run per slot."""
        slot = int(now.timestamp()) // interval
        job_id = f"{job}-{slot}"
        if self._queue.fetch_job(job_id) is None:
            self._queue.enqueue(job, job_id=job_id, result_ttl=interval, failure_ttl=interval)

    def lost_jobs(self) -> bool:
        """Whether Redis has lost its jobs since the last look (it lost the marker too); raises
        RedisError when it is unreachable."""
        return bool(self._runtime.redis.set(REDIS_ALIVE, "1", nx=True))

    def resume(self, now: datetime) -> None:
        """Queue `resume_after_outage` at the front, unless one is queued already (however
        many workers ask, and however often)."""
        if self._runtime.redis.set(RESUME_QUEUED, "1", nx=True, ex=RESUME_QUEUED_SECONDS):
            job_id = f"resume_after_outage-{int(now.timestamp())}"
            self._queue.enqueue("resume_after_outage", job_id=job_id, result_ttl=0, at_front=True)

    def resume_started(self) -> None:
        """The queued `resume_after_outage` runs: the next ask queues another."""
        try:
            self._runtime.redis.delete(RESUME_QUEUED)
        except RedisError as error:
            log.error("jobs.resume_flag_left error=%s", type(error).__name__)

    def requeue_failed(self) -> int:
        """Run failed and abandoned jobs again, each at most `REQUEUE_LIMIT` times; returns how
        many are left failed. Every job is idempotent (it re-reads its row and does nothing
        twice), so running one again is safe. This only speeds recovery up: the sweeper finds
        overdue rows in the database whatever RQ's registries say."""
        self._queue.started_job_registry.cleanup()  # a killed worker's job: started -> failed
        registry = self._queue.failed_job_registry
        left = 0
        for job_id in registry.get_job_ids():
            job = self._queue.fetch_job(job_id)
            if job is None:
                registry.remove(job_id)
                continue
            runs = int(job.meta.get("requeued", 0))
            if runs >= REQUEUE_LIMIT:
                left += 1
                continue
            job.meta["requeued"] = runs + 1
            job.save_meta()
            registry.requeue(job)
            # The job's name and id only: its exception may quote what it was handling.
            log.warning("jobs.requeued job=%s id=%s run=%d", job.func_name, job.id, runs + 1)
        return left

    def failed_count(self) -> int:
        return self._queue.failed_job_registry.count

    def live_workers(self) -> int:
        """rq workers registered on the line's queue whose heartbeat has not lapsed (a worker's
        key expires `Worker.worker_ttl` + 60 s after its last heartbeat)."""
        return len(Worker.all(queue=self._queue))

    def queued_count(self) -> int:
        return self._queue.count


def _whole_second_after(at: datetime) -> datetime:
    """`at`, rounded up to a whole second. RQ keeps a scheduled job's time in whole seconds,
    cut down: a job for 12:00:05.7 would run from 12:00:05.0, find its row not yet due (a
    retry's `next_attempt_at`, an offer's expiry) and do nothing, leaving it to the sweeper a
    minute later."""
    whole = at.replace(microsecond=0)
    return whole if whole == at else whole + timedelta(seconds=1)
