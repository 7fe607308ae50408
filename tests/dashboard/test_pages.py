"""Every dashboard page in Chromium, on a laptop and on a phone, with a screenshot of each; and
the remaining actions end to end: pause and resume, a break, a lifted limit, on call, people."""

from __future__ import annotations

from playwright.sync_api import ViewportSize, expect

from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.stack import People

PHONE: ViewportSize = {"width": 390, "height": 844}


def test_pausing_the_line_turns_new_texters_away_with_the_configured_text(
    dashboard: Dashboard, line: Line, people: People
) -> None:
    page = dashboard.page
    ana = people.on_shift(line, "Ana")
    page.get_by_role("button", name="Pause the line").click()
    expect(page.locator(".banner-paused")).to_contain_text("The line is paused")
    dashboard.shot("live-paused")

    texter = people.texter()
    line.text(texter, "hello, is anyone there?")
    line.wait_for(texter, "isn't taking new conversations right now")
    line.settle()
    expect(page.locator('[data-section="waiting"]')).to_contain_text("Nobody is waiting")
    assert not [text for text in line.inbox(ana) if "is waiting" in text["Body"]], "no offer while the line is paused"

    page.get_by_role("button", name="Resume the line").click()
    expect(page.locator(".notice-done")).to_contain_text("taking new texters again")
    line.text(texter, "trying again")
    line.wait_for(ana, "trying again")
    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Paused the line")
    expect(page.locator("tbody")).to_contain_text("Resumed the line")


def test_a_break_and_a_lifted_limit_are_texted_to_the_volunteer(
    dashboard: Dashboard, line: Line, people: People
) -> None:
    page = dashboard.page
    ana = people.on_shift(line, "Ana")
    page.locator('[data-section="volunteers"] a', has_text="Ana").click()
    page.get_by_role("button", name="Start break").click()
    expect(page.locator(".notice-done")).to_contain_text("Break started")
    line.wait_for(ana, "A supervisor has put you on a break")
    expect(page.locator(".facts")).to_contain_text("On break")

    page.select_option("select[name=limit]", "max_conversations_per_shift")
    page.fill("input[name=minutes]:below(select[name=limit])", "90")
    page.fill("form[action$='/override'] input[name=reason]", "Two volunteers called in sick")
    page.get_by_role("button", name="Lift the limit").click()
    expect(page.locator(".notice-done")).to_contain_text("Limit lifted")
    line.wait_for(ana, "Two volunteers called in sick")
    expect(page.locator(".plain")).to_contain_text("Conversations per shift")
    dashboard.shot("volunteer-shift")


def test_every_page_on_a_laptop_and_a_phone(dashboard: Dashboard, line: Line, people: People) -> None:
    page = dashboard.page
    ana, ben = people.volunteer("Ana", languages="en,es"), people.volunteer("Ben")
    line.start_shift(ana)
    line.start_shift(ben)
    talking, waiting = people.texter(), people.texter()
    line.connect(ana, talking, "I had a fight with my sister and feel awful")
    line.text(waiting, "i want to end my life tonight")
    expect(page.locator('[data-section="escalations"] .escalation')).to_be_visible(timeout=3_000)
    dashboard.shot("live")

    page.locator('[data-section="escalations"] a.pseudonym').first.click()
    dashboard.shot("escalation")
    dashboard.goto("/dashboard/on-call")
    dashboard.shot("on-call")
    dashboard.goto("/dashboard/people")
    dashboard.shot("people")
    page.get_by_role("link", name="Add a volunteer").click()
    page.fill("input[name=name]", "Chris Doe")
    page.fill("input[name=alias]", "Chris")
    page.fill("input[name=phone]", "(202) 555-0123")
    dashboard.shot("volunteer-form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".notice-done")).to_contain_text("Volunteer saved")
    expect(page.locator("table").first).to_contain_text("+12025550123")  # an admin sees it
    dashboard.goto("/dashboard/people/supervisors/new")
    dashboard.shot("supervisor-form")
    dashboard.goto("/dashboard/reports")
    dashboard.shot("reports")
    dashboard.goto("/dashboard/history")
    dashboard.shot("history-full")

    page.set_viewport_size(PHONE)
    for name, path in (
        ("live", "/dashboard/"),
        ("people", "/dashboard/people"),
        ("reports", "/dashboard/reports"),
        ("history", "/dashboard/history"),
    ):
        dashboard.goto(path)
        dashboard.shot(f"phone-{name}")
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.table-wrap'))
            .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
        assert not wide, f"{name}: no sideways scrolling on a phone, but {wide} stick out"
