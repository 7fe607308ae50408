"""The dashboard in real headless Chromium against the live stack (web server, rq worker, fake
Twilio): what a supervisor sees and does, and the texts their actions send."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.stack import People, Stack

IMMINENT = "I am going to kill myself tonight, I have the pills ready"


def test_an_imminent_message_appears_without_reload_and_is_acknowledged(
    dashboard: Dashboard, line: Line, people: People, stack: Stack
) -> None:
    page = dashboard.page
    people.on_shift(line, "Ana")
    expect(page.locator('[data-section="volunteers"]')).to_contain_text("Ana", timeout=3_000)
    dashboard.shot("login-then-live")
    marker = page.evaluate("() => { window.__noReload = true; return performance.timeOrigin; }")

    texter = people.texter()
    sent = time.monotonic()
    line.text(texter, IMMINENT)
    escalations = page.locator('[data-section="escalations"]')
    expect(escalations.locator(".escalation-imminent")).to_be_visible(timeout=2_000)
    shown_after = time.monotonic() - sent
    assert (
        page.evaluate("() => window.__noReload === true") and page.evaluate("() => performance.timeOrigin") == marker
    ), "the page reloaded"
    assert shown_after < 2.0
    expect(escalations).to_contain_text("Robin")  # who was alerted
    expect(page.locator('[data-section="waiting"]')).to_contain_text("Imminent risk")
    dashboard.shot("live-escalation")

    escalations.get_by_role("button", name="Acknowledge").first.click()
    expect(page.locator(".notice-done")).to_contain_text("Escalation acknowledged")
    expect(escalations).to_contain_text("No open escalations")
    dashboard.shot("live-acknowledged")
    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Acknowledged an escalation")
    dashboard.shot("history")


def test_a_shift_ended_from_the_dashboard_is_texted_to_the_volunteer(
    dashboard: Dashboard, line: Line, people: People
) -> None:
    page = dashboard.page
    ana = people.on_shift(line, "Ana")
    row = page.locator('[data-section="volunteers"] tr', has_text="Ana")
    expect(row).to_be_visible(timeout=3_000)
    row.get_by_role("button", name="End shift").click()  # the confirmation dialog is accepted
    expect(page.locator(".notice-done")).to_contain_text("Shift ended")
    line.wait_for(ana, "A supervisor has ended your shift")
    expect(page.locator('[data-section="volunteers"]')).to_contain_text("Nobody is on shift")
    expect(page.locator(".banner-alert")).to_contain_text("Nobody is on shift")
    dashboard.shot("live-nobody-on-shift")


def test_a_conversation_is_reassigned_and_everyone_is_told(dashboard: Dashboard, line: Line, people: People) -> None:
    page = dashboard.page
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    line.start_shift(ana)
    texter = people.texter()
    line.connect(ana, texter, "my week has been awful")
    line.start_shift(ben)
    active = page.locator('[data-section="active"]')
    expect(active).to_contain_text("Ana", timeout=3_000)
    dashboard.shot("live-active")

    active.locator("a", has_text="T-").click()  # the conversation's page, where it can be handed over
    dashboard.shot("conversation")
    page.get_by_label("Ben").check()
    page.fill("input[name=reason]", "Ana's shift is nearly over")
    page.get_by_role("button", name="Hand over").click()
    expect(page.locator(".notice-done")).to_contain_text("Conversation handed over")

    line.wait_for(texter, "You're now texting with Ben")
    line.wait_for(ana, "has been handed to another volunteer")
    handed = line.wait_for(ben, "has handed you")
    line.wait_for(ben, "my week has been awful")
    line.text(ben, "Hi, I'm Ben. I've read what you wrote.", to=handed["From"], texter=False)
    line.wait_for(texter, "I'm Ben")
    dashboard.goto("/dashboard/")
    expect(page.locator('[data-section="active"]')).to_contain_text("Ben")

    page.locator('[data-section="active"] a', has_text="T-").first.click()
    page.get_by_role("link", name="Read the transcript").click()
    expect(page.locator(".transcript")).to_contain_text("my week has been awful")
    dashboard.shot("transcript")
    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Handed over a conversation")
    expect(page.locator("tbody")).to_contain_text("Read a transcript")
