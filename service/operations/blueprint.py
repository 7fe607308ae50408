"""The operators' face of the web app: `/healthz`, `/metrics`, and for every request its id
(in each log line and the `X-Request-Id` header) and, for Twilio's webhooks, its latency."""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from service.operations.health import check_health
from service.operations.logs import REQUEST_ID, request_id_from
from service.operations.metrics import CONTENT_TYPE, authorised, exposition, web_counters
from service.runtime import Runtime

operations_blueprint = Blueprint("operations", __name__)
# When the app was built (gunicorn's master, with --preload): how long this web has run.
STARTED = "warmline.started"
operations_blueprint.record_once(lambda state: state.app.extensions.setdefault(STARTED, time.monotonic()))
# Twilio sends this header with every webhook; a retry of one request carries the same token.
TWILIO_IDEMPOTENCY_TOKEN = "I-Twilio-Idempotency-Token"
# The blueprints of the SMS and voice webhooks (service/sms/blueprint.py, service/voice/blueprint.py),
# whose answers are timed per webhook.
TWILIO_WEBHOOKS = frozenset({"twilio_sms", "twilio_voice"})


def _runtime() -> Runtime:
    runtime: Runtime = current_app.extensions["warmline"]
    return runtime


@operations_blueprint.before_app_request
def start_request() -> None:
    g.request_id_token = REQUEST_ID.set(request_id_from(request.headers.get(TWILIO_IDEMPOTENCY_TOKEN)))
    g.started = time.perf_counter()


@operations_blueprint.after_app_request
def finish_request(response: Response) -> Response:
    response.headers["X-Request-Id"] = REQUEST_ID.get() or ""
    if request.blueprint in TWILIO_WEBHOOKS and "started" in g:
        endpoint = (request.endpoint or "").partition(".")[2]
        web_counters().webhook_seconds.labels(endpoint).observe(time.perf_counter() - g.started)
    return response


@operations_blueprint.teardown_app_request
def forget_request(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


@operations_blueprint.get("/healthz")
def healthz() -> tuple[Response, int]:
    up_for = timedelta(seconds=time.monotonic() - current_app.extensions[STARTED])
    health = check_health(_runtime(), up_for)
    return jsonify(health.body), health.status


@operations_blueprint.get("/metrics")
def metrics() -> Response:
    """Closed without a configured token (404, as if absent); 401 without the right one."""
    token = _runtime().settings.metrics_token
    if not token:
        abort(404)
    if not authorised(token, request.headers.get("Authorization", "")):
        return Response(
            "bearer token required\n", status=401, headers={"WWW-Authenticate": "Bearer"}, mimetype="text/plain"
        )
    return Response(exposition(_runtime(), web_counters()), content_type=CONTENT_TYPE)
