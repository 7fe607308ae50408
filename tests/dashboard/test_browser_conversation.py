"""One conversation live in real headless Chromium against the live stack: a texter's new
message appears without a reload, and the supervisor's reply reaches the texter labelled."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from service.db import Conversation
from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.stack import People, Stack


def test_the_live_conversation_shows_new_messages_without_reload_and_sends_the_reply(
    dashboard: Dashboard, line: Line, people: People, stack: Stack
) -> None:
    page = dashboard.page
    ana, texter = people.talking(line, first_words="hey, is anyone there")
    with stack.runtime.sessions() as session:
        conversation_id = session.scalars(select(Conversation.id)).one()
    dashboard.goto(f"/dashboard/conversations/{conversation_id}/live")
    messages = page.locator("#conversation-live")
    expect(messages).to_contain_text("hey, is anyone there")
    expect(page.get_by_role("button", name="Listen")).to_have_count(0)  # call controls: for a live call only
    marker = page.evaluate("() => { window.__noReload = true; return performance.timeOrigin; }")

    line.text(texter, "my landlord wants me out by friday")
    expect(messages).to_contain_text("my landlord wants me out by friday", timeout=3_000)
    assert page.evaluate("() => window.__noReload === true && performance.timeOrigin") == marker, "the page reloaded"
    dashboard.shot("conversation-live")

    page.fill("textarea[name=message]", "We can look at housing help together.")
    page.get_by_role("button", name="Send as supervisor").click()
    expect(page.locator(".notice-done")).to_contain_text("labelled as the supervisor's")
    assert line.wait_for(texter, "We can look at housing help")["Body"].startswith("(Supervisor) ")
    line.wait_for(ana, "Supervisor Robin to T-")
    expect(messages).to_contain_text("We can look at housing help together.")
    dashboard.shot("conversation-live-replied")
