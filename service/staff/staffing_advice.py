"""How many volunteers each hour of the week needs, from the recent weeks' arrivals: the
rota page shows it beside what each hour is planned with (`routing.rota.suggested_staff`)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.limits import ShiftLimits
from routing.rota import suggested_staff
from service.db import Conversation

WEEKS = 4
# Until the line has finished conversations to measure, a typical one is taken to last this long.
TYPICAL_MINUTES = 25.0
TARGET_WAIT = timedelta(minutes=5)


def suggested_per_hour(
    session: Session, zone: ZoneInfo, now: datetime, limits: ShiftLimits
) -> dict[tuple[int, int], int]:
    """(weekday, local hour) -> volunteers suggested, for every hour that had arrivals in the
    last `WEEKS` weeks (averaged per week)."""
    since = now - timedelta(weeks=WEEKS)
    arrivals: Counter[tuple[int, int]] = Counter()
    lengths: list[float] = []
    for created_at, assigned_at, closed_at in session.execute(
        select(Conversation.created_at, Conversation.assigned_at, Conversation.closed_at).where(
            Conversation.created_at >= since
        )
    ):
        local = created_at.astimezone(zone)
        arrivals[(local.weekday(), local.hour)] += 1
        if assigned_at is not None and closed_at is not None:
            lengths.append((closed_at - assigned_at).total_seconds() / 60)
    mean = sum(lengths) / len(lengths) if lengths else TYPICAL_MINUTES
    concurrent = limits.concurrency_limit(None)
    return {hour: suggested_staff(count / WEEKS, mean, concurrent, TARGET_WAIT) for hour, count in arrivals.items()}
