"""The volunteers' own face of the web app: `GET /calendar/<secret>.ics`, their rota shifts
for a calendar app. No sign-in: the unguessable link is the key, and a revoked one is 404."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app

from service.runtime import Runtime
from service.staff import calendar_feed

calendar_feeds = Blueprint("calendar_feeds", __name__)


@calendar_feeds.get("/calendar/<token>.ics")
def calendar(token: str) -> Response:
    runtime: Runtime = current_app.extensions["warmline"]
    if len(token) > 64:
        abort(404)
    settings = runtime.settings
    with runtime.sessions() as session:
        body = calendar_feed.feed(session, token, settings.line.name, settings.line.timezone, datetime.now(UTC))
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/calendar")
    response.headers["Cache-Control"] = "no-store"
    return response
