"""Operator alerts, applied: observe the line, let `routing.operator_alerts` decide, text the
supervisors on call, and remember when each kind went out (in PostgreSQL, its row locked
while deciding, so that several workers and web processes send one alert, not one each).

The workers check every sweep (`alert_operators`), observing everything but the workers; a web
process answering `/healthz` observes the workers only and, when none is left, sends that alert
itself (no worker would deliver it).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from routing.operator_alerts import AlertKind, AlertRules, LineHours, LineWatch, alerts_due
from service.conversations.escalations import supervisors_to_alert
from service.db import OperatorAlert
from service.db.turn import Turn, run_turn
from service.operations.line_reading import read_line
from service.outbound import outbox
from service.runtime import Runtime

log = logging.getLogger(__name__)


def alert_rules(runtime: Runtime) -> AlertRules:
    alerts = runtime.settings.alerts
    return AlertRules(
        hours=LineHours.parse(alerts.opens, alerts.closes, runtime.settings.line.timezone),
        nobody_on_shift_after=timedelta(minutes=alerts.nobody_on_shift_after_minutes),
        longest_wait=timedelta(minutes=alerts.wait_minutes),
        outbox_stuck_after=timedelta(minutes=alerts.outbox_stuck_minutes),
        no_worker_after=timedelta(seconds=alerts.no_worker_after_seconds),
        repeat_after=timedelta(minutes=alerts.repeat_minutes),
    )


def alert_operators(runtime: Runtime, now: datetime, workers: LineWatch | None = None) -> Turn | None:
    """Text the alerts that are due; returns the turn whose outbox rows carry them (None when
    alerts are switched off). Without `workers` (what a web process saw of them) the line is
    read from the database; with it, only the workers are judged."""
    if not runtime.settings.alerts.enabled:
        return None
    rules = alert_rules(runtime)

    def work(turn: Turn) -> None:
        watch = workers or _read_watch(turn)
        rows = _locked_rows(turn)
        last_sent = {AlertKind(kind): row.sent_at for kind, row in rows.items() if row.sent_at is not None}
        for alert in alerts_due(watch, rules, last_sent, turn.now):
            url = f"{turn.runtime.settings.public_url}/dashboard"
            for supervisor in supervisors_to_alert(turn):
                body = turn.runtime.texts.for_supervisor(
                    f"alert_{alert.kind.value}", supervisor.staff_language, url=url, **alert.params
                )
                outbox.to_supervisor(turn, supervisor, body)
            rows[alert.kind.value].sent_at = turn.now
            log.warning("operator_alert.sent kind=%s", alert.kind.value)

    return run_turn(runtime, now, work)[1]


def _read_watch(turn: Turn) -> LineWatch:
    line = read_line(turn.session, turn.now)
    return LineWatch(
        volunteers_on_shift=line.volunteers_on_shift,
        waiting=line.waiting,
        longest_wait=line.longest_wait,
        unsent=line.unsent,
        oldest_unsent=line.oldest_unsent,
    )


def _locked_rows(turn: Turn) -> dict[str, OperatorAlert]:
    """Every kind's row, locked; a kind never sent gets its row now (two processes adding the
    same one at once: the turn runs again, as for any unique insert)."""
    rows = {row.kind: row for row in turn.session.scalars(select(OperatorAlert).with_for_update())}
    for kind in AlertKind:
        if kind.value not in rows:
            rows[kind.value] = OperatorAlert(kind=kind.value, sent_at=None)
            turn.session.add(rows[kind.value])
    turn.session.flush()
    return rows
