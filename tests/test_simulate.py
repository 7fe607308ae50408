"""The staffing simulator (scripts/simulate.py) on a short evening: the real router on SQLite
under a simulated clock, and the figures an operator decides a roster by."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest

from routing.limits import ShiftLimits
from scripts.simulate import main, migrated_database, simulate, write_reports
from scripts.staffing import (
    Fixed,
    HourFigures,
    Scenario,
    ScenarioError,
    ShiftWindow,
    SimulationResult,
    Target,
    load_rota,
    load_scenario,
    plan_from_rota,
    plan_texters,
    smallest_roster,
    staffing_row,
)

# Two busy hours for two volunteers: enough to queue, give up, pass, escalate, take a break,
# wrap up and have the router end their shifts.
SHORT_EVENING = """
title = "Short evening"
seed = 3
start = 2026-11-27T21:00:00-05:00
hours = 2

[arrivals]
per_hour = [7, 9]

[conversations]
minutes = { median = 20, sigma = 0.5 }
escalation_share = 0.2

[texters]
patience_minutes = { low = 2, mode = 6, high = 15 }
writes_every_minutes = 10

[texters.languages.en]
share = 0.8
opening = "hi, is anyone there? I just need someone to talk to tonight"
follow_up = "yeah, it has been a long week"

[texters.languages.es]
share = 0.2
opening = "hola, ¿hay alguien? necesito hablar con alguien esta noche"
follow_up = "sí, ha sido una semana muy larga"

[volunteer_defaults]
languages = ["en"]
response_delay_seconds = { low = 5, mode = 20, high = 80 }
accept_probability = 0.85
pass_probability = 0.1
ok_after_minutes = 10

[[volunteers]]
alias = "Ana"
languages = ["en", "es"]
shifts = [[0, 2]]
break_after_hours = 1

[[volunteers]]
alias = "Ben"
shifts = [[0, 2]]

[policy.shifts]
max_shift_minutes = 100
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("simulate")


@pytest.fixture(scope="module")
def template(folder: Path) -> Path:
    return migrated_database(folder)


@pytest.fixture(scope="module")
def scenario(folder: Path) -> Scenario:
    path = folder / "short-evening.toml"
    path.write_text(SHORT_EVENING, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def evening(scenario: Scenario, template: Path, folder: Path) -> SimulationResult:
    return simulate(scenario, template, folder)


def test_every_texter_who_arrives_is_connected_gave_up_or_still_waiting(
    scenario: Scenario, evening: SimulationResult
) -> None:
    totals = evening.totals
    assert totals.arrived == len(plan_texters(scenario)) > 0
    assert totals.lost == 0
    assert totals.connected + totals.gave_up + totals.waiting_at_end == totals.arrived
    for hour in evening.hours:
        assert hour.connected + hour.gave_up + hour.waiting_at_end == hour.arrived
    assert totals.gave_up > 0, "the short evening is meant to be busy enough for some to give up"


def test_waits_are_never_negative(evening: SimulationResult) -> None:
    for hour in evening.hours:
        if hour.connected:
            assert hour.wait_p50_minutes is not None and hour.wait_p90_minutes is not None
            assert 0 <= hour.wait_p50_minutes <= hour.wait_p90_minutes
    assert evening.totals.wait_p50_minutes is not None and evening.totals.wait_p50_minutes >= 0


def test_report_has_a_row_per_hour_with_every_figure(evening: SimulationResult, tmp_path: Path) -> None:
    markdown = write_reports(evening, tmp_path)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    figures = {field.name for field in fields(HourFigures)}
    assert [hour["hour"] for hour in report["hours"]] == list(range(2))
    for hour in report["hours"]:
        assert set(hour) == figures
        assert (
            hour["mean_load"] is not None and hour["utilisation"] is not None and hour["wait_p90_minutes"] is not None
        )
    hourly_rows = [line for line in markdown.splitlines() if line.startswith("| Fri ")]
    assert len(hourly_rows) == 2
    for row in hourly_rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 12 and all(cells)
    assert (tmp_path / "report.md").read_text(encoding="utf-8") == markdown


def test_chart_is_a_png(evening: SimulationResult, tmp_path: Path) -> None:
    write_reports(evening, tmp_path)
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_doubling_the_volunteers_does_not_lengthen_waits_nor_give_ups(
    scenario: Scenario, template: Path, folder: Path, evening: SimulationResult
) -> None:
    doubled = simulate(scenario, template, folder, roster_size=2 * evening.volunteers)
    assert doubled.totals.arrived == evening.totals.arrived  # the same texters, the same seed
    assert doubled.totals.gave_up <= evening.totals.gave_up
    assert doubled.totals.wait_p90_minutes is not None and evening.totals.wait_p90_minutes is not None
    assert doubled.totals.wait_p90_minutes <= evening.totals.wait_p90_minutes


def test_one_volunteer_who_may_hold_one_conversation_never_holds_two(
    scenario: Scenario, template: Path, folder: Path
) -> None:
    alone = replace(scenario, policy={"shifts": {"max_concurrent": 1}})
    result = simulate(alone, template, folder, roster_size=1)
    assert result.totals.connected > 0
    assert result.totals.peak_load == 1
    assert all(hour.peak_load <= 1 for hour in result.hours)
    assert result.totals.limits_hit.get("max_concurrent", 0) > 0


def test_texters_waiting_out_the_only_volunteers_break_are_taken_when_it_ends(
    scenario: Scenario, template: Path, folder: Path
) -> None:
    """The sweeper ends the break and offers the first of them; the volunteer's #yes ten
    seconds later must come before that offer's expiry, not after (the clock never runs back)."""
    prompt = replace(
        scenario.volunteers[0],
        shifts=(ShiftWindow(0, 1),),
        break_after_hours=0.25,
        accept_probability=1.0,
        pass_probability=0.0,
        response_delay_seconds=Fixed(10),
    )
    hour = replace(
        scenario,
        seed=5,
        hours=1,
        arrivals_per_hour=(6,),
        patience_minutes=Fixed(60),
        conversation_minutes=Fixed(2),
        escalation_share=0.0,
        volunteers=(prompt,),
    )
    break_ = (hour.start + timedelta(minutes=15), hour.start + timedelta(minutes=30))
    assert any(break_[0] <= texter.arrives_at < break_[1] for texter in plan_texters(hour))
    result = simulate(hour, template, folder)
    assert result.totals.connected == result.totals.arrived
    assert result.totals.offers == {"accepted": result.totals.arrived}
    assert result.totals.limits_hit["on_break"] == 15


def test_skipping_sweeps_with_nothing_due_changes_nothing(
    scenario: Scenario, template: Path, folder: Path, evening: SimulationResult
) -> None:
    every_step = simulate(scenario, template, folder, sweep_every_step=True)
    assert every_step.totals == evening.totals
    assert every_step.hours == evening.hours


def test_the_smallest_roster_meets_both_the_wait_and_the_give_up_targets(evening: SimulationResult) -> None:
    def roster(size: int, p90: float, gave_up: float) -> SimulationResult:
        return replace(
            evening, volunteers=size, totals=replace(evening.totals, wait_p90_minutes=p90, gave_up_percent=gave_up)
        )

    target = Target(p90_wait_minutes=5, gave_up_percent=5)
    rows = [
        staffing_row(roster(*figures), target)
        for figures in ((4, 3.0, 12.0), (5, 6.0, 4.0), (6, 4.9, 5.0), (7, 1.0, 0.0))
    ]
    assert [row.meets_target for row in rows] == [False, False, True, True]
    assert smallest_roster(rows) == 6
    assert smallest_roster(rows[:2]) is None


ROTA = """
# Friday: two volunteers from 21:00, one more from 22:00 (the roster of two cannot fill it).
[[slots]]
weekday = "Friday"
starts = "21:00"
ends = "22:40"
needed = 2

[[slots]]
weekday = "friday"
starts = "22:00"
ends = "23:00"
needed = 1
"""


def test_the_rota_is_the_shift_plan_filled_in_turn_within_the_shift_limits(
    scenario: Scenario, folder: Path, tmp_path: Path
) -> None:
    path = folder / "rota.toml"
    path.write_text(ROTA, encoding="utf-8")
    limits = ShiftLimits(line_numbers=("+15005550006",), max_shift_minutes=100)
    plan = plan_from_rota(scenario, scenario.roster(), load_rota(path), "America/New_York", limits)
    assert [volunteer.shifts for volunteer in plan.roster] == [
        (ShiftWindow(0.0, 100 / 60),),
        (ShiftWindow(0.0, 100 / 60),),
    ]
    assert plan.unfilled == 1, "neither may start again an hour into a shift"

    assert main([str(folder / "short-evening.toml"), "--rota", str(path), "--out", str(tmp_path)]) == 0
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Shift plan: the rota; 1 of its places no volunteer could take." in report
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert result["totals"]["connected"] > 0 and result["rota_unfilled"] == 1


def test_a_rota_file_with_a_mistake_is_refused_with_the_reason(folder: Path) -> None:
    path = folder / "bad-rota.toml"
    path.write_text('[[slots]]\nweekday = "Friyay"\nstarts = "21:00"\nends = "23:00"\nneeded = 1\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="weekday must be one of"):
        load_rota(path)
