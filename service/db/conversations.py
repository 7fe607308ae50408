"""Conversations, the offers that place them with volunteers, their transcript and escalations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.people import Texter, Volunteer

OPEN_STATUSES = ("queued", "active")


class Conversation(Base):
    """One contact: queued until a volunteer accepts, active while relayed, then closed."""

    __tablename__ = "conversations"
    __table_args__ = (
        # A texter has at most one open conversation; their messages always find it.
        Index("uq_conversations_open_texter", "texter_id", unique=True,
              postgresql_where=text("status IN ('queued', 'active')"), sqlite_where=text("status IN ('queued', 'active')")),
        # A line number carries at most one of a volunteer's conversations (masking threads).
        Index("uq_conversations_active_thread", "volunteer_id", "line_number", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        Index("ix_conversations_queue", "status", "priority", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    status: Mapped[str] = mapped_column(String(12))
    language: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(default=0)
    risk_level: Mapped[str] = mapped_column(String(12), default="none")
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    line_number: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    last_texter_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(24))
    feedback_score: Mapped[int | None]
    # The texter has been told no volunteer speaking their language is on shift (told once).
    language_fallback_told: Mapped[bool] = mapped_column(default=False)
    # When the crisis line's text was last sent inline (repeats are damped).
    safety_sent_at: Mapped[datetime | None]

    texter: Mapped[Texter] = relationship()
    volunteer: Mapped[Volunteer | None] = relationship()


class Offer(Base):
    """A queued conversation offered to one volunteer, waiting for `#yes` until `expires_at`."""

    __tablename__ = "offers"
    __table_args__ = (
        # One pending offer per volunteer, and one per conversation.
        Index("uq_offers_pending_volunteer", "volunteer_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("uq_offers_pending_conversation", "conversation_id", unique=True,
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    line_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()
    volunteer: Mapped[Volunteer] = relationship()


class Message(Base):
    """One line of a conversation's transcript; the body is encrypted at rest."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    author: Mapped[str] = mapped_column(String(12))
    body_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    # The detector's verdict on a texter's message, kept so the conversation can be assessed
    # as a whole without decrypting its history: level, then "categories|rules|signals".
    risk_level: Mapped[str | None] = mapped_column(String(12))
    risk_detail: Mapped[str | None] = mapped_column(Text)


class Escalation(Base):
    """A call for professional help on a conversation, open until a supervisor acknowledges it."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    level: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[str] = mapped_column(String(120), default="")
    # The lexicon rules that matched, shown to supervisors.
    rules: Mapped[str] = mapped_column(Text, default="")
    # Names of the supervisors alerted, in order (backups after the first alert).
    alerted: Mapped[str] = mapped_column(Text, default="")
    opened_at: Mapped[datetime] = mapped_column(index=True)
    realerted_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id"))

    conversation: Mapped[Conversation] = relationship()
