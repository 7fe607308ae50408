"""Risk brings in professionals at once: the crisis text inline, the supervisor on call
alerted, the volunteer guided, a waiting texter first in line, and the backup alerted when
nobody acknowledges. No alert carries the texter's number (the privacy audit checks)."""

from __future__ import annotations

import time

from sqlalchemy import select

from service.db import Conversation, Escalation
from tests.support.line import Line
from tests.support.stack import People, Stack
from tests.support.twiml import inline_reply

IMMINENT = "I have the pills in front of me and I'm going to take them all tonight"


def test_imminent_message_gets_the_crisis_text_inline_and_alerts_everyone(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.volunteer("Ana")
    sam = people.supervisor("Sam", on_call=True)
    line.start_shift(ana)
    texter = people.texter()
    offer = line.connect(ana, texter, "I don't know why I'm texting")
    pseudonym = offer["Body"].split("Texter ")[1].split(" ")[0]
    response = line.text(texter, IMMINENT)
    inline = inline_reply(response.text)
    assert "988" in inline and "911" in inline, "the crisis line goes back in the webhook's own reply"
    guidance = line.wait_for(ana, "URGENT")
    assert pseudonym in guidance["Body"] and guidance["From"] == offer["From"]
    alert = line.wait_for(sam, "escalation")
    assert pseudonym in alert["Body"] and "imminent" in alert["Body"] and "/dashboard/escalations/" in alert["Body"]
    line.wait_for(ana, IMMINENT[:30])  # the volunteer still sees what was said
    with stack.runtime.sessions() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert (escalation.level, escalation.source) == ("imminent", "detector")
        # A plan to take pills reads as an overdose (poison control among the resources), a kind of suicide risk.
        assert any(kind in escalation.categories for kind in ("suicide", "overdose")) and escalation.rules
    line.text(texter, "I mean it")
    line.settle(quiet=1.0)
    assert len([m for m in line.inbox(sam) if "escalation #" in m["Body"]]) == 1, (
        "one page per escalation, not per message"
    )


def test_supervisor_acknowledges_by_text_and_nobody_else_is_paged(line: Line, people: People, stack: Stack) -> None:
    sam = people.supervisor("Sam", on_call=True)
    kim = people.supervisor("Kim", on_call=False)
    texter = people.texter()
    line.text(texter, IMMINENT)
    alert = line.wait_for(sam, "escalation #")
    number = alert["Body"].split("escalation #")[1].split(":")[0]
    line.text(sam, f"#ack {number}", texter=False)
    line.wait_for(sam, f"Escalation #{number}")
    time.sleep(3)  # past the (test) re-alert delay of 3 s
    stack.wait_for_sweeps(2)  # each would re-alert an escalation left unacknowledged
    line.settle(quiet=1.0)
    assert line.inbox(kim) == []
    with stack.runtime.sessions() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.acknowledged_at is not None and escalation.realerted_at is None


def test_unacknowledged_escalation_goes_to_the_backup(line: Line, people: People, stack: Stack) -> None:
    sam = people.supervisor("Sam", on_call=True)
    lee = people.supervisor("Lee", on_call=False)
    texter = people.texter()
    line.text(texter, IMMINENT)
    line.wait_for(sam, "escalation #")
    realert = line.wait_for(lee, "UNACKNOWLEDGED", timeout=20)
    line.text(lee, "#ack", texter=False)
    line.wait_for(lee, "acknowledged")
    with stack.runtime.sessions() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.alerted == "Sam, Lee"
    assert "/dashboard/escalations/" in realert["Body"]


def test_nobody_on_call_means_every_supervisor_is_alerted(line: Line, people: People) -> None:
    first, second = people.supervisor("Ari", on_call=False), people.supervisor("Bo", on_call=False)
    texter = people.texter()
    response = line.text(texter, "voy a matarme esta noche, ya tengo las pastillas")
    assert "988" in inline_reply(response.text)
    line.wait_for(first, "escalation #")
    line.wait_for(second, "escalation #")


def test_waiting_texter_in_danger_goes_to_the_head_of_the_queue(line: Line, people: People) -> None:
    people.supervisor("Sam")
    calm, urgent = people.texter(), people.texter()
    line.text(calm, "hi, rough week, just want to talk")
    line.wait_for(calm, "No volunteer is on shift")
    line.text(urgent, "i want to kill myself")
    line.text(urgent, "i have the rope ready")
    ana = people.volunteer("Ana")
    line.text(ana, "#on", texter=False)
    offer = line.wait_for(ana, "is waiting")
    assert offer["Body"].startswith("RISK IMMINENT") and "kill myself" in offer["Body"]


def test_elevated_risk_alerts_the_volunteer_with_resources_and_flags_the_conversation(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam")
    ana, texter = people.talking(line)
    response = line.text(texter, "sometimes I wish I could just disappear and not wake up")
    assert inline_reply(response.text) == ""
    alert = line.wait_for(ana, "messages show risk")
    assert "#escalate" in alert["Body"] and "988" in alert["Body"]
    line.settle(quiet=1.0)
    assert line.inbox(sam) == []
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Conversation.risk_level)).one() == "elevated"


def test_means_after_earlier_risk_raises_the_whole_conversation(line: Line, people: People) -> None:
    sam = people.supervisor("Sam")
    ana, texter = people.talking(line)
    line.text(texter, "i want to die")
    line.wait_for(ana, "messages show risk")
    line.text(texter, "nobody would even notice")
    response = line.text(texter, "i have the pills right here")
    assert "988" in inline_reply(response.text)
    line.wait_for(sam, "escalation #")
    line.wait_for(ana, "URGENT")


def test_idioms_do_not_alarm(line: Line, people: People) -> None:
    sam = people.supervisor("Sam")
    texter = people.texter()
    for text in ["this exam is killing me lol", "my phone died earlier", "I'm dying to see that movie"]:
        assert inline_reply(line.text(texter, text).text) == ""
    line.settle(quiet=1.0)
    assert line.inbox(sam) == []


def test_redelivered_risky_message_gets_the_crisis_text_again_and_nothing_twice(line: Line, people: People) -> None:
    sam = people.supervisor("Sam")
    texter = people.texter()
    sid = "SM" + "f" * 32
    first = line.text(texter, IMMINENT, sid=sid)
    line.wait_for(sam, "escalation #")
    line.settle(quiet=1.0)
    sent = len(line.twilio.messages())
    again = line.text(texter, IMMINENT, sid=sid)  # Twilio retries when our first answer was lost
    assert inline_reply(again.text) == inline_reply(first.text) and "988" in inline_reply(again.text)
    line.settle(quiet=1.0)
    assert len(line.twilio.messages()) == sent
