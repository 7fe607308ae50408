"""The Flask application factory: the one place the web face is assembled."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from service.dashboard import csrf, dashboard_blueprint
from service.operations import observe_process
from service.operations.blueprint import operations_blueprint
from service.operations.key_strength import require_strong_secrets
from service.operations.metrics import web_counters
from service.runtime import Runtime
from service.settings import Settings
from service.sms.blueprint import sms_webhooks
from service.staff.blueprint import calendar_feeds
from service.voice.blueprint import voice_webhooks

# Twilio's bodies are at most 1600 characters; this leaves room for every other field and
# for a generous margin, and refuses floods before they are parsed.
MAX_REQUEST_BYTES = 256 * 1024
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)


def create_app(runtime: Runtime | None = None, *, simulator: bool = False) -> Flask:
    runtime = runtime or Runtime(Settings.from_environment())
    require_strong_secrets(runtime.settings)
    observe_process(runtime.settings)
    # Made before gunicorn forks its workers (`--preload`), so that all of them count into one folder.
    web_counters()
    # Compile the risk lexicons now (about 3 s), not on the first texter's message.
    runtime.detector  # noqa: B018 - reading the property compiles the lexicons
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=runtime.settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
        **dashboard_session_config(runtime),
    )
    app.extensions["warmline"] = runtime
    app.register_blueprint(operations_blueprint)
    if runtime.settings.dashboard.trusted_proxies:
        # The client's address (sign-in delays count per address) from the proxies' X-Forwarded-For.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=runtime.settings.dashboard.trusted_proxies)  # type: ignore[method-assign]
    app.register_blueprint(sms_webhooks)
    app.register_blueprint(voice_webhooks)
    app.register_blueprint(calendar_feeds)
    csrf.init_app(app)
    app.register_blueprint(dashboard_blueprint)
    if simulator:
        from service.dashboard.simulator import simulator_blueprint

        app.register_blueprint(simulator_blueprint)

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

    return app


def dashboard_session_config(runtime: Runtime) -> dict[str, object]:
    """Supervisors' sessions: a signed cookie holding a random session token (the session
    itself is a server-side record, `service/staff/staff_sessions.py`) and the CSRF secret,
    Secure when the line is served over https, never readable by scripts, expiring after the
    configured idle time (each request renews it). CSRF is checked by the dashboard's own
    guard, on its forms only."""
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
