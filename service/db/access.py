"""Who may use the dashboard right now: supervisors' signed-in sessions, and failed sign-ins,
kept briefly so that every web process counts the same attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class LoginFailure(Base):
    """One refused sign-in, by account (the email typed) and by client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)


class StaffSession(Base):
    """A supervisor's signed-in browser. The cookie holds a random token and this row only its
    hash (`id`), so a copy of the table opens no session; deleting the row ends the session
    at once, whoever holds a copy of the cookie."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("supervisors.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # Shown on the sessions page so that a supervisor can tell their browsers apart.
    address: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(200))
