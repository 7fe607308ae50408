"""The dashboard blueprint and what every one of its pages shares: sign-in required, CSRF on
every form, the signed-in supervisor, and one way to run an action as a turn."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, IntegerConverter, Map
from werkzeug.wrappers import Response

from service.db import MAX_ID, Conversation, Supervisor, parse_id
from service.db.turn import Turn, run_turn
from service.jobs.job_queue import JobQueue
from service.runtime import Runtime
from service.staff import staff_sessions

dashboard_blueprint = Blueprint(
    "dashboard", __name__, url_prefix="/dashboard", template_folder="templates", static_folder="static"
)
# CSRF is checked for the dashboard's forms only (see `guard`): Twilio's webhooks are signed instead.
csrf = CSRFProtect()


class RowIdConverter(IntegerConverter):
    """`<id:...>` in a dashboard URL: a row's id. A number too large to be one names no page
    (404), rather than reaching a query that PostgreSQL refuses with an error."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, max=MAX_ID)


class SessionIdConverter(BaseConverter):
    """`<session:...>` in a dashboard URL: a session's stored id (a SHA-256 in hex). Anything
    else names no page (404) and never reaches a query."""

    regex = "[0-9a-f]{64}"


@dashboard_blueprint.record_once
def _add_converters(state: BlueprintSetupState) -> None:
    """Runs when the app registers the blueprint, before the page modules' routes are added."""
    state.app.url_map.converters["id"] = RowIdConverter
    state.app.url_map.converters["session"] = SessionIdConverter


# What `form_number` reads from a field holding no number anyone could mean: no action accepts it.
NOT_A_NUMBER = -1

# The one thing the session cookie names: a random token whose hash keys a `StaffSession` row.
SESSION_TOKEN = "token"
# A `next=` target: /dashboard, or a path under it with an optional query, in printable ASCII
# without spaces or backslashes (which some browsers read as slashes).
_DASHBOARD_PATH = re.compile(r"/dashboard(?:[/?][!-\[\]-~]*)?")

# Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.static"})
P = ParamSpec("P")
T = TypeVar("T")


def runtime() -> Runtime:
    return current_app.extensions["warmline"]


def supervisor() -> Supervisor:
    """The signed-in supervisor (loaded afresh for each request by `guard`)."""
    return g.supervisor


def now() -> datetime:
    return datetime.now(UTC)


@dashboard_blueprint.before_request
def guard() -> Response | None:
    """Every page but sign-in needs an open session of a still active supervisor; every form
    post needs its CSRF token and text that can be stored. A session ended anywhere (sign-out,
    password change, deactivation, the sessions page, expiry) is refused on its next request."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        with runtime().sessions() as db, db.begin():
            found = staff_sessions.resume(db, session.get(SESSION_TOKEN), now(), runtime().settings.dashboard)
        if found is None:
            session.clear()
            target = request.full_path if request.method == "GET" else url_for("dashboard.live")
            return redirect(url_for("dashboard.login", next=target.rstrip("?")))
        g.session_id, g.supervisor = found
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
        # No browser sends a NUL character, and PostgreSQL cannot store one in a text column.
        if any("\x00" in value for values in request.form.listvalues() for value in values):
            return make_response(render_template("dashboard/refused.html", reason="nul_character"), 400)
    return None


@dashboard_blueprint.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("dashboard/refused.html", reason="csrf"), 400


@dashboard_blueprint.errorhandler(403)
def forbidden(error: HTTPException) -> tuple[str, int]:
    return render_template("dashboard/refused.html", reason="forbidden"), 403


@dashboard_blueprint.errorhandler(404)
def not_found(error: HTTPException) -> tuple[str, int]:
    return render_template("dashboard/refused.html", reason="not_found"), 404


@dashboard_blueprint.context_processor
def line_name() -> dict[str, str]:
    return {"line_name": runtime().settings.line.name}


@dashboard_blueprint.app_template_filter("clock")
def clock(moment: datetime | None) -> str:
    """A time as the supervisor reads it: the line's zone, with the day when it is not today."""
    if moment is None:
        return ""
    zone = ZoneInfo(runtime().settings.line.timezone)
    local = moment.astimezone(zone)
    return (
        local.strftime("%H:%M") if local.date() == now().astimezone(zone).date() else local.strftime("%a %d %b %H:%M")
    )


@dashboard_blueprint.app_template_filter("duration")
def duration(span: timedelta | None) -> str:
    if span is None:
        return ""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes // 60} h {minutes % 60:02d} min"


def conversation_page(conversation: Conversation) -> dict[str, object]:
    """What every page about one conversation shows: the conversation, the texter's pseudonym
    (never their number) and the volunteer."""
    return {
        "conversation": conversation,
        "pseudonym": conversation.texter.pseudonym,
        "volunteer": conversation.volunteer,
    }


def form_number(name: str) -> int | None:
    """The whole number typed in a form field: None when it is left empty, and `NOT_A_NUMBER`
    (which every action refuses) for anything but ASCII digits within a row id's range."""
    value = request.form.get(name, "")
    if not value:
        return None
    number = parse_id(value)
    return NOT_A_NUMBER if number is None else number


def safe_next(target: str | None) -> str:
    """Only a plain path inside the dashboard: never an open redirect to another site, and
    nothing (a line break, a backslash, a non-ASCII character) that could not go into a
    Location header as it is."""
    if target and _DASHBOARD_PATH.fullmatch(target):
        return target
    return url_for("dashboard.live")


@dashboard_blueprint.after_app_request
def never_cached(response: Response) -> Response:
    """No dashboard response is kept by the browser or a proxy: the pages show texters'
    pseudonyms, messages and people's numbers, and a shared or lost computer must not show
    them again from its cache after sign-out. Styles and scripts hold nothing personal."""
    if request.path.startswith(f"{dashboard_blueprint.url_prefix}/") and request.endpoint != "dashboard.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def admin_only(view: Callable[P, T]) -> Callable[P, T]:
    """Pages that manage supervisors or show people's own phone numbers."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> T:
        if supervisor().role != "admin":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def form_page(template: str, error: str | None, status: int, **context: object) -> tuple[str, int]:
    """A page with a form: shown again after a refusal, with its reason (`error`, a message key)
    and HTTP status, and with what was posted (`values`) so that nothing typed is lost."""
    values = request.form if request.method == "POST" else None
    return render_template(template, values=values, error=error, **context), status


def run_action(work: Callable[[Turn], T]) -> T:
    """One supervisor action: one transaction, then its texts and timers handed to the workers."""
    result, turn = run_turn(runtime(), now(), work)
    JobQueue(runtime()).submit(turn)
    return result
