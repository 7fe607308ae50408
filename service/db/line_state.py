"""The line's own switchable state, shared by every process: whether it takes new texters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, false
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base

# The one row of `line_state`; the migration inserts it.
LINE_STATE_ID = 1


class LineState(Base):
    """A supervisor may pause the line: new texters then get the `line_paused` text and are not queued."""

    __tablename__ = "line_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    paused: Mapped[bool] = mapped_column(default=False, server_default=false())
    changed_at: Mapped[datetime | None]
    changed_by: Mapped[str | None] = mapped_column(String(254))


class OperatorAlert(Base):
    """When an operator alert of one kind (`routing.operator_alerts.AlertKind`) was last texted:
    the row is locked while deciding, so that every worker and web process together send each
    kind at most once per interval."""

    __tablename__ = "operator_alerts"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    sent_at: Mapped[datetime | None]
