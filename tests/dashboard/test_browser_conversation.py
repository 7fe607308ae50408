"""One conversation live in real headless Chromium against the live stack: a texter's new
message appears without a reload, and the supervisor's reply reaches the texter labelled."""

from __future__ import annotations

import time

from playwright.sync_api import expect
from sqlalchemy import select

from service.db import Call, Conversation
from tests.dashboard.conftest import Account, Dashboard
from tests.dashboard.test_conversation_live import live_call
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


def test_the_call_controls_appear_for_a_live_call_and_listening_calls_the_supervisor_in(
    dashboard: Dashboard, line: Line, stack: Stack, dashboard_account: Account
) -> None:
    page = dashboard.page
    conversation_id = live_call(stack.runtime)
    with stack.runtime.sessions() as session:
        call = session.scalars(select(Call)).one()
        conference_sid, caller, leg = call.conference_sid, call.call_sid, call.volunteer_leg_sid
    assert conference_sid and caller and leg
    line.twilio.start_conference(conference_sid, f"warmline-call-{call.id}", {caller: "caller", leg: "volunteer"})
    dashboard.goto(f"/dashboard/conversations/{conversation_id}/live")
    expect(page.get_by_role("button", name="Listen")).to_be_visible()
    expect(page.locator("#call-record")).to_contain_text("Ana")
    dashboard.shot("conversation-live-call")
    page.get_by_role("button", name="Listen").click()
    expect(page.locator(".notice-done")).to_contain_text("called into the call, muted")
    deadline = time.monotonic() + 15
    while not [r for r in line.twilio.conference_requests() if r["action"] == "create_participant"]:
        assert time.monotonic() < deadline, "the supervisor was never called into the conference"
        time.sleep(0.1)
    [added] = line.twilio.conference_requests()
    assert (added["To"], added["Muted"]) == (dashboard_account.phone, "true")
    expect(page.locator("#call-record")).to_contain_text("Supervisor Robin (listen)")
