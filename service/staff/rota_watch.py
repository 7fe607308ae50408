"""The rota's timers, run every sweep (`watch_rota`): reminders to volunteers signed up (the day
before, shortly before, at the start), the supervisor on call told of a no-show, and the
fallback group texted when the line is open with nobody on shift or a texter waits too long.

`routing.rota` decides from what is read here and `now`; each effect is its own turn, its row
locked and the decision taken again inside it, so that several workers send each text once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from routing import rota as rules
from routing.limits import PastShift
from routing.operator_alerts import LineHours
from routing.rota import FallbackRules, Occurrence, Reminder
from service.conversations.escalations import supervisors_to_alert
from service.db import Conversation, FallbackCall, RotaSignup, Shift, Volunteer
from service.db.turn import Turn, run_turn
from service.outbound import outbox
from service.runtime import Runtime
from service.staff import rostering

# Sign-ups looked at per sweep; a larger number is taken over the next sweeps.
BATCH = 500
# The day-before reminder is at most 25 hours before a shift (a daylight-saving change between).
LOOK_AHEAD = timedelta(hours=26)
# Any key for PostgreSQL's advisory lock that serialises the fallback decision between workers.
FALLBACK_LOCK = 0x726F7461


def watch(runtime: Runtime, now: datetime) -> list[Turn]:
    """Every rota effect due at `now`, each in its own turn; returns the turns to submit."""
    settings = runtime.settings.rota
    zone = runtime.settings.line.timezone
    soon = timedelta(minutes=settings.remind_before_minutes)
    grace = timedelta(minutes=settings.no_show_after_minutes)
    reminders: list[tuple[int, Reminder]] = []
    no_shows: list[int] = []
    with runtime.sessions() as session:
        signups = session.scalars(
            select(RotaSignup)
            .where(
                RotaSignup.dropped_at.is_(None),
                RotaSignup.no_show_at.is_(None),
                RotaSignup.starts_at <= now + LOOK_AHEAD,
                RotaSignup.ends_at > now,
            )
            .order_by(RotaSignup.starts_at)
            .limit(BATCH)
        ).all()
        for signup in signups:
            occurrence = rostering.as_occurrence(signup)
            due = rules.reminder_due(occurrence, signup.created_at, _sent(signup), zone, soon, grace, now)
            if due is not None:
                reminders.append((signup.id, due))
            elif rules.is_no_show(occurrence, _shifts(session, signup.volunteer_id, occurrence), grace, now):
                no_shows.append(signup.id)
    turns = [run_turn(runtime, now, partial(remind, signup_id=i, kind=kind))[1] for i, kind in reminders]
    turns += [run_turn(runtime, now, partial(report_no_show, signup_id=i))[1] for i in no_shows]
    turns.append(run_turn(runtime, now, call_fallback)[1])
    return turns


def _sent(signup: RotaSignup) -> frozenset[Reminder]:
    return frozenset(Reminder(kind) for kind in signup.reminders_sent.split(",") if kind)


def _shifts(session: Session, volunteer_id: int, occurrence: Occurrence) -> list[PastShift]:
    """The volunteer's shifts that may overlap this rota shift (from an hour before it)."""
    rows = session.execute(
        select(Shift.started_at, Shift.ended_at).where(
            Shift.volunteer_id == volunteer_id,
            Shift.ended_at.is_(None) | (Shift.ended_at >= occurrence.starts_at - timedelta(hours=1)),
        )
    ).all()
    return [PastShift(row.started_at, row.ended_at) for row in rows]


def _locked(turn: Turn, signup_id: int) -> RotaSignup | None:
    return turn.session.scalars(
        select(RotaSignup).where(RotaSignup.id == signup_id, RotaSignup.dropped_at.is_(None)).with_for_update()
    ).first()


def remind(turn: Turn, signup_id: int, kind: Reminder) -> None:
    """Text one reminder, once: the kinds sent are kept on the sign-up."""
    signup = _locked(turn, signup_id)
    if signup is None or kind in _sent(signup):
        return
    signup.reminders_sent = ",".join(sorted({*_sent(signup), kind}))
    volunteer = turn.session.get(Volunteer, signup.volunteer_id)
    if volunteer is None or not volunteer.active:
        return
    zone = rostering.zone_of(turn, volunteer)
    occurrence = rostering.as_occurrence(signup)
    outbox.tell_volunteer(
        turn,
        volunteer,
        f"rota_remind_{kind.value}",
        when=rostering.shift_text(occurrence, zone),
        time=rostering.moment_text(occurrence.starts_at, zone),
        minutes=turn.runtime.settings.rota.remind_before_minutes,
    )


def report_no_show(turn: Turn, signup_id: int) -> None:
    """The volunteer has not started a shift they signed up for: the supervisor on call hears, once."""
    signup = _locked(turn, signup_id)
    grace = timedelta(minutes=turn.runtime.settings.rota.no_show_after_minutes)
    if signup is None or signup.no_show_at is not None:
        return
    occurrence = rostering.as_occurrence(signup)
    if not rules.is_no_show(occurrence, _shifts(turn.session, signup.volunteer_id, occurrence), grace, turn.now):
        return
    signup.no_show_at = turn.now
    volunteer = turn.session.get(Volunteer, signup.volunteer_id)
    settings = turn.runtime.settings
    body = turn.runtime.texts.for_supervisor(
        "rota_no_show",
        alias=volunteer.alias if volunteer else "-",
        when=rostering.shift_text(occurrence, settings.line.timezone),
        url=f"{settings.public_url}/dashboard/rota",
    )
    for supervisor in supervisors_to_alert(turn):
        outbox.to_supervisor(turn, supervisor, body)


def open_for(turn: Turn) -> timedelta | None:
    """How long the line has been open at `now`: by the rota while it has slots, else by the
    hours set in [alerts]."""
    settings = turn.runtime.settings
    if not rostering.has_slots(turn.session):
        return LineHours.parse(settings.alerts.opens, settings.alerts.closes, settings.line.timezone).open_for(turn.now)
    found = rostering.shifts_between(
        turn.session, settings.line.timezone, turn.now - timedelta(days=2), turn.now + timedelta(minutes=1)
    )
    return rules.open_for([staffed.occurrence for staffed in found], turn.now)


def call_fallback(turn: Turn) -> None:
    """Text the fallback group when `routing.rota.fallback_due` says so, and remember it."""
    session = turn.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": FALLBACK_LOCK})
    settings = turn.runtime.settings
    rules_now = FallbackRules(
        after_opening=timedelta(minutes=settings.rota.fallback_after_minutes),
        longest_wait=timedelta(minutes=settings.alerts.wait_minutes),
        repeat_after=timedelta(minutes=settings.rota.fallback_repeat_minutes),
    )
    waiting, queued_since = session.execute(
        select(func.count(), func.min(Conversation.queued_at)).where(Conversation.status == "queued")
    ).one()
    longest_wait = turn.now - queued_since if queued_since is not None else None
    on_shift = session.scalar(select(func.count()).select_from(Volunteer).where(Volunteer.active, Volunteer.on_shift))
    last_called = session.scalar(select(func.max(FallbackCall.at)))
    opened = open_for(turn)
    if not rules.fallback_due(opened, on_shift or 0, longest_wait, rules_now, last_called, turn.now):
        return
    nobody = opened is not None and not on_shift
    group = session.scalars(
        select(Volunteer).where(Volunteer.active, Volunteer.fallback, ~Volunteer.on_shift).order_by(Volunteer.id)
    ).all()
    if not group:
        return  # nobody agreed to be called on: nothing to send, and no call to count
    minutes = int(longest_wait.total_seconds() // 60) if longest_wait else 0
    for volunteer in group:
        key = "fallback_call_nobody" if nobody else "fallback_call_wait"
        outbox.tell_volunteer(turn, volunteer, key, waiting=waiting, minutes=minutes)
    session.add(FallbackCall(at=turn.now, reason="nobody" if nobody else "wait", waiting=waiting, texted=len(group)))
