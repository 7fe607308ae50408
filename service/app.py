"""The Flask application factory: the one place the web face is assembled."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, Response, jsonify
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from service import log_redaction
from service.dashboard import csrf, dashboard_blueprint
from service.jobs.job_queue import JobQueue
from service.runtime import Runtime
from service.settings import Settings
from service.webhooks import twilio_blueprint

# Twilio's bodies are at most 1600 characters; this leaves room for every other field and
# for a generous margin, and refuses floods before they are parsed.
MAX_REQUEST_BYTES = 256 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def create_app(runtime: Runtime | None = None, *, simulator: bool = False) -> Flask:
    runtime = runtime or Runtime(Settings.from_environment())
    # Compile the risk lexicons now (about 3 s), not on the first texter's message.
    runtime.detector  # noqa: B018 - reading the property compiles the lexicons
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        **dashboard_session_config(runtime),
    )
    app.extensions["warmline"] = runtime
    app.register_blueprint(twilio_blueprint)
    csrf.init_app(app)
    app.register_blueprint(dashboard_blueprint)
    if simulator:
        from service.simulator import simulator_blueprint

        app.register_blueprint(simulator_blueprint)

    @app.get("/healthz")
    def healthz() -> tuple[Response, int]:
        checks = {"database": _database_ok(runtime), "redis": _redis_ok(runtime)}
        body: dict[str, object] = {"status": "ok" if all(checks.values()) else "degraded", "checks": checks}
        if checks["redis"]:
            # Failed and abandoned jobs: the sweeper runs each again up to 3 times, then
            # leaves it here for an operator.
            body["failed_jobs"] = JobQueue(runtime).failed_count()
        return jsonify(body), 200 if all(checks.values()) else 503

    @app.after_request
    def secure_headers(response: Response) -> Response:
        """Every page: no framing, no MIME sniffing, scripts and styles from this app only."""
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if runtime.settings.public_url.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        return jsonify({"error": error.name, "detail": error.description}), error.code or 500

    configure_logging()
    return app


def dashboard_session_config(runtime: Runtime) -> dict[str, object]:
    """Supervisors' sessions: a signed cookie, Secure when the line is served over https,
    never readable by scripts, expiring after the configured idle time (each request renews it).
    CSRF is checked by the dashboard's own guard, on its forms only."""
    return {
        "SESSION_COOKIE_SECURE": runtime.settings.public_url.startswith("https://"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "warmline_session",
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=runtime.settings.dashboard.session_idle_hours),
        "WTF_CSRF_CHECK_DEFAULT": False,
        # The token lives as long as the session: a live view left open for hours still works.
        "WTF_CSRF_TIME_LIMIT": None,
    }


def _database_ok(runtime: Runtime) -> bool:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "down" to a health check
        return False


def _redis_ok(runtime: Runtime) -> bool:
    try:
        return bool(runtime.redis.ping())
    except Exception:  # as above
        return False


def configure_logging() -> None:
    """key=value lines on stderr, with phone numbers redacted; handlers are added once per process."""
    log_redaction.install()
    root = logging.getLogger()
    if not any(getattr(handler, "_warmline", False) for handler in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
        # A mark on our own handler, so a second app in one process adds none; logging.Handler
        # declares no such attribute, hence the ignore.
        handler._warmline = True  # type: ignore[attr-defined]
        root.addHandler(handler)
        root.setLevel(logging.INFO)
