"""RQ jobs: small named functions that take ids, load what they need, and are safe to run twice."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from service import callbacks, calls, delivery, dispatch, escalations, inbound, retention, sweeper
from service.job_queue import JobQueue
from service.runtime import process_runtime
from service.spool import Spool
from service.turn import Turn, run_turn
from service.twilio_gateway import TwilioGateway

log = logging.getLogger(__name__)

_gateway: TwilioGateway | None = None
# A `route_stored` job hands over to a new one after this long, so that the jobs queued behind
# it (offer timers, the sweeper) wait no longer (and the 60 s job timeout is never near).
ROUTING_JOB_SECONDS = 5


def _now() -> datetime:
    return datetime.now(UTC)


def _twilio() -> TwilioGateway:
    """One Twilio client per worker process, so its HTTP connections are reused."""
    global _gateway
    if _gateway is None:
        _gateway = TwilioGateway(process_runtime().settings)
    return _gateway


def route_stored() -> None:
    """Route every text the webhook stored, oldest first, each sender's in order, until none
    is left waiting; several workers may run this at once. Each text's own texts go out from
    here, in order, before the next text (a job for each text would cost more than sending it)."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    queue.routing_started()
    deadline = time.monotonic() + ROUTING_JOB_SECONDS
    shared = False
    while (routed := inbound.route_next(runtime, _now())) is not None:
        turn, more = routed
        if more and not shared:
            # More texts wait: another worker may as well route them too (and ask for a third
            # in turn), so that a backlog is shared out among the workers.
            shared = queue.route_stored()
        queue.schedule(turn)
        claimed = {sending.outbox_id for sending in turn.sendings}
        follow_ups: list[Turn | None] = list(delivery.send_claimed(runtime, _twilio(), turn.sendings, _now()))
        # Rows it could not claim (a recipient no longer to be texted) go the usual way.
        follow_ups += [delivery.deliver(runtime, _twilio(), outbox_id, _now()) for outbox_id in turn.outbox_ids if outbox_id not in claimed]
        for follow_up in follow_ups:
            if follow_up is not None:
                queue.submit(follow_up)
        if time.monotonic() > deadline:
            queue.route_stored()  # a fresh job, behind the jobs queued meanwhile, goes on
            return


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
