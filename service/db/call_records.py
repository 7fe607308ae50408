"""Phone calls: the telephone side of a voice or callback conversation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.conversation_records import Conversation


class Call(Base):
    """One Twilio call the line handles for a conversation: a caller's call in, or a call the
    line places for a callback (to the volunteer, then to the caller).

    It names no number: the caller is the conversation's texter (keyed hash, encrypted number),
    a volunteer is their own row. `stage` is where the call stands (routing.call_flow) and every
    webhook renders the TwiML for it, so a webhook Twilio repeats repeats its answer.
    """

    __tablename__ = "calls"
    __table_args__ = (Index("ix_calls_stage", "stage", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    # Twilio's CallSid; unknown for a call the line places until Twilio accepts it.
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Whose phone this call reaches: "caller" or "volunteer".
    party: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(12))
    # The line number the caller dialled, or the one a placed call comes from (its caller ID).
    line_number: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Twilio's last CallStatus; a final one ends the call once.
    twilio_status: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime]
    hold_started_at: Mapped[datetime | None]
    # When a volunteer accepted (pressed 1), or the called party of a placed call did.
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # Twilio's CallDuration, in seconds, when the call ended.
    duration_seconds: Mapped[int | None]
    # The volunteer's leg of a caller's call (the <Dial>ed number), once one picked up.
    volunteer_leg_sid: Mapped[str | None] = mapped_column(String(64))
    # The Twilio conference a connected caller's call moved into (learnt from its status callbacks).
    conference_sid: Mapped[str | None] = mapped_column(String(64))
    # Placing a call through Twilio's API: tries so far, and when the next may start.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()
