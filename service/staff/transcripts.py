"""Reading a conversation's transcript: what a supervisor may see while the retention period
keeps the messages, and the audit entry every reading leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import Conversation, Message
from service.db.vault import Vault
from service.staff import audit


@dataclass(frozen=True)
class TranscriptLine:
    at: datetime
    author: str
    # None once the retention purge (or the texter's own request) has deleted the body.
    text: str | None
    risk_level: str | None


def read_transcript(
    session: Session, vault: Vault, conversation: Conversation, actor: str, now: datetime
) -> list[TranscriptLine]:
    """The conversation's messages, decrypted, and an audit entry saying who read them and when."""
    rows = session.scalars(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.created_at, Message.id)
    ).all()
    audit.record(
        session, now, actor, "transcript_read", f"conversation:{conversation.id}", conversation.texter.pseudonym
    )
    return [
        TranscriptLine(
            at=row.created_at,
            author=row.author,
            text=vault.decrypt(row.body_encrypted) if row.body_encrypted else None,
            risk_level=row.risk_level,
        )
        for row in rows
    ]
