"""`GET /healthz`: whether PostgreSQL and Redis answer (200, or 503 "degraded"), with the live
workers, the failed jobs and the outbox backlog.

It stays a safe health check (deploy/compose.yaml and docs/operations.md rely on it): the status
depends on the two stores only, never on the workers, so a web process is never restarted or
taken out of rotation for another process's trouble; each figure is read only from a store
that answered, with the stores' short timeouts. When no worker is left, the alert to the
supervisor on call goes out from here, on a thread of its own, after the answer.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from routing.operator_alerts import LineWatch
from service.jobs.job_queue import JobQueue
from service.operations.alerting import alert_operators
from service.operations.line_reading import outbox_backlog
from service.outbound import delivery
from service.outbound.shared_pace import SharedPace
from service.outbound.twilio_gateway import TwilioGateway
from service.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Health:
    body: dict[str, object]
    status: int


def check_health(runtime: Runtime, up_for: timedelta) -> Health:
    """The stores' state and the figures; `up_for`: how long this web process has run."""
    now = datetime.now(UTC)
    body: dict[str, object] = {}
    try:
        with runtime.sessions() as session:
            body["outbox_backlog"] = outbox_backlog(session, now)[0]
        database = True
    except SQLAlchemyError:
        database = False
    queue = JobQueue(runtime)
    try:
        # Failed and abandoned jobs: the sweeper runs each again up to 3 times, then leaves it
        # here for an operator.
        body["failed_jobs"] = queue.failed_count()
        body["workers"] = workers = queue.live_workers()
        redis = True
    except RedisError:
        redis, workers = False, None
    healthy = database and redis
    if healthy and workers == 0 and runtime.settings.alerts.enabled:
        watch = LineWatch(live_workers=0, up_for=up_for)
        threading.Thread(
            target=_alert_no_worker, args=(runtime, watch), name="warmline-no-worker-alert", daemon=True
        ).start()
    return Health(
        {"status": "ok" if healthy else "degraded", "checks": {"database": database, "redis": redis}, **body},
        200 if healthy else 503,
    )


def _alert_no_worker(runtime: Runtime, watch: LineWatch) -> None:
    """Text the supervisors that no worker is left, when due; sent from here, since no worker
    would deliver the outbox rows."""
    try:
        turn = alert_operators(runtime, datetime.now(UTC), watch)
        if turn is None or not turn.outbox_ids:
            return
        gateway = TwilioGateway(runtime.settings)
        pace = SharedPace(runtime.redis, runtime.settings.delivery)
        for outbox_id in turn.outbox_ids:
            # A retry it would schedule needs a worker; the next /healthz alerts again if none comes.
            delivery.deliver(runtime, gateway, pace, outbox_id, datetime.now(UTC))
    except Exception:
        log.exception("operator_alert.failed kind=no_worker")
