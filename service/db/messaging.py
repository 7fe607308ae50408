"""Inbound webhook receipts (for idempotency) and the outbox of texts waiting to be sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class InboundReceipt(Base):
    """A Twilio SID already received: a redelivered webhook finds it and changes nothing.

    A text the webhook leaves to a worker waits here until routed: its sender (hashed and
    encrypted) and body (encrypted), all forgotten once its turn has run.
    """

    __tablename__ = "inbound_receipts"
    __table_args__ = (
        Index(
            "ix_inbound_receipts_waiting",
            "sender_hash",
            "received_at",
            postgresql_where=text("routed_at IS NULL"),
            sqlite_where=text("routed_at IS NULL"),
        ),
    )

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[datetime]
    # What the webhook answered inline (the crisis text), so that a redelivery, sent because
    # the first answer never reached Twilio, carries it again.
    reply: Mapped[str | None] = mapped_column(Text)
    # The sender's keyed hash (`Vault.lookup_hash`) while waiting: each sender's texts are routed in order.
    sender_hash: Mapped[str | None] = mapped_column(String(64))
    sender_encrypted: Mapped[str | None] = mapped_column(Text)
    line_number: Mapped[str | None] = mapped_column(String(20))
    body_encrypted: Mapped[str | None] = mapped_column(Text)
    # When its turn ran; None while it waits for a worker.
    routed_at: Mapped[datetime | None]
    # Not for a worker yet: its webhook is still deciding whether the crisis text is due.
    held: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Pictures attached to the text (Twilio's NumMedia): only counted, never fetched.
    media_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The sender was an active volunteer or supervisor when it was stored; NULL: not known
    # (routed in its webhook). A texter's text is routed with no lookups for staff.
    from_staff: Mapped[bool | None]


# Delivery statuses in the order a text moves through them; a callback never moves a row back.
# `pending` and `submitting` are ours (not yet handed to Twilio / handed, answer not yet
# recorded); the rest are Twilio's MessageStatus values; `suppressed` means we chose not to
# send (the texter opted out).
STATUS_ORDER = {
    "pending": 0,
    "submitting": 1,
    "accepted": 2,
    "scheduled": 2,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "read": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
    "suppressed": 5,
}
UNSENT_STATUSES = ("pending", "submitting")


class OutboxMessage(Base):
    """A text to send, written in the same transaction as the change that caused it.

    The recipient is a reference (texter, volunteer or supervisor id), never a number: a
    texter's number is decrypted only at the moment of sending.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    recipient_kind: Mapped[str] = mapped_column(String(12))
    recipient_id: Mapped[int]
    from_number: Mapped[str] = mapped_column(String(20))
    body_encrypted: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
