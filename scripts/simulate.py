"""Staffing simulator: plays a scenario (config/scenarios/*.toml) against the real router under
a simulated clock, and reports waits, give-ups, volunteer load and the limits that held
volunteers back, per hour, to answer "how many volunteers do we need with these limits?".

Every text goes through `service.sms.inbound.receive_sms` and every deadline through
`service.jobs.sweeper.sweep`, on SQLite in a temporary folder; nothing sleeps, nothing is sent
(outbox rows stay unsent) and RQ timers are ignored (the sweeper runs every deadline).

    .venv/bin/python -m scripts.simulate config/scenarios/friday-night.toml [--volunteers N]
        [--staff-range 4-12] [--target-p90-wait-minutes 5] [--target-gave-up-percent 5]
        [--out DIR] [--seed S] [--rota config/scenarios/rota.toml]

Writes report.md, report.json and chart.png (or, with --staff-range, staffing.md and
staffing.json) to --out, by default docs/simulations/<scenario>/, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import multiprocessing
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from routing import limits as rules
from routing.limits import VolunteerState
from routing.rota import Slot
from scripts.harness import seed
from scripts.staffing import (
    HOUR,
    Answer,
    HourFigures,
    Night,
    Outcome,
    Scenario,
    ScenarioError,
    SimulationResult,
    Span,
    StaffingRow,
    Target,
    TexterPlan,
    TexterRecord,
    VolunteerPlan,
    answer_offer,
    hourly_figures,
    load_rota,
    load_scenario,
    plan_from_rota,
    plan_texters,
    smallest_roster,
    staffing_row,
    total_figures,
)
from service.conversations import shifts
from service.db import OPEN_STATUSES, Conversation, Escalation, Offer, Shift, Supervisor, Texter, Volunteer
from service.db.migrate import upgrade
from service.jobs import sweeper
from service.runtime import Runtime
from service.settings import Settings
from service.sms.inbound import InboundSms, receive_sms

ROOT = Path(__file__).resolve().parents[1]

MINUTE = timedelta(minutes=1)
SUPERVISOR_PHONE = "+16469999999"


def _environment(database: Path) -> dict[str, str]:
    """Only the database is real; nothing reaches Redis, Twilio or the public URL."""
    return {
        "DATABASE_URL": f"sqlite:///{database}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "WARMLINE_PUBLIC_URL": "https://warmline.invalid",
        "WARMLINE_SECRET_KEY": "simulation-secret-key-not-secret",
        "WARMLINE_DATA_KEY": "simulation-data-key-not-secret",
    }


def migrated_database(folder: Path) -> Path:
    """A freshly migrated SQLite file, copied for each run: migrating once per roster size
    would cost more than some runs."""
    path = folder / "template.db"
    engine = Runtime(Settings.from_environment(_environment(path))).engine
    upgrade(engine)
    engine.dispose()  # closing the last connection folds SQLite's write-ahead log into the file
    return path


def texter_phone(index: int) -> str:
    return f"+1917{index:07d}"


def volunteer_phone(index: int) -> str:
    return f"+1646{index:07d}"


def open_line(
    template: Path, folder: Path, scenario: Scenario, roster: Sequence[VolunteerPlan]
) -> tuple[Runtime, list[int]]:
    """A copy of the template with the scenario's policy, its volunteers and a supervisor on
    call (so escalations have someone to alert); returns the runtime and the volunteers' ids."""
    database = folder / f"{scenario.name}-{len(roster)}-{secrets.token_hex(4)}.db"
    shutil.copy(template, database)
    runtime = Runtime(Settings.from_environment(_environment(database), overrides=scenario.policy))
    with runtime.sessions() as session, session.begin():
        volunteers = [
            Volunteer(
                **seed.volunteer(
                    plan.alias,
                    volunteer_phone(index),
                    scenario.start,
                    name=plan.alias,
                    languages=",".join(plan.languages),
                    max_concurrent=plan.max_concurrent,
                ),
            )
            for index, plan in enumerate(roster)
        ]
        session.add_all(volunteers)
        no_login = {"email": "supervisor@warmline.invalid", "password_hash": "!simulation-no-login"}
        session.add(Supervisor(**seed.supervisor("Supervisor", SUPERVISOR_PHONE, scenario.start, **no_login)))
        session.flush()
        return runtime, [volunteer.id for volunteer in volunteers]


@dataclass(frozen=True)
class SweepDeadlines:
    """When one of `service.jobs.sweeper.sweep`'s queries next finds work (stuck outbox rows aside:
    nothing is delivered here). Sweeps before then would find nothing, so the simulator skips
    them, which keeps a week fast. It mirrors the sweeper's conditions; tests/test_simulate.py
    checks that sweeping at every step gives the same night."""

    statement: Select[*tuple[Any, ...]]
    offsets: tuple[timedelta, ...]

    @classmethod
    def of(cls, runtime: Runtime) -> SweepDeadlines:
        """Built once per run: the statement is the same after every turn."""
        routing, limits = runtime.settings.routing, runtime.shift_limits
        open_shift = Shift.ended_at.is_(None)
        candidates = (
            (select(func.min(Offer.expires_at)).where(Offer.status == "pending"), timedelta()),
            (
                select(func.min(Conversation.last_texter_at)).where(Conversation.status == "active"),
                timedelta(minutes=routing.texter_inactivity_minutes),
            ),
            (select(func.min(Volunteer.break_until)), timedelta()),
            (select(func.min(Volunteer.cooldown_until)), timedelta()),
            (
                select(func.min(Shift.planned_end_at)).where(open_shift, ~Shift.wrap_up_told),
                -timedelta(minutes=limits.wrap_up_minutes),
            ),
            (select(func.min(Shift.planned_end_at)).where(open_shift), timedelta()),
            (
                select(func.min(Shift.started_at)).where(
                    open_shift, Shift.conversations_taken >= limits.max_conversations_per_shift
                ),
                timedelta(),
            ),
            (
                select(func.min(Escalation.opened_at)).where(
                    Escalation.acknowledged_at.is_(None), Escalation.realerted_at.is_(None)
                ),
                timedelta(minutes=runtime.settings.escalation.realert_after_minutes),
            ),
        )
        return cls(
            select(*(query.scalar_subquery() for query, _ in candidates)), tuple(offset for _, offset in candidates)
        )

    def earliest(self, session: Session) -> datetime | None:
        row = session.execute(self.statement).one()
        return min(
            (moment + offset for moment, offset in zip(row, self.offsets, strict=True) if moment is not None),
            default=None,
        )


# What happens on the line, each at its simulated moment.


@dataclass(frozen=True)
class TexterArrives:
    texter: TexterPlan


@dataclass(frozen=True)
class TexterGivesUp:
    texter: TexterPlan
    conversation_id: int


@dataclass(frozen=True)
class TexterWrites:
    texter: TexterPlan
    conversation_id: int


@dataclass(frozen=True)
class VolunteerAnswers:
    volunteer: int  # index in the roster
    offer_id: int
    answer: Answer


@dataclass(frozen=True)
class VolunteerEscalates:
    volunteer: int
    conversation_id: int


@dataclass(frozen=True)
class VolunteerEnds:
    volunteer: int
    conversation_id: int


@dataclass(frozen=True)
class VolunteerReady:
    volunteer: int


@dataclass(frozen=True)
class VolunteerBreaks:
    volunteer: int


@dataclass(frozen=True)
class ShiftStarts:
    volunteer: int


@dataclass(frozen=True)
class ShiftEnds:
    volunteer: int


Event = (
    TexterArrives
    | TexterGivesUp
    | TexterWrites
    | VolunteerAnswers
    | VolunteerEscalates
    | VolunteerEnds
    | VolunteerReady
    | VolunteerBreaks
    | ShiftStarts
    | ShiftEnds
)


class Simulation:
    """One run: the scenario's people texting the router, the sweeper on the line's own
    interval, and what each phone would have been told read back from the tables."""

    def __init__(
        self,
        runtime: Runtime,
        scenario: Scenario,
        roster: Sequence[VolunteerPlan],
        volunteer_ids: Sequence[int],
        sweep_every_step: bool,
    ) -> None:
        self.runtime = runtime
        self.scenario = scenario
        self.roster = roster
        self.volunteer_ids = list(volunteer_ids)
        self.index_of = {volunteer_id: index for index, volunteer_id in enumerate(volunteer_ids)}
        # One generator per volunteer: a larger roster does not change how the first ones answer.
        self.behaviour = [random.Random(f"{scenario.seed}:volunteer:{index}") for index in range(len(volunteer_ids))]
        self.main_number = runtime.settings.line.main_number
        self.step = timedelta(seconds=runtime.settings.delivery.sweep_interval_seconds)
        self.sweep_every_step = sweep_every_step
        self.now = scenario.start
        self.events: list[tuple[datetime, int, Event]] = []
        self.order = itertools.count()
        self.sids = itertools.count()
        self.turns = 0
        self.last_offer_id = 0
        self.ok_scheduled: set[int] = set()  # volunteers who will text #ok after a check-in
        self.texter_of: dict[int, TexterPlan] = {}  # conversation id -> texter
        self.unrouted: list[TexterPlan] = []  # texted, but the router opened no conversation
        self.deadlines = SweepDeadlines.of(runtime)
        self.deadline: datetime | None = None
        self.last_sweep: datetime | None = None
        self.next_sample = scenario.start
        self.states: dict[int, VolunteerState] | None = None  # None: changed since last read
        self.limit_minutes: defaultdict[int, Counter[str]] = defaultdict(Counter)
        self.refused: Counter[str] = Counter()

    def run(self, texters: Iterable[TexterPlan]) -> None:
        for texter in texters:
            self._at(texter.arrives_at, TexterArrives(texter))
        for index, plan in enumerate(self.roster):
            self._plan_shifts(index, plan)
        while self._step():
            pass

    def _plan_shifts(self, index: int, plan: VolunteerPlan) -> None:
        """`#on`, `#break` and `#off` as the shift plan says; the router may still refuse or end a shift."""
        for window in plan.shifts:
            self._at(self.scenario.start + window.start_hour * HOUR, ShiftStarts(index))
            self._at(self.scenario.start + window.end_hour * HOUR, ShiftEnds(index))
            if plan.break_after_hours is not None and window.start_hour + plan.break_after_hours < window.end_hour:
                self._at(
                    self.scenario.start + (window.start_hour + plan.break_after_hours) * HOUR, VolunteerBreaks(index)
                )

    def _at(self, moment: datetime, event: Event) -> None:
        heapq.heappush(self.events, (moment, next(self.order), event))

    def _step(self) -> bool:
        """Whatever comes next: a sweep on the line's interval, a look at the limits each
        minute, or an event; False at the end. A sweep or an event may schedule events
        earlier than the next one, so the next step is chosen afresh each time."""
        until = min(self.events[0][0], self.scenario.end) if self.events else self.scenario.end
        sweep_at = self._next_sweep()
        if sweep_at is not None and sweep_at < until and sweep_at <= self.next_sample:
            self._sweep(sweep_at)
        elif self.next_sample < until:
            self._sample(self.next_sample)
            self.next_sample += MINUTE
        elif until < self.scenario.end:
            self.now, _, event = heapq.heappop(self.events)
            turns = self.turns
            self._handle(event)
            if self.turns != turns:  # many events find nothing left to do (a connected texter's patience)
                self._observe()
        else:
            return False
        return True

    def _next_sweep(self) -> datetime | None:
        if self.sweep_every_step:
            due: datetime | None = self.now
        else:
            due = None if self.deadline is None else max(self.deadline, self.now)
        if due is None:
            return None
        tick = self.scenario.start + math.ceil((due - self.scenario.start) / self.step) * self.step
        if self.last_sweep is not None and tick <= self.last_sweep:
            tick = self.last_sweep + self.step
        return tick

    def _sweep(self, at: datetime) -> None:
        self.now = self.last_sweep = at
        self.turns += len(sweeper.sweep(self.runtime, at))
        self._observe()

    def _sample(self, at: datetime) -> None:
        """Which limit refuses each on-shift volunteer at this minute (the state is re-read
        only after a turn; between turns only the clock moves)."""
        if self.states is None:
            with self.runtime.sessions() as session:
                self.states = shifts.volunteer_states(session, self.volunteer_ids, at)
        hour = int((at - self.scenario.start) / HOUR)
        for state in self.states.values():
            if state.on_shift_since is None:
                continue
            refusal = rules.refusal(state, self.runtime.shift_limits, at)
            if refusal is not None:
                self.limit_minutes[hour][refusal.limit] += 1

    def _observe(self) -> None:
        """After a turn, what the phones would now show: new offers, check-ins awaiting #ok;
        and when the sweeper will next have work."""
        with self.runtime.sessions() as session:
            offers = session.execute(
                select(Offer.id, Offer.volunteer_id)
                .where(Offer.status == "pending", Offer.id > self.last_offer_id)
                .order_by(Offer.id)
            ).all()
            paused = session.scalars(select(Volunteer.id).where(Volunteer.awaiting_ok)).all()
            self.deadline = self.deadlines.earliest(session)
        self.states = None
        for offer_id, volunteer_id in offers:
            self.last_offer_id = offer_id
            index = self.index_of[volunteer_id]
            answer, delay = answer_offer(self.roster[index], self.behaviour[index])
            if answer is not Answer.NONE:
                self._at(self.now + delay, VolunteerAnswers(index, offer_id, answer))
        for volunteer_id in sorted(set(paused) - self.ok_scheduled):
            self.ok_scheduled.add(volunteer_id)
            index = self.index_of[volunteer_id]
            delay = timedelta(minutes=self.roster[index].ok_after_minutes.draw(self.behaviour[index]))
            self._at(self.now + delay, VolunteerReady(index))

    # The people.

    def _text(self, sender: str, body: str, line_number: str) -> None:
        receive_sms(self.runtime, InboundSms(f"SMsimulated{next(self.sids):012d}", sender, line_number, body), self.now)
        self.turns += 1

    def _handle(self, event: Event) -> None:
        match event:
            case TexterArrives(texter):
                self._arrive(texter)
            case TexterGivesUp(texter, conversation_id):
                if self._status(conversation_id)[0] == "queued":
                    self._text(texter_phone(texter.index), "STOP", self.main_number)
            case TexterWrites(texter, conversation_id):
                if self._status(conversation_id)[0] == "active":
                    self._text(texter_phone(texter.index), texter.language.follow_up, self.main_number)
                    self._at(self.now + self.scenario.writes_every_minutes * MINUTE, event)
            case VolunteerAnswers(volunteer, offer_id, answer):
                self._answer(volunteer, offer_id, answer)
            case VolunteerEscalates(volunteer, conversation_id):
                self._in_thread(volunteer, conversation_id, "#escalate")
            case VolunteerEnds(volunteer, conversation_id):
                self._in_thread(volunteer, conversation_id, "#done")
            case VolunteerReady(volunteer):
                self.ok_scheduled.discard(self.volunteer_ids[volunteer])
                self._text(volunteer_phone(volunteer), "#ok", self.main_number)
            case VolunteerBreaks(volunteer):
                self._text(volunteer_phone(volunteer), "#break", self.main_number)
            case ShiftStarts(volunteer):
                self._start_shift(volunteer)
            case ShiftEnds(volunteer):
                self._text(volunteer_phone(volunteer), "#off", self.main_number)

    def _arrive(self, texter: TexterPlan) -> None:
        phone = texter_phone(texter.index)
        self._text(phone, texter.language.opening, self.main_number)
        with self.runtime.sessions() as session:
            conversation_id = session.scalars(
                select(Conversation.id)
                .join(Texter, Conversation.texter_id == Texter.id)
                .where(
                    Texter.phone_hash == self.runtime.vault.lookup_hash(phone), Conversation.status.in_(OPEN_STATUSES)
                )
            ).first()
        if conversation_id is None:
            self.unrouted.append(texter)
            return
        self.texter_of[conversation_id] = texter
        self._at(self.now + texter.patience, TexterGivesUp(texter, conversation_id))

    def _status(self, conversation_id: int) -> tuple[str, str | None]:
        with self.runtime.sessions() as session:
            conversation = session.get_one(Conversation, conversation_id)
            return conversation.status, conversation.line_number

    def _answer(self, volunteer: int, offer_id: int, answer: Answer) -> None:
        """A volunteer whose phone already says the offer timed out or was withdrawn does not answer it."""
        with self.runtime.sessions() as session:
            offer = session.get_one(Offer, offer_id)
            status, line_number, conversation_id = offer.status, offer.line_number, offer.conversation_id
        if status != "pending":
            return
        self._text(volunteer_phone(volunteer), answer.value, line_number)
        if answer is Answer.YES and self._status(conversation_id)[0] == "active":
            self._connected(volunteer, conversation_id)

    def _connected(self, volunteer: int, conversation_id: int) -> None:
        texter = self.texter_of[conversation_id]
        length = texter.conversation_length
        self._at(self.now + self.scenario.writes_every_minutes * MINUTE, TexterWrites(texter, conversation_id))
        if texter.escalates:
            self._at(self.now + length / 2, VolunteerEscalates(volunteer, conversation_id))
        self._at(self.now + length, VolunteerEnds(volunteer, conversation_id))

    def _in_thread(self, volunteer: int, conversation_id: int, command: str) -> None:
        status, line_number = self._status(conversation_id)
        if status == "active" and line_number is not None:
            self._text(volunteer_phone(volunteer), command, line_number)

    def _start_shift(self, volunteer: int) -> None:
        """`#on`; when the router refuses (rest between shifts, weekly hours), note which limit."""
        self._text(volunteer_phone(volunteer), "#on", self.main_number)
        volunteer_id = self.volunteer_ids[volunteer]
        with self.runtime.sessions() as session:
            if shifts.open_shift(session, volunteer_id) is not None:
                return
            history = shifts.past_shifts(session, volunteer_id, self.now)
        refusal = rules.shift_start_refusal(history, self.runtime.shift_limits, self.now)
        self.refused[refusal.limit if refusal else "unexplained"] += 1

    # What happened, read back from the router's tables.

    def night(self) -> Night:
        with self.runtime.sessions() as session:
            conversations = {
                row.id: row
                for row in session.execute(
                    select(
                        Conversation.id,
                        Conversation.status,
                        Conversation.queued_at,
                        Conversation.assigned_at,
                        Conversation.closed_at,
                        Conversation.close_reason,
                        Conversation.volunteer_id,
                    )
                )
            }
            shift_rows = session.execute(select(Shift.volunteer_id, Shift.started_at, Shift.ended_at)).all()
            escalations = session.scalar(select(func.count()).select_from(Escalation)) or 0
            offers = dict(
                session.execute(select(Offer.status, func.count()).group_by(Offer.status).order_by(Offer.status)).all()
            )
            personal = dict(session.execute(select(Volunteer.id, Volunteer.max_concurrent)).all())
        limits = self.runtime.shift_limits
        return Night(
            start=self.scenario.start,
            end=self.scenario.end,
            texters=(
                *(_texter_record(conversations[conversation_id]) for conversation_id in self.texter_of),
                *(TexterRecord(texter.arrives_at, None, Outcome.LOST) for texter in self.unrouted),
            ),
            shifts=tuple(Span(row.volunteer_id, row.started_at, row.ended_at) for row in shift_rows),
            conversations=tuple(
                Span(row.volunteer_id, row.assigned_at, row.closed_at if row.status == "closed" else None)
                for row in conversations.values()
                if row.assigned_at is not None and row.volunteer_id is not None
            ),
            capacity={
                volunteer_id: limits.concurrency_limit(personal.get(volunteer_id))
                for volunteer_id in self.volunteer_ids
            },
            limit_minutes={hour: dict(minutes) for hour, minutes in self.limit_minutes.items()},
            escalations=int(escalations),
            offers=offers,
            shift_starts_refused=dict(self.refused),
        )


def _texter_record(conversation: Row[*tuple[Any, ...]]) -> TexterRecord:
    """How a texter's night ended, from their conversation's row."""
    if conversation.assigned_at is not None:
        outcome = Outcome.CONNECTED
    elif conversation.status == "closed" and conversation.close_reason == "texter_stop":
        outcome = Outcome.GAVE_UP
    elif conversation.status == "queued":
        outcome = Outcome.WAITING
    else:
        outcome = Outcome.LOST
    return TexterRecord(conversation.queued_at, conversation.assigned_at, outcome)


def simulate(
    scenario: Scenario,
    template: Path,
    folder: Path,
    roster_size: int | None = None,
    sweep_every_step: bool = False,
    rota: Sequence[Slot] | None = None,
) -> SimulationResult:
    """Run one scenario with `roster_size` volunteers (the scenario's own roster by default).
    `sweep_every_step` sweeps on every step instead of only when a deadline is due (slower;
    the tests use it to check that skipping idle sweeps changes nothing). With a `rota`, its
    shifts are the volunteers' shift plan (`staffing.plan_from_rota`), not their own."""
    started = time.perf_counter()
    roster = scenario.roster(roster_size)
    runtime, volunteer_ids = open_line(template, folder, scenario, roster)
    unfilled = None
    if rota is not None:
        plan = plan_from_rota(scenario, roster, rota, runtime.settings.line.timezone, runtime.shift_limits)
        roster, unfilled = plan.roster, plan.unfilled
    try:
        simulation = Simulation(runtime, scenario, roster, volunteer_ids, sweep_every_step)
        simulation.run(plan_texters(scenario))
        night = simulation.night()
    finally:
        runtime.engine.dispose()
    settings = runtime.settings
    return SimulationResult(
        scenario=scenario.name,
        title=scenario.title,
        seed=scenario.seed,
        volunteers=len(roster),
        timezone=settings.line.timezone,
        policy={
            "shifts": asdict(settings.shifts),
            "routing": asdict(settings.routing),
            "line": {"numbers": len(settings.line.numbers)},
        },
        hours=hourly_figures(night),
        totals=total_figures(night),
        turns=simulation.turns,
        seconds=time.perf_counter() - started,
        rota_unfilled=unfilled,
    )


def simulate_sizes(
    scenario: Scenario, template: Path, folder: Path, sizes: Sequence[int], rota: Sequence[Slot] | None = None
) -> list[SimulationResult]:
    """Each roster size in a process of its own (the runs share nothing but the template
    file), so a range takes about as many minutes as its runs divided among the cores."""
    run = partial(_simulate_size, scenario, template, folder, rota)
    workers = min(len(sizes), os.cpu_count() or 1)
    if workers <= 1:
        return [run(size) for size in sizes]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(run, sizes))


def _simulate_size(
    scenario: Scenario, template: Path, folder: Path, rota: Sequence[Slot] | None, size: int
) -> SimulationResult:
    return simulate(scenario, template, folder, size, rota=rota)


# Reports.


def _cell(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _counts_cell(counts: Mapping[str, int]) -> str:
    """`max_concurrent 42, wrap_up 30`: largest first."""
    return (
        ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        or "–"
    )


def _table(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join("---" for _ in headings) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _hour_label(figures: HourFigures, zone: ZoneInfo) -> str:
    return figures.starts_at.astimezone(zone).strftime("%a %H:%M")


def markdown_report(result: SimulationResult) -> str:
    totals = result.totals
    zone = ZoneInfo(result.timezone)
    summary = _table(
        [
            "volunteers",
            "seed",
            "arrived",
            "connected",
            "gave up",
            "gave up %",
            "waiting at end",
            "lost",
            "wait p50 (min)",
            "wait p90 (min)",
            "mean load",
            "utilisation",
            "peak load",
            "escalations",
            "offers",
            "shift starts refused",
            "run time (s)",
        ],
        [
            [
                str(result.volunteers),
                str(result.seed),
                str(totals.arrived),
                str(totals.connected),
                str(totals.gave_up),
                _cell(totals.gave_up_percent),
                str(totals.waiting_at_end),
                str(totals.lost),
                _cell(totals.wait_p50_minutes),
                _cell(totals.wait_p90_minutes),
                _cell(totals.mean_load, 2),
                _percent(totals.utilisation),
                str(totals.peak_load),
                str(totals.escalations),
                _counts_cell(totals.offers),
                _counts_cell(totals.shift_starts_refused),
                _cell(result.seconds),
            ]
        ],
    )
    hourly = _table(
        [
            f"hour ({result.timezone})",
            "arrived",
            "connected",
            "gave up",
            "waiting at end",
            "wait p50 (min)",
            "wait p90 (min)",
            "on shift",
            "mean load",
            "utilisation",
            "peak load",
            "limits hit (volunteer-minutes)",
        ],
        (
            [
                _hour_label(hour, zone),
                str(hour.arrived),
                str(hour.connected),
                str(hour.gave_up),
                str(hour.waiting_at_end),
                _cell(hour.wait_p50_minutes),
                _cell(hour.wait_p90_minutes),
                _cell(hour.volunteers_on_shift),
                _cell(hour.mean_load, 2),
                _percent(hour.utilisation),
                str(hour.peak_load),
                _counts_cell(hour.limits_hit),
            ]
            for hour in result.hours
        ),
    )
    policy = _table(
        ["setting", "value"],
        (
            [f"{section}.{key}", str(value)]
            for section, values in result.policy.items()
            for key, value in values.items()
        ),
    )
    rota = (
        []
        if result.rota_unfilled is None
        else [f"Shift plan: the rota; {result.rota_unfilled} of its places no volunteer could take.", ""]
    )
    return "\n".join(
        [f"# {result.title}", "", *rota, *summary, "", "## Per hour", "", *hourly, "", "## Policy", "", *policy, ""]
    )


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO strings, floats rounded to what a report needs."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    return value


def json_report(result: SimulationResult) -> str:
    return json.dumps(_plain(asdict(result)), indent=2, ensure_ascii=False) + "\n"


def write_chart(result: SimulationResult, path: Path) -> None:
    """Waits, give-ups and load per hour, one panel each, on the Agg canvas (no display, no pyplot state)."""
    hours = result.hours
    x = [hour.hour for hour in hours]
    figure = Figure(figsize=(max(9.0, min(22.0, 0.12 * len(hours) + 6)), 9), layout="constrained")
    FigureCanvasAgg(figure)
    waits, people, load = figure.subplots(3, 1, sharex=True)
    figure.suptitle(f"{result.title}: {result.volunteers} volunteers, seed {result.seed}")
    waits.plot(x, [_nan(hour.wait_p50_minutes) for hour in hours], marker="o", label="wait p50")
    waits.plot(x, [_nan(hour.wait_p90_minutes) for hour in hours], marker="o", label="wait p90")
    waits.set_ylabel("minutes")
    waits.legend(loc="upper left")
    people.bar(x, [hour.arrived for hour in hours], color="#b8cfe6", label="arrived")
    people.bar(x, [hour.gave_up for hour in hours], color="#c0392b", label="gave up")
    people.set_ylabel("texters")
    people.legend(loc="upper left")
    load.bar(x, [hour.volunteers_on_shift for hour in hours], color="#dddddd", label="volunteers on shift")
    load.plot(x, [_nan(hour.mean_load) for hour in hours], color="#1f6f43", marker="o", label="mean load")
    load.axhline(
        result.policy["shifts"]["max_concurrent"], color="#888888", linestyle="--", linewidth=1, label="max_concurrent"
    )
    load.set_ylabel("volunteers / conversations")
    load.legend(loc="upper left")
    every = next(
        step for step in (1, 2, 3, 6, 12, 24, len(hours)) if len(hours) / step <= 28
    )  # whole hours of the clock
    zone = ZoneInfo(result.timezone)
    load.set_xticks(x[::every], [_hour_label(hour, zone) for hour in hours[::every]], rotation=45, ha="right")
    figure.savefig(path, dpi=100)


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def write_reports(result: SimulationResult, out: Path) -> str:
    markdown = markdown_report(result)
    (out / "report.md").write_text(markdown, encoding="utf-8")
    (out / "report.json").write_text(json_report(result), encoding="utf-8")
    write_chart(result, out / "chart.png")
    return markdown


def staffing_markdown(scenario: Scenario, rows: Sequence[StaffingRow], target: Target, seconds: float) -> str:
    table = _table(
        ["volunteers", "wait p90 (min)", "worst hour wait p90 (min)", "gave up %", "mean load", "meets target"],
        (
            [
                str(row.volunteers),
                _cell(row.wait_p90_minutes),
                _cell(row.worst_hour_wait_p90_minutes),
                _cell(row.gave_up_percent),
                _cell(row.mean_load, 2),
                "✓" if row.meets_target else "✗",
            ]
            for row in rows
        ),
    )
    smallest = smallest_roster(rows)
    answer = _table(
        ["seed", "target wait p90 (min)", "target gave up %", "smallest roster", "run time (s)"],
        [
            [
                str(scenario.seed),
                _cell(target.p90_wait_minutes),
                _cell(target.gave_up_percent),
                "–" if smallest is None else str(smallest),
                _cell(seconds),
            ]
        ],
    )
    return "\n".join([f"# {scenario.title}", "", *table, "", *answer, ""])


def staffing_json(
    scenario: Scenario, rows: Sequence[StaffingRow], target: Target, results: Sequence[SimulationResult], seconds: float
) -> str:
    report = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "target": asdict(target),
        "smallest_roster": smallest_roster(rows),
        "rows": [asdict(row) for row in rows],
        "totals": {str(result.volunteers): asdict(result.totals) for result in results},
        "seconds": seconds,
    }
    return json.dumps(_plain(report), indent=2, ensure_ascii=False) + "\n"


# The command line.


def _roster_size(text: str) -> int:
    size = int(text)
    if size < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more volunteers, got {size}")
    return size


def _staff_range(text: str) -> range:
    low, _, high = text.partition("-")
    try:
        first, last = int(low), int(high)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected A-B, e.g. 4-12, got {text!r}") from error
    if not 1 <= first <= last:
        raise argparse.ArgumentTypeError(f"expected 1 <= A <= B, got {text!r}")
    return range(first, last + 1)


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulate.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", type=Path, help="a scenario file, e.g. config/scenarios/friday-night.toml")
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--volunteers", type=_roster_size, metavar="N", help="roster size (default: the scenario's roster)"
    )
    size.add_argument("--staff-range", type=_staff_range, metavar="A-B", help="run each roster size from A to B")
    parser.add_argument("--target-p90-wait-minutes", type=float, default=5.0)
    parser.add_argument("--target-gave-up-percent", type=float, default=5.0)
    parser.add_argument("--out", type=Path, help="report folder (default: docs/simulations/<scenario>/)")
    parser.add_argument("--seed", type=int, help="replaces the scenario's seed")
    parser.add_argument(
        "--rota",
        type=Path,
        metavar="FILE",
        help="the rota's weekly slots (TOML) as the shift plan, e.g. config/scenarios/rota.toml",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments().parse_args(argv)
    try:
        scenario = load_scenario(args.scenario, args.seed)
        rota = load_rota(args.rota) if args.rota else None
    except ScenarioError as error:
        print(f"simulate.py: {error}", file=sys.stderr)
        return 2
    out = args.out or ROOT / "docs" / "simulations" / scenario.name
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="warmline-simulate-") as temporary:
        folder = Path(temporary)
        template = migrated_database(folder)
        if args.staff_range is None:
            markdown = write_reports(simulate(scenario, template, folder, args.volunteers, rota=rota), out)
        else:
            target = Target(args.target_p90_wait_minutes, args.target_gave_up_percent)
            markdown = write_staffing(scenario, template, folder, args.staff_range, target, out, rota)
    print(markdown, end="")
    return 0


def write_staffing(
    scenario: Scenario,
    template: Path,
    folder: Path,
    sizes: Sequence[int],
    target: Target,
    out: Path,
    rota: Sequence[Slot] | None = None,
) -> str:
    """Every roster size in the range, and the smallest that meets the target."""
    started = time.perf_counter()
    results = simulate_sizes(scenario, template, folder, sizes, rota)
    seconds = time.perf_counter() - started
    rows = [staffing_row(result, target) for result in results]
    markdown = staffing_markdown(scenario, rows, target, seconds)
    (out / "staffing.md").write_text(markdown, encoding="utf-8")
    (out / "staffing.json").write_text(staffing_json(scenario, rows, target, results, seconds), encoding="utf-8")
    return markdown


if __name__ == "__main__":
    sys.exit(main())
