"""Keeping personal data no longer than needed: the retention purge, a texter's own request
to delete their data, and re-encryption under a new key.

What is purged: message bodies (texts people wrote and were sent) and texters' numbers.
What stays: conversations' times, outcomes, risk levels and feedback scores, which carry no
personal data and feed the line's statistics.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import ScalarResult, Select, func, select, update
from sqlalchemy.orm import Session

from service.db import Conversation, Message, OutboxMessage, Texter
from service.db.vault import PURGED, Vault

BATCH = 500
T = TypeVar("T")


def purge_texter(session: Session, texter: Texter, now: datetime) -> None:
    """Forget who the texter is and what they wrote; their pseudonym and statistics remain.
    Texts written at `now` (telling the volunteer about the deletion) are kept."""
    texter.phone_hash = f"{PURGED}:{texter.id}"
    texter.phone_encrypted = PURGED
    texter.opted_out = True  # nothing can be sent to a number we no longer have
    conversation_ids = select(Conversation.id).where(Conversation.texter_id == texter.id)
    session.execute(update(Message).where(Message.conversation_id.in_(conversation_ids)).values(body_encrypted=None))
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.conversation_id.in_(conversation_ids)
            | ((OutboxMessage.recipient_kind == "texter") & (OutboxMessage.recipient_id == texter.id)),
            OutboxMessage.created_at < now,
        )
        .values(body_encrypted=PURGED)
    )


def apply_retention(session: Session, now: datetime, days: float) -> int:
    """Purge bodies older than the retention period, and texters silent for that long."""
    cutoff = now - timedelta(days=days)
    session.execute(
        update(Message)
        .where(Message.created_at < cutoff, Message.body_encrypted.is_not(None))
        .values(body_encrypted=None)
    )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.created_at < cutoff, OutboxMessage.body_encrypted != PURGED)
        .values(body_encrypted=PURGED)
    )
    last_seen = (
        select(Conversation.texter_id, func.max(Conversation.last_texter_at).label("seen"))
        .group_by(Conversation.texter_id)
        .subquery()
    )
    stale = session.scalars(
        select(Texter)
        .join(last_seen, last_seen.c.texter_id == Texter.id)
        .where(last_seen.c.seen < cutoff, Texter.phone_encrypted != PURGED)
        .limit(BATCH)
    ).all()
    for texter in stale:
        purge_texter(session, texter, now)
    return len(stale)


def rotate_keys(session: Session, vault: Vault) -> int:
    """Re-encrypt and re-hash everything under the newest key (WARMLINE_DATA_KEY="new,old"),
    after which the old key can be dropped. Returns the rows rewritten."""
    rewritten = 0
    for texter in _all(session, select(Texter).where(Texter.phone_encrypted != PURGED)):
        number = vault.decrypt(texter.phone_encrypted)
        texter.phone_encrypted = vault.encrypt(number)
        texter.phone_hash = vault.lookup_hash(number)
        rewritten += 1
    for message in _all(session, select(Message).where(Message.body_encrypted.is_not(None))):
        if message.body_encrypted is not None:  # always, by the query: this tells the type checker
            message.body_encrypted = vault.reencrypt(message.body_encrypted)
            rewritten += 1
    for row in _all(session, select(OutboxMessage).where(OutboxMessage.body_encrypted != PURGED)):
        row.body_encrypted = vault.reencrypt(row.body_encrypted)
        rewritten += 1
    return rewritten


def _all(session: Session, query: Select[T]) -> ScalarResult[T]:
    """Rows in batches, so a large table does not sit in memory at once."""
    return session.scalars(query.execution_options(yield_per=BATCH))
