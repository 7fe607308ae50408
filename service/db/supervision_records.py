"""Supervisors inside conversations: a supervisor's seat in a text conversation's thread (their
phone, on a line number of its own), warm transfers of a text conversation, and who is in a
call's conference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from service.db.base import Base
from service.db.call_records import Call
from service.db.conversation_records import Conversation
from service.db.people import Supervisor


class SupervisorSeat(Base):
    """A supervisor in a text conversation, on their phone, from `joined_at` until `left_at`.

    `line_number` is the thread the conversation has on the supervisor's phone: masked like a
    volunteer's, one conversation per (supervisor, line number) at a time.
    """

    __tablename__ = "supervisor_seats"
    __table_args__ = (
        Index(
            "uq_supervisor_seats_thread",
            "supervisor_id",
            "line_number",
            unique=True,
            postgresql_where=text("left_at IS NULL"),
            sqlite_where=text("left_at IS NULL"),
        ),
        Index(
            "uq_supervisor_seats_conversation",
            "conversation_id",
            "supervisor_id",
            unique=True,
            postgresql_where=text("left_at IS NULL"),
            sqlite_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisors.id"), index=True)
    line_number: Mapped[str] = mapped_column(String(20))
    # Who brought them in: "volunteer:<id>" (#sup) or the supervisor's own email (the dashboard).
    invited_by: Mapped[str] = mapped_column(String(254))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()
    supervisor: Mapped[Supervisor] = relationship()


class Transfer(Base):
    """A warm transfer of a text conversation: offered to other volunteers (`offered_to`, their
    ids) until one accepts or `expires_at`; the first volunteer keeps the texter meanwhile.
    `routing.warm_transfer` decides each step. The volunteer's note is a line of the transcript
    (encrypted, purged with it), not kept here."""

    __tablename__ = "transfers"
    __table_args__ = (
        # One open transfer per conversation.
        Index(
            "uq_transfers_open_conversation",
            "conversation_id",
            unique=True,
            postgresql_where=text("status = 'offered'"),
            sqlite_where=text("status = 'offered'"),
        ),
        Index("ix_transfers_open_expiry", "expires_at", postgresql_where=text("status = 'offered'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    from_volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    # Who took the texter (or, from the dashboard, the one volunteer it was offered to).
    to_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"))
    offered_to: Mapped[str] = mapped_column(Text, default="")
    # "volunteer:<id>" for #transfer, a supervisor's email for the dashboard.
    requested_by: Mapped[str] = mapped_column(String(254))
    # offered, accepted, lapsed (nobody accepted in time), withdrawn (the conversation ended)
    status: Mapped[str] = mapped_column(String(12), default="offered")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship()

    @property
    def offered_ids(self) -> frozenset[int]:
        return frozenset(int(part) for part in self.offered_to.split(",") if part)


class CallParticipant(Base):
    """Someone in a call's Twilio conference: the caller, the volunteer, a supervisor (listening,
    coaching or joined) or the crisis line; who added them and when, and when they joined and
    left (the conference's signed status callbacks). The call record supervisors read.

    `muted`, `coaching` and `end_conference_on_exit` are what Twilio should hold for them;
    `pending` says a job (`sync_call_participant`) has still to tell Twilio.
    """

    __tablename__ = "call_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    # caller, volunteer, supervisor, crisis_line
    role: Mapped[str] = mapped_column(String(12))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("supervisors.id"))
    # Twilio's CallSid of their leg: known for the caller and volunteer, and for anyone added
    # once Twilio has answered the request that adds them.
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    # A supervisor's way in: listen, coach or join (routing.presence.CallMode).
    mode: Mapped[str | None] = mapped_column(String(8))
    muted: Mapped[bool] = mapped_column(default=False, server_default=false())
    coaching: Mapped[bool] = mapped_column(default=False, server_default=false())
    end_conference_on_exit: Mapped[bool] = mapped_column(default=False, server_default=false())
    pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    # "line", "volunteer:<id>" or a supervisor's email.
    added_by: Mapped[str] = mapped_column(String(254))
    added_at: Mapped[datetime]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]

    call: Mapped[Call] = relationship()
    supervisor: Mapped[Supervisor | None] = relationship()

    @property
    def label(self) -> str:
        """How Twilio names them in the conference (and its status callbacks)."""
        return self.role if self.role in ("caller", "volunteer") else f"{self.role}-{self.id}"
