"""What a conversation leaves behind for continuity of care: the volunteer's contact note,
the referrals given, and the consented follow-up."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base

# A wrap-up form waiting for the volunteer's answer holds its thread (no new texter on it).
NOTE_PENDING = "pending"


class ContactNote(Base):
    """The volunteer's wrap-up of one conversation: asked after it ends (`pending`), then
    `answered`, `skipped` (#skip) or `lapsed` (no answer in time). The choices picked are
    plain words (the form's choices, counted in reports, like escalation categories); the free
    note is encrypted, purged with the transcript, and never logged."""

    __tablename__ = "contact_notes"
    __table_args__ = (
        # The pending form of a volunteer's thread, found by (volunteer, line number).
        Index(
            "ix_contact_notes_pending_thread",
            "volunteer_id",
            "line_number",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    # The thread the form was sent in (the main number after a call).
    line_number: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    # JSON: {question key: [choice, ...]}, in the form's order.
    answers: Mapped[str | None] = mapped_column(Text)
    note_encrypted: Mapped[str | None] = mapped_column(Text)
    # The last correction on the dashboard (who and when; what is in the audit log).
    corrected_at: Mapped[datetime | None]
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id"))


class Referral(Base):
    """A resource a volunteer's `#res` listed in a conversation (`position` in that list);
    `sent_at` once `#send` gave it to the texter. A new `#res` replaces the unsent list."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    # The directory's key and the name it had then (the directory may change).
    resource: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    listed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


class FollowUp(Base):
    """A consented check-in, at most one per conversation: `marked` (the volunteer's
    #followup), `asked` at the end, then `scheduled` (YES, due at `due_at`), `declined` (NO),
    `lapsed` (no answer) or `cancelled` (STOP, DELETE MY DATA); a scheduled one becomes `sent`,
    and `answered` when the texter replies (`reply_conversation_id`)."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    texter_id: Mapped[int] = mapped_column(ForeignKey("texters.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    status: Mapped[str] = mapped_column(String(12), index=True)
    marked_at: Mapped[datetime | None]
    asked_at: Mapped[datetime | None]
    consented_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    reply_conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
