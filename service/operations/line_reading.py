"""Reading the line's state for operators: the queue, who is on shift, the outbox, open
escalations. One set of queries shared by `/metrics`, `/healthz` and the operator alerts, all
read at the moment they are asked for, so every web process and host reports the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db import Conversation, Escalation, OutboxMessage, Volunteer
from service.db.messaging import UNSENT_STATUSES

# Outbox statuses of texts Twilio would not deliver (its own verdict, or ours on a permanent error).
FAILED_STATUSES = ("failed", "undelivered")


@dataclass(frozen=True)
class LineReading:
    waiting: int
    longest_wait: timedelta | None
    volunteers_on_shift: int
    unsent: int
    oldest_unsent: timedelta | None
    failed: int
    # Texts Twilio accepted, by recipient kind (texter, volunteer, supervisor), since the start.
    sent: dict[str, int]
    open_escalations: int


def outbox_backlog(session: Session, now: datetime) -> tuple[int, timedelta | None]:
    """Texts not yet handed to Twilio, and how long the oldest has waited."""
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNSENT_STATUSES))
    ).one()
    return int(count), (now - oldest if oldest is not None else None)


def read_line(session: Session, now: datetime) -> LineReading:
    waiting, queued_since = session.execute(
        select(func.count(), func.min(Conversation.queued_at)).where(Conversation.status == "queued")
    ).one()
    on_shift = session.scalar(select(func.count()).select_from(Volunteer).where(Volunteer.active, Volunteer.on_shift))
    unsent, oldest_unsent = outbox_backlog(session, now)
    failed = session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status.in_(FAILED_STATUSES))
    )
    sent = dict(
        session.execute(
            select(OutboxMessage.recipient_kind, func.count())
            .where(OutboxMessage.twilio_sid.is_not(None))
            .group_by(OutboxMessage.recipient_kind)
        )
        .tuples()
        .all()
    )
    escalations = session.scalar(
        select(func.count()).select_from(Escalation).where(Escalation.acknowledged_at.is_(None))
    )
    return LineReading(
        waiting=int(waiting),
        longest_wait=now - queued_since if queued_since is not None else None,
        volunteers_on_shift=int(on_shift or 0),
        unsent=unsent,
        oldest_unsent=oldest_unsent,
        failed=int(failed or 0),
        sent=sent,
        open_escalations=int(escalations or 0),
    )
