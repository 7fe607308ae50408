"""RQ jobs: small named functions that take ids, load what they need, and are safe to run twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from service import callbacks, calls, delivery, dispatch, escalations, inbound, retention, sweeper
from service.job_queue import JobQueue
from service.runtime import process_runtime
from service.spool import Spool
from service.turn import Turn, run_turn
from service.twilio_gateway import TwilioGateway

log = logging.getLogger(__name__)

_gateway: TwilioGateway | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _twilio() -> TwilioGateway:
    """One Twilio client per worker process, so its HTTP connections are reused."""
    global _gateway
    if _gateway is None:
        _gateway = TwilioGateway(process_runtime().settings)
    return _gateway


def deliver_outbound(outbox_id: int) -> None:
    runtime = process_runtime()
    turn = delivery.deliver(runtime, _twilio(), outbox_id, _now())
    if turn is not None:
        JobQueue(runtime).submit(turn)


def expire_offer(offer_id: int) -> None:
    runtime = process_runtime()
    _, turn = run_turn(runtime, _now(), lambda turn: dispatch.expire(turn, offer_id))
    JobQueue(runtime).submit(turn)


def ring_held_caller(call_id: int) -> None:
    """Take a caller off hold to ring the volunteer reserved for them."""
    runtime = process_runtime()
    turn = calls.pull_from_hold(runtime, _twilio(), call_id, _now())
    if turn is not None:
        JobQueue(runtime).submit(turn)


def place_call(call_id: int) -> None:
    """Place one leg of a callback (the volunteer's, then the caller's)."""
    runtime = process_runtime()
    JobQueue(runtime).submit(callbacks.place(runtime, _twilio(), call_id, _now()))


def realert_escalation(escalation_id: int) -> None:
    runtime = process_runtime()
    _, turn = run_turn(runtime, _now(), lambda turn: escalations.realert(turn, escalation_id))
    JobQueue(runtime).submit(turn)


def _submit(queue: JobQueue, turn: Turn) -> None:
    queue.submit(turn)


def sweep() -> None:
    """Run failed and abandoned jobs again, replay texts spooled while the database was down,
    then run every overdue deadline."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    left = queue.requeue_failed()
    if left:
        log.error("jobs.failed_for_good count=%d", left)
    spool = Spool(runtime.redis, runtime.settings.spool_dir)
    spool.replay_redis(lambda message: _submit(queue, inbound.replay_spooled(runtime, message)))
    for turn in sweeper.sweep(runtime, _now()):
        queue.submit(turn)


def purge_expired() -> None:
    """Hourly: delete what the retention period no longer allows us to keep."""
    runtime = process_runtime()
    with runtime.sessions() as session, session.begin():
        retention.apply_retention(session, _now(), runtime.settings.retention.days)
