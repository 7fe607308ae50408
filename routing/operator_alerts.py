"""Operator alerts: what is wrong with the line as a whole that the supervisor on call must
hear by text (nobody on shift within the line's hours, a texter waiting too long, texts stuck
in the outbox, no live worker), and whether each is due: at most once per kind per interval.

Pure: the shell observes the line (`LineWatch`), passes when each kind was last sent and
`now`, and texts what `alerts_due` returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class AlertKind(StrEnum):
    NOBODY_ON_SHIFT = "nobody_on_shift"
    LONG_WAIT = "long_wait"
    OUTBOX_STUCK = "outbox_stuck"
    NO_WORKER = "no_worker"


@dataclass(frozen=True)
class LineHours:
    """The line's daily hours in its time zone: closing before opening runs past midnight, and
    opening equal to closing means around the clock."""

    opens: time
    closes: time
    timezone: str

    @classmethod
    def parse(cls, opens: str, closes: str, timezone: str) -> LineHours:
        return cls(time.fromisoformat(opens), time.fromisoformat(closes), timezone)

    def open_for(self, now: datetime) -> timedelta | None:
        """How long the line has been open at `now`; None while it is closed."""
        if self.opens == self.closes:
            return timedelta.max
        local = now.astimezone(ZoneInfo(self.timezone))
        for day in (local.date(), local.date() - timedelta(days=1)):
            start = datetime.combine(day, self.opens, local.tzinfo)
            end = datetime.combine(day, self.closes, local.tzinfo)
            if end <= start:
                end += timedelta(days=1)
            if start <= local < end:
                return local - start
        return None


@dataclass(frozen=True)
class AlertRules:
    hours: LineHours
    # A volunteer who signs on a few minutes late is not an emergency.
    nobody_on_shift_after: timedelta
    longest_wait: timedelta
    outbox_stuck_after: timedelta
    # Workers start beside the web processes and register a moment later: a web process that
    # has just started does not yet call their absence a failure.
    no_worker_after: timedelta
    repeat_after: timedelta


@dataclass(frozen=True)
class LineWatch:
    """What one process observed. None: not observed by it (a worker cannot see that no worker
    lives; a web process answering /healthz reads only the workers)."""

    volunteers_on_shift: int | None = None
    waiting: int | None = None
    longest_wait: timedelta | None = None
    unsent: int | None = None
    oldest_unsent: timedelta | None = None
    live_workers: int | None = None
    # How long the observing process has been running.
    up_for: timedelta | None = None


@dataclass(frozen=True)
class Alert:
    kind: AlertKind
    # Filled into the kind's text (`alert_<kind>` in [supervisor] of config/messages/).
    params: Mapping[str, int]


def alerts_due(
    watch: LineWatch, rules: AlertRules, last_sent: Mapping[AlertKind, datetime], now: datetime
) -> list[Alert]:
    """The alerts to send now: each problem observed, unless its kind went out within the interval."""
    return [alert for alert in problems(watch, rules, now) if _due(last_sent.get(alert.kind), rules.repeat_after, now)]


def _due(sent_at: datetime | None, repeat_after: timedelta, now: datetime) -> bool:
    return sent_at is None or now - sent_at >= repeat_after


def problems(watch: LineWatch, rules: AlertRules, now: datetime) -> list[Alert]:
    """Every problem `watch` shows at `now`, whenever it was last alerted."""
    found = []
    waiting = watch.waiting or 0
    open_for = rules.hours.open_for(now)
    if watch.volunteers_on_shift == 0 and open_for is not None and open_for >= rules.nobody_on_shift_after:
        found.append(Alert(AlertKind.NOBODY_ON_SHIFT, {"waiting": waiting}))
    if watch.longest_wait is not None and watch.longest_wait > rules.longest_wait:
        found.append(Alert(AlertKind.LONG_WAIT, {"minutes": _minutes(watch.longest_wait), "waiting": waiting}))
    if watch.oldest_unsent is not None and watch.oldest_unsent > rules.outbox_stuck_after:
        found.append(
            Alert(AlertKind.OUTBOX_STUCK, {"minutes": _minutes(watch.oldest_unsent), "unsent": watch.unsent or 0})
        )
    if watch.live_workers == 0 and watch.up_for is not None and watch.up_for >= rules.no_worker_after:
        found.append(Alert(AlertKind.NO_WORKER, {}))
    return found


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)
