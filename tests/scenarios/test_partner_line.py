"""A line with a partner line ([rota] partner_line): with nobody on shift a caller rolls over to
it (the call shows the line's number, never the caller's), and a texter outside the hours is
given it beside the hours and the crisis line."""

from __future__ import annotations

from sqlalchemy import select

from service.db import Call
from tests.support.line import Line
from tests.support.phone_calls import Call as PhoneCall
from tests.support.phone_calls import says
from tests.support.stack import People, Stack, private_line_fixtures

PARTNER = "+18005550123"
partner_stack, partner_line = private_line_fixtures("partner", inbound=f'\n[rota]\npartner_line = "{PARTNER}"\n')


def test_with_nobody_on_shift_a_call_rolls_over_to_the_partner_line_and_a_texter_is_told_of_it(
    partner_line: Line, partner_stack: Stack
) -> None:
    line, people = partner_line, People(partner_stack.runtime)
    caller = people.texter()
    call = PhoneCall.dial_in(line, caller)
    rolled = call.no_input()
    assert "partner line" in says(rolled)
    dial = rolled.find("Dial")
    assert dial is not None and (dial.text or "").strip() == PARTNER
    assert dial.attrib["callerId"] in line.numbers
    with partner_stack.runtime.sessions() as session:
        assert session.scalars(select(Call.outcome).where(Call.direction == "inbound")).one() == "partner_line"

    texter = people.texter()
    line.text(texter, "hello, anyone?")
    told = line.wait_for(texter, "No volunteer is on shift")["Body"]
    assert "988" in told
    line.wait_for(texter, f"Another line you can reach now: {PARTNER}.")


def test_with_a_volunteer_on_shift_the_caller_rings_them_not_the_partner_line(
    partner_line: Line, partner_stack: Stack
) -> None:
    line, people = partner_line, People(partner_stack.runtime)
    ana = people.on_shift(line, "Ana")
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    assert call.rung_phones() == [ana]
