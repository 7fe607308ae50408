"""Continuity of care, as volunteers and texters notice it: the wrap-up note after #done,
referrals with #res and #send, and the consented check-in text later (time moved the way the
other scenarios move it: by moving the stored deadline, never by sleeping)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from service.db import ContactNote, Conversation, FollowUp, Referral
from tests.support.line import Line
from tests.support.phone_calls import Call as PhoneCall
from tests.support.stack import People, Stack
from tests.support.twiml import inline_reply

WARMLINE = str(Path(sys.executable).parent / "warmline")
IMMINENT = "I have the pills in front of me and I'm going to take them all tonight"
NOTE = "feeling calmer, Marisol's landlord"


def _talking(
    line: Line, people: People, alias: str = "Ana", first_words: str = "hi"
) -> tuple[str, str, dict[str, Any]]:
    volunteer = people.on_shift(line, alias)
    texter = people.texter()
    offer = line.connect(volunteer, texter, first_words)
    return volunteer, texter, offer


def _note(stack: Stack) -> ContactNote:
    with stack.runtime.sessions() as session:
        return session.scalars(select(ContactNote)).one()


def test_wrap_up_after_done_is_answered_in_one_reply_and_stored_encrypted(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter, offer = _talking(line, people)
    thread = offer["From"]
    line.text(ana, "#done", to=thread, texter=False)
    form = line.wait_for(ana, "Wrap-up for")
    assert form["From"] == thread, "the form comes in the conversation's own thread"
    assert "1. Topics: 1 loneliness, 2 relationships" in form["Body"] and "4. Risk as you judged it" in form["Body"]
    line.text(ana, "2+8 9 1 2", to=thread, texter=False)  # outcome has 6 choices
    line.wait_for(ana, "Answer 2 (How it ended) must be one number from 1 to 6")
    line.text(ana, "calmer now", to=thread, texter=False)  # not an answer: meant for the texter
    line.wait_for(ana, "no conversation in this thread")
    line.write_note(ana, "2+8 1 1 2", NOTE, thread)
    line.wait_for(ana, "saved")
    note = _note(stack)
    assert note.status == "answered"
    assert json.loads(note.answers or "") == {
        "topics": ["relationships", "housing"],
        "outcome": ["feeling better"],
        "referral": ["yes"],
        "risk": ["low"],
    }
    assert note.note_encrypted and NOTE not in note.note_encrypted
    assert stack.runtime.vault.decrypt(note.note_encrypted) == NOTE
    line.settle(quiet=0.5)
    assert not any("calmer" in message["Body"] for message in line.inbox(texter)), "a note never reaches the texter"


def test_skipped_wrap_up_stores_nothing(line: Line, people: People, stack: Stack) -> None:
    ana, _, offer = _talking(line, people)
    line.text(ana, "#done", to=offer["From"], texter=False)
    line.wait_for(ana, "Wrap-up for")
    line.text(ana, "#skip", to=offer["From"], texter=False)
    line.wait_for(ana, "skipped")
    note = _note(stack)
    assert (note.status, note.answers, note.note_encrypted) == ("skipped", None, None)
    line.text(ana, "#skip", to=offer["From"], texter=False)
    line.wait_for(ana, "no wrap-up waiting")


def test_a_new_texter_goes_to_another_thread_while_a_wrap_up_waits(line: Line, people: People, stack: Stack) -> None:
    ana, _, offer = _talking(line, people)
    line.text(ana, "#done", to=offer["From"], texter=False)
    line.wait_for(ana, "Wrap-up for")
    second = people.texter()
    line.text(second, "hello again")
    next_offer = line.wait_for(ana, "hello again")
    assert next_offer["From"] != offer["From"]
    line.text(ana, "#yes", to=next_offer["From"], texter=False)
    line.wait_for(second, "You're now texting with")
    line.text(ana, "1 1 2 1", to=offer["From"], texter=False)
    line.wait_for(ana, "saved")
    assert _note(stack).status == "answered"
    line.settle(quiet=0.5)
    assert not any(message["Body"].startswith("1 1 2") for message in line.inbox(second))


def test_res_lists_resources_on_the_volunteers_phone_and_send_gives_one_to_the_texter(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter, offer = _talking(line, people, first_words="I might lose my apartment")
    thread = offer["From"]
    line.text(ana, "#send 1", to=thread, texter=False)
    line.wait_for(ana, "Send which one?")
    line.text(ana, "#res housing", to=thread, texter=False)
    listing = line.wait_for(ana, "Resources for")
    assert listing["From"] == thread and "1. 211" in listing["Body"]
    line.text(ana, "#res gardening", to=thread, texter=False)
    line.wait_for(ana, "No resource in the directory fits")
    line.text(ana, "#res housing", to=thread, texter=False)
    line.wait_for(ana, "Resources for", after=len(line.inbox(ana)) - 1)
    line.text(ana, "#send 1", to=thread, texter=False)
    sent = line.wait_for(texter, "call or text 211")
    assert sent["From"] == line.main_number
    line.wait_for(ana, "Sent 211")
    line.settle(quiet=0.5)
    assert not any("Resources for" in message["Body"] for message in line.inbox(texter)), "the list is the volunteer's"
    with stack.runtime.sessions() as session:
        given = session.scalars(select(Referral).where(Referral.sent_at.is_not(None))).all()
        assert [(referral.resource, referral.name) for referral in given] == [("two_one_one", "211")]


def test_delete_my_data_removes_the_notes_and_referrals(line: Line, people: People, stack: Stack) -> None:
    ana, texter, offer = _talking(line, people)
    thread = offer["From"]
    line.text(ana, "#res housing", to=thread, texter=False)
    line.wait_for(ana, "Resources for")
    line.text(ana, "#send 1", to=thread, texter=False)
    line.wait_for(texter, "211")
    line.text(ana, "#done", to=thread, texter=False)
    line.wait_for(ana, "Wrap-up for")
    line.write_note(ana, "8 1 1 1", NOTE, thread)
    line.wait_for(ana, "saved")
    line.text(texter, "DELETE MY DATA")
    with stack.runtime.sessions() as session:
        assert session.scalars(select(ContactNote)).all() == []
        assert session.scalars(select(Referral)).all() == []


def _asked_follow_up(line: Line, people: People, stack: Stack) -> tuple[str, str, dict[str, Any]]:
    """Ana marks the conversation with #followup and ends it; the texter is asked."""
    ana, texter, offer = _talking(line, people, first_words="things with my partner are bad")
    line.text(ana, "#followup", to=offer["From"], texter=False)
    line.wait_for(ana, "check-in text later")
    line.text(ana, "#done", to=offer["From"], texter=False)
    line.wait_for(texter, "Would you like")
    line.wait_for(ana, "Wrap-up for")
    line.text(ana, "2 2 2 2", to=offer["From"], texter=False)
    line.wait_for(ana, "saved")
    return ana, texter, offer


def _follow_up(stack: Stack) -> FollowUp:
    with stack.runtime.sessions() as session:
        return session.scalars(select(FollowUp)).one()


def _time_passes_until_due(stack: Stack) -> None:
    """The check-in's delay has passed (its stored deadline moved to now)."""
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(FollowUp).values(due_at=datetime.now(UTC) - timedelta(seconds=1)))


def test_consented_follow_up_arrives_when_due_and_its_reply_is_offered_to_the_same_volunteer(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter, _ = _asked_follow_up(line, people, stack)
    line.text(texter, "yes")
    line.wait_for(texter, "we'll text you in about 24 hours")
    follow_up = _follow_up(stack)
    assert follow_up.status == "scheduled" and follow_up.consented_at is not None
    assert follow_up.due_at == follow_up.consented_at + timedelta(hours=24)
    stack.wait_for_sweeps(2)
    assert not any("checking in" in message["Body"] for message in line.inbox(texter)), "not before it is due"
    bob = people.on_shift(line, "Bob")
    _time_passes_until_due(stack)
    check_in = line.wait_for(texter, "checking in")
    assert "Warmline" in check_in["Body"] and "Reply here" in check_in["Body"]
    assert _follow_up(stack).status == "sent"
    line.text(texter, "thanks for checking, still a bit low")
    offer = line.wait_for(ana, "still a bit low")
    assert "talked with them before" in offer["Body"]
    line.text(ana, "#yes", to=offer["From"], texter=False)
    history = line.wait_for(ana, "Their last contact")
    assert "relationships" in history["Body"] and "answering the check-in" in history["Body"]
    assert "calmer" not in history["Body"]
    assert not any("still a bit low" in message["Body"] for message in line.inbox(bob))
    follow_up = _follow_up(stack)
    assert follow_up.status == "answered" and follow_up.reply_conversation_id is not None


def test_a_risky_reply_to_the_check_in_gets_the_crisis_text(line: Line, people: People, stack: Stack) -> None:
    ana, texter, _ = _asked_follow_up(line, people, stack)
    line.text(texter, "YES")
    line.wait_for(texter, "we'll text you")
    _time_passes_until_due(stack)
    line.wait_for(texter, "checking in")
    response = line.text(texter, IMMINENT)
    assert "988" in inline_reply(response.text), "the crisis text goes back in the webhook's own reply"
    offer = line.wait_for(ana, "RISK IMMINENT")
    assert IMMINENT[:30] in offer["Body"]
    with stack.runtime.sessions() as session:
        reply = session.get_one(Conversation, _follow_up(stack).reply_conversation_id)
        assert reply.risk_level == "imminent"


def test_a_refused_or_unanswered_follow_up_is_never_sent(line: Line, people: People, stack: Stack) -> None:
    _, texter, _ = _asked_follow_up(line, people, stack)
    line.text(texter, "no thanks")
    line.wait_for(texter, "no check-in")
    assert _follow_up(stack).status == "declined"
    _time_passes_until_due(stack)
    stack.wait_for_sweeps(2)
    line.text(texter, "yes")  # too late to change: a new conversation, not a consent
    line.settle(quiet=0.5)
    assert not any("checking in" in message["Body"] for message in line.inbox(texter))
    assert _follow_up(stack).status == "declined"


def test_an_escalated_conversation_asks_and_no_answer_schedules_nothing(
    line: Line, people: People, stack: Stack
) -> None:
    people.supervisor("Sam", on_call=True)
    ana, texter, offer = _talking(line, people)
    line.text(ana, "#escalate worried about them", to=offer["From"], texter=False)
    line.wait_for(ana, "supervisor on call has been alerted")
    line.text(ana, "#done", to=offer["From"], texter=False)
    line.wait_for(texter, "Would you like")
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(FollowUp).values(asked_at=datetime.now(UTC) - timedelta(hours=3)))
    stack.wait_for_sweeps(2)
    assert _follow_up(stack).status == "lapsed"
    _time_passes_until_due(stack)
    stack.wait_for_sweeps(2)
    assert not any("checking in" in message["Body"] for message in line.inbox(texter))


def test_after_a_call_the_volunteer_notes_it_and_may_text_the_caller_a_resource(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.on_shift(line, "Ana")
    caller = people.texter()
    call = PhoneCall.dial_in(line, caller)
    call.no_input()
    [leg] = call.rung()
    leg.pick_up()
    leg.press("1")
    line.wait_for(ana, "You're on the phone with")
    call.dial_ends("completed", leg, duration=300)
    call.hang_up(duration=320)
    form = line.wait_for(ana, "Wrap-up for")
    assert form["From"] == line.main_number, "a call has no thread: the form comes from the main number"
    # The caller said yes on the phone to a resource by text.
    line.text(ana, "#res housing", to=line.main_number, texter=False)
    line.wait_for(ana, "1. 211")
    line.text(ana, "#send 1", to=line.main_number, texter=False)
    sent = line.wait_for(caller, "call or text 211")
    assert sent["From"] == line.main_number
    line.write_note(ana, "8 5 1 1", NOTE, line.main_number)
    line.wait_for(ana, "saved")
    with stack.runtime.sessions() as session:
        [referral] = session.scalars(select(Referral)).all()
        assert referral.sent_at is not None
        assert session.scalars(select(ContactNote.status)).one() == "answered"


def test_retention_purges_a_notes_free_text_and_keeps_its_answers(
    line: Line, people: People, stack: Stack, environment: dict[str, str]
) -> None:
    ana, _, offer = _talking(line, people)
    line.text(ana, "#done", to=offer["From"], texter=False)
    line.wait_for(ana, "Wrap-up for")
    line.write_note(ana, "1 2 2 1", NOTE, offer["From"])
    line.wait_for(ana, "saved")
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(ContactNote).values(asked_at=long_ago))
    result = subprocess.run(
        [WARMLINE, "retention", "purge"], env={**os.environ, **environment}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    note = _note(stack)
    assert note.note_encrypted is None
    assert json.loads(note.answers or "")["topics"] == ["loneliness"], "the coded answers stay for the statistics"
