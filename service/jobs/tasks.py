"""RQ jobs: small named functions that take ids, load what they need, and are safe to run twice.

Each is queued by its name and listed in `service.jobs.registry`, the only jobs a worker runs.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from service.conversations import dispatch, escalations, retention
from service.db.turn import DATABASE_DOWN, Turn, run_turn
from service.jobs import sweeper
from service.jobs.job_queue import JobQueue
from service.operations import alerting
from service.outbound import delivery
from service.outbound.shared_pace import SharedPace
from service.outbound.twilio_gateway import TwilioGateway
from service.runtime import Runtime, process_runtime
from service.sms import inbound
from service.sms.router_seat import RouterSeat
from service.sms.spool import Spool
from service.staff import rota_watch, transfers
from service.voice import callbacks, calls, conference

log = logging.getLogger(__name__)

_gateway: TwilioGateway | None = None
_shared_pace: SharedPace | None = None
# The router's job hands over to a new one after this long, so that the jobs queued behind
# it (offer timers, the sweeper) wait no longer (and the 60 s job timeout is never near).
ROUTING_JOB_SECONDS = 5
# How long the router waits for the next text before its job ends: while texts keep coming,
# one job routes them all, instead of a job (and its overhead in RQ) for each text.
ROUTING_LINGER_SECONDS = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


def _pace() -> SharedPace:
    """The delivery pace shared by every worker, with this process's memory of it being calm."""
    global _shared_pace
    if _shared_pace is None:
        runtime = process_runtime()
        _shared_pace = SharedPace(runtime.redis, runtime.settings.delivery)
    return _shared_pace


def _twilio() -> TwilioGateway:
    """One Twilio client per worker process, so its HTTP connections are reused."""
    global _gateway
    if _gateway is None:
        _gateway = TwilioGateway(process_runtime().settings)
    return _gateway


def route_stored() -> None:
    """The router: take the seat (`router_seat`: the webhooks then queue no job and wake this
    one), route every text the webhook stored, oldest first, each sender's in order, and wait
    a moment for more; hand over to a fresh job after `ROUTING_JOB_SECONDS`. With a backlog it
    asks other workers to help (`help_route`)."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    # Before the seat (a database connection): a router that fails to take it, the database
    # being down, must not leave the flag saying one is queued, or no text stored once the
    # database is back would queue a router until the flag expires.
    queue.router_started()
    with RouterSeat(runtime.engine) as seat:
        seated = seat.take()
        if not seated:
            return  # another router runs: it routes these texts
        try:
            run_its_time = _route_until_quiet(runtime, queue, seat)
        except BaseException:
            # Failed or timed out by RQ: a successor, so that no text stored meanwhile waits
            # for the sweeper (no webhook may come to queue one).
            queue.hand_over_routing()
            raise
        if run_its_time and queue.hand_over_routing():
            return
        seat.leave()
        # Texts stored while the seat was still taken queued no job of their own: routed now,
        # or by a router queued for them if this one runs out of time first.
        if _route_waiting(runtime, queue, time.monotonic() + ROUTING_JOB_SECONDS, share=False):
            queue.route_stored()


def _route_until_quiet(runtime: Runtime, queue: JobQueue, seat: RouterSeat) -> bool:
    """Route texts as webhooks store them: True once the job has run its time, False once
    none came for `ROUTING_LINGER_SECONDS`."""
    deadline = time.monotonic() + ROUTING_JOB_SECONDS
    while not _route_waiting(runtime, queue, deadline, share=True):
        if time.monotonic() > deadline:
            return True
        if not seat.wait_for_texts(ROUTING_LINGER_SECONDS):
            return False
    return True


def help_route() -> None:
    """Help the router with a backlog: route texts until none is left waiting (or for as long
    as a router's job runs)."""
    runtime = process_runtime()
    _route_waiting(runtime, JobQueue(runtime), time.monotonic() + ROUTING_JOB_SECONDS, share=False)


def _route_waiting(runtime: Runtime, queue: JobQueue, deadline: float, share: bool) -> bool:
    """Route stored texts until none is left (False) or the deadline passes (True). Each
    text's own texts go out from here, in order, before the next (a job for each would cost
    more than sending it). With `share`, a full batch (a backlog) asks one more worker to
    help (`help_route`)."""
    shared = not share
    more = True
    while more and (routed := inbound.route_next(runtime, _now())) is not None:
        turn, more = routed.turn, routed.more
        if routed.texts >= inbound.ROUTING_BATCH and not shared:
            queue.share_routing()
            shared = True
        queue.schedule(turn)
        claimed = {sending.outbox_id for sending in turn.sendings}
        follow_ups = delivery.send_claimed(runtime, _twilio(), _pace(), turn.sendings, _now())
        # Rows it could not claim (a recipient no longer to be texted) go the usual way.
        for outbox_id in turn.outbox_ids:
            if outbox_id not in claimed:
                follow_ups += delivery.deliver(runtime, _twilio(), _pace(), outbox_id, _now())
        for follow_up in follow_ups:
            queue.submit(follow_up)
        if time.monotonic() > deadline:
            return True
    return False


def deliver_outbound(outbox_id: int) -> None:
    runtime = process_runtime()
    for turn in delivery.deliver(runtime, _twilio(), _pace(), outbox_id, _now()):
        JobQueue(runtime).submit(turn)


def expire_offer(offer_id: int) -> None:
    runtime = process_runtime()
    _, turn = run_turn(runtime, _now(), lambda turn: dispatch.expire(turn, offer_id))
    JobQueue(runtime).submit(turn)


def lapse_transfer(transfer_id: int) -> None:
    """A warm transfer's deadline: nobody accepted, so the first volunteer keeps the texter."""
    runtime = process_runtime()
    _, turn = run_turn(runtime, _now(), lambda turn: transfers.lapse(turn, transfer_id))
    JobQueue(runtime).submit(turn)


def move_call_to_conference(call_id: int) -> None:
    """Move an answered call into its conference (supervisors and the crisis line can join)."""
    runtime = process_runtime()
    JobQueue(runtime).submit(conference.move(runtime, _twilio(), call_id, _now()))


def sync_call_participant(participant_id: int) -> None:
    """Call a supervisor or the crisis line into a call's conference, or change how they are in it."""
    runtime = process_runtime()
    JobQueue(runtime).submit(conference.sync(runtime, _twilio(), participant_id, _now()))


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


def _submit(queue: JobQueue, turn: Turn | None) -> None:
    if turn is not None:
        queue.submit(turn)


def sweep() -> None:
    """Run failed and abandoned jobs again, replay texts spooled while the database was down,
    then run every overdue deadline."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    left = queue.requeue_failed()
    if left:
        log.error("jobs.failed_for_good count=%d", left)
    spool = Spool(runtime.redis, runtime.settings.spool_dir, runtime.vault)
    if spool.replay_redis(lambda message: _submit(queue, inbound.replay_spooled(runtime, message))):
        queue.route_stored()
    for turn in sweeper.sweep(runtime, _now()):
        queue.submit(turn)


def alert_operators() -> None:
    """Every sweep: text the supervisors on call what the line needs a person for (nobody on
    shift within the hours, a long wait, a stuck outbox), each at most once per interval."""
    runtime = process_runtime()
    turn = alerting.alert_operators(runtime, _now())
    if turn is not None:
        JobQueue(runtime).submit(turn)


def watch_rota() -> None:
    """Every sweep: the rota's reminders, no-shows and the fallback group (`rota_watch`)."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    for turn in rota_watch.watch(runtime, _now()):
        queue.submit(turn)


def resume_after_outage() -> None:
    """Redis is reachable again, or lost its jobs: texts spooled while PostgreSQL was down are
    stored, the router is queued for the texts stored meanwhile, and every waiting row gets
    its job back (`sweeper.resume`), within a second or two instead of at the sweeper's pass.
    With PostgreSQL still down it does nothing: the ticker asks again."""
    runtime = process_runtime()
    queue = JobQueue(runtime)
    queue.resume_started()
    try:
        Spool(runtime.redis, runtime.settings.spool_dir, runtime.vault).replay_redis(
            lambda message: _submit(queue, inbound.replay_spooled(runtime, message))
        )
        turn = sweeper.resume(runtime, _now())
    except DATABASE_DOWN as error:
        log.warning("jobs.resume_waits_for_database error=%s", type(error).__name__)
        return
    queue.route_stored()
    queue.schedule(turn)
    log.info("jobs.resumed jobs=%d", len(turn.timers))


def purge_expired() -> None:
    """Hourly: delete what the retention period no longer allows us to keep."""
    runtime = process_runtime()
    with runtime.sessions() as session, session.begin():
        retention.apply_retention(session, _now(), runtime.settings.retention.days)
