"""Keeping personal data no longer than needed: the retention purge, and a texter's own
request to delete their data.

What is purged: message bodies (texts people wrote and were sent), texters' numbers, and what
the risk detector matched in their words (the lexicon phrases kept with each message and
escalation, and the note a volunteer added to #escalate), and the free note of a contact note.
What stays: conversations' times, outcomes, risk levels and feedback scores, escalations'
levels and categories, and contact notes' chosen answers (topics, outcome), which carry no
personal data and feed the line's statistics. A texter's own DELETE MY DATA removes their
contact notes and referrals whole, and cancels any follow-up still to come.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.orm import Session

from service.db import ContactNote, Conversation, Escalation, FollowUp, Message, OutboxMessage, Referral, Texter
from service.db.vault import PURGED

BATCH = 500


def purge_texter(session: Session, texter: Texter, now: datetime) -> None:
    """Forget who the texter is and what they wrote; their pseudonym and statistics remain.
    Texts written at `now` (telling the volunteer about the deletion) are kept."""
    texter.phone_hash = f"{PURGED}:{texter.id}"
    texter.phone_encrypted = PURGED
    texter.opted_out = True  # nothing can be sent to a number we no longer have
    conversation_ids = select(Conversation.id).where(Conversation.texter_id == texter.id)
    _forget_words(
        session, Message.conversation_id.in_(conversation_ids), Escalation.conversation_id.in_(conversation_ids)
    )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.conversation_id.in_(conversation_ids)
            | ((OutboxMessage.recipient_kind == "texter") & (OutboxMessage.recipient_id == texter.id)),
            OutboxMessage.created_at < now,
        )
        .values(body_encrypted=PURGED)
    )


def forget_contacts(session: Session, texter: Texter) -> None:
    """A texter's own DELETE MY DATA goes further than retention: the contact notes and referrals
    of their conversations go whole (coded answers too), and no follow-up still to come is sent."""
    conversation_ids = select(Conversation.id).where(Conversation.texter_id == texter.id)
    session.execute(delete(ContactNote).where(ContactNote.conversation_id.in_(conversation_ids)))
    session.execute(delete(Referral).where(Referral.conversation_id.in_(conversation_ids)))
    session.execute(
        update(FollowUp)
        .where(FollowUp.texter_id == texter.id, FollowUp.status.in_(("marked", "asked", "scheduled")))
        .values(status="cancelled")
    )


def apply_retention(session: Session, now: datetime, days: float) -> int:
    """Purge bodies older than the retention period, and texters silent for that long."""
    cutoff = now - timedelta(days=days)
    _forget_words(session, Message.created_at < cutoff, Escalation.opened_at < cutoff)
    session.execute(
        update(ContactNote)
        .where(ContactNote.asked_at < cutoff, ContactNote.note_encrypted.is_not(None))
        .values(note_encrypted=None)
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


def _forget_words(session: Session, messages: ColumnElement[bool], escalations: ColumnElement[bool]) -> None:
    """The bodies of these messages and what the detector matched in them, and the matched
    phrases and volunteers' notes of these escalations; levels and categories stay."""
    session.execute(
        update(Message)
        .where(messages, (Message.body_encrypted.is_not(None)) | (Message.risk_detail.is_not(None)))
        .values(body_encrypted=None, risk_detail=None)
    )
    session.execute(update(Escalation).where(escalations, Escalation.rules != "").values(rules=""))
    # A volunteer's #escalate may carry their words about the texter after the line's own.
    session.execute(
        update(Escalation)
        .where(escalations, Escalation.source == "volunteer", Escalation.reason != "")
        .values(reason="")
    )
