"""Every volunteer command answers clearly; plain text outside a conversation is never relayed."""

from __future__ import annotations

from tests.support.line import Line
from tests.support.stack import People


def test_commands_answer_clearly_when_off_shift(line: Line, people: People) -> None:
    ana = people.volunteer("Ana")
    for command, answer in [
        ("#status", "not on shift"),
        ("#off", "not on shift"),
        ("#break", "not on shift"),
        ("#yes", "no offer waiting"),
        ("#pass", "no offer waiting"),
        ("#done", "no conversation"),
        ("#help", "Commands:"),
        ("#dance", "Commands:"),
        ("#escalate", "thread of the conversation"),
    ]:
        line.text(ana, command, texter=False)
        line.wait_for(ana, answer)


def test_plain_text_outside_a_conversation_gets_a_hint_and_goes_nowhere(line: Line, people: People) -> None:
    ana = people.volunteer("Ana")
    texter = people.texter()
    line.text(texter, "hello")
    line.wait_for(texter, "No volunteer is on shift")
    line.text(ana, "is this thing on?", texter=False)
    line.wait_for(ana, "wasn't sent to anyone")
    line.settle(quiet=1.0)
    assert not any("is this thing on" in m["Body"] for m in line.inbox(texter))


def test_status_break_and_off_during_a_shift(line: Line, people: People) -> None:
    ana = people.on_shift(line, "Ana")
    line.text(ana, "#on", texter=False)
    line.wait_for(ana, "already on shift")
    line.text(ana, "#status", texter=False)
    status = line.wait_for(ana, "On shift since")
    assert "Conversations: 0 of 2" in status["Body"]
    line.text(ana, "#break", texter=False)
    line.wait_for(ana, "On break until")
    texter = people.texter()
    line.text(texter, "hi")
    line.wait_for(texter, "number 1 in line")
    line.settle(quiet=1.0)
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana)), "no offers during a break"
    line.text(ana, "#on", texter=False)  # back early
    line.wait_for(ana, "is waiting")
    line.text(ana, "#off", texter=False)
    line.wait_for(ana, "Your shift has ended")


def test_off_with_open_conversations_keeps_them_and_says_so(line: Line, people: People) -> None:
    ana, texter = people.talking(line)
    line.text(ana, "#off", texter=False)
    line.wait_for(ana, "1 open conversation")
    line.text(ana, "still with you", texter=False)
    line.wait_for(texter, "still with you")


def test_escalate_alerts_the_supervisor_on_call_without_the_texters_number(line: Line, people: People) -> None:
    ana = people.volunteer("Ana")
    sam = people.supervisor("Sam", on_call=True)
    off_duty = people.supervisor("Kim", on_call=False)
    line.text(ana, "#on", texter=False)
    texter = people.texter()
    line.text(texter, "hi")
    offer = line.wait_for(ana, "is waiting")
    pseudonym = offer["Body"].split("Texter ")[1].split(" ")[0]
    line.text(ana, "#yes", texter=False)
    line.wait_for(texter, "texting with Ana")
    line.text(ana, "#escalate they mentioned a plan", texter=False)
    alert = line.wait_for(sam, "escalation")
    assert (
        pseudonym in alert["Body"]
        and "they mentioned a plan" in alert["Body"]
        and "/dashboard/escalations/" in alert["Body"]
    )
    line.wait_for(ana, "supervisor on call has been alerted")
    line.settle(quiet=1.0)
    assert line.inbox(off_duty) == []


def test_spanish_texter_with_no_spanish_speaker_on_shift_is_told_and_still_connected(
    line: Line, people: People
) -> None:
    ben = people.volunteer("Ben", languages="en")
    line.text(ben, "#on", texter=False)
    texter = people.texter()
    line.text(texter, "hola, necesito hablar con alguien por favor")
    line.wait_for(texter, "Ahora no hay ningún voluntario que hable español")
    offer = line.wait_for(ben, "is waiting")
    assert "prefers español" in offer["Body"]
