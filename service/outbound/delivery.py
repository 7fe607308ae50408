"""Delivering outbox rows through Twilio: at least once, as rarely as possible twice.

A row is claimed under a row lock (`pending` -> `submitting`) and committed before the API
call, so a crash leaves evidence: a `submitting` row whose answer never came is reconciled
against Twilio's message list before anything is resent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, case, exists, func, select, update

from routing import delivery_pace as pace_rules
from routing.delivery_pace import Answer
from service.conversations import dispatch, lifecycle
from service.db import STATUS_ORDER, Conversation, OutboxMessage, Supervisor, Texter, Volunteer
from service.db.engine import one_statement
from service.db.turn import Sending, Turn, run_turn
from service.db.vault import PURGED
from service.outbound.shared_pace import LONGEST_WAIT_SECONDS, SharedPace
from service.outbound.twilio_gateway import (
    UNSUBSCRIBED,
    Accepted,
    Permanent,
    Retryable,
    SendOutcome,
    TwilioGateway,
    Unknown,
)
from service.runtime import Runtime
from service.settings import DeliverySettings

log = logging.getLogger(__name__)

# Rows released at once when Twilio answers again; the sweeper finds any beyond them.
RELEASE_BATCH = 1000


@dataclass(frozen=True)
class _Claim:
    to: str
    from_number: str
    body: str
    reconcile: bool


def deliver(runtime: Runtime, gateway: TwilioGateway, pace: SharedPace, outbox_id: int, now: datetime) -> list[Turn]:
    """Send one outbox row if it still needs sending, at the shared pace; returns the turns
    of any follow-up (a retry timer, texts about a failed delivery, texts released because
    Twilio answers again) for the caller to submit."""
    claim, _ = run_turn(runtime, now, lambda turn: _claim(turn, outbox_id))
    if claim is None:
        return []
    if claim.reconcile:
        found = gateway.find_sent(claim.to, claim.from_number, claim.body)
        if found is not None:
            return _answered(runtime, pace, outbox_id, found, now)
    # Twilio does not have it (a reconciled row was never sent): it may wait for its slot.
    wait = pace.slot(now.timestamp())
    if wait > LONGEST_WAIT_SECONDS:
        return [_put_back(runtime, outbox_id, now, now + timedelta(seconds=wait))]
    now = _after(now, wait)
    return _answered(runtime, pace, outbox_id, gateway.send(claim.to, claim.from_number, claim.body), now)


def send_claimed(
    runtime: Runtime, gateway: TwilioGateway, pace: SharedPace, sendings: Sequence[Sending], now: datetime
) -> list[Turn]:
    """Send, in order and at the shared pace, rows their own turn claimed and committed
    (`Turn.sendings`); the outcomes are recorded as `deliver` records them, those Twilio took
    in one statement."""
    accepted: list[tuple[int, Accepted]] = []
    follow_ups: list[Turn] = []
    for sending in sendings:
        wait = pace.slot(now.timestamp())
        if wait > LONGEST_WAIT_SECONDS:
            follow_ups.append(_put_back(runtime, sending.outbox_id, now, now + timedelta(seconds=wait)))
            continue
        now = _after(now, wait)
        outcome = gateway.send(sending.to, sending.from_number, sending.body)
        release = pace.answered(_answer(outcome), now.timestamp())
        if isinstance(outcome, Accepted):
            accepted.append((sending.outbox_id, outcome))
        else:
            follow_ups.append(run_turn(runtime, now, partial(_record, outbox_id=sending.outbox_id, outcome=outcome))[1])
        if release:
            follow_ups.append(release_held(runtime, now))
    _record_accepted(runtime, accepted, now)
    return follow_ups


def _after(now: datetime, wait: float) -> datetime:
    """`now` once the pace's `wait` is over (waited here: it is under a second)."""
    if wait <= 0:
        return now
    time.sleep(wait)
    return now + timedelta(seconds=wait)


def _answer(outcome: SendOutcome) -> Answer:
    """What an outcome says about Twilio: a permanent error is Twilio answering about the text."""
    if isinstance(outcome, Accepted | Permanent):
        return Answer.TAKEN
    if isinstance(outcome, Retryable) and outcome.throttled:
        return Answer.THROTTLED
    return Answer.FAILING


def _answered(runtime: Runtime, pace: SharedPace, outbox_id: int, outcome: SendOutcome, now: datetime) -> list[Turn]:
    release = pace.answered(_answer(outcome), now.timestamp())
    turns = [turn for turn in [_record_outcome(runtime, outbox_id, outcome, now)] if turn is not None]
    if release:
        turns.append(release_held(runtime, now))
    return turns


def _put_back(runtime: Runtime, outbox_id: int, now: datetime, at: datetime) -> Turn:
    """A claimed row (not at Twilio) whose slot at the shared pace is further away than we
    wait: pending again until `at`, with a job to send it then (the claim's attempt undone)."""

    def work(turn: Turn) -> None:
        row = turn.session.scalars(select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()).one()
        if row.status != "submitting":
            return
        row.status, row.attempts = "pending", row.attempts - 1
        row.next_attempt_at = max(row.next_attempt_at, at)
        row.updated_at = turn.now
        turn.schedule("deliver_outbound", row.id, row.next_attempt_at)

    return run_turn(runtime, now, work)[1]


def release_held(runtime: Runtime, now: datetime) -> Turn:
    """Twilio answers again after failing: every row waiting out a retry backoff is due now
    (the shared pace still spaces them out if Twilio was throttling us). The turn lists them
    for delivery jobs."""

    def work(turn: Turn) -> None:
        held = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at > now)
            .order_by(OutboxMessage.id)
            .limit(RELEASE_BATCH)
            .scalar_subquery()
        )
        released = turn.session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(held))
            .values(next_attempt_at=now)
            .returning(OutboxMessage.id)
        ).all()
        turn.outbox_ids.extend(sorted(released))
        log.info("delivery.released count=%d", len(released))

    return run_turn(runtime, now, work)[1]


def _record_outcome(runtime: Runtime, outbox_id: int, outcome: SendOutcome, now: datetime) -> Turn | None:
    """Twilio took it (nearly always): one statement. Anything else: a turn, which may retry,
    give up and tell the volunteer."""
    if isinstance(outcome, Accepted):
        _record_accepted(runtime, [(outbox_id, outcome)], now)
        return None
    _, turn = run_turn(runtime, now, lambda turn: _record(turn, outbox_id, outcome))
    return turn


_ACCEPTED = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("outbox_id"))
    .values(
        twilio_sid=bindparam("sid"),
        status=bindparam("accepted_status"),
        sent_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
)


def _record_accepted(runtime: Runtime, accepted: Sequence[tuple[int, Accepted]], now: datetime) -> None:
    """Rows Twilio took: their SIDs, in one statement for them all (no read first: whatever the
    row's state, Twilio has the message)."""
    if not accepted:
        return
    with one_statement(runtime.engine) as connection:
        connection.execute(
            _ACCEPTED,
            [
                {
                    "outbox_id": outbox_id,
                    "sid": outcome.sid,
                    "now": now,
                    "accepted_status": "accepted" if STATUS_ORDER.get(outcome.status, 2) <= 2 else outcome.status,
                }
                for outbox_id, outcome in accepted
            ],
        )
    for outbox_id, _ in accepted:
        log.info("delivery.accepted outbox=%d", outbox_id)


def _claim(turn: Turn, outbox_id: int) -> _Claim | None:
    row = turn.session.scalars(select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()).first()
    if row is None or row.status not in ("pending", "submitting"):
        return None
    delivery = turn.runtime.settings.delivery
    reconcile = row.status == "submitting"
    if reconcile and row.updated_at > turn.now - timedelta(seconds=lease_seconds(delivery)):
        return None  # another worker's request may still be in flight; the sweeper comes back
    if row.status == "pending" and row.next_attempt_at > turn.now:
        return None
    to = _recipient_number(turn, row)
    if to is None or row.body_encrypted == PURGED:
        row.status = "suppressed"
        row.updated_at = turn.now
        return None
    row.status = "submitting"
    row.attempts += 1
    row.updated_at = turn.now
    return _Claim(
        to=to, from_number=row.from_number, body=turn.runtime.vault.decrypt(row.body_encrypted), reconcile=reconcile
    )


def lease_seconds(delivery: DeliverySettings) -> float:
    """How long a claimed row's request may still be in flight (the client's timeout, and a margin)."""
    return delivery.twilio_timeout_seconds + 5


def _recipient_number(turn: Turn, row: OutboxMessage) -> str | None:
    """The number to send to, decrypted only now; None when we must not send (opted out, removed)."""
    if row.recipient_kind == "texter":
        texter = turn.session.get(Texter, row.recipient_id)
        if texter is None or texter.opted_out:
            return None
        return turn.runtime.vault.decrypt(texter.phone_encrypted)
    person: Volunteer | Supervisor | None
    if row.recipient_kind == "volunteer":
        person = turn.session.get(Volunteer, row.recipient_id)
    else:
        person = turn.session.get(Supervisor, row.recipient_id)
    return person.phone if person is not None and person.active else None


def _record(turn: Turn, outbox_id: int, outcome: Retryable | Permanent | Unknown) -> None:
    row = turn.session.scalars(select(OutboxMessage).where(OutboxMessage.id == outbox_id).with_for_update()).one()
    delivery = turn.runtime.settings.delivery
    if isinstance(outcome, Unknown):
        # Left `submitting`, its `updated_at` still the claim's: the next attempt asks Twilio first
        # whether it arrived, as soon as the claim's lease is over (`_claim`).
        log.warning("delivery.unknown outbox=%d reason=%s", row.id, outcome.reason)
        turn.schedule("deliver_outbound", row.id, row.updated_at + timedelta(seconds=lease_seconds(delivery) + 1))
        return
    row.updated_at = turn.now
    row.error_code = outcome.code
    row.error_message = outcome.reason
    if isinstance(outcome, Retryable) and row.attempts < delivery.max_attempts:
        row.status = "pending"
        row.next_attempt_at = turn.now + timedelta(
            seconds=pace_rules.retry_delay(row.attempts, delivery.retry_base_seconds)
        )
        turn.schedule("deliver_outbound", row.id, row.next_attempt_at)
        log.warning("delivery.retry outbox=%d attempts=%d reason=%s", row.id, row.attempts, outcome.reason)
        return
    row.status = "failed"
    log.error("delivery.failed outbox=%d code=%s reason=%s", row.id, outcome.code, outcome.reason)
    if outcome.code == UNSUBSCRIBED and row.recipient_kind == "texter":
        texter_unsubscribed(turn, row.recipient_id)


def texter_unsubscribed(turn: Turn, texter_id: int) -> None:
    """Twilio says the texter has opted out (21610): stop writing to them, end their
    conversation and tell the volunteer at once."""
    texter = turn.session.get_one(Texter, texter_id)
    if texter.opted_out:
        return
    texter.opted_out = True
    open_conversation = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter_id,
            Conversation.channel == "sms",
            Conversation.status.in_(("queued", "active")),
        )
        .with_for_update()
    ).first()
    if open_conversation is not None:
        lifecycle.close(turn, open_conversation, "texter_unsubscribed")
        dispatch.offer_waiting(turn)


_STATUS_RANK = case(STATUS_ORDER, value=OutboxMessage.status, else_=-1)


def record_callback(
    runtime: Runtime, sid: str, status: str, error_code: int | None, now: datetime
) -> tuple[bool, Turn | None]:
    """A status callback: whether the SID is ours, and the turn of any follow-up. On
    PostgreSQL one statement moves the row forward (Twilio posts two callbacks a text, the
    commonest webhook there is); an unsubscribed texter (21610), and SQLite, take a turn."""
    if error_code == UNSUBSCRIBED or runtime.engine.dialect.name != "postgresql":
        return run_turn(runtime, now, lambda turn: record_status(turn, sid, status, error_code))
    query = select(exists().where(OutboxMessage.twilio_sid == sid))
    if status in STATUS_ORDER:  # a status we do not know moves nothing (and may not fit the column)
        moved = (
            update(OutboxMessage)
            .where(OutboxMessage.twilio_sid == sid, _STATUS_RANK < STATUS_ORDER[status])
            .values(status=status, updated_at=now, error_code=func.coalesce(error_code, OutboxMessage.error_code))
            .returning(OutboxMessage.id)
            .cte("moved")
        )
        query = query.add_columns(select(func.count()).select_from(moved).scalar_subquery())
    with one_statement(runtime.engine) as connection:
        known = connection.execute(query).one()[0]
    return bool(known), None


def record_status(turn: Turn, sid: str, status: str, error_code: int | None) -> bool:
    """A status callback: move the row forward only (callbacks arrive out of order)."""
    row = turn.session.scalars(select(OutboxMessage).where(OutboxMessage.twilio_sid == sid).with_for_update()).first()
    if row is None:
        return False
    if STATUS_ORDER.get(status, -1) > STATUS_ORDER.get(row.status, -1):
        row.status = status
        row.updated_at = turn.now
        if error_code is not None:
            row.error_code = error_code
    if error_code == UNSUBSCRIBED and row.recipient_kind == "texter":
        texter_unsubscribed(turn, row.recipient_id)
    return True
