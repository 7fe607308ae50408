"""The rota's tables: weekly slots, one-off changes to a day's slot, volunteers' sign-ups, the
numbered lists a volunteer was last texted (`#take 2` means the second of them), and each
call on the fallback group."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class RotaSlot(Base):
    """A weekly slot (`routing.rota.Slot`): a weekday and wall-clock times in the line's zone."""

    __tablename__ = "rota_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]
    needed: Mapped[int]
    first_day: Mapped[date | None]
    # A slot taken off the rota keeps its row, for the sign-ups and reports that name it.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class RotaChange(Base):
    """A one-off change to one day's slot: cancelled, or needing another number of volunteers."""

    __tablename__ = "rota_changes"
    __table_args__ = (UniqueConstraint("slot_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("rota_slots.id"))
    day: Mapped[date]
    cancelled: Mapped[bool] = mapped_column(default=False)
    needed: Mapped[int | None]
    changed_by: Mapped[str] = mapped_column(String(254))


class RotaSignup(Base):
    """A volunteer signed up for one day's slot (by `#take`, or assigned on the dashboard).
    `starts_at` and `ends_at` are the shift's absolute times, kept for the sweeper's queries."""

    __tablename__ = "rota_signups"
    __table_args__ = (
        # Signed up at most once for a shift; a dropped sign-up may be taken again.
        Index(
            "uq_rota_signups_taken",
            "slot_id",
            "day",
            "volunteer_id",
            unique=True,
            postgresql_where=text("dropped_at IS NULL"),
            sqlite_where=text("dropped_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("rota_slots.id"))
    day: Mapped[date]
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(254))
    dropped_at: Mapped[datetime | None]
    # The reminders sent (`routing.rota.Reminder` values, comma-separated).
    reminders_sent: Mapped[str] = mapped_column(String(60), default="")
    # When the supervisor on call was told the volunteer had not started.
    no_show_at: Mapped[datetime | None]


class RotaListing(Base):
    """The numbered list a volunteer was last texted (`shifts` or `mine`): its entries are
    `slot_id:day`, so `#take 2` takes the shift they saw as 2, whatever changed since."""

    __tablename__ = "rota_listings"

    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    entries: Mapped[str] = mapped_column(Text)
    listed_at: Mapped[datetime]


class FallbackCall(Base):
    """The fallback group was texted: why, and how many texters were waiting."""

    __tablename__ = "fallback_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(String(20))
    waiting: Mapped[int]
    texted: Mapped[int]
