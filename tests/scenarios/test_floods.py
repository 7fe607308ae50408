"""Loops and floods: an auto-responder texting a paused line gets one reply, not one per text,
and every text is kept; a burst of new numbers is queued with one line-wide notice each instead
of the welcome, and a texter in danger among them still gets the crisis text inline."""

from __future__ import annotations

from sqlalchemy import select

from service.db import LINE_STATE_ID, Conversation, Escalation, LineState, Message
from tests.support.line import Line
from tests.support.stack import People, Stack, private_line_fixtures
from tests.support.twiml import inline_reply

NEW_SENDERS_PER_MINUTE = 10
IMMINENT = "i have the pills in my hand and i'm taking them now"


busy_stack, busy_line = private_line_fixtures("busy", inbound=f"new_senders_per_minute = {NEW_SENDERS_PER_MINUTE}\n")


def test_fifteen_texts_to_a_paused_line_bring_one_reply_and_are_all_kept(
    line: Line, people: People, stack: Stack
) -> None:
    with stack.runtime.sessions() as session, session.begin():
        session.merge(LineState(id=LINE_STATE_ID, paused=True))
    auto_responder = people.texter()
    for number in range(15):
        line.text(auto_responder, f"I'm driving right now and will reply later ({number})")
    line.settle()
    replies = [message["Body"] for message in line.inbox(auto_responder)]
    assert len(replies) == 1 and "isn't taking new conversations" in replies[0], replies
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Conversation.close_reason)).all() == ["line_paused"]
        assert len(session.scalars(select(Message).where(Message.author == "texter")).all()) == 15, "every text is kept"


def test_twenty_new_senders_in_a_minute_bring_the_line_wide_notice_and_danger_still_gets_the_crisis_text(
    busy_line: Line, busy_stack: Stack
) -> None:
    people = People(busy_stack.runtime)
    sam = people.supervisor("Sam", on_call=True)
    senders = [people.texter() for _ in range(20)]
    in_danger = senders[15]
    responses = {
        sender: busy_line.text(sender, IMMINENT if sender == in_danger else "hi, is anyone there?")
        for sender in senders
    }
    assert "call 911" in inline_reply(responses[in_danger].text), "the crisis text is never held back"
    busy_line.wait_for(sam, "escalation #")
    busy_line.settle()
    welcomed = [
        sender for sender in senders if any("been through hard times too" in m["Body"] for m in busy_line.inbox(sender))
    ]
    notified = [
        sender for sender in senders if any("more texts than usual" in m["Body"] for m in busy_line.inbox(sender))
    ]
    assert welcomed == senders[:NEW_SENDERS_PER_MINUTE]
    assert notified == senders[NEW_SENDERS_PER_MINUTE:], "past the limit, the line-wide notice instead of the welcome"
    assert all(len(busy_line.inbox(sender)) == 1 for sender in notified if sender != in_danger), (
        "one text each, not two"
    )
    with busy_stack.runtime.sessions() as session:
        assert session.scalars(select(Conversation.status)).all() == ["queued"] * 20, "held in the queue, none dropped"
        assert session.scalars(select(Escalation.level)).all() == ["imminent"]
