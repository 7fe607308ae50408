"""The live view: who is on shift and how loaded, who is waiting, what is active, and every open
escalation, built in a handful of set-based queries; the page and its one-second refresh
render the same state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response, jsonify, render_template, request
from sqlalchemy import and_, case, select
from sqlalchemy.orm import Session, aliased

from routing import limits
from service.conversations.shifts import volunteer_states
from service.dashboard.blueprint import dashboard_blueprint, now, runtime
from service.db import Conversation, Escalation, LineState, Offer, Shift, Supervisor, Texter, Volunteer
from service.runtime import Runtime

SEVERITY = {"imminent": 0, "elevated": 1}
# Relative times ("waiting 4 min") are refreshed at least this often even when nothing else changed.
CLOCK_STEP_SECONDS = 15


@dataclass(frozen=True)
class VolunteerOnShift:
    id: int
    name: str
    alias: str
    active: int
    capacity: int
    started_at: datetime
    ends_at: datetime | None
    conversations_this_shift: int
    # Why no texter would be offered now (a limit's name, see routing.limits), and until when.
    paused_by: str | None
    paused_until: datetime | None
    lifted: tuple[str, ...]


@dataclass(frozen=True)
class Waiting:
    conversation_id: int
    pseudonym: str
    channel: str
    language: str
    queued_at: datetime
    risk_level: str
    offered_to: str | None


@dataclass(frozen=True)
class Active:
    conversation_id: int
    pseudonym: str
    channel: str
    volunteer_id: int
    volunteer: str
    assigned_at: datetime
    risk_level: str


@dataclass(frozen=True)
class OpenEscalation:
    id: int
    level: str
    source: str
    reason: str
    rules: str
    alerted: str
    opened_at: datetime
    realerted_at: datetime | None
    conversation_id: int
    conversation_status: str
    pseudonym: str
    volunteer: str | None


@dataclass(frozen=True)
class LiveState:
    now: datetime
    paused: bool
    paused_since: datetime | None
    paused_by: str | None
    on_call: tuple[str, ...]
    volunteers: tuple[VolunteerOnShift, ...]
    waiting: tuple[Waiting, ...]
    active: tuple[Active, ...]
    escalations: tuple[OpenEscalation, ...]
    queue_alert_after: timedelta

    @property
    def nobody_on_shift(self) -> bool:
        return not self.volunteers

    @property
    def longest_wait(self) -> timedelta | None:
        return self.now - min(w.queued_at for w in self.waiting) if self.waiting else None

    @property
    def queue_alert(self) -> bool:
        wait = self.longest_wait
        return wait is not None and wait > self.queue_alert_after

    def fingerprint(self) -> str:
        """Changes whenever what the page shows changes (relative times every CLOCK_STEP_SECONDS)."""
        clock = int(self.now.timestamp()) // CLOCK_STEP_SECONDS
        content = (
            clock,
            self.paused,
            self.paused_by,
            self.on_call,
            self.volunteers,
            self.waiting,
            self.active,
            self.escalations,
            self.queue_alert,
        )
        return hashlib.sha256(repr(content).encode()).hexdigest()[:20]


def volunteers_on_shift(db: Session, runtime: Runtime, moment: datetime) -> tuple[VolunteerOnShift, ...]:
    """Everyone on shift with their load and, through `routing.limits`, whether and why they
    would not be offered a texter now: the same rules dispatch applies."""
    rules = runtime.shift_limits
    on_shift = db.execute(
        select(Volunteer.id, Volunteer.name, Volunteer.alias, Shift.started_at)
        .join(Shift, and_(Shift.volunteer_id == Volunteer.id, Shift.ended_at.is_(None)))
        .where(Volunteer.active)
        .order_by(Shift.started_at, Volunteer.id)
    ).all()
    states = volunteer_states(db, [row.id for row in on_shift], moment)
    volunteers = []
    for row in on_shift:
        state = states[row.id]
        refusal = limits.refusal(state, rules, moment)
        volunteers.append(
            VolunteerOnShift(
                id=row.id,
                name=row.name,
                alias=row.alias,
                active=state.active_conversations,
                capacity=rules.concurrency_limit(state.max_concurrent, state.lifted),
                started_at=row.started_at,
                ends_at=state.shift_ends_at,
                conversations_this_shift=state.conversations_this_shift,
                paused_by=refusal.limit if refusal else None,
                paused_until=refusal.until if refusal else None,
                lifted=tuple(sorted(state.lifted)),
            )
        )
    return tuple(volunteers)


def build_live_state(db: Session, runtime: Runtime, moment: datetime) -> LiveState:
    volunteers = volunteers_on_shift(db, runtime, moment)
    offered = aliased(Volunteer)
    waiting = db.execute(
        select(
            Conversation.id,
            Texter.pseudonym,
            Conversation.channel,
            Conversation.language,
            Conversation.queued_at,
            Conversation.risk_level,
            offered.alias,
        )
        .join(Texter, Texter.id == Conversation.texter_id)
        .outerjoin(Offer, and_(Offer.conversation_id == Conversation.id, Offer.status == "pending"))
        .outerjoin(offered, offered.id == Offer.volunteer_id)
        .where(Conversation.status == "queued")
        .order_by(Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
    ).all()
    active = db.execute(
        select(
            Conversation.id,
            Texter.pseudonym,
            Conversation.channel,
            Volunteer.id,
            Volunteer.alias,
            Conversation.assigned_at,
            Conversation.risk_level,
        )
        .join(Texter, Texter.id == Conversation.texter_id)
        .join(Volunteer, Volunteer.id == Conversation.volunteer_id)
        .where(Conversation.status == "active")
        .order_by(case(SEVERITY, value=Conversation.risk_level, else_=2), Conversation.assigned_at, Conversation.id)
    ).all()
    escalations = db.execute(
        select(
            Escalation.id,
            Escalation.level,
            Escalation.source,
            Escalation.reason,
            Escalation.rules,
            Escalation.alerted,
            Escalation.opened_at,
            Escalation.realerted_at,
            Conversation.id,
            Conversation.status,
            Texter.pseudonym,
            Volunteer.alias,
        )
        .join(Conversation, Conversation.id == Escalation.conversation_id)
        .join(Texter, Texter.id == Conversation.texter_id)
        .outerjoin(Volunteer, Volunteer.id == Conversation.volunteer_id)
        .where(Escalation.acknowledged_at.is_(None))
        .order_by(case(SEVERITY, value=Escalation.level, else_=2), Escalation.opened_at.desc(), Escalation.id.desc())
    ).all()
    pause = db.execute(select(LineState.paused, LineState.changed_at, LineState.changed_by)).first()
    on_call = db.scalars(
        select(Supervisor.name).where(Supervisor.active, Supervisor.on_call).order_by(Supervisor.name)
    ).all()
    return LiveState(
        now=moment,
        paused=bool(pause and pause.paused),
        paused_since=pause.changed_at if pause and pause.paused else None,
        paused_by=pause.changed_by if pause and pause.paused else None,
        on_call=tuple(on_call),
        volunteers=volunteers,
        waiting=tuple(Waiting(*row) for row in waiting),
        # An active conversation always has its assigned_at (the column allows NULL while queued).
        active=tuple(
            Active(conversation_id, pseudonym, channel, volunteer_id, alias, assigned_at, risk)
            for conversation_id, pseudonym, channel, volunteer_id, alias, assigned_at, risk in active
            if assigned_at is not None
        ),
        # A select of more than ten columns is typed as rows of Any: unpacked as a plain tuple.
        escalations=tuple(OpenEscalation(*tuple(row)) for row in escalations),
        queue_alert_after=timedelta(minutes=runtime.settings.dashboard.queue_wait_alert_minutes),
    )


def _current_state() -> LiveState:
    with runtime().sessions() as db:
        return build_live_state(db, runtime(), now())


@dashboard_blueprint.get("/")
def live() -> str:
    state = _current_state()
    return render_template(
        "dashboard/live.html",
        state=state,
        version=state.fingerprint(),
        poll_ms=int(runtime().settings.dashboard.poll_seconds * 1000),
    )


@dashboard_blueprint.get("/live/state")
def live_state() -> Response:
    """The refresh: 204 when nothing the page shows has changed since `version`, else the
    page's sections freshly rendered (the page swaps them in place)."""
    state = _current_state()
    version = state.fingerprint()
    if request.args.get("version") == version:
        return Response(status=204)
    sections = {
        name: render_template(f"dashboard/live/{name}.html", state=state)
        for name in ("banners", "volunteers", "waiting", "active", "escalations")
    }
    return jsonify({"version": version, "sections": sections})
