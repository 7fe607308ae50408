"""Reports for a chosen period, as a page with charts drawn on the server (SVG) and as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, render_template, request

from service.dashboard.blueprint import dashboard_blueprint, now, runtime
from service.staff.continuity_report import ContinuityReport, build_continuity_report
from service.staff.reports import Report, build_report

DEFAULT_DAYS = 7
LONGEST_PERIOD_DAYS = 366
# A period must leave room on the calendar to count back its longest length and to read up to
# the end of its last day; past these ends the date arithmetic would overflow.
EARLIEST_DAY = date.min + timedelta(days=LONGEST_PERIOD_DAYS)
LATEST_DAY = date.max - timedelta(days=1)


def _period(zone: ZoneInfo) -> tuple[date, date]:
    """The period asked for (local days, inclusive), else the last seven days."""
    today = now().astimezone(zone).date()
    last_seven_days = today - timedelta(days=DEFAULT_DAYS - 1), today
    try:
        first = date.fromisoformat(request.args.get("from", ""))
        last = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        return last_seven_days
    if last < first:
        first, last = last, first
    if first < EARLIEST_DAY or last > LATEST_DAY:
        return last_seven_days
    return max(first, last - timedelta(days=LONGEST_PERIOD_DAYS - 1)), last


def _report() -> tuple[Report, ContinuityReport]:
    zone = ZoneInfo(runtime().settings.line.timezone)
    first, last = _period(zone)
    continuity = runtime().settings.continuity
    with runtime().sessions() as db:
        return (
            build_report(db, first, last, zone, runtime().shift_limits, now()),
            build_continuity_report(db, first, last, zone, continuity.topics_question, continuity.outcome_question),
        )


@dashboard_blueprint.get("/reports")
def reports() -> str:
    report, continuity = _report()
    charts = {
        "days": [(day.strftime("%d %b"), count) for day, count in report.contacts_by_day],
        "hours": [(f"{hour:02d}", count) for hour, count in enumerate(report.contacts_by_hour)],
        "escalations": list(report.escalations_by_level),
        "feedback": [(str(score), count) for score, count in report.feedback_by_score],
        "topics": list(continuity.by_topic),
        "outcomes": list(continuity.by_outcome),
        "referrals": list(continuity.referrals_by_resource),
        "follow_ups": list(continuity.follow_ups),
    }
    return render_template("dashboard/reports.html", report=report, continuity=continuity, charts=charts)


@dashboard_blueprint.get("/reports.csv")
def reports_csv() -> Response:
    """One row per figure (section, key, value), so a spreadsheet can pivot any of them."""
    report, continuity = _report()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value"])
    for day, count in report.contacts_by_day:
        writer.writerow(["contacts_by_day", day.isoformat(), count])
    for hour, count in enumerate(report.contacts_by_hour):
        writer.writerow(["contacts_by_hour", f"{hour:02d}", count])
    for key in (
        "contacts",
        "answered",
        "abandoned",
        "turned_away",
        "still_open",
        "wait_p50_seconds",
        "wait_p90_seconds",
        "feedback_mean",
        "topic_named",
        "topic_matched",
    ):
        value = getattr(report, key)
        writer.writerow(
            ["summary", key, "" if value is None else round(value, 2) if isinstance(value, float) else value]
        )
    for level, count in report.escalations_by_level:
        writer.writerow(["escalations_by_level", level, count])
    for score, count in report.feedback_by_score:
        writer.writerow(["feedback_by_score", score, count])
    for hours in report.volunteers:
        for key in ("shifts", "hours", "longest_shift_hours", "most_conversations_in_a_shift", "ended_at_limit"):
            writer.writerow([f"volunteer:{hours.volunteer_id}:{hours.name}", key, getattr(hours, key)])
    for slot in report.coverage.slots:
        for key in ("scheduled_hours", "signed_up_hours", "staffed_hours"):
            writer.writerow([f"rota_slot:{slot.slot_id}:{slot.weekday}:{slot.times}", key, getattr(slot, key)])
    writer.writerow(["rota", "no_shows", report.coverage.no_shows])
    writer.writerow(["rota", "fallback_calls", report.coverage.fallback_calls])
    _continuity_rows(writer, continuity)
    name = f"warmline-report-{report.first_day.isoformat()}-{report.last_day.isoformat()}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _continuity_rows(writer: Any, continuity: ContinuityReport) -> None:
    """Contact notes, referrals and follow-ups, in the same (section, key, value) rows."""
    writer.writerow(["contact_notes", "answered", continuity.notes_answered])
    writer.writerow(["contact_notes", "skipped", continuity.notes_skipped])
    for section, rows in (
        ("contacts_by_topic", continuity.by_topic),
        ("contacts_by_outcome", continuity.by_outcome),
        ("referrals_by_resource", continuity.referrals_by_resource),
        ("follow_ups", continuity.follow_ups),
    ):
        for key, count in rows:
            writer.writerow([section, key, count])
    for topic in continuity.feedback_by_topic:
        writer.writerow(["feedback_by_topic", topic.topic, topic.mean])
