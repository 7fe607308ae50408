"""A supervisor's own account: the browsers they are signed in on (any of which they can end;
admins can end anyone's) and their password, whose change signs them out everywhere else."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from service.dashboard.auth import client_address, open_session_here, record_refusal, sign_in_wait
from service.dashboard.blueprint import dashboard_blueprint, form_page, now, run_action, runtime, supervisor
from service.db.turn import Turn
from service.staff import audit, roster, staff_sessions
from service.staff.roster import RosterRefused


def _account_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    me, limits = supervisor(), runtime().settings.dashboard
    with runtime().sessions() as db, db.begin():
        rows = staff_sessions.listing(db, now(), limits, None if me.role == "admin" else me.id)
    own = [(record, account) for record, account in rows if account.id == me.id]
    others = [(record, account) for record, account in rows if account.id != me.id] if me.role == "admin" else None
    return form_page(
        "dashboard/account.html",
        error,
        status,
        own=own,
        others=others,
        min_password=roster.MIN_PASSWORD,
        idle_hours=limits.session_idle_hours,
        max_hours=limits.session_max_hours,
    )


@dashboard_blueprint.get("/account")
def account() -> tuple[str, int]:
    return _account_page()


@dashboard_blueprint.post("/account/password")
def change_password() -> Response | tuple[str, int]:
    me, moment, address = supervisor(), now(), client_address()
    current, new = request.form.get("current_password", "")[:1024], request.form.get("new_password", "")[:1024]
    # Guessing the current password from a stolen session is slowed like guessing at sign-in.
    with runtime().sessions() as db, db.begin():
        if sign_in_wait(db, me.email, address, moment, runtime().settings.dashboard) > timedelta(0):
            return _account_page("password_wait", 429)

    def change(turn: Turn) -> None:
        roster.change_own_password(turn, me.id, current, new)
        open_session_here(turn.session, me.id, turn.now)

    try:
        run_action(change)
    except RosterRefused as refused:
        if refused.reason == "password_wrong":
            with runtime().sessions() as db, db.begin():
                record_refusal(db, me.email, address, moment)
        return _account_page(refused.reason, 400)
    flash("password_changed", "done")
    return redirect(url_for("dashboard.account"))


@dashboard_blueprint.post("/account/sessions/<session:session_id>/end")
def end_session(session_id: str) -> Response:
    """End one session: any of one's own (a browser left signed in elsewhere), anyone's for admins."""
    me = supervisor()
    with runtime().sessions() as db, db.begin():
        whose = staff_sessions.owner(db, session_id)
        if whose is None:
            abort(404)
        if whose != me.id and me.role != "admin":
            abort(403)
        staff_sessions.end(db, session_id)
        if whose != me.id:
            audit.record(db, now(), me.email, "session_ended", f"supervisor:{whose}", "")
    if session_id == g.session_id:
        session.clear()
        return redirect(url_for("dashboard.login"))
    flash("session_ended", "done")
    return redirect(url_for("dashboard.account"))
