"""The rota: weekly slots in the line's time zone, expanded into dated shifts (daylight saving
handled), which of them are short, whether a volunteer may sign up for one under the shift
limits, which reminder is due, who did not show, and when the fallback group is called.

Pure: the shell loads slots, one-off changes, sign-ups and shifts, and passes `now`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from routing import limits
from routing.limits import PastShift, Refusal, ShiftLimits


@dataclass(frozen=True)
class Slot:
    """A weekly slot: on `weekday` (0 is Monday) from `starts` to `ends`, wall-clock times in
    the line's zone (`ends` at or before `starts` runs into the next day), needing `needed`
    volunteers; it runs from `first_day` on, when set."""

    slot_id: int
    weekday: int
    starts: time
    ends: time
    needed: int
    first_day: date | None = None


@dataclass(frozen=True)
class Change:
    """A one-off change to one day's slot: cancelled, or needing another number."""

    slot_id: int
    day: date
    cancelled: bool = False
    needed: int | None = None


@dataclass(frozen=True)
class Occurrence:
    """One dated shift of the rota: a slot on a (local) day, in absolute time."""

    slot_id: int
    day: date
    starts_at: datetime
    ends_at: datetime
    needed: int

    @property
    def key(self) -> tuple[int, date]:
        return (self.slot_id, self.day)

    @property
    def as_shift(self) -> PastShift:
        return PastShift(started_at=self.starts_at, ended_at=self.ends_at)


def wall_clock(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local day and time as an aware UTC moment. A time the clocks skip (02:30 on the night
    they spring forward) is read with the offset before the change, so it falls an hour
    later on the wall (03:30); a time that happens twice (autumn) is its first occurrence."""
    return datetime.combine(day, clock).replace(tzinfo=zone, fold=0).astimezone(UTC)


def occurrences(
    slots: Sequence[Slot], changes: Sequence[Change], timezone: str, start: datetime, end: datetime
) -> list[Occurrence]:
    """Every shift of the rota that overlaps [start, end), in order of start. Each is laid on
    the wall clock of its own day, so a 19:00 slot is at 19:00 local before and after a
    daylight-saving change (and a night slot across the change is an hour longer or shorter)."""
    zone = ZoneInfo(timezone)
    by_day = {(change.slot_id, change.day): change for change in changes}
    found = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    while day <= last:
        for slot in slots:
            if slot.weekday != day.weekday() or (slot.first_day is not None and day < slot.first_day):
                continue
            change = by_day.get((slot.slot_id, day))
            if change is not None and change.cancelled:
                continue
            needed = change.needed if change is not None and change.needed is not None else slot.needed
            starts_at = wall_clock(day, slot.starts, zone)
            ends_at = wall_clock(day + timedelta(days=1) if slot.ends <= slot.starts else day, slot.ends, zone)
            if ends_at > start and starts_at < end:
                found.append(Occurrence(slot.slot_id, day, starts_at, ends_at, needed))
        day += timedelta(days=1)
    return sorted(found, key=lambda occurrence: (occurrence.starts_at, occurrence.slot_id))


def open_slots(
    found: Sequence[Occurrence], signed_up: Mapping[tuple[int, date], Collection[int]], volunteer_id: int, now: datetime
) -> list[Occurrence]:
    """The shifts a volunteer could still take: not begun, fewer sign-ups than needed, not theirs."""
    return [
        occurrence
        for occurrence in found
        if occurrence.starts_at > now
        and len(signed_up.get(occurrence.key, ())) < occurrence.needed
        and volunteer_id not in signed_up.get(occurrence.key, ())
    ]


def signup_refusal(
    occurrence: Occurrence, worked: Sequence[PastShift], taken: Sequence[Occurrence], rules: ShiftLimits
) -> Refusal | None:
    """Whether a volunteer may sign up for `occurrence`, judged by the router's own rules
    (`routing.limits`) as though they texted #on at its start with their worked and planned
    shifts behind them: rest between shifts, hours in any 7 days, shift length. Each of their
    later shifts is judged again with this one added, since it may take their rest away.

    A refusal for rest carries when a shift could start (`until`); one that would leave too
    little rest before a later shift of theirs carries none."""
    plan = [*worked, *(other.as_shift for other in taken if other.key != occurrence.key)]
    refused = _start_refusal(occurrence, plan, rules)
    if refused is not None:
        return refused
    for later in taken:
        if later.key == occurrence.key or later.starts_at < occurrence.starts_at:
            continue
        others = [shift for shift in plan if shift != later.as_shift] + [occurrence.as_shift]
        if _start_refusal(later, others, rules) is not None:
            return Refusal(limits.MIN_REST)
    return None


def _start_refusal(occurrence: Occurrence, plan: Sequence[PastShift], rules: ShiftLimits) -> Refusal | None:
    before = [shift for shift in plan if shift.started_at <= occurrence.starts_at]
    refused = limits.shift_start_refusal(before, rules, occurrence.starts_at)
    if refused is not None:
        return refused
    must_end = limits.shift_ends_at(occurrence.starts_at, before, rules)
    if must_end is not None and must_end < occurrence.ends_at:
        too_long = occurrence.ends_at - occurrence.starts_at > timedelta(minutes=rules.max_shift_minutes)
        return Refusal(limits.MAX_SHIFT if too_long else limits.WEEKLY_HOURS)
    return None


def short_after_drop(occurrence: Occurrence, remaining: int, notice: timedelta, now: datetime) -> bool:
    """A drop leaves the shift short within the notice period: a supervisor must hear of it."""
    return remaining < occurrence.needed and now < occurrence.starts_at <= now + notice


class Reminder(StrEnum):
    DAY_BEFORE = "day_before"
    SOON = "soon"
    START = "start"


REMINDER_ORDER = (Reminder.DAY_BEFORE, Reminder.SOON, Reminder.START)


def reminder_times(occurrence: Occurrence, timezone: str, soon: timedelta) -> dict[Reminder, datetime]:
    """When each reminder goes: the day before at the same wall-clock time (23 or 25 hours
    before across a daylight-saving change), `soon` before the start, and at the start."""
    zone = ZoneInfo(timezone)
    local = occurrence.starts_at.astimezone(zone)
    return {
        Reminder.DAY_BEFORE: wall_clock(local.date() - timedelta(days=1), local.time(), zone),
        Reminder.SOON: occurrence.starts_at - soon,
        Reminder.START: occurrence.starts_at,
    }


def reminder_due(
    occurrence: Occurrence,
    signed_up_at: datetime,
    sent: Collection[Reminder],
    timezone: str,
    soon: timedelta,
    no_show_after: timedelta,
    now: datetime,
) -> Reminder | None:
    """The reminder to send now, if any: the latest whose time has come, unless it went out
    already. An earlier one overtaken by a later (the worker was down) is skipped, as is one
    whose time was before the volunteer signed up; the start reminder is stale once the
    volunteer counts as a no-show."""
    times = reminder_times(occurrence, timezone, soon)
    come = [kind for kind in REMINDER_ORDER if signed_up_at <= times[kind] <= now]
    if not come or come[-1] in sent or now >= occurrence.starts_at + no_show_after:
        return None
    return come[-1]


def is_no_show(occurrence: Occurrence, shifts: Sequence[PastShift], no_show_after: timedelta, now: datetime) -> bool:
    """`no_show_after` into a shift they signed up for, the volunteer has not been on shift
    at any moment since it began."""
    if now < occurrence.starts_at + no_show_after or now >= occurrence.ends_at:
        return False
    return not any(
        shift.started_at <= now and (shift.ended_at is None or shift.ended_at >= occurrence.starts_at)
        for shift in shifts
    )


def open_for(found: Sequence[Occurrence], now: datetime) -> timedelta | None:
    """How long the line has been open at `now` by the rota (back-to-back and overlapping
    shifts make one stretch); None while no shift of the rota covers `now`."""
    covering = [occurrence for occurrence in found if occurrence.starts_at <= now < occurrence.ends_at]
    if not covering:
        return None
    opened = min(occurrence.starts_at for occurrence in covering)
    earlier = True
    while earlier:
        earlier = False
        for occurrence in found:
            if occurrence.starts_at < opened <= occurrence.ends_at:
                opened, earlier = occurrence.starts_at, True
    return now - opened


@dataclass(frozen=True)
class FallbackRules:
    # A volunteer signing on a few minutes late is not yet a reason to call the group.
    after_opening: timedelta
    longest_wait: timedelta
    repeat_after: timedelta


def fallback_due(
    open_since: timedelta | None,
    on_shift: int,
    longest_wait: timedelta | None,
    rules: FallbackRules,
    last_called: datetime | None,
    now: datetime,
) -> bool:
    """Whether to text the fallback group now: nobody on shift while the line is open, or a
    texter waiting past the alert limit; at most once per `repeat_after`."""
    if last_called is not None and now - last_called < rules.repeat_after:
        return False
    nobody = open_since is not None and on_shift == 0 and open_since >= rules.after_opening
    too_long = longest_wait is not None and longest_wait > rules.longest_wait
    return nobody or too_long


def suggested_staff(arrivals_per_hour: float, mean_minutes: float, concurrent: int, target_wait: timedelta) -> int:
    """Volunteers an hour needs so that 9 texters in 10 wait no longer than `target_wait`, by
    the Erlang C queue (each volunteer holds `concurrent` conversations at once): the rota
    page's suggestion beside what an hour is planned with. The staffing simulator
    (`scripts/simulate.py`) answers the same question with the real router and its limits."""
    if arrivals_per_hour <= 0 or mean_minutes <= 0:
        return 0
    rate = arrivals_per_hour / 60  # per minute
    load = rate * mean_minutes  # conversations in progress on average (erlangs)
    servers = max(1, math.floor(load) + 1)
    while _wait_longer_than(servers, load, rate, mean_minutes, target_wait) > 0.1:
        servers += 1
    return math.ceil(servers / max(1, concurrent))


def _wait_longer_than(servers: int, load: float, rate: float, mean_minutes: float, wait: timedelta) -> float:
    term, total = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    last = term * load / servers
    waiting = last * servers / (servers - load)
    chance = waiting / (total + waiting)
    return chance * math.exp(-(servers / mean_minutes - rate) * wait.total_seconds() / 60)


def staffed_time(occurrence: Occurrence, shifts: Sequence[PastShift], now: datetime) -> timedelta:
    """How much of a rota shift one volunteer signed up for was actually on shift (an open
    shift counts up to `now`): what reports set against the time scheduled."""
    end = min(occurrence.ends_at, now)
    covered = timedelta()
    cursor = occurrence.starts_at
    for shift in sorted(shifts, key=lambda shift: shift.started_at):
        start, stop = max(shift.started_at, cursor), min(shift.ended_at or now, end)
        if stop > start:
            covered += stop - start
            cursor = stop
    return covered
