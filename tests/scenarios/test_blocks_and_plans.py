"""Blocks, frequent-texter plans and pictures, as texters, volunteers and supervisors live
them: a blocked texter is kept from volunteers but never from safety; a plan's note reaches
the volunteer who accepts; a picture is acknowledged in words on both sides."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from service.conversations import plans, texter_blocks
from service.db import AuditEntry, Texter, TexterBlock
from service.db.turn import Turn, run_turn
from tests.support.line import Line
from tests.support.stack import People, Stack

IN_DANGER = "I'm going to kill myself tonight"


def _texter_row(stack: Stack, phone: str) -> Texter:
    with stack.runtime.sessions() as session:
        return session.scalars(
            select(Texter).where(Texter.phone_hash.in_(stack.runtime.vault.lookup_hashes(phone)))
        ).one()


def _block(stack: Stack, phone: str, reason: str = "harassing volunteers") -> None:
    def work(turn: Turn) -> None:
        texter = turn.session.get_one(Texter, _texter_row(stack, phone).id)
        texter_blocks.block(turn, texter, turn.now + timedelta(days=7), reason, "sam@example.org")

    run_turn(stack.runtime, datetime.now(UTC), work)


def test_block_from_the_thread_ends_the_conversation_and_later_texts_bring_one_notice(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam")
    ana, texter = people.talking(line)
    thread = line.inbox(ana)[-1]["From"]
    line.text(ana, "#block", to=thread, texter=False)
    line.wait_for(ana, "Say why")
    line.text(ana, "#block sending threats to volunteers", to=thread, texter=False)
    line.wait_for(ana, "they are blocked from the line")
    seen = len(line.inbox(ana))
    alert = line.wait_for(sam, "blocked")
    assert "sending threats to volunteers" in alert["Body"] and "Ana" in alert["Body"]
    line.text(texter, "hello? why did you stop")
    line.wait_for(texter, "can't take your texts")
    line.text(texter, "answer me")
    line.settle(quiet=1.5)
    notices = [m for m in line.inbox(texter) if "can't take your texts" in m["Body"]]
    assert len(notices) == 1, "told once, politely"
    assert "988" in notices[0]["Body"], "with the crisis line"
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana)[seen:]), "a blocked texter is not offered"
    with stack.runtime.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "texter_blocked")).one()
        assert entry.actor == "volunteer:Ana" and "threats" in entry.detail
        assert session.scalars(select(TexterBlock)).one().told_at is not None


def test_a_blocked_texter_in_danger_still_gets_the_crisis_text_and_the_supervisor_is_alerted(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam")
    ana = people.on_shift(line, "Ana")
    texter = people.texter()
    line.connect(ana, texter, "hi")
    _block(stack, texter)
    line.wait_for(ana, "they are blocked from the line")
    seen = len(line.inbox(ana))
    reply = line.text(texter, IN_DANGER)
    assert "988" in reply.text, "the crisis text, inline, whatever the block"
    alert = line.wait_for(sam, "blocked texter")
    assert _texter_row(stack, texter).pseudonym in alert["Body"] and "imminent" in alert["Body"]
    line.settle(quiet=1.0)
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana)[seen:])


def test_a_lifted_block_lets_the_texter_be_offered_again(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    texter = people.texter()
    line.connect(ana, texter, "hi")
    _block(stack, texter)
    with stack.runtime.sessions() as session:
        block_id = session.scalars(select(TexterBlock.id)).one()
    run_turn(stack.runtime, datetime.now(UTC), lambda turn: texter_blocks.lift(turn, block_id, "sam@example.org"))
    line.text(texter, "sorry about before, can we talk")
    line.wait_for(ana, "can we talk")


def test_a_plan_s_note_reaches_the_volunteer_who_accepts(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    texter = people.texter()
    line.connect(ana, texter, "hi")
    line.text(ana, "#done", to=line.inbox(ana)[-1]["From"], texter=False)
    line.wait_for(texter, "This conversation has ended")

    def work(turn: Turn) -> None:
        row = turn.session.get_one(Texter, _texter_row(stack, texter).id)
        plans.set_plan(turn, row, "Texts most nights; keep to 20 minutes, end warmly.", 20, None, "sam@example.org")

    run_turn(stack.runtime, datetime.now(UTC), work)
    bea = people.on_shift(line, "Bea")
    line.text(ana, "#off", texter=False)
    line.text(texter, "it's me again")
    offer = line.wait_for(bea, "it's me again")
    line.text(bea, "#yes", to=offer["From"], texter=False)
    note = line.wait_for(bea, "Plan for")
    assert "keep to 20 minutes, end warmly" in note["Body"] and "at most 20 minutes" in note["Body"]


def test_a_picture_is_acknowledged_to_the_texter_and_the_volunteer_is_told(
    line: Line, people: People, stack: Stack
) -> None:
    ana, texter = people.talking(line)
    form = line.sms_form(texter, "")
    form |= {"NumMedia": "1", "MediaContentType0": "image/jpeg", "MediaUrl0": "https://api.twilio.com/media/ME1"}
    response = line.post("/twilio/sms", form)
    assert response.status_code == 200
    assert line.await_routing is not None
    line.await_routing(form["MessageSid"])
    line.wait_for(texter, "We can't show pictures here")
    notice = line.wait_for(ana, "sent a picture")
    assert "they've been asked to say it in words" in notice["Body"]
    line.settle(quiet=1.0)
    pseudonym = _texter_row(stack, texter).pseudonym
    assert not any(m["Body"].strip() == f"{pseudonym}:" for m in line.inbox(ana)), "no empty relayed line"
    with_words = line.sms_form(texter, "this is my dog", sid="SM" + secrets.token_hex(16)) | {"NumMedia": "1"}
    line.post("/twilio/sms", with_words)
    line.await_routing(with_words["MessageSid"])
    line.wait_for(ana, "this is my dog")
