"""The rota's week view in real headless Chromium against the live stack: a gap shows in
colour, a supervisor fills it by assigning a volunteer, and the volunteer gets a text."""

from __future__ import annotations

from datetime import date, time

from playwright.sync_api import expect

from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.rota_plans import add_slot, tomorrow
from tests.support.stack import People, Stack


def test_a_gap_in_the_week_is_filled_by_assigning_a_volunteer_who_gets_a_text(
    dashboard: Dashboard, line: Line, people: People, stack: Stack
) -> None:
    page = dashboard.page
    day = tomorrow(stack)
    add_slot(stack, day.weekday(), time(18), time(22), needed=1)
    ana = people.volunteer("Ana")
    people.volunteer("Ben")

    dashboard.goto(f"/dashboard/rota?week={day.date().isoformat()}")
    shift = page.locator(f'[data-shift$=":{day.date().isoformat()}"]')
    expect(shift).to_have_class("rota-shift rota-gap")
    expect(shift).to_contain_text("0 of 1")
    expect(shift).to_contain_text("1 short")
    gap_colour = shift.evaluate("element => getComputedStyle(element).backgroundColor")
    assert gap_colour == "rgb(253, 236, 234)", gap_colour  # --alert-bg
    dashboard.shot("rota-gap")

    shift.get_by_role("combobox").select_option(label="Ana")
    shift.get_by_role("button", name="Assign").click()
    expect(page.locator(".notice-done")).to_contain_text("Volunteer assigned")
    filled = page.locator(f'[data-shift$=":{day.date().isoformat()}"]')
    expect(filled).to_have_class("rota-shift rota-full")
    expect(filled).to_contain_text("1 of 1")
    expect(filled).to_contain_text("Ana")
    dashboard.shot("rota-filled")
    line.wait_for(ana, f"A supervisor has put you on the rota for {day:%a %d %b} 18:00-22:00")

    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Assigned a rota shift")


def test_a_slot_added_on_the_dashboard_shows_in_the_week(dashboard: Dashboard, stack: Stack) -> None:
    page = dashboard.page
    dashboard.goto("/dashboard/rota?week=2027-03-08")
    form = page.locator(".rota-add")
    form.locator("select[name=weekday]").select_option(label="Sunday")
    form.locator("input[name=starts]").fill("19:00")
    form.locator("input[name=ends]").fill("23:00")
    form.locator("input[name=needed]").fill("2")
    form.get_by_role("button", name="Add slot").click()
    expect(page.locator(".notice-done")).to_contain_text("Slot added")
    sunday = page.locator(f'[data-shift$=":{date(2027, 3, 14).isoformat()}"]')
    expect(sunday).to_contain_text("19:00–23:00")
    expect(sunday).to_contain_text("0 of 2")
    sunday.get_by_role("button", name="Cancel this day").click()
    expect(page.locator(".notice-done")).to_contain_text("That day's shift is changed")
    expect(page.locator(f'[data-shift$=":{date(2027, 3, 14).isoformat()}"]')).to_have_count(0)
    page.locator('[data-section="rota-week"] li', has_text="Sunday 14 Mar").get_by_role(
        "button", name="Restore"
    ).click()
    expect(page.locator(f'[data-shift$=":{date(2027, 3, 14).isoformat()}"]')).to_contain_text("0 of 2")
