"""The staffing question as data: a scenario (roster, shift plan, policy, arrivals, how texters
and volunteers behave), the texters it sends, and the figures a simulated night is judged by.

Pure: no database and no clock. `scripts/simulate.py` plays a scenario against the real
router and hands what happened back here to be measured.
"""

from __future__ import annotations

import math
import random
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from routing.limits import ShiftLimits
from routing.rota import Occurrence, Slot, occurrences, signup_refusal

HOUR = timedelta(hours=1)


class ScenarioError(ValueError):
    """The scenario file is unusable; the message says which value and why."""


# Distributions: lengths and delays are drawn per texter or per answer from the scenario's own
# seeded generator, so a scenario replays exactly.


@dataclass(frozen=True)
class Fixed:
    value: float

    def draw(self, rng: random.Random) -> float:
        return self.value


@dataclass(frozen=True)
class Lognormal:
    """Right-skewed, as conversation lengths and patience are: most short, a few very long."""

    median: float
    sigma: float

    def draw(self, rng: random.Random) -> float:
        return self.median * math.exp(rng.gauss(0.0, self.sigma))


@dataclass(frozen=True)
class Triangular:
    """Bounded, for things an operator can estimate as "at least, usually, at most"."""

    low: float
    mode: float
    high: float

    def draw(self, rng: random.Random) -> float:
        return rng.triangular(self.low, self.high, self.mode)


Distribution = Fixed | Lognormal | Triangular


@dataclass(frozen=True)
class ShiftWindow:
    """When a volunteer texts `#on` and `#off`, in hours from the scenario's start."""

    start_hour: float
    end_hour: float


@dataclass(frozen=True)
class VolunteerPlan:
    """One volunteer of the roster: when they are on shift and how they answer their phone."""

    alias: str
    languages: tuple[str, ...]
    shifts: tuple[ShiftWindow, ...]
    response_delay_seconds: Distribution
    accept_probability: float
    pass_probability: float
    ok_after_minutes: Distribution
    max_concurrent: int | None
    break_after_hours: float | None  # when in each shift they text #break; None: no break


@dataclass(frozen=True)
class TexterLanguage:
    """Texters writing in one language: their share, and what they write (the router guesses
    their language from the opening text, as it would for a real texter)."""

    code: str
    share: float
    opening: str
    follow_up: str


@dataclass(frozen=True)
class Scenario:
    """One scenario file: who texts when, who is on shift, and the line's policy."""

    name: str
    title: str
    seed: int
    start: datetime
    hours: int
    arrivals_per_hour: tuple[float, ...]
    conversation_minutes: Distribution
    escalation_share: float
    patience_minutes: Distribution
    writes_every_minutes: float
    languages: tuple[TexterLanguage, ...]
    volunteers: tuple[VolunteerPlan, ...]
    # TOML-shaped overrides of the line's config (`[shifts]`, `[routing]`, ...), read-only.
    policy: Mapping[str, Mapping[str, Any]]

    @property
    def end(self) -> datetime:
        return self.start + self.hours * HOUR

    def roster(self, size: int | None = None) -> tuple[VolunteerPlan, ...]:
        """The first `size` volunteers listed; past the list, the list again (same shift
        windows) under numbered aliases, so a roster grows evenly across the shifts."""
        if size is None:
            return self.volunteers
        return tuple(self._nth_volunteer(index) for index in range(size))

    def _nth_volunteer(self, index: int) -> VolunteerPlan:
        plan = self.volunteers[index % len(self.volunteers)]
        lap = index // len(self.volunteers)
        return plan if lap == 0 else replace(plan, alias=f"{plan.alias}-{lap + 1}")


SCENARIO_KEYS = {
    "title",
    "seed",
    "start",
    "hours",
    "arrivals",
    "conversations",
    "texters",
    "volunteer_defaults",
    "volunteers",
    "policy",
}


def load_scenario(path: Path, seed: int | None = None) -> Scenario:
    """Read a scenario file (config/scenarios/*.toml); `seed` replaces the file's seed."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"cannot read scenario {path}: {error}") from error
    _only(data, SCENARIO_KEYS, "scenario")
    hours = int(_required(data, "hours", "scenario"))
    if hours < 1:
        raise ScenarioError("`hours` must be 1 or more")
    arrivals = _table(data, "arrivals")
    _only(arrivals, {"per_hour"}, "[arrivals]")
    per_hour = tuple(float(rate) for rate in _required(arrivals, "per_hour", "[arrivals]"))
    if len(per_hour) != hours or any(rate < 0 for rate in per_hour):
        raise ScenarioError(f"[arrivals] per_hour needs {hours} rates of 0 or more (one per hour), got {len(per_hour)}")
    conversations = _table(data, "conversations")
    _only(conversations, {"minutes", "escalation_share"}, "[conversations]")
    texters = _table(data, "texters")
    _only(texters, {"patience_minutes", "writes_every_minutes", "languages"}, "[texters]")
    defaults = _table(data, "volunteer_defaults")
    volunteers = tuple(
        _volunteer(entry, defaults, number) for number, entry in enumerate(data.get("volunteers", []), start=1)
    )
    if not volunteers:
        raise ScenarioError("the scenario lists no [[volunteers]]")
    return Scenario(
        name=path.stem,
        title=str(data.get("title", path.stem)),
        seed=int(_required(data, "seed", "scenario")) if seed is None else seed,
        start=_start(_required(data, "start", "scenario")),
        hours=hours,
        arrivals_per_hour=per_hour,
        conversation_minutes=_distribution(
            _required(conversations, "minutes", "[conversations]"), "[conversations] minutes"
        ),
        escalation_share=_share(conversations.get("escalation_share", 0.0), "[conversations] escalation_share"),
        patience_minutes=_distribution(
            _required(texters, "patience_minutes", "[texters]"), "[texters] patience_minutes"
        ),
        writes_every_minutes=_positive(
            _required(texters, "writes_every_minutes", "[texters]"), "[texters] writes_every_minutes"
        ),
        languages=_languages(_table(texters, "languages")),
        volunteers=volunteers,
        policy={section: dict(values) for section, values in _table(data, "policy").items()},
    )


def _required(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ScenarioError(f"{where} needs `{key}`")
    return table[key]


def _table(table: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = table.get(key, {})
    if not isinstance(value, Mapping):
        raise ScenarioError(f"`{key}` must be a table")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """A misspelt key would otherwise be silently ignored and the default simulated instead."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}")


def _start(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ScenarioError("`start` needs a zone offset, e.g. 2026-11-27T18:00:00-05:00")
    return moment


def _positive(value: Any, where: str) -> float:
    number = float(value)
    if number <= 0:
        raise ScenarioError(f"{where} must be more than 0")
    return number


def _share(value: Any, where: str) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ScenarioError(f"{where} must be between 0 and 1")
    return share


def _distribution(value: Any, where: str) -> Distribution:
    """A number (always that), `{ median, sigma }` (lognormal) or `{ low, mode, high }`
    (triangular). Every distribution here is a duration, so none may go below zero."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return Fixed(float(value))
    if isinstance(value, Mapping) and set(value) == {"median", "sigma"} and value["median"] > 0 and value["sigma"] >= 0:
        return Lognormal(float(value["median"]), float(value["sigma"]))
    if (
        isinstance(value, Mapping)
        and set(value) == {"low", "mode", "high"}
        and 0 <= value["low"] <= value["mode"] <= value["high"]
    ):
        return Triangular(float(value["low"]), float(value["mode"]), float(value["high"]))
    raise ScenarioError(
        f"{where}: expected a number >= 0, {{ median > 0, sigma >= 0 }} or {{ low, mode, high }}"
        " with 0 <= low <= mode <= high,"
        f" got {value!r}"
    )


def _languages(table: Mapping[str, Any]) -> tuple[TexterLanguage, ...]:
    languages = []
    for code, entry in table.items():
        _only(entry, {"share", "opening", "follow_up"}, f"[texters.languages.{code}]")
        where = f"[texters.languages.{code}]"
        languages.append(
            TexterLanguage(
                code,
                _share(_required(entry, "share", where), f"{where} share"),
                str(_required(entry, "opening", where)),
                str(_required(entry, "follow_up", where)),
            )
        )
    if not languages or not math.isclose(sum(language.share for language in languages), 1.0, abs_tol=1e-6):
        raise ScenarioError("[texters.languages.*] shares must add up to 1")
    return tuple(languages)


VOLUNTEER_KEYS = {
    "languages",
    "response_delay_seconds",
    "accept_probability",
    "pass_probability",
    "ok_after_minutes",
    "max_concurrent",
    "break_after_hours",
}


def _volunteer(entry: Mapping[str, Any], defaults: Mapping[str, Any], number: int) -> VolunteerPlan:
    where = f"[[volunteers]] #{number}"
    _only(defaults, VOLUNTEER_KEYS, "[volunteer_defaults]")
    _only(entry, VOLUNTEER_KEYS | {"alias", "shifts"}, where)
    merged = {**defaults, **entry}
    shifts = tuple(ShiftWindow(float(start), float(end)) for start, end in _required(merged, "shifts", where))
    if any(window.end_hour <= window.start_hour for window in shifts):
        raise ScenarioError(f"{where}: each shift is [start, end] in hours from the start, with end after start")
    accept = _share(_required(merged, "accept_probability", where), f"{where} accept_probability")
    passing = _share(merged.get("pass_probability", 0.0), f"{where} pass_probability")
    if accept + passing > 1:
        raise ScenarioError(f"{where}: accept_probability + pass_probability is more than 1")
    personal = merged.get("max_concurrent")
    break_after = merged.get("break_after_hours")
    return VolunteerPlan(
        alias=str(_required(merged, "alias", where)),
        languages=tuple(_required(merged, "languages", where)),
        shifts=shifts,
        response_delay_seconds=_distribution(
            _required(merged, "response_delay_seconds", where), f"{where} response_delay_seconds"
        ),
        accept_probability=accept,
        pass_probability=passing,
        ok_after_minutes=_distribution(_required(merged, "ok_after_minutes", where), f"{where} ok_after_minutes"),
        max_concurrent=None if personal is None else int(personal),
        break_after_hours=None if break_after is None else float(break_after),
    )


# What the scenario sends: texters, and volunteers' answers.


@dataclass(frozen=True)
class TexterPlan:
    """One texter, decided before the night starts so every roster size meets the same people."""

    index: int
    arrives_at: datetime
    language: TexterLanguage
    patience: timedelta
    conversation_length: timedelta
    escalates: bool


def plan_texters(scenario: Scenario) -> tuple[TexterPlan, ...]:
    """Poisson arrivals at each hour's rate, each texter's patience and needs drawn with them
    from the texters' own generator (so the roster never changes who comes, nor when)."""
    rng = random.Random(f"{scenario.seed}:texters")
    plans: list[TexterPlan] = []
    for hour, rate in enumerate(scenario.arrivals_per_hour):
        for offset in _poisson_offsets(rng, rate):
            plans.append(
                TexterPlan(
                    index=len(plans),
                    arrives_at=scenario.start + (hour + offset) * HOUR,
                    language=_pick_language(rng, scenario.languages),
                    patience=timedelta(minutes=scenario.patience_minutes.draw(rng)),
                    conversation_length=timedelta(minutes=max(1.0, scenario.conversation_minutes.draw(rng))),
                    escalates=rng.random() < scenario.escalation_share,
                )
            )
    return tuple(plans)


def _poisson_offsets(rng: random.Random, rate: float) -> Iterable[float]:
    """Arrival moments within one hour (as fractions of it) at `rate` per hour."""
    if rate <= 0:
        return
    moment = rng.expovariate(rate)
    while moment < 1:
        yield moment
        moment += rng.expovariate(rate)


def _pick_language(rng: random.Random, languages: Sequence[TexterLanguage]) -> TexterLanguage:
    return rng.choices(languages, weights=[language.share for language in languages])[0]


class Answer(StrEnum):
    YES = "#yes"
    PASS = "#pass"
    NONE = ""  # the offer is left to time out


def answer_offer(volunteer: VolunteerPlan, rng: random.Random) -> tuple[Answer, timedelta]:
    """What a volunteer does with an offer, and after how long."""
    draw = rng.random()
    delay = timedelta(seconds=volunteer.response_delay_seconds.draw(rng))
    if draw < volunteer.accept_probability:
        return Answer.YES, delay
    if draw < volunteer.accept_probability + volunteer.pass_probability:
        return Answer.PASS, delay
    return Answer.NONE, delay


# What happened, as read back from the router's tables, and the figures made of it.


class Outcome(StrEnum):
    CONNECTED = "connected"
    GAVE_UP = "gave_up"
    WAITING = "waiting"  # still in line when the simulation ends
    LOST = "lost"  # none of the above: the router dropped them (never expected)


@dataclass(frozen=True)
class TexterRecord:
    """How one texter's night went, read back from their conversation."""

    arrived_at: datetime
    connected_at: datetime | None
    outcome: Outcome


@dataclass(frozen=True)
class Span:
    """A volunteer's shift, or a conversation they held; `end` None when still open at the end."""

    volunteer_id: int
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class HourFigures:
    """One row of the report. Texters count in the hour they arrived in; waits are those of
    the texters who got through (queued to assigned), the others count as gave up or waiting.
    Volunteers count by the minutes of the hour they were on shift."""

    hour: int
    starts_at: datetime
    arrived: int
    connected: int
    gave_up: int
    waiting_at_end: int
    wait_p50_minutes: float | None  # None when nobody who arrived this hour was connected
    wait_p90_minutes: float | None
    volunteers_on_shift: float  # on-shift volunteer-minutes / 60
    mean_load: float | None  # active conversations per on-shift volunteer; None when nobody was on shift
    utilisation: float | None  # that load as a share of their concurrent capacity
    peak_load: int  # most conversations one volunteer held at once
    limits_hit: Mapping[str, int]  # on-shift volunteer-minutes refused by each limit


@dataclass(frozen=True)
class Totals:
    """The same figures over the whole run, and what only makes sense for the whole."""

    arrived: int
    connected: int
    gave_up: int
    waiting_at_end: int
    lost: int
    gave_up_percent: float
    wait_p50_minutes: float | None
    wait_p90_minutes: float | None
    mean_load: float | None
    utilisation: float | None
    peak_load: int
    escalations: int
    offers: Mapping[str, int]  # offers made, by how they ended (accepted, declined, expired, withdrawn)
    limits_hit: Mapping[str, int]
    shift_starts_refused: Mapping[str, int]


@dataclass(frozen=True)
class SimulationResult:
    """What report.md, report.json and chart.png are written from."""

    scenario: str
    title: str
    seed: int
    volunteers: int
    timezone: str
    policy: Mapping[str, Mapping[str, Any]]
    hours: tuple[HourFigures, ...]
    totals: Totals
    turns: int
    seconds: float
    # With the rota as the shift plan: its places no volunteer could take (None without a rota).
    rota_unfilled: int | None = None


@dataclass(frozen=True)
class Night:
    """Everything measured about one run, before it is cut into hours."""

    start: datetime
    end: datetime
    texters: tuple[TexterRecord, ...]
    shifts: tuple[Span, ...]
    conversations: tuple[Span, ...]
    capacity: Mapping[int, int]  # each volunteer's concurrency limit
    limit_minutes: Mapping[int, Mapping[str, int]]  # hour -> limit -> volunteer-minutes
    escalations: int
    offers: Mapping[str, int]
    shift_starts_refused: Mapping[str, int]


def hourly_figures(night: Night) -> tuple[HourFigures, ...]:
    hours = int((night.end - night.start) / HOUR)
    return tuple(_hour_figures(night, hour) for hour in range(hours))


def _hour_figures(night: Night, hour: int) -> HourFigures:
    window = (night.start + hour * HOUR, night.start + (hour + 1) * HOUR)
    arrived = [texter for texter in night.texters if window[0] <= texter.arrived_at < window[1]]
    waits = _waits(arrived)
    load = _load(night, *window)
    return HourFigures(
        hour=hour,
        starts_at=window[0],
        arrived=len(arrived),
        connected=_count(arrived, Outcome.CONNECTED),
        gave_up=_count(arrived, Outcome.GAVE_UP),
        waiting_at_end=_count(arrived, Outcome.WAITING),
        wait_p50_minutes=percentile(waits, 0.5),
        wait_p90_minutes=percentile(waits, 0.9),
        volunteers_on_shift=load.on_shift_minutes / 60,
        mean_load=load.mean,
        utilisation=load.utilisation,
        peak_load=_peak_load(night.conversations, *window),
        limits_hit=dict(night.limit_minutes.get(hour, {})),
    )


def total_figures(night: Night) -> Totals:
    texters = night.texters
    waits = _waits(texters)
    load = _load(night, night.start, night.end)
    limits: Counter[str] = Counter()
    for minutes in night.limit_minutes.values():
        limits.update(minutes)
    return Totals(
        arrived=len(texters),
        connected=_count(texters, Outcome.CONNECTED),
        gave_up=_count(texters, Outcome.GAVE_UP),
        waiting_at_end=_count(texters, Outcome.WAITING),
        lost=_count(texters, Outcome.LOST),
        gave_up_percent=100 * _count(texters, Outcome.GAVE_UP) / len(texters) if texters else 0.0,
        wait_p50_minutes=percentile(waits, 0.5),
        wait_p90_minutes=percentile(waits, 0.9),
        mean_load=load.mean,
        utilisation=load.utilisation,
        peak_load=_peak_load(night.conversations, night.start, night.end),
        escalations=night.escalations,
        offers=dict(night.offers),
        limits_hit=dict(limits.most_common()),
        shift_starts_refused=dict(night.shift_starts_refused),
    )


def _count(texters: Iterable[TexterRecord], outcome: Outcome) -> int:
    return sum(texter.outcome is outcome for texter in texters)


def _waits(texters: Iterable[TexterRecord]) -> list[float]:
    return [
        (texter.connected_at - texter.arrived_at) / timedelta(minutes=1)
        for texter in texters
        if texter.connected_at is not None
    ]


def percentile(values: Sequence[float], share: float) -> float | None:
    """Linear interpolation between the closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class _Load:
    on_shift_minutes: float
    mean: float | None
    utilisation: float | None


def _load(night: Night, start: datetime, end: datetime) -> _Load:
    """Conversation time that fell within its volunteer's shift, per on-shift minute and per
    minute of capacity (a volunteer finishing a conversation after `#off` is not on shift)."""
    on_shift = capacity = held = 0.0
    conversations = _by_volunteer(night.conversations)
    for shift in night.shifts:
        shift_start, shift_end = max(shift.start, start), min(_end(shift, night), end)
        minutes = _minutes(shift_start, shift_end)
        on_shift += minutes
        capacity += minutes * night.capacity[shift.volunteer_id]
        for conversation in conversations.get(shift.volunteer_id, []):
            held += _minutes(max(conversation.start, shift_start), min(_end(conversation, night), shift_end))
    return _Load(on_shift, held / on_shift if on_shift else None, held / capacity if capacity else None)


def _by_volunteer(spans: Iterable[Span]) -> dict[int, list[Span]]:
    grouped: dict[int, list[Span]] = {}
    for span in spans:
        grouped.setdefault(span.volunteer_id, []).append(span)
    return grouped


def _end(span: Span, night: Night) -> datetime:
    return night.end if span.end is None else min(span.end, night.end)


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start) / timedelta(minutes=1))


def _peak_load(conversations: Sequence[Span], start: datetime, end: datetime) -> int:
    """Exact, not sampled: the load can only rise when a conversation starts, so it is enough
    to count at the window's start and at each start inside it."""
    peak = 0
    for held in _by_volunteer(conversations).values():
        moments = [start, *(span.start for span in held if start < span.start < end)]
        for moment in moments:
            peak = max(peak, sum(span.start <= moment and (span.end is None or moment < span.end) for span in held))
    return peak


# The operator's question: the smallest roster that meets the targets.


@dataclass(frozen=True)
class Target:
    """What the operator asks of a roster (--target-p90-wait-minutes, --target-gave-up-percent)."""

    p90_wait_minutes: float
    gave_up_percent: float


@dataclass(frozen=True)
class StaffingRow:
    """One roster size of a --staff-range run."""

    volunteers: int
    wait_p90_minutes: float | None
    # The night's figure can hide a bad peak: the worst hour, for the operator's eye.
    worst_hour_wait_p90_minutes: float | None
    gave_up_percent: float
    mean_load: float | None
    meets_target: bool


def staffing_row(result: SimulationResult, target: Target) -> StaffingRow:
    totals = result.totals
    hourly = [hour.wait_p90_minutes for hour in result.hours if hour.wait_p90_minutes is not None]
    return StaffingRow(
        volunteers=result.volunteers,
        wait_p90_minutes=totals.wait_p90_minutes,
        worst_hour_wait_p90_minutes=max(hourly, default=None),
        gave_up_percent=totals.gave_up_percent,
        mean_load=totals.mean_load,
        meets_target=meets(totals, target),
    )


def meets(totals: Totals, target: Target) -> bool:
    """Nobody waiting counts as meeting the wait target; a night where nobody got through does not."""
    if totals.arrived == 0:
        return True
    wait_ok = totals.wait_p90_minutes is not None and totals.wait_p90_minutes <= target.p90_wait_minutes
    return wait_ok and totals.gave_up_percent <= target.gave_up_percent


def smallest_roster(rows: Sequence[StaffingRow]) -> int | None:
    return min((row.volunteers for row in rows if row.meets_target), default=None)


# The rota as the shift plan (`simulate.py --rota FILE`): the weekly slots a supervisor keeps on
# the dashboard's Rota page, written as TOML, filled from the roster in turn under the line's
# shift limits (the same rule `#take` applies), instead of each volunteer's own `shifts`.

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def load_rota(path: Path) -> tuple[Slot, ...]:
    """A rota file: `[[slots]]` each with `weekday` (a name), `starts` and `ends` ("18:00", in
    the line's zone; an end at or before the start is the next day) and `needed`."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ScenarioError(f"cannot read rota {path}: {error}") from error
    _only(data, {"slots"}, "rota")
    slots = []
    for number, entry in enumerate(data.get("slots", []), start=1):
        where = f"[[slots]] #{number}"
        _only(entry, {"weekday", "starts", "ends", "needed"}, where)
        weekday = str(_required(entry, "weekday", where)).lower()
        if weekday not in WEEKDAYS:
            raise ScenarioError(f"{where}: weekday must be one of {', '.join(WEEKDAYS)}")
        try:
            starts, ends = time.fromisoformat(entry["starts"]), time.fromisoformat(entry["ends"])
        except (KeyError, TypeError, ValueError) as error:
            raise ScenarioError(f'{where}: starts and ends are times such as "18:00"') from error
        needed = int(_required(entry, "needed", where))
        if needed < 1 or starts == ends:
            raise ScenarioError(f"{where}: needed is 1 or more, and ends differs from starts")
        slots.append(Slot(number, WEEKDAYS.index(weekday), starts, ends, needed))
    if not slots:
        raise ScenarioError("the rota lists no [[slots]]")
    return tuple(slots)


@dataclass(frozen=True)
class RotaPlan:
    roster: tuple[VolunteerPlan, ...]
    # Places of the rota's shifts in the scenario's window that no volunteer of the roster could
    # take within the shift limits.
    unfilled: int


def plan_from_rota(
    scenario: Scenario, roster: Sequence[VolunteerPlan], slots: Sequence[Slot], timezone: str, limits: ShiftLimits
) -> RotaPlan:
    """The roster with the rota's shifts in the scenario's window as their shift plan: each
    place goes to the next volunteer in turn whom `routing.rota.signup_refusal` lets take it."""
    found = occurrences(slots, [], timezone, scenario.start, scenario.end)
    taken: list[list[Occurrence]] = [[] for _ in roster]
    turn = 0
    unfilled = 0
    for occurrence in found:
        for _ in range(occurrence.needed):
            for step in range(len(roster)):
                index = (turn + step) % len(roster)
                if occurrence in taken[index] or signup_refusal(occurrence, [], taken[index], limits) is not None:
                    continue
                taken[index].append(occurrence)
                turn = index + 1
                break
            else:
                unfilled += 1

    def window(occurrence: Occurrence) -> ShiftWindow:
        start = max(occurrence.starts_at, scenario.start)
        end = min(occurrence.ends_at, scenario.end)
        return ShiftWindow((start - scenario.start) / HOUR, (end - scenario.start) / HOUR)

    planned = tuple(
        replace(plan, shifts=tuple(window(occurrence) for occurrence in taken[index]))
        for index, plan in enumerate(roster)
    )
    return RotaPlan(planned, unfilled)
