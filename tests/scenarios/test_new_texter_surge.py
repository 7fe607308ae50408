"""A surge of new texters (the line in the news): their first texts are routed together, and
each still gets what one alone would: the welcome and their own place in line, in the order
they texted; a texter whose words carry risk among them is routed as before; and a volunteer
is offered one texter, once."""

from __future__ import annotations

import os
import re
import signal

from sqlalchemy import select

from service.db import Conversation, Offer, Texter
from tests.support.line import Line
from tests.support.stack import People, Stack, private_line_fixtures

NEW_TEXTERS = 12
IMMINENT = "i have the pills in my hand and i'm taking them now"

# A line of its own, whose limit on new senders a minute the surge stays under.
surge_stack, surge_line = private_line_fixtures("surge", inbound="new_senders_per_minute = 1000\n")


def test_new_texters_waiting_together_are_welcomed_in_order_each_with_their_place_in_line(
    surge_line: Line, surge_stack: Stack
) -> None:
    line, stack, people = surge_line, surge_stack, People(surge_stack.runtime)
    ana = people.on_shift(line, "Ana")
    texters = [people.texter() for _ in range(NEW_TEXTERS)]
    in_danger = texters[5]
    line.texter_numbers.update(texters)
    os.kill(stack.worker_pid, signal.SIGSTOP)  # they wait together, as behind a busy worker
    try:
        for texter in texters:
            words = IMMINENT if texter == in_danger else "hi, is anyone there?"
            assert line.post("/twilio/sms", line.sms_form(texter, words)).status_code == 200
    finally:
        os.kill(stack.worker_pid, signal.SIGCONT)
    places = {}
    for texter in texters:
        place = line.wait_for(texter, "in line. Stay", timeout=30)["Body"]
        found = re.search(r"number (\d+) in line", place)
        assert found is not None, place
        places[texter] = int(found.group(1))
    # The texter in danger jumps the queue; everyone else is in the order they texted.
    expected = [1 if texter == in_danger else index + 1 for index, texter in enumerate(texters)]
    assert [places[texter] for texter in texters] == expected
    line.settle()
    for texter in texters:
        bodies = [message["Body"] for message in line.inbox(texter)]
        assert sum("been through hard times too" in body for body in bodies) == 1, "welcomed once"
    with stack.runtime.sessions() as session:
        conversations = session.execute(
            select(Conversation.id, Conversation.created_at, Conversation.risk_level)
            .join(Texter, Texter.id == Conversation.texter_id)
            .order_by(Conversation.id)
        ).all()
        offers = session.scalars(select(Offer.conversation_id)).all()
    assert len(conversations) == NEW_TEXTERS, "one conversation each"
    # Opened in the order they texted: the five before the texter in danger in one turn, the
    # texter in danger in a turn of their own, the six after in one turn.
    assert [row.risk_level for row in conversations] == ["none"] * 5 + ["imminent"] + ["none"] * 6
    assert len({row.created_at for row in conversations[:5]}) == 1, "routed together"
    assert len({row.created_at for row in conversations[6:]}) == 1, "routed together"
    assert len(offers) == 1, "Ana is offered one texter, once"
    assert sum("is waiting" in message["Body"] for message in line.inbox(ana)) == 1


# Nobody on shift, a partner line and lived-experience topics: what a texter routed alone is told.
told_stack, told_line = private_line_fixtures(
    "surge_told",
    inbound="new_senders_per_minute = 1000\n",
    config='[matching]\ntopics = ["grief", "veterans"]\n\n[rota]\npartner_line = "+15550001111"\n',
)


def test_new_texters_routed_together_are_told_all_that_one_alone_is_and_a_picture_is_acknowledged(
    surge_told_line: Line, surge_told_stack: Stack
) -> None:
    line, stack, people = surge_told_line, surge_told_stack, People(surge_told_stack.runtime)
    texters = [people.texter() for _ in range(6)]
    with_picture = texters[2]
    line.texter_numbers.update(texters)
    os.kill(stack.worker_pid, signal.SIGSTOP)
    try:
        for texter in texters:
            form = line.sms_form(texter, "" if texter == with_picture else "hello? anyone")
            if texter == with_picture:
                form |= {
                    "NumMedia": "1",
                    "MediaUrl0": "https://api.twilio.com/media/ME0",
                    "MediaContentType0": "image/jpeg",
                }
            assert line.post("/twilio/sms", form).status_code == 200
    finally:
        os.kill(stack.worker_pid, signal.SIGCONT)
    for texter in texters:
        line.wait_for(texter, "Reply with the number", timeout=30)
    line.settle()
    for texter in texters:
        bodies = [message["Body"] for message in line.inbox(texter)]
        assert sum("No volunteer is on shift" in body for body in bodies) == 1, bodies
        assert sum("+15550001111" in body for body in bodies) == 1, bodies
        assert sum("Reply with the number" in body for body in bodies) == 1, bodies
        assert sum("can't show pictures" in body for body in bodies) == (1 if texter == with_picture else 0), bodies
