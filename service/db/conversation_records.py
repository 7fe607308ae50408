"""Conversations, the offers that place them with volunteers, their transcript and escalations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.people import Texter, Volunteer

OPEN_STATUSES = ("queued", "active")
# Conversation channels: a texter's texts; a caller's call; a callback a caller asked for
# (offered to volunteers by text like a texter, then held on the phone).
PHONE_CHANNELS = ("voice", "callback")


class Conversation(Base):
    """One contact: queued until a volunteer accepts, active while relayed (or on the phone),
    then closed."""

    __tablename__ = "conversations"
    __table_args__ = (
        # A texter has at most one open conversation per channel: their texts always find it,
        # and calling the line while a text conversation is open starts a call beside it.
        Index(
            "uq_conversations_open_texter",
            "texter_id",
            "channel",
            unique=True,
            postgresql_where=text("status IN ('queued', 'active')"),
            sqlite_where=text("status IN ('queued', 'active')"),
        ),
        # A line number carries at most one of a volunteer's conversations (masking threads).
        Index(
            "uq_conversations_active_thread",
            "volunteer_id",
            "line_number",
            unique=True,
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        Index("ix_conversations_queue", "status", "priority", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id"), index=True)
    # "sms", or one of PHONE_CHANNELS; a phone conversation has no thread line number.
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
    # Offered only to some volunteers until then (`routing.matching.Hold`); the sweeper
    # offers it again when the hold lapses.
    held_until: Mapped[datetime | None]
    # The lived-experience topic the texter named, and whether the volunteer who took the
    # conversation shares it (for the reports).
    topic: Mapped[str | None] = mapped_column(String(24))
    topic_matched: Mapped[bool | None]
    # The place in line the texter was last told, and when it was last compared with their
    # place now (`routing.queue_updates`).
    place_told: Mapped[int | None]
    place_checked_at: Mapped[datetime | None]
    long_wait_told: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The volunteer has been told the texter's plan's conversation limit is reached.
    plan_limit_told: Mapped[bool] = mapped_column(default=False, server_default=false())

    texter: Mapped[Texter] = relationship()
    volunteer: Mapped[Volunteer | None] = relationship()


class Offer(Base):
    """A queued conversation offered to one volunteer: by text, waiting for `#yes` until
    `expires_at`; or by ringing their phone for a caller (`kind` "ring"), waiting for them to
    press 1. Either way the volunteer is reserved: nobody else can offer or ring them."""

    __tablename__ = "offers"
    __table_args__ = (
        # One pending offer per volunteer (a ringing phone included), and one text offer per
        # conversation (a caller may ring a small group of volunteers at once).
        Index(
            "uq_offers_pending_volunteer",
            "volunteer_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "uq_offers_pending_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text("status = 'pending' AND kind = 'text'"),
            sqlite_where=text("status = 'pending' AND kind = 'text'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    line_number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(8), default="text", server_default="text")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    # When the volunteer answered; for a ring, when they picked up (still pending until they press 1).
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
