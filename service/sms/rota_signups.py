"""What a volunteer's rota commands do: `#shifts` lists the open shifts of the coming weeks
(numbered, in their own zone), `#take N` signs up for one under the shift limits, `#mine`
lists theirs, `#drop N` gives one back, `#calendar` texts a new secret link to their feed."""

from __future__ import annotations

from datetime import timedelta

from routing import limits
from routing import rota as rules
from routing.commands import CommandText
from routing.limits import Refusal
from service.db import Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import calendar_feed, rostering
from service.staff.rostering import MINE_LISTING, SHIFTS_LISTING, Staffed

# Open shifts one #shifts text lists, soonest first: a longer list would run past a few SMS parts.
MOST_LISTED = 20

REFUSAL_TEXT = {
    limits.MIN_REST: "rota_refused_min_rest",
    limits.WEEKLY_HOURS: "rota_refused_weekly_hours",
    limits.MAX_SHIFT: "rota_refused_max_shift",
}


def numbered(items: list[str]) -> str:
    return " ".join(f"{number}) {item};" for number, item in enumerate(items, 1)).rstrip(";")


def shifts(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    settings = turn.runtime.settings
    weeks = settings.rota.weeks_listed
    found = rostering.shifts_between(turn.session, settings.line.timezone, turn.now, turn.now + timedelta(weeks=weeks))
    signed = {staffed.occurrence.key: staffed.volunteer_ids for staffed in found}
    open_ones = rules.open_slots([staffed.occurrence for staffed in found], signed, volunteer.id, turn.now)
    open_ones = open_ones[:MOST_LISTED]
    rostering.remember_listing(turn, volunteer, SHIFTS_LISTING, [occurrence.key for occurrence in open_ones])
    if not open_ones:
        outbox.tell_volunteer(turn, volunteer, "rota_open_none", line_number, weeks=weeks)
        return
    zone = rostering.zone_of(turn, volunteer)
    listing = numbered([rostering.shift_text(occurrence, zone) for occurrence in open_ones])
    outbox.tell_volunteer(turn, volunteer, "rota_open", line_number, list=listing)


def take(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    number = _number(command)
    key = rostering.listed(turn, volunteer, SHIFTS_LISTING, number) if number else None
    if key is None:
        outbox.tell_volunteer(turn, volunteer, "rota_take_which", line_number)
        return
    result = rostering.sign_up(turn, volunteer, *key, by="volunteer")
    if result is None:
        outbox.tell_volunteer(turn, volunteer, "rota_take_gone", line_number, number=number)
    elif isinstance(result, Staffed):
        when = rostering.shift_text(result.occurrence, rostering.zone_of(turn, volunteer))
        minutes = turn.runtime.settings.rota.remind_before_minutes
        outbox.tell_volunteer(turn, volunteer, "rota_taken", line_number, when=when, minutes=minutes)
    else:
        staffed = rostering.find(turn.session, turn.runtime.settings.line.timezone, *key)
        _refuse(turn, volunteer, line_number, result, staffed)


def _refuse(turn: Turn, volunteer: Volunteer, line_number: str, refusal: Refusal, staffed: Staffed | None) -> None:
    limits_now = turn.runtime.shift_limits
    zone = rostering.zone_of(turn, volunteer)
    when = rostering.shift_text(staffed.occurrence, zone) if staffed else "-"
    key = REFUSAL_TEXT[refusal.limit]
    params: dict[str, object] = {"when": when}
    if refusal.limit == limits.MIN_REST:
        params["hours"] = f"{limits_now.min_rest_minutes / 60:g}"
        if refusal.until is None:
            key = "rota_refused_min_rest_later"
        else:
            params["until"] = rostering.moment_text(refusal.until, zone)
    elif refusal.limit == limits.WEEKLY_HOURS:
        params["hours"] = f"{limits_now.max_hours_per_week:g}"
    else:
        params["hours"] = f"{limits_now.max_shift_minutes / 60:g}"
    outbox.tell_volunteer(turn, volunteer, key, line_number, None, **params)


def mine(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    own = rostering.signups_of(turn.session, volunteer.id, turn.now)
    rostering.remember_listing(turn, volunteer, MINE_LISTING, [(row.slot_id, row.day) for row in own])
    if not own:
        outbox.tell_volunteer(turn, volunteer, "rota_mine_none", line_number)
        return
    zone = rostering.zone_of(turn, volunteer)
    listing = numbered([rostering.shift_text(rostering.as_occurrence(row), zone) for row in own])
    outbox.tell_volunteer(turn, volunteer, "rota_mine", line_number, list=listing)


def drop(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    number = _number(command)
    key = rostering.listed(turn, volunteer, MINE_LISTING, number) if number else None
    signup = None
    if key is not None:
        signup = next(
            (
                row
                for row in rostering.signups_of(turn.session, volunteer.id, turn.now)
                if (row.slot_id, row.day) == key
            ),
            None,
        )
    if signup is None:
        outbox.tell_volunteer(turn, volunteer, "rota_drop_which", line_number)
        return
    rostering.drop(turn, signup)
    when = rostering.shift_text(rostering.as_occurrence(signup), rostering.zone_of(turn, volunteer))
    outbox.tell_volunteer(turn, volunteer, "rota_dropped", line_number, when=when)


def calendar(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    """A new secret feed link (the previous one stops working); `#calendar off` turns it off."""
    if command.argument.lower() == "off":
        calendar_feed.revoke(volunteer)
        outbox.tell_volunteer(turn, volunteer, "calendar_off", line_number)
        return
    url = calendar_feed.new_link(volunteer, turn.runtime.settings.public_url)
    outbox.tell_volunteer(turn, volunteer, "calendar_link", line_number, url=url)


def _number(command: CommandText) -> int | None:
    text = command.argument.strip().lstrip("#")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None
