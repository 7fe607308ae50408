"""The audit trail: who did what to whom, for every change staff make (roster edits, a
supervisor's step-in, a lifted limit, the line's pause, a transcript read). An entry names
people by email, alias or id, never by phone number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from service.db import AuditEntry


def record(session: Session, now: datetime, actor: str, action: str, target: str, detail: str) -> None:
    """One entry, in the transaction of the change it records (no change, no entry)."""
    session.add(AuditEntry(at=now, actor=actor, action=action, target=target, detail=detail))
