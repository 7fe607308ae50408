"""The roster pages: volunteers (supervisors and admins) and supervisors (admins only).
People's own phone numbers are shown to and changed by admins only."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from routing.matching import LEVELS, TRAINEE_SCOPES
from service.dashboard.auth import open_session_here
from service.dashboard.blueprint import (
    admin_only,
    dashboard_blueprint,
    form_number,
    form_page,
    run_action,
    runtime,
    supervisor,
)
from service.db import Supervisor, Volunteer
from service.db.turn import Turn
from service.staff import roster
from service.staff.roster import RosterRefused, SupervisorDetails, VolunteerDetails


def _is_admin() -> bool:
    return supervisor().role == "admin"


@dashboard_blueprint.get("/people")
def people() -> str:
    with runtime().sessions() as db:
        volunteers = db.scalars(select(Volunteer).order_by(Volunteer.active.desc(), Volunteer.name)).all()
        supervisors = db.scalars(select(Supervisor).order_by(Supervisor.active.desc(), Supervisor.name)).all()
        return render_template(
            "dashboard/people.html", volunteers=volunteers, supervisors=supervisors, show_phones=_is_admin()
        )


def _volunteer_details(creating: bool) -> VolunteerDetails:
    form = request.form
    return VolunteerDetails(
        name=form.get("name", ""),
        alias=form.get("alias", ""),
        phone=form.get("phone", "") if creating or _is_admin() else None,
        languages=tuple(form.getlist("languages")),
        max_concurrent=form_number("max_concurrent"),
        timezone=form.get("timezone", "")[:64],
        fallback=form.get("fallback") == "1",
        level=form.get("level") or None,
        trainee_scope=form.get("trainee_scope") or None,
        trained_on=_date(form.get("trained_on", "")),
        topics=tuple(form.getlist("topics")) if "topics_shown" in form else None,
        staff_language=form.get("staff_language"),
    )


def _date(text: str) -> date | None:
    """A date typed in a date field (YYYY-MM-DD); None when empty or not a date."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def _volunteer_form(volunteer: Volunteer | None, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return form_page(
        "dashboard/volunteer_form.html",
        error,
        status,
        volunteer=volunteer,
        show_phone=_is_admin(),
        languages=runtime().settings.line.languages,
        line_limit=runtime().shift_limits.max_concurrent,
        levels=LEVELS,
        trainee_scopes=TRAINEE_SCOPES,
        topics=runtime().settings.matching.topics,
    )


@dashboard_blueprint.route("/people/volunteers/new", methods=["GET", "POST"])
def volunteer_new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _volunteer_form(None)
    details, actor = _volunteer_details(creating=True), supervisor().email
    try:
        run_action(lambda turn: roster.save_volunteer(turn, None, details, actor))
    except RosterRefused as refused:
        return _volunteer_form(None, refused.reason, 400)
    flash("volunteer_saved", "done")
    return redirect(url_for("dashboard.people"))


@dashboard_blueprint.route("/people/volunteers/<id:volunteer_id>", methods=["GET", "POST"])
def volunteer_edit(volunteer_id: int) -> Response | tuple[str, int]:
    with runtime().sessions() as db:
        volunteer = db.get(Volunteer, volunteer_id)
    if volunteer is None:
        abort(404)
    if request.method == "GET":
        return _volunteer_form(volunteer)
    details, actor = _volunteer_details(creating=False), supervisor().email
    try:
        run_action(lambda turn: roster.save_volunteer(turn, volunteer_id, details, actor))
    except RosterRefused as refused:
        return _volunteer_form(volunteer, refused.reason, 400)
    flash("volunteer_saved", "done")
    return redirect(url_for("dashboard.people"))


@dashboard_blueprint.post("/people/volunteers/<id:volunteer_id>/active")
def volunteer_active(volunteer_id: int) -> Response:
    active, actor = request.form.get("active") == "1", supervisor().email
    try:
        run_action(lambda turn: roster.set_volunteer_active(turn, volunteer_id, active, actor))
    except RosterRefused as refused:
        flash(refused.reason, "refused")
    else:
        flash("volunteer_activated" if active else "volunteer_deactivated", "done")
    return redirect(url_for("dashboard.people"))


def _supervisor_details(creating: bool) -> SupervisorDetails:
    form = request.form
    password = form.get("password", "")
    return SupervisorDetails(
        name=form.get("name", ""),
        email=form.get("email", ""),
        phone=form.get("phone", ""),
        role=form.get("role", "supervisor"),
        password=password if password or creating else None,
        staff_language=form.get("staff_language"),
    )


def _supervisor_form(account: Supervisor | None, error: str | None = None, status: int = 200) -> tuple[str, int]:
    return form_page(
        "dashboard/supervisor_form.html",
        error,
        status,
        account=account,
        roles=roster.ROLES,
        min_password=roster.MIN_PASSWORD,
        languages=runtime().settings.line.languages,
    )


@dashboard_blueprint.route("/people/supervisors/new", methods=["GET", "POST"])
@admin_only
def supervisor_new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _supervisor_form(None)
    details, actor = _supervisor_details(creating=True), supervisor().email
    try:
        run_action(lambda turn: roster.save_supervisor(turn, None, details, actor))
    except RosterRefused as refused:
        return _supervisor_form(None, refused.reason, 400)
    flash("supervisor_saved", "done")
    return redirect(url_for("dashboard.people"))


@dashboard_blueprint.route("/people/supervisors/<id:supervisor_id>", methods=["GET", "POST"])
@admin_only
def supervisor_edit(supervisor_id: int) -> Response | tuple[str, int]:
    with runtime().sessions() as db:
        account = db.get(Supervisor, supervisor_id)
    if account is None:
        abort(404)
    if request.method == "GET":
        return _supervisor_form(account)
    details, me = _supervisor_details(creating=False), supervisor()

    def save(turn: Turn) -> None:
        roster.save_supervisor(turn, supervisor_id, details, me.email)
        if supervisor_id == me.id and details.password is not None:
            # A new password ended every session of the account, the admin's own here included.
            open_session_here(turn.session, me.id, turn.now)

    try:
        run_action(save)
    except RosterRefused as refused:
        return _supervisor_form(account, refused.reason, 400)
    flash("supervisor_saved", "done")
    return redirect(url_for("dashboard.people"))


@dashboard_blueprint.post("/people/supervisors/<id:supervisor_id>/active")
@admin_only
def supervisor_active(supervisor_id: int) -> Response:
    me, active = supervisor(), request.form.get("active") == "1"
    try:
        run_action(lambda turn: roster.set_supervisor_active(turn, supervisor_id, active, me.id, me.email))
    except RosterRefused as refused:
        flash(refused.reason, "refused")
    else:
        flash("supervisor_activated" if active else "supervisor_deactivated", "done")
    return redirect(url_for("dashboard.people"))
