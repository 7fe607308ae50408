"""The line's statistics for a period: contacts by hour and day, waits, answered and abandoned,
escalations, feedback, and volunteers' hours against their limits. Built from times, outcomes
and scores only, so it still works after the retention purge has deleted every message."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from routing.limits import ShiftLimits
from service.conversations.line_pause import TURNED_AWAY
from service.db import Conversation, Escalation, Shift, Volunteer
from service.staff.rota_coverage import Coverage, coverage


@dataclass(frozen=True)
class VolunteerHours:
    volunteer_id: int
    name: str
    shifts: int
    hours: float
    longest_shift_hours: float
    most_conversations_in_a_shift: int
    ended_at_limit: int


@dataclass(frozen=True)
class Report:
    first_day: date
    last_day: date
    contacts: int
    contacts_by_day: tuple[tuple[date, int], ...]
    contacts_by_hour: tuple[int, ...]
    answered: int
    abandoned: int
    turned_away: int
    still_open: int
    wait_p50_seconds: float | None
    wait_p90_seconds: float | None
    escalations_by_level: tuple[tuple[str, int], ...]
    feedback_by_score: tuple[tuple[int, int], ...]
    feedback_mean: float | None
    # Answered texters who named a lived-experience topic, and how many of them a volunteer
    # sharing it took.
    topic_named: int
    topic_matched: int
    volunteers: tuple[VolunteerHours, ...]
    max_shift_hours: float
    max_conversations_per_shift: int
    max_hours_per_week: float
    # The rota: scheduled against staffed hours per slot, no-shows, fallback calls.
    coverage: Coverage


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile: a wait someone actually had, never an interpolation."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def build_report(
    db: Session, first_day: date, last_day: date, zone: ZoneInfo, limits: ShiftLimits, now: datetime
) -> Report:
    """Days are the line's local days, `first_day` to `last_day` inclusive; open shifts count up to `now`."""
    start = datetime.combine(first_day, time(), zone)
    end = datetime.combine(last_day + timedelta(days=1), time(), zone)
    rows = db.execute(
        select(
            Conversation.queued_at,
            Conversation.assigned_at,
            Conversation.status,
            Conversation.close_reason,
            Conversation.feedback_score,
            Conversation.topic_matched,
        ).where(Conversation.queued_at >= start, Conversation.queued_at < end)
    ).all()
    by_day: Counter[date] = Counter()
    by_hour: Counter[int] = Counter()
    waits: list[float] = []
    answered = abandoned = turned_away = still_open = 0
    scores: Counter[int] = Counter()
    for row in rows:
        local = row.queued_at.astimezone(zone)
        by_day[local.date()] += 1
        by_hour[local.hour] += 1
        if row.assigned_at is not None:
            answered += 1
            waits.append((row.assigned_at - row.queued_at).total_seconds())
        elif row.status != "closed":
            still_open += 1
        elif row.close_reason == TURNED_AWAY:
            turned_away += 1
        else:
            abandoned += 1
        if row.feedback_score is not None:
            scores[row.feedback_score] += 1
    waits.sort()
    days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    escalations = dict(
        db.execute(
            select(Escalation.level, func.count())
            .where(Escalation.opened_at >= start, Escalation.opened_at < end)
            .group_by(Escalation.level)
        ).all()
    )
    rated = sum(scores.values())
    return Report(
        first_day=first_day,
        last_day=last_day,
        contacts=len(rows),
        contacts_by_day=tuple((day, by_day[day]) for day in days),
        contacts_by_hour=tuple(by_hour[hour] for hour in range(24)),
        answered=answered,
        abandoned=abandoned,
        turned_away=turned_away,
        still_open=still_open,
        wait_p50_seconds=percentile(waits, 0.5),
        wait_p90_seconds=percentile(waits, 0.9),
        escalations_by_level=tuple((level, escalations.get(level, 0)) for level in ("imminent", "elevated")),
        feedback_by_score=tuple((score, scores[score]) for score in range(1, 6)),
        feedback_mean=sum(score * count for score, count in scores.items()) / rated if rated else None,
        topic_named=sum(row.topic_matched is not None for row in rows),
        topic_matched=sum(row.topic_matched is True for row in rows),
        volunteers=_volunteer_hours(db, start, end, now),
        max_shift_hours=limits.max_shift_minutes / 60,
        max_conversations_per_shift=limits.max_conversations_per_shift,
        max_hours_per_week=limits.max_hours_per_week,
        coverage=coverage(db, zone.key, start, end, now),
    )


LIMIT_ENDINGS = ("max_shift", "max_conversations_per_shift")


def _volunteer_hours(db: Session, start: datetime, end: datetime, now: datetime) -> tuple[VolunteerHours, ...]:
    """Time on shift within the period (a shift crossing its edges counts its part inside)."""
    rows = db.execute(
        select(
            Shift.volunteer_id,
            Volunteer.name,
            Shift.started_at,
            Shift.ended_at,
            Shift.conversations_taken,
            Shift.end_reason,
        )
        .join(Volunteer, Volunteer.id == Shift.volunteer_id)
        .where(Shift.started_at < end, or_(Shift.ended_at.is_(None), Shift.ended_at > start))
    ).all()
    moment = min(end, now)
    totals: dict[int, dict[str, float]] = {}
    names: dict[int, str] = {}
    for row in rows:
        inside = (min(row.ended_at or moment, end) - max(row.started_at, start)).total_seconds() / 3600
        whole = ((row.ended_at or moment) - row.started_at).total_seconds() / 3600
        entry = totals.setdefault(row.volunteer_id, {"shifts": 0, "hours": 0.0, "longest": 0.0, "most": 0, "limit": 0})
        names[row.volunteer_id] = row.name
        entry["shifts"] += 1
        entry["hours"] += max(inside, 0.0)
        entry["longest"] = max(entry["longest"], whole)
        entry["most"] = max(entry["most"], row.conversations_taken)
        entry["limit"] += row.end_reason in LIMIT_ENDINGS
    return tuple(
        sorted(
            (
                VolunteerHours(
                    volunteer_id,
                    names[volunteer_id],
                    int(entry["shifts"]),
                    round(entry["hours"], 2),
                    round(entry["longest"], 2),
                    int(entry["most"]),
                    int(entry["limit"]),
                )
                for volunteer_id, entry in totals.items()
            ),
            key=lambda hours: (-hours.hours, hours.name),
        )
    )
