"""Supervisors' signed-in sessions, recorded server-side: the browser's cookie carries only a
random token, and the row keyed by its hash says who it is. Removing the row ends the session
everywhere at once, so a copied cookie stops working at sign-out, at a password change, when
the account is deactivated, when someone ends it from the sessions page, or when it expires
(idle for too long, or older than its absolute lifetime)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from service.db import StaffSession, Supervisor
from service.settings import DashboardSettings

# A session's "last seen" is written at most this often: the live view polls every second.
TOUCH_EVERY = timedelta(minutes=1)


def session_id(token: str) -> str:
    """The stored id of the session a cookie's token opens: its hash, so that reading the
    table (a backup, a database console) gives no cookie that works."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(
    db: Session, supervisor_id: int, now: datetime, address: str, user_agent: str, limits: DashboardSettings
) -> str:
    """A new session for this supervisor; returns the token for the cookie (never stored)."""
    _forget_expired(db, now, limits)
    token = secrets.token_urlsafe(32)
    db.add(
        StaffSession(
            id=session_id(token),
            supervisor_id=supervisor_id,
            created_at=now,
            last_seen_at=now,
            address=address[:64],
            user_agent=user_agent[:200],
        )
    )
    return token


def resume(db: Session, token: object, now: datetime, limits: DashboardSettings) -> tuple[str, Supervisor] | None:
    """The session id and its active supervisor for a cookie's token, or None when the session
    has ended, expired or belongs to a deactivated account. Notes that it was seen now."""
    if not isinstance(token, str) or not token:
        return None
    found = db.execute(
        select(StaffSession, Supervisor)
        .join(Supervisor, Supervisor.id == StaffSession.supervisor_id)
        .where(StaffSession.id == session_id(token), Supervisor.active)
    ).first()
    if found is None:
        return None
    record, account = found
    if _expired(record, now, limits):
        db.delete(record)
        return None
    if now - record.last_seen_at >= TOUCH_EVERY:
        record.last_seen_at = now
    return record.id, account


def end(db: Session, ended: str) -> None:
    """End one session (sign-out, or ended from the sessions page)."""
    db.execute(delete(StaffSession).where(StaffSession.id == ended))


def end_all(db: Session, supervisor_id: int) -> None:
    """End every session of this supervisor (a password change, a deactivation)."""
    db.execute(delete(StaffSession).where(StaffSession.supervisor_id == supervisor_id))


def owner(db: Session, ended: str) -> int | None:
    """Whose session this is (None when it has ended)."""
    return db.scalar(select(StaffSession.supervisor_id).where(StaffSession.id == ended))


def listing(
    db: Session, now: datetime, limits: DashboardSettings, supervisor_id: int | None = None
) -> list[tuple[StaffSession, Supervisor]]:
    """Open sessions, newest activity first: one supervisor's, or everyone's."""
    _forget_expired(db, now, limits)
    statement = select(StaffSession, Supervisor).join(Supervisor, Supervisor.id == StaffSession.supervisor_id)
    if supervisor_id is not None:
        statement = statement.where(StaffSession.supervisor_id == supervisor_id)
    rows = db.execute(statement.order_by(Supervisor.name, StaffSession.last_seen_at.desc()))
    return [(record, account) for record, account in rows]


def _expired(record: StaffSession, now: datetime, limits: DashboardSettings) -> bool:
    return now - record.last_seen_at > timedelta(
        hours=limits.session_idle_hours
    ) or now - record.created_at > timedelta(hours=limits.session_max_hours)


def _forget_expired(db: Session, now: datetime, limits: DashboardSettings) -> None:
    db.execute(
        delete(StaffSession).where(
            or_(
                StaffSession.last_seen_at < now - timedelta(hours=limits.session_idle_hours),
                StaffSession.created_at < now - timedelta(hours=limits.session_max_hours),
            )
        )
    )
