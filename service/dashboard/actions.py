"""Stepping in: the pages and form posts for escalations, volunteers' shifts, conversations,
the line's pause and who is on call. Each post calls one `service.staff.supervision` (or
`service.conversations.line_pause`) function in one turn; the outcome is shown as a notice on the next page."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from routing.limits import LIFTABLE
from service.conversations import line_pause
from service.dashboard.blueprint import (
    conversation_page,
    dashboard_blueprint,
    form_number,
    now,
    run_action,
    runtime,
    safe_next,
    supervisor,
)
from service.dashboard.live import volunteers_on_shift
from service.db import AuditEntry, Conversation, Escalation, LimitOverride, Shift, Supervisor, Volunteer
from service.db.turn import Turn
from service.staff import supervision
from service.staff.note_review import read_note
from service.staff.supervision import ActionRefused

HISTORY_PAGE = 200


def _back() -> Response:
    return redirect(safe_next(request.form.get("next")))


def attempt(work: Callable[[Turn], object], done: str, back: Callable[[], Response] = _back) -> Response:
    """Run the action; say it is done, or why it was refused (the template words both), and go
    `back` (by default to the page the form names)."""
    try:
        run_action(work)
    except ActionRefused as refused:
        flash(refused.reason, "refused")
    else:
        flash(done, "done")
    return back()


def _reason() -> str:
    return request.form.get("reason", "")[:500]


def _number(name: str) -> int:
    """The number typed, 0 when the field is left empty."""
    return form_number(name) or 0


@dashboard_blueprint.get("/escalations/<id:escalation_id>")
def escalation(escalation_id: int) -> str:
    """Where an escalation alert's link leads."""
    with runtime().sessions() as db:
        found = db.get(Escalation, escalation_id)
        if found is None:
            abort(404)
        conversation = found.conversation
        acknowledged_by = db.get(Supervisor, found.acknowledged_by) if found.acknowledged_by else None
        return render_template(
            "dashboard/escalation.html",
            escalation=found,
            conversation=conversation,
            pseudonym=conversation.texter.pseudonym,
            volunteer=conversation.volunteer,
            acknowledged_by=acknowledged_by,
            now=now(),
        )


@dashboard_blueprint.post("/escalations/<id:escalation_id>/acknowledge")
def acknowledge(escalation_id: int) -> Response:
    me = supervisor()
    return attempt(lambda turn: supervision.acknowledge(turn, me, escalation_id), "escalation_acknowledged")


@dashboard_blueprint.get("/volunteers/<id:volunteer_id>/shift")
def volunteer_shift(volunteer_id: int) -> str:
    moment = now()
    with runtime().sessions() as db:
        volunteer = db.get(Volunteer, volunteer_id)
        if volunteer is None:
            abort(404)
        on_shift = next((v for v in volunteers_on_shift(db, runtime(), moment) if v.id == volunteer_id), None)
        overrides = db.scalars(
            select(LimitOverride)
            .where(LimitOverride.volunteer_id == volunteer_id)
            .order_by(LimitOverride.created_at.desc())
            .limit(10)
        ).all()
        recent = db.scalars(
            select(Shift).where(Shift.volunteer_id == volunteer_id).order_by(Shift.started_at.desc()).limit(5)
        ).all()
        return render_template(
            "dashboard/volunteer_shift.html",
            volunteer=volunteer,
            on_shift=on_shift,
            overrides=overrides,
            shifts=recent,
            liftable=sorted(LIFTABLE),
            limits=runtime().shift_limits,
            now=moment,
        )


@dashboard_blueprint.post("/volunteers/<id:volunteer_id>/end-shift")
def end_shift(volunteer_id: int) -> Response:
    actor, reason = supervisor().email, _reason()
    return attempt(lambda turn: supervision.end_shift(turn, volunteer_id, actor, reason), "shift_ended")


@dashboard_blueprint.post("/volunteers/<id:volunteer_id>/break")
def put_on_break(volunteer_id: int) -> Response:
    actor, reason, minutes = supervisor().email, _reason(), _number("minutes") or runtime().shift_limits.break_minutes
    return attempt(lambda turn: supervision.put_on_break(turn, volunteer_id, minutes, actor, reason), "break_started")


@dashboard_blueprint.post("/volunteers/<id:volunteer_id>/override")
def override(volunteer_id: int) -> Response:
    actor, reason, minutes, limit = supervisor().email, _reason(), _number("minutes"), request.form.get("limit", "")
    return attempt(
        lambda turn: supervision.lift_limit(turn, volunteer_id, limit, minutes, reason, actor), "limit_lifted"
    )


@dashboard_blueprint.get("/conversations/<id:conversation_id>")
def conversation(conversation_id: int) -> str:
    moment = now()
    with runtime().sessions() as db, db.begin():
        found = db.get(Conversation, conversation_id)
        if found is None:
            abort(404)
        note = read_note(db, runtime().vault, runtime().note_form, found, supervisor().email, moment)
        escalations = db.scalars(
            select(Escalation)
            .where(Escalation.conversation_id == conversation_id)
            .order_by(Escalation.opened_at.desc())
        ).all()
        candidates = [v for v in volunteers_on_shift(db, runtime(), moment) if v.id != found.volunteer_id]
        return render_template(
            "dashboard/conversation.html",
            **conversation_page(found),
            escalations=escalations,
            candidates=candidates,
            note=note,
            now=moment,
        )


@dashboard_blueprint.post("/conversations/<id:conversation_id>/reassign")
def reassign(conversation_id: int) -> Response:
    actor, reason = supervisor().email, _reason()
    volunteer_id = _number("volunteer_id")
    return attempt(
        lambda turn: supervision.reassign(turn, conversation_id, volunteer_id, actor, reason), "conversation_reassigned"
    )


@dashboard_blueprint.post("/line/pause")
def pause_line() -> Response:
    actor = supervisor().email
    return attempt(lambda turn: line_pause.set_paused(turn, True, actor), "line_paused")


@dashboard_blueprint.post("/line/resume")
def resume_line() -> Response:
    actor = supervisor().email
    return attempt(lambda turn: line_pause.set_paused(turn, False, actor), "line_resumed")


@dashboard_blueprint.get("/on-call")
def on_call() -> str:
    with runtime().sessions() as db:
        supervisors = db.scalars(select(Supervisor).where(Supervisor.active).order_by(Supervisor.name)).all()
        return render_template("dashboard/on_call.html", supervisors=supervisors)


@dashboard_blueprint.post("/on-call/<id:supervisor_id>")
def set_on_call(supervisor_id: int) -> Response:
    """Any supervisor may put themself on call; changing someone else's is for admins."""
    me = supervisor()
    if supervisor_id != me.id and me.role != "admin":
        abort(403)
    on, backup = request.form.get("on_call") == "1", request.form.get("backup") == "1"
    return attempt(lambda turn: supervision.set_on_call(turn, supervisor_id, on, backup, me.email), "on_call_set")


@dashboard_blueprint.get("/history")
def history() -> str:
    """Every supervisor action, newest first: overrides, shift ends, reassignments, transcript readings."""
    with runtime().sessions() as db:
        entries = db.scalars(
            select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(HISTORY_PAGE)
        ).all()
        return render_template("dashboard/history.html", entries=entries)
