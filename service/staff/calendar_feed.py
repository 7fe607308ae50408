"""Volunteers' calendar feeds: their rota shifts as iCalendar (RFC 5545), at a secret URL.

The URL carries a random token; only its hash is stored, so the database cannot give the
link away, and a new link (or turning the feed off) makes the old one answer 404.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import RotaSignup, Volunteer

# Past shifts kept in the feed, so a calendar app does not drop last week's at once.
KEPT_DAYS = 28


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(volunteer: Volunteer, public_url: str) -> str:
    """A fresh secret link to the volunteer's feed; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    volunteer.calendar_token_hash = _hash(token)
    return f"{public_url}/calendar/{token}.ics"


def revoke(volunteer: Volunteer) -> None:
    volunteer.calendar_token_hash = None


def feed(session: Session, token: str, line_name: str, line_timezone: str, now: datetime) -> bytes | None:
    """The feed a token opens, or None when it opens none (never was, or revoked). Each
    shift is written in the zone the volunteer reads times in, with that zone's rules."""
    volunteer = session.scalars(
        select(Volunteer).where(Volunteer.calendar_token_hash == _hash(token), Volunteer.active)
    ).first()
    if volunteer is None:
        return None
    zone = ZoneInfo(volunteer.timezone or line_timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Warmline//rota//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{line_name} shifts")
    calendar.add("x-wr-timezone", str(zone))
    signups = session.scalars(
        select(RotaSignup)
        .where(
            RotaSignup.volunteer_id == volunteer.id,
            RotaSignup.dropped_at.is_(None),
            RotaSignup.ends_at >= now - timedelta(days=KEPT_DAYS),
        )
        .order_by(RotaSignup.starts_at)
    )
    for signup in signups:
        event = Event()
        event.add("uid", f"rota-{signup.id}@warmline")
        event.add("summary", f"{line_name} shift")
        event.add("dtstart", signup.starts_at.astimezone(zone))
        event.add("dtend", signup.ends_at.astimezone(zone))
        event.add("dtstamp", signup.created_at)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
