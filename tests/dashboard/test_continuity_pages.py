"""Continuity of care on the dashboard, in Chromium against the live stack: a conversation's
contact note shown (the reading audited) and corrected by a supervisor (audited), and the
report page and CSV with topics, outcomes, referrals and follow-ups."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from service.db import AuditEntry, ContactNote
from tests.dashboard.conftest import Dashboard
from tests.support.line import Line
from tests.support.stack import People, Stack

NOTE = "calmer once we talked about her landlord"


def _wrapped_up(line: Line, people: People, answers: str = "2+8 1 1 2") -> tuple[str, str, dict[str, Any]]:
    """Ana talks with a texter, sends them 211, marks a follow-up, ends and notes the conversation."""
    ana = people.on_shift(line, "Ana")
    texter = people.texter()
    offer = line.connect(ana, texter, "my partner wants me out of the apartment")
    thread = offer["From"]
    line.text(ana, "#res housing", to=thread, texter=False)
    line.wait_for(ana, "Resources for")
    line.text(ana, "#send 1", to=thread, texter=False)
    line.wait_for(texter, "call or text 211")
    line.text(ana, "#followup", to=thread, texter=False)
    line.wait_for(ana, "check-in text later")
    line.text(ana, "#done", to=thread, texter=False)
    line.wait_for(ana, "Wrap-up for")
    line.write_note(ana, answers, NOTE, thread)
    line.wait_for(ana, "saved")
    return ana, texter, offer


def _conversation_id(stack: Stack) -> int:
    with stack.runtime.sessions() as session:
        return session.scalars(select(ContactNote.conversation_id)).one()


def test_a_note_is_shown_on_the_conversation_page_and_corrected_there_audited(
    dashboard: Dashboard, line: Line, people: People, stack: Stack
) -> None:
    page = dashboard.page
    _wrapped_up(line, people)
    conversation_id = _conversation_id(stack)
    dashboard.goto(f"/dashboard/conversations/{conversation_id}")
    note = page.locator("#note")
    expect(note).to_contain_text("relationships, housing")
    expect(note).to_contain_text("feeling better")
    expect(note).to_contain_text(NOTE)
    dashboard.shot("contact-note")

    note.get_by_text("Correct the note").click()
    note.locator("input[name=answer_topics][value=relationships]").uncheck()
    note.locator("input[name=answer_topics][value=abuse]").check()
    note.locator("input[name=answer_outcome][value='referred on']").check()
    note.locator("textarea[name=note]").fill("calmer; referred to 211")
    note.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".notice-done")).to_contain_text("Contact note corrected")
    expect(page.locator("#note")).to_contain_text("abuse, housing")
    expect(page.locator("#note")).to_contain_text("corrected by Robin")
    with stack.runtime.sessions() as session:
        stored = session.scalars(select(ContactNote)).one()
        assert json.loads(stored.answers or "")["topics"] == ["abuse", "housing"]
        assert stack.runtime.vault.decrypt(stored.note_encrypted or "") == "calmer; referred to 211"
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [entry.action for entry in entries]
        assert actions.count("contact_note_read") >= 2 and "contact_note_corrected" in actions
        corrected = next(entry for entry in entries if entry.action == "contact_note_corrected")
        assert corrected.actor == "robin@example.org" and "topics, outcome, note" in corrected.detail
        assert all("calmer" not in entry.detail for entry in entries), "the audit names changes, not the note's words"
    dashboard.goto("/dashboard/history")
    expect(page.locator("tbody")).to_contain_text("Corrected a contact note")
    expect(page.locator("tbody")).to_contain_text("Read a contact note")

    note = page.locator("#note")
    dashboard.goto(f"/dashboard/conversations/{conversation_id}")
    note.get_by_text("Correct the note").click()
    note.locator("input[name=answer_topics]:checked").evaluate_all("boxes => boxes.forEach(b => b.checked = false)")
    note.get_by_role("button", name="Save the correction").click()
    expect(page.locator(".notice-refused")).to_contain_text("Answer every question")


def test_the_report_shows_topics_outcomes_referrals_and_follow_ups_and_its_csv_too(
    dashboard: Dashboard, line: Line, people: People
) -> None:
    page = dashboard.page
    _, texter, _ = _wrapped_up(line, people)
    line.wait_for(texter, "Would you like")
    line.text(texter, "4")
    line.wait_for(texter, "Thank you for telling us")
    line.text(texter, "yes")
    line.wait_for(texter, "we'll text you")
    dashboard.goto("/dashboard/reports")
    section = page.locator("#continuity")
    expect(section).to_contain_text("1 contact notes")
    expect(section).to_contain_text("1 referrals given")
    expect(section).to_contain_text("1 follow-ups offered")
    expect(page.locator("svg[aria-label^='Contacts by topic']")).to_have_attribute(
        "aria-label", "Contacts by topic: housing 1, relationships 1"
    )
    expect(page.locator("svg[aria-label^='Contacts by outcome']")).to_have_attribute(
        "aria-label", "Contacts by outcome: feeling better 1"
    )
    expect(page.locator("svg[aria-label^='Referrals given']")).to_have_attribute(
        "aria-label", "Referrals given by resource: 211 1"
    )
    expect(page.locator("svg[aria-label^='Follow-ups']")).to_have_attribute(
        "aria-label", "Follow-ups: offered, accepted, sent, answered: offered 1, accepted 1, sent 0, answered 0"
    )
    expect(page.locator("table.feedback-by-topic")).to_contain_text("housing")
    dashboard.shot("reports-continuity")

    href = page.get_by_role("link", name="Download CSV").get_attribute("href")
    assert href
    response = page.request.get(dashboard.base_url + href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    rows = {(row["section"], row["key"]): row["value"] for row in csv.DictReader(io.StringIO(response.text()))}
    assert rows[("contacts_by_topic", "relationships")] == "1" and rows[("contacts_by_topic", "housing")] == "1"
    assert rows[("contacts_by_outcome", "feeling better")] == "1"
    assert rows[("referrals_by_resource", "211")] == "1"
    assert rows[("follow_ups", "offered")] == "1" and rows[("follow_ups", "accepted")] == "1"
    assert rows[("feedback_by_topic", "housing")] == "4.0"
    assert NOTE not in response.text()
