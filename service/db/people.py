"""The people the line knows: volunteers (with their shifts), texters and supervisors."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base


class Volunteer(Base):
    """A trained peer volunteer; `phone` is their own number, which only admins see."""

    __tablename__ = "volunteers"
    __table_args__ = (
        # Dispatch walks the volunteers on shift least loaded, then longest idle, first
        # (migration 0007 creates it, with the triggers that keep both columns below).
        Index(
            "ix_volunteers_dispatch",
            "active_conversations",
            text("last_assigned_at NULLS FIRST"),
            "id",
            postgresql_where=text("active AND on_shift"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    alias: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    languages: Mapped[str] = mapped_column(String(40), default="en")
    max_concurrent: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    break_until: Mapped[datetime | None]
    # After a heavy conversation: no offers until then; `awaiting_ok` until they text #ok.
    cooldown_until: Mapped[datetime | None]
    awaiting_ok: Mapped[bool] = mapped_column(default=False)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # Kept by the database (triggers on conversations and shifts), only for dispatch to walk
    # ix_volunteers_dispatch; never set here, and never read for a decision: the limits count
    # conversations and shifts themselves (`service.conversations.shifts.volunteer_states`).
    active_conversations: Mapped[int] = mapped_column(default=0, server_default="0")
    on_shift: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The rota: the zone their shift times are shown in (None: the line's); whether they
    # agreed to be texted when the line needs help (the fallback group); the hash of the
    # secret in their calendar feed's URL (None: no feed).
    timezone: Mapped[str | None] = mapped_column(String(64))
    fallback: Mapped[bool] = mapped_column(default=False, server_default=false())
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # Experience (`routing.matching`): "training", "peer" or "experienced"; a trainee's
    # `trainee_scope` says which texters they may take ("any", "risk_free", "with_mentor").
    level: Mapped[str] = mapped_column(String(16), default="peer", server_default="peer")
    trainee_scope: Mapped[str] = mapped_column(String(16), default="any", server_default="any")
    trained_on: Mapped[date | None]
    # Lived experience they opted in to share, from `[matching] topics`, comma-separated.
    topics: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The language the line texts them in; None: the line's first language.
    staff_language: Mapped[str | None] = mapped_column(String(8))

    shifts: Mapped[list[Shift]] = relationship(back_populates="volunteer", order_by="Shift.started_at")

    @property
    def language_codes(self) -> tuple[str, ...]:
        return tuple(code for code in self.languages.split(",") if code)

    @property
    def topic_codes(self) -> frozenset[str]:
        return frozenset(code for code in self.topics.split(",") if code)


class Shift(Base):
    """One stretch on shift, from `#on` to `#off` (or an end the router forces)."""

    __tablename__ = "shifts"
    __table_args__ = (
        # At most one open shift per volunteer, enforced by the database.
        Index(
            "uq_shifts_open",
            "volunteer_id",
            unique=True,
            postgresql_where=text("ended_at IS NULL"),
            sqlite_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    started_at: Mapped[datetime]
    # When the shift must end (its maximum length or the weekly hours); None when lifted.
    planned_end_at: Mapped[datetime | None]
    conversations_taken: Mapped[int] = mapped_column(default=0)
    wrap_up_told: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))

    volunteer: Mapped[Volunteer] = relationship(back_populates="shifts")


class Texter(Base):
    """Someone who texts or calls the line, known to everyone by a pseudonym only.

    The number is kept as a keyed hash (to recognise a returning texter) and encrypted (to
    reply); neither can be read without WARMLINE_DATA_KEY.
    """

    __tablename__ = "texters"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(12), unique=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone_encrypted: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(default=False)
    opted_out: Mapped[bool] = mapped_column(default=False)
    last_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    # Indexed: the limit on new senders counts the texters created in the last minute.
    created_at: Mapped[datetime] = mapped_column(index=True)


class Supervisor(Base):
    """A supervisor or admin: alerted on escalations, signs in to the dashboard."""

    __tablename__ = "supervisors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default="supervisor")
    on_call: Mapped[bool] = mapped_column(default=False)
    # Alerted when an escalation stays unacknowledged.
    backup: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    # The language the line texts them in and the dashboard shows; None: the line's first.
    staff_language: Mapped[str | None] = mapped_column(String(8))


class LimitOverride(Base):
    """A supervisor lifted one limit for one volunteer until `until`, for a stated reason."""

    __tablename__ = "limit_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    limit: Mapped[str] = mapped_column(String(40))
    until: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """What a supervisor or admin did, when and why: overrides, shift ends, transcript reads."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text, default="")
