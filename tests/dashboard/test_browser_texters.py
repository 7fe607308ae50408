"""Blocks and frequent-texter plans from the dashboard in real headless Chromium against the
live stack: what the supervisor does on a texter's page, and what the texter and the next
volunteer then receive by text."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from service.db import Texter
from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.stack import People, Stack


def _pseudonym(stack: Stack, phone: str) -> str:
    with stack.runtime.sessions() as session:
        return session.scalars(
            select(Texter.pseudonym).where(Texter.phone_hash.in_(stack.runtime.vault.lookup_hashes(phone)))
        ).one()


def _open_texter(dashboard: Dashboard, pseudonym: str) -> None:
    dashboard.goto("/dashboard/texters")
    page = dashboard.page
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_role("button", name="Find").click()
    expect(page.locator("h1")).to_contain_text(pseudonym)


def test_a_supervisor_blocks_a_texter_and_sets_a_plan_whose_note_reaches_the_next_volunteer(
    dashboard: Dashboard, line: Line, people: People, stack: Stack
) -> None:
    page = dashboard.page
    ana = people.on_shift(line, "Ana")
    harasser, regular = people.texter(), people.texter()
    for texter in (harasser, regular):
        offer = line.connect(ana, texter, "hi")
        line.text(ana, "#done", to=offer["From"], texter=False)
        line.wait_for(texter, "This conversation has ended")

    _open_texter(dashboard, _pseudonym(stack, harasser))
    block = page.locator("#block-form")
    block.get_by_label("For (days)").fill("14")
    block.get_by_label("Reason").fill("abusive messages to volunteers")
    block.get_by_role("button", name="Block").click()
    expect(page.locator(".notice-done")).to_contain_text("Texter blocked")
    expect(page.locator("main")).to_contain_text("abusive messages to volunteers")
    dashboard.shot("texter-blocked")

    _open_texter(dashboard, _pseudonym(stack, regular))
    plan = page.locator("#plan-form")
    plan.get_by_label("Note for the volunteer").fill("Texts most evenings; warm and brief, 20 minutes.")
    plan.get_by_label("Conversation limit (minutes)").fill("20")
    plan.get_by_role("button", name="Save the plan").click()
    expect(page.locator(".notice-done")).to_contain_text("Plan saved")
    dashboard.shot("texter-plan")

    seen = len(line.inbox(ana))
    line.text(harasser, "you can't ignore me")
    notice = line.wait_for(harasser, "can't take your texts")
    assert "988" in notice["Body"]

    bea = people.on_shift(line, "Bea")
    line.text(ana, "#off", texter=False)
    line.wait_for(ana, "Your shift has ended")
    line.text(regular, "hello again")
    offer = line.wait_for(bea, "hello again")
    line.text(bea, "#yes", to=offer["From"], texter=False)
    note = line.wait_for(bea, "Plan for")
    assert "warm and brief, 20 minutes" in note["Body"]
    assert not any("you can't ignore me" in m["Body"] for m in line.inbox(ana)[seen:] + line.inbox(bea))

    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Blocked a texter")
    expect(page.locator("tbody")).to_contain_text("Set a texter's plan")
