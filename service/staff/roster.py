"""Who is on the roster: adding, editing and deactivating volunteers and supervisors, with the
checks the line relies on (a real phone number, known languages, one account per phone).
Every change is audited; phone numbers never go into the audit log."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from routing import matching
from service.conversations import dispatch, lifecycle, shifts
from service.db import PHONE_CHANNELS, Conversation, Offer, Supervisor, Volunteer
from service.db.turn import Turn
from service.phones import is_e164, normalise
from service.staff import audit, staff_sessions

MIN_PASSWORD = 12
ROLES = ("supervisor", "admin")


class RosterRefused(Exception):
    """The change is refused; `reason` names why and the dashboard says it in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VolunteerDetails:
    name: str
    alias: str
    # None keeps the current number (only admins see or change it).
    phone: str | None
    languages: tuple[str, ...]
    max_concurrent: int | None
    # The rota: the zone their shift times are shown in (empty: the line's); the fallback group.
    timezone: str = ""
    fallback: bool = False
    # Experience and lived experience (`routing.matching`), and the language the line texts
    # them in ("": the line's first); None keeps what they have (a new volunteer: a peer, no
    # topics, the line's first language).
    level: str | None = None
    trainee_scope: str | None = None
    trained_on: date | None = None
    topics: tuple[str, ...] | None = None
    staff_language: str | None = None


@dataclass(frozen=True)
class SupervisorDetails:
    name: str
    email: str
    phone: str | None
    role: str
    # None keeps the current password.
    password: str | None
    # The language the line texts them in; None keeps it ("" : the line's first language).
    staff_language: str | None = None


def _phone(turn: Turn, raw: str) -> str:
    number = normalise(raw, turn.runtime.settings.line.default_region)
    if not is_e164(number):
        raise RosterRefused("phone_invalid")
    if number in turn.runtime.settings.line.numbers:
        raise RosterRefused("phone_is_line_number")
    return number


def save_volunteer(turn: Turn, volunteer_id: int | None, details: VolunteerDetails, actor: str) -> Volunteer:
    """Create a volunteer (`volunteer_id` None) or change one; the phone must be new to the line."""
    name, alias = details.name.strip()[:120], details.alias.strip()[:40]
    if not name or not alias:
        raise RosterRefused("name_required")
    languages = [code for code in details.languages if code in turn.runtime.settings.line.languages]
    if not languages or len(languages) != len(details.languages):
        raise RosterRefused("languages_invalid")
    if details.max_concurrent is not None and not 1 <= details.max_concurrent <= 10:
        raise RosterRefused("max_concurrent_invalid")
    timezone = details.timezone.strip()
    if timezone and timezone not in zoneinfo.available_timezones():
        raise RosterRefused("timezone_invalid")
    if details.level is not None and details.level not in matching.LEVELS:
        raise RosterRefused("level_invalid")
    if details.trainee_scope is not None and details.trainee_scope not in matching.TRAINEE_SCOPES:
        raise RosterRefused("level_invalid")
    if details.topics is not None and not set(details.topics) <= set(turn.runtime.settings.matching.topics):
        raise RosterRefused("topics_invalid")
    if details.staff_language and details.staff_language not in turn.runtime.settings.line.languages:
        raise RosterRefused("languages_invalid")
    phone = _phone(turn, details.phone) if details.phone is not None else None
    if volunteer_id is None and phone is None:
        raise RosterRefused("phone_invalid")
    if phone is not None:
        clash = select(func.count()).select_from(Volunteer).where(Volunteer.phone == phone)
        if volunteer_id is not None:
            clash = clash.where(Volunteer.id != volunteer_id)
        if turn.session.scalar(clash):
            raise RosterRefused("phone_taken")
    volunteer: Volunteer | None
    if volunteer_id is None:
        volunteer = Volunteer(active=True, created_at=turn.now)
        turn.session.add(volunteer)
    else:
        volunteer = turn.session.scalars(
            select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()
        ).first()
        if volunteer is None:
            raise RosterRefused("not_found")
    if phone is not None:
        volunteer.phone = phone
    volunteer.name, volunteer.alias, volunteer.languages, volunteer.max_concurrent = (
        name,
        alias,
        ",".join(languages),
        details.max_concurrent,
    )
    volunteer.timezone, volunteer.fallback = timezone or None, details.fallback
    if details.level is not None:
        volunteer.level = details.level
    if details.trainee_scope is not None:
        volunteer.trainee_scope = details.trainee_scope
    if details.topics is not None:
        volunteer.topics = ",".join(details.topics)
    if details.staff_language is not None:
        volunteer.staff_language = details.staff_language or None
    volunteer.trained_on = details.trained_on if details.trained_on is not None else volunteer.trained_on
    turn.session.flush()
    audit.record(
        turn.session,
        turn.now,
        actor,
        "volunteer_added" if volunteer_id is None else "volunteer_changed",
        f"volunteer:{volunteer.id}",
        f"{alias}{'; phone changed' if phone is not None and volunteer_id is not None else ''}",
    )
    return volunteer


def set_volunteer_active(turn: Turn, volunteer_id: int, active: bool, actor: str) -> Volunteer:
    """Deactivating takes effect at once: the shift ends, pending offers are withdrawn, each
    text conversation they hold goes back to the queue (its texter is told and is next in
    line), and nothing more is sent to their phone (delivery sends only to active people).
    It is refused while they are on a call, which only hanging up can end."""
    volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).first()
    if volunteer is None:
        raise RosterRefused("not_found")
    held: list[Conversation] = []
    if not active:
        # Lock order: volunteer, offers, conversations, shift.
        pending = turn.session.scalars(
            select(Offer).where(Offer.volunteer_id == volunteer.id, Offer.status == "pending").with_for_update()
        ).all()
        held = list(
            turn.session.scalars(
                select(Conversation)
                .where(Conversation.volunteer_id == volunteer.id, Conversation.status == "active")
                .with_for_update()
            )
        )
        if any(conversation.channel in PHONE_CHANNELS for conversation in held):
            raise RosterRefused("on_a_call")
        for offer in pending:
            offer.status = "withdrawn"
            offer.answered_at = turn.now
        for conversation in held:
            lifecycle.requeue(turn, conversation)
        shift = shifts.open_shift(turn.session, volunteer.id)
        if shift is not None:
            shifts.end(turn, shift, "deactivated")
    volunteer.active = active
    audit.record(
        turn.session,
        turn.now,
        actor,
        "volunteer_activated" if active else "volunteer_deactivated",
        f"volunteer:{volunteer.id}",
        volunteer.alias if active else f"{volunteer.alias}; {len(held)} conversation(s) back in the queue",
    )
    turn.session.flush()
    dispatch.offer_waiting(turn)
    return volunteer


def save_supervisor(turn: Turn, supervisor_id: int | None, details: SupervisorDetails, actor: str) -> Supervisor:
    """Add or change a supervisor. A new password ends every session of that account."""
    name, email = details.name.strip()[:120], details.email.strip().lower()[:254]
    if not name or "@" not in email:
        raise RosterRefused("name_required")
    if details.role not in ROLES:
        raise RosterRefused("role_invalid")
    if details.password is not None and len(details.password) < MIN_PASSWORD:
        raise RosterRefused("password_short")
    if details.staff_language and details.staff_language not in turn.runtime.settings.line.languages:
        raise RosterRefused("languages_invalid")
    phone = _phone(turn, details.phone) if details.phone is not None else None
    if supervisor_id is None and (phone is None or details.password is None):
        raise RosterRefused("phone_invalid" if phone is None else "password_short")
    for column, value, reason in ((Supervisor.email, email, "email_taken"), (Supervisor.phone, phone, "phone_taken")):
        clash = select(func.count()).select_from(Supervisor).where(column == value)
        if supervisor_id is not None:
            clash = clash.where(Supervisor.id != supervisor_id)
        if value is not None and turn.session.scalar(clash):
            raise RosterRefused(reason)
    supervisor: Supervisor | None
    if supervisor_id is None:
        supervisor = Supervisor(active=True, on_call=False, backup=False, created_at=turn.now)
        turn.session.add(supervisor)
    else:
        supervisor = turn.session.scalars(
            select(Supervisor).where(Supervisor.id == supervisor_id).with_for_update()
        ).first()
        if supervisor is None:
            raise RosterRefused("not_found")
    if phone is not None:
        supervisor.phone = phone
    supervisor.name, supervisor.email, supervisor.role = name, email, details.role
    if details.staff_language is not None:
        supervisor.staff_language = details.staff_language or None
    if details.password is not None:
        supervisor.password_hash = PasswordHasher().hash(details.password)
    turn.session.flush()
    if details.password is not None and supervisor_id is not None:
        staff_sessions.end_all(turn.session, supervisor.id)
    audit.record(
        turn.session,
        turn.now,
        actor,
        "supervisor_added" if supervisor_id is None else "supervisor_changed",
        f"supervisor:{supervisor.id}",
        f"{name} role={details.role}{'; password set' if details.password is not None else ''}",
    )
    return supervisor


def set_supervisor_active(turn: Turn, supervisor_id: int, active: bool, actor_id: int, actor: str) -> Supervisor:
    """Nobody deactivates their own account (the line must never be left without an admin by accident)."""
    if supervisor_id == actor_id:
        raise RosterRefused("self")
    supervisor = turn.session.scalars(
        select(Supervisor).where(Supervisor.id == supervisor_id).with_for_update()
    ).first()
    if supervisor is None:
        raise RosterRefused("not_found")
    supervisor.active = active
    if not active:
        supervisor.on_call = supervisor.backup = False
        staff_sessions.end_all(turn.session, supervisor.id)
    audit.record(
        turn.session,
        turn.now,
        actor,
        "supervisor_activated" if active else "supervisor_deactivated",
        f"supervisor:{supervisor.id}",
        supervisor.name,
    )
    return supervisor


def change_own_password(turn: Turn, supervisor_id: int, current: str, new: str) -> None:
    """A supervisor's own password change, proven by the current one: every session of theirs
    ends (a browser left signed in elsewhere, a stolen cookie, even a copy of this browser's);
    the dashboard then opens a new one for the browser that made the change."""
    supervisor = turn.session.scalars(select(Supervisor).where(Supervisor.id == supervisor_id).with_for_update()).one()
    hasher = PasswordHasher()
    try:
        hasher.verify(supervisor.password_hash, current)
    except (VerificationError, InvalidHashError) as error:
        raise RosterRefused("password_wrong") from error
    if len(new) < MIN_PASSWORD:
        raise RosterRefused("password_short")
    supervisor.password_hash = hasher.hash(new)
    staff_sessions.end_all(turn.session, supervisor_id)
    audit.record(
        turn.session, turn.now, supervisor.email, "password_changed", f"supervisor:{supervisor_id}", supervisor.name
    )
