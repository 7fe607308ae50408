"""Opt-out as Twilio really applies it: Twilio's `OptOutType` decides when the webhook carries
it; without it only the words the operator's setup still blocks are an opt-out. Under the
README's recommended setup (END, QUIT, CANCEL and REVOKE dropped) a texter who sends "end" is
not cut off."""

from __future__ import annotations

from sqlalchemy import select

from service.db import Conversation, Texter
from tests.support.line import Line
from tests.support.stack import People, Stack


def _texter_state(stack: Stack) -> tuple[bool, list[str]]:
    with stack.runtime.sessions() as session:
        opted_out = session.scalars(select(Texter.opted_out)).one()
        return opted_out, list(session.scalars(select(Conversation.status)))


def _text_as_twilio_took_it(line: Line, texter: str, body: str, opt_out_type: str) -> None:
    """`texter` texts the line, and Twilio (Advanced Opt-Out on) says what it took the text as."""
    form = {**line.sms_form(texter, body), "OptOutType": opt_out_type}
    line.texter_numbers.add(texter)
    assert line.post("/twilio/sms", form).status_code == 200
    assert line.await_routing is not None
    line.await_routing(form["MessageSid"])


def test_a_bare_end_is_an_ordinary_message_that_reaches_the_volunteer(line: Line, people: People, stack: Stack) -> None:
    ana, texter = people.talking(line, first_words="hi, rough night")
    line.text(texter, "end")
    line.text(texter, "are you still there?")
    line.wait_for(ana, ": end")
    line.wait_for(ana, ": are you still there?")
    line.text(ana, "I'm here. Take your time.", texter=False)
    line.wait_for(texter, "Take your time")
    assert not [m for m in line.inbox(ana) if "texted STOP" in m["Body"]]
    assert _texter_state(stack) == (False, ["active"]), "nothing is opted out, the conversation goes on"


def test_twilio_opt_out_type_stop_ends_the_conversation_whatever_the_words(
    line: Line, people: People, stack: Stack
) -> None:
    """A line whose Twilio still blocks END: Twilio says so with OptOutType=STOP, and the line follows."""
    ana, texter = people.talking(line)
    _text_as_twilio_took_it(line, texter, "end", "STOP")
    line.wait_for(ana, "texted STOP")
    assert _texter_state(stack) == (True, ["closed"])
    before = len(line.inbox(texter))
    line.text(ana, "are you still there?", texter=False)
    line.wait_for(ana, "no conversation in this thread")
    line.settle(quiet=1.0)
    assert len(line.inbox(texter)) == before, "nothing is sent to an opted-out texter"
    _text_as_twilio_took_it(line, texter, "start", "START")
    assert _texter_state(stack)[0] is False


def test_twilio_help_is_an_ordinary_message(line: Line, people: People, stack: Stack) -> None:
    ana, texter = people.talking(line)
    _text_as_twilio_took_it(line, texter, "help", "HELP")
    line.wait_for(ana, ": help")
    assert _texter_state(stack) == (False, ["active"])


def test_stop_without_opt_out_type_is_still_an_opt_out(line: Line, people: People, stack: Stack) -> None:
    ana, texter = people.talking(line)
    line.text(texter, "Stop")
    line.wait_for(ana, "texted STOP")
    assert _texter_state(stack) == (True, ["closed"])
