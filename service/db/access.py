"""Failed dashboard sign-ins, kept briefly so that every web process counts the same attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class LoginFailure(Base):
    """One refused sign-in, by account (the email typed) and by client address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
