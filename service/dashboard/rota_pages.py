"""The rota on the dashboard: a week's shifts with their sign-ups against what each needs (gaps
in colour) and the suggested number per hour, and the supervisors' edits: weekly slots, a
day's cancellation or change, and assigning a volunteer (who is told by text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from routing.limits import Refusal
from routing.rota import wall_clock
from service.dashboard.actions import attempt
from service.dashboard.blueprint import dashboard_blueprint, form_number, now, runtime, supervisor
from service.db import RotaChange, RotaSlot, Volunteer
from service.db.turn import Turn
from service.staff import audit, rostering, staffing_advice
from service.staff.supervision import ActionRefused

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MOST_NEEDED = 50


def _week_start(zone: ZoneInfo) -> date:
    """The Monday of the week asked for (`?week=` any day of it), else of this week."""
    try:
        day = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        day = now().astimezone(zone).date()
    day = min(max(day, date(2000, 1, 3)), date(2999, 12, 1))
    return day - timedelta(days=day.weekday())


@dashboard_blueprint.get("/rota")
def rota() -> str:
    settings = runtime().settings
    zone = ZoneInfo(settings.line.timezone)
    monday = _week_start(zone)
    start = datetime.combine(monday, time(), zone)
    with runtime().sessions() as db:
        week = rostering.shifts_between(db, settings.line.timezone, start, start + timedelta(days=7))
        week = [staffed for staffed in week if monday <= staffed.occurrence.day < monday + timedelta(days=7)]
        volunteers = db.scalars(select(Volunteer).where(Volunteer.active).order_by(Volunteer.alias)).all()
        aliases = {volunteer.id: volunteer.alias for volunteer in volunteers}
        slots = db.scalars(select(RotaSlot).where(RotaSlot.active).order_by(RotaSlot.weekday, RotaSlot.starts)).all()
        advice = staffing_advice.suggested_per_hour(db, zone, now(), runtime().shift_limits)
        cancelled = db.execute(
            select(RotaChange.slot_id, RotaChange.day, RotaSlot.starts, RotaSlot.ends)
            .join(RotaSlot, RotaSlot.id == RotaChange.slot_id)
            .where(RotaChange.cancelled, RotaChange.day.between(monday, monday + timedelta(days=6)))
            .order_by(RotaChange.day, RotaSlot.starts)
        ).all()
        days = [
            (
                monday + timedelta(days=offset),
                [staffed for staffed in week if staffed.occurrence.day.weekday() == offset],
            )
            for offset in range(7)
        ]
        hours = _hours(week, advice, monday, zone)
        return render_template(
            "dashboard/rota.html",
            monday=monday,
            days=days,
            zone=zone,
            aliases=aliases,
            volunteers=volunteers,
            slots=slots,
            day_names=DAYS,
            hours=hours,
            cancelled=cancelled,
            previous_week=(monday - timedelta(days=7)).isoformat(),
            next_week=(monday + timedelta(days=7)).isoformat(),
        )


@dataclass(frozen=True)
class HourCover:
    """One local hour of the week: volunteers signed up, needed by the rota, suggested."""

    signed: int
    needed: int
    suggested: int

    @property
    def short(self) -> bool:
        return self.signed < max(self.needed, self.suggested)


def _hours(
    week: list[rostering.Staffed], advice: dict[tuple[int, int], int], monday: date, zone: ZoneInfo
) -> list[tuple[int, list[HourCover]]]:
    """Each hour of the day that the rota covers or the advice asks for, for each day of the week."""
    rows = []
    for hour in range(24):
        cells = []
        for offset in range(7):
            moment = wall_clock(monday + timedelta(days=offset), time(hour), zone)
            running = [s for s in week if s.occurrence.starts_at <= moment < s.occurrence.ends_at]
            cells.append(
                HourCover(
                    signed=sum(len(s.volunteer_ids) for s in running),
                    needed=sum(s.occurrence.needed for s in running),
                    suggested=advice.get((offset, hour), 0),
                )
            )
        if any(cell.needed or cell.suggested for cell in cells):
            rows.append((hour, cells))
    return rows


def _back_to_week() -> Response:
    week = request.form.get("week", "")
    return redirect(url_for("dashboard.rota", week=week) if week else url_for("dashboard.rota"))


def _form_time(name: str) -> time | None:
    try:
        return time.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


def _form_day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@dashboard_blueprint.post("/rota/slots")
def rota_add_slot() -> Response:
    """A weekly slot: weekday, start and end (wall-clock, the line's zone), how many it needs."""
    weekday, needed = form_number("weekday"), form_number("needed")
    starts, ends, first_day = _form_time("starts"), _form_time("ends"), _form_day("first_day")
    actor = supervisor().email

    def add(turn: Turn) -> None:
        if weekday is None or not 0 <= weekday <= 6 or starts is None or ends is None or starts == ends:
            raise ActionRefused("rota_invalid")
        if needed is None or not 1 <= needed <= MOST_NEEDED:
            raise ActionRefused("rota_invalid")
        slot = RotaSlot(
            weekday=weekday, starts=starts, ends=ends, needed=needed, first_day=first_day, created_at=turn.now
        )
        turn.session.add(slot)
        turn.session.flush()
        detail = f"{DAYS[weekday]} {starts:%H:%M}-{ends:%H:%M}, {needed} needed"
        audit.record(turn.session, turn.now, actor, "rota_slot_added", f"rota_slot:{slot.id}", detail)

    return attempt(add, "rota_slot_added", _back_to_week)


@dashboard_blueprint.post("/rota/slots/<id:slot_id>/remove")
def rota_remove_slot(slot_id: int) -> Response:
    """Take a weekly slot off the rota from now on (its sign-ups stay, for the record)."""
    actor = supervisor().email

    def remove(turn: Turn) -> None:
        slot = turn.session.scalars(select(RotaSlot).where(RotaSlot.id == slot_id).with_for_update()).first()
        if slot is None or not slot.active:
            raise ActionRefused("not_found")
        slot.active = False
        audit.record(turn.session, turn.now, actor, "rota_slot_removed", f"rota_slot:{slot_id}", "")

    return attempt(remove, "rota_slot_removed", _back_to_week)


@dashboard_blueprint.post("/rota/change")
def rota_change() -> Response:
    """One day's slot: cancelled, restored, or needing another number."""
    slot_id, day, needed = form_number("slot_id"), _form_day("day"), form_number("needed")
    what = request.form.get("change", "")
    actor = supervisor().email

    def change(turn: Turn) -> None:
        slot = turn.session.get(RotaSlot, slot_id) if slot_id and slot_id > 0 else None
        if slot is None or day is None or day.weekday() != slot.weekday or what not in ("cancel", "restore", "needed"):
            raise ActionRefused("rota_invalid")
        if what == "needed" and (needed is None or not 0 <= needed <= MOST_NEEDED):
            raise ActionRefused("rota_invalid")
        row = turn.session.scalars(
            select(RotaChange).where(RotaChange.slot_id == slot.id, RotaChange.day == day).with_for_update()
        ).first()
        if row is None:
            row = RotaChange(slot_id=slot.id, day=day, cancelled=False, needed=None, changed_by=actor)
            turn.session.add(row)
        row.changed_by = actor
        if what == "cancel":
            row.cancelled = True
        elif what == "restore":
            row.cancelled, row.needed = False, None
        else:
            row.needed = needed
        audit.record(
            turn.session, turn.now, actor, "rota_change", f"rota_slot:{slot.id}", f"{day}: {what} {needed or ''}"
        )

    return attempt(change, "rota_changed", _back_to_week)


@dashboard_blueprint.post("/rota/assign")
def rota_assign() -> Response:
    """Put a volunteer on one day's shift, under the same limits as `#take`; they are texted."""
    slot_id, day, volunteer_id = form_number("slot_id"), _form_day("day"), form_number("volunteer_id")
    actor = supervisor().email

    def assign(turn: Turn) -> None:
        volunteer = turn.session.get(Volunteer, volunteer_id) if volunteer_id and volunteer_id > 0 else None
        if volunteer is None or not volunteer.active or slot_id is None or slot_id <= 0 or day is None:
            raise ActionRefused("rota_invalid")
        result = rostering.assign(turn, volunteer, slot_id, day, actor)
        if result is None:
            raise ActionRefused("rota_gone")
        if isinstance(result, Refusal):
            raise ActionRefused(f"rota_{result.limit}", result.until)

    return attempt(assign, "rota_assigned", _back_to_week)
