"""The texter's journey by SMS, end to end through signed webhooks, the router, the outbox,
the RQ worker and the fake Twilio API."""

from __future__ import annotations

import time

from sqlalchemy import select

from service.db import Conversation
from tests.support.line import Line
from tests.support.stack import People, Stack


def test_full_journey_texter_reaches_volunteer_and_both_stay_masked(line: Line, people: People, stack: Stack) -> None:
    ana = people.volunteer("Ana")
    texter = people.texter()
    line.start_shift(ana)

    line.text(texter, "hi, I can't sleep and I feel really alone")
    welcome = line.wait_for(texter, "trained peer volunteer")
    assert welcome["From"] == line.main_number
    assert "988" in welcome["Body"] and "private" in welcome["Body"]
    line.wait_for(texter, "number 1 in line")
    offer = line.wait_for(ana, "is waiting")
    assert "I can't sleep" in offer["Body"] and "#yes" in offer["Body"]
    pseudonym = offer["Body"].split("Texter ")[1].split(" ")[0]
    assert pseudonym.startswith("T-")

    line.text(ana, "#yes", to=offer["From"], texter=False)
    connected = line.wait_for(texter, "You're now texting with Ana")
    assert "Ana Example" not in connected["Body"] and ana not in connected["Body"]
    line.wait_for(ana, f"connected with {pseudonym}")

    line.text(ana, "I'm here with you. What's keeping you up?", to=offer["From"], texter=False)
    relayed = line.wait_for(texter, "What's keeping you up?")
    assert relayed["From"] == line.main_number  # the texter only ever sees the line's number
    line.text(texter, "work stuff, and my sister")
    to_volunteer = line.wait_for(ana, "work stuff, and my sister")
    assert to_volunteer["From"] == offer["From"] and to_volunteer["Body"].startswith(pseudonym)

    line.text(ana, "#done", to=offer["From"], texter=False)
    closing = line.wait_for(texter, "conversation has ended")
    assert "1 (not at all) to 5" in closing["Body"]
    line.wait_for(ana, f"Conversation with {pseudonym} closed")
    line.text(texter, "4")
    line.wait_for(texter, "Thank you for telling us")
    with stack.runtime.sessions() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.status, conversation.close_reason, conversation.feedback_score) == (
            "closed",
            "volunteer_done",
            4,
        )
    for message in line.twilio.messages():
        assert message["From"] in line.numbers, "every text comes from a line number"


def test_offer_times_out_and_rolls_over_to_the_next_volunteer(line: Line, people: People) -> None:
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    line.start_shift(ana)
    texter = people.texter()
    line.text(texter, "is anyone there?")
    first = line.wait_for(ana, "is waiting")
    line.text(ben, "#on", texter=False)  # Ben arrives while Ana's offer is pending
    line.wait_for(ben, "shift has started")
    # Ana does not answer: after the 4 s offer timeout the RQ scheduler's job moves the offer on.
    line.wait_for(ana, "timed out", timeout=15)
    second = line.wait_for(ben, "is waiting", timeout=5)
    assert "is anyone there?" in second["Body"]
    line.text(ana, "#yes", to=first["From"], texter=False)
    line.wait_for(ana, "no offer waiting")
    line.text(ben, "#yes", to=second["From"], texter=False)
    line.wait_for(texter, "texting with Ben")


def test_pass_moves_the_texter_on_and_never_back_to_who_passed(line: Line, people: People, stack: Stack) -> None:
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    for volunteer in (ana, ben):
        line.start_shift(volunteer)
    texter = people.texter()
    line.text(texter, "hello")
    offers = {v: [m for m in line.inbox(v) if "is waiting" in m["Body"]] for v in (ana, ben)}
    deadline = time.monotonic() + 10
    while not any(offers.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
        offers = {v: [m for m in line.inbox(v) if "is waiting" in m["Body"]] for v in (ana, ben)}
    first = ana if offers[ana] else ben
    other = ben if first == ana else ana
    line.text(first, "#pass", texter=False)
    line.wait_for(first, "passed on")
    line.wait_for(other, "is waiting")
    line.text(other, "#pass", texter=False)
    line.wait_for(other, "passed on")
    line.settle(quiet=1.0)
    assert len([m for m in line.inbox(first) if "is waiting" in m["Body"]]) == 1, (
        "a volunteer who passed is never offered that texter again"
    )


def test_one_number_pool_holds_one_conversation_per_volunteer(one_number_line: Line, people: People) -> None:
    line = one_number_line
    ana = people.on_shift(line, "Ana")
    first, second = people.texter(), people.texter()
    line.text(first, "first texter here")
    line.wait_for(ana, "first texter here")
    line.text(ana, "#yes", texter=False)
    line.wait_for(first, "texting with Ana")
    line.text(second, "second texter here")
    line.wait_for(second, "number 1 in line")
    line.settle(quiet=1.0)
    assert not any("second texter here" in m["Body"] for m in line.inbox(ana)), "no second thread exists to carry it"
    line.text(ana, "#done", texter=False)
    line.wait_for(first, "conversation has ended")
    offer = line.wait_for(ana, "second texter here")
    assert offer["From"] == line.main_number
    line.text(ana, "#yes", texter=False)
    line.wait_for(second, "texting with Ana")


def test_concurrent_conversations_use_distinct_line_numbers(line: Line, people: People) -> None:
    ana = people.on_shift(line, "Ana")
    first, second = people.texter(), people.texter()
    line.text(first, "one")
    offer_one = line.wait_for(ana, "is waiting")
    line.text(ana, "#yes", to=offer_one["From"], texter=False)
    line.text(second, "two")
    offer_two = line.wait_for(ana, '"two"')
    assert offer_two["From"] != offer_one["From"], "each conversation is its own thread on the volunteer's phone"
    line.text(ana, "#yes", to=offer_two["From"], texter=False)
    line.wait_for(second, "texting with Ana")
    line.text(ana, "reply for the second", to=offer_two["From"], texter=False)
    line.text(ana, "reply for the first", to=offer_one["From"], texter=False)
    line.wait_for(second, "reply for the second")
    line.wait_for(first, "reply for the first")
    line.settle()
    assert not any("reply for the first" in m["Body"] for m in line.inbox(second))


def test_returning_texter_is_offered_first_to_their_previous_volunteer(line: Line, people: People) -> None:
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    texter = people.texter()
    line.start_shift(ben)
    line.text(texter, "first night")
    line.wait_for(ben, "first night")
    line.text(ben, "#yes", texter=False)
    line.wait_for(texter, "texting with Ben")
    line.text(ben, "#done", texter=False)
    line.wait_for(texter, "conversation has ended")
    line.text(ana, "#on", texter=False)  # Ana is now on shift and idle longer: she'd be next otherwise
    line.wait_for(ana, "shift has started")
    line.text(texter, "it's me again")
    offer = line.wait_for(ben, "it's me again")
    assert "talked with them before" in offer["Body"]
    line.settle()
    assert not any("it's me again" in m["Body"] for m in line.inbox(ana))


def test_nobody_on_shift_texter_is_told_and_waits_for_the_first_volunteer(line: Line, people: People) -> None:
    early, later = people.texter(), people.texter()
    line.text(early, "hello?")
    told = line.wait_for(early, "No volunteer is on shift")
    assert "988" in told["Body"] and "6 pm to 2 am" in told["Body"]
    line.text(later, "anyone?")
    line.wait_for(later, "No volunteer is on shift")
    ana = people.volunteer("Ana")
    line.text(ana, "#on", texter=False)
    started = line.wait_for(ana, "shift has started")
    assert "Texters waiting: 2" in started["Body"]
    offer = line.wait_for(ana, "is waiting")
    assert "hello?" in offer["Body"], "the longest waiting texter is offered first"


def test_stop_ends_the_conversation_and_nothing_is_sent_until_start(line: Line, people: People) -> None:
    ana = people.volunteer("Ana")
    texter = people.texter()
    line.text(ana, "#on", texter=False)
    line.text(texter, "hey")
    line.wait_for(ana, "is waiting")
    line.text(ana, "#yes", texter=False)
    line.wait_for(texter, "texting with Ana")
    line.text(texter, "STOP")
    line.wait_for(ana, "texted STOP")
    before = len(line.inbox(texter))
    line.text(ana, "are you still there?", texter=False)
    line.wait_for(ana, "no conversation in this thread")
    line.text(texter, "hello again")  # opted out: they are queued, but nothing is sent to them
    line.settle(quiet=1.5)
    assert len(line.inbox(texter)) == before, "nothing is sent to an opted-out texter"
    line.text(texter, "START")
    line.text(ana, "#done", texter=False)  # Ana is free; the queued texter is offered again
    line.wait_for(ana, "hello again")
    line.text(ana, "#yes", texter=False)
    line.wait_for(texter, "texting with Ana")


def test_duplicate_message_sid_changes_nothing_and_sends_nothing_twice(line: Line, people: People) -> None:
    texter = people.texter()
    sid = "SM" + "d" * 32
    line.text(texter, "only once please", sid=sid)
    line.settle(quiet=1.0)
    before = len(line.twilio.messages())
    line.text(texter, "only once please", sid=sid)
    line.text(texter, "only once please", sid=sid)
    line.settle(quiet=1.0)
    assert len(line.twilio.messages()) == before


def test_forged_or_missing_signature_is_refused_and_acts_on_nothing(line: Line, people: People) -> None:
    texter = people.texter()
    form = line.sms_form(texter, "forged")
    assert line.post("/twilio/sms", form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert line.post("/twilio/sms", form, sign=False).status_code == 403
    tampered = dict(form, Body="tampered after signing")
    from twilio.request_validator import RequestValidator

    good = RequestValidator(line.twilio.auth_token).compute_signature(line.public_url + "/twilio/sms", form)
    assert line.post("/twilio/sms", tampered, signature=good).status_code == 403
    wrong_url = RequestValidator(line.twilio.auth_token).compute_signature(line.server_url + "/twilio/sms", form)
    assert line.post("/twilio/sms", form, signature=wrong_url).status_code == 403, "only the public URL is trusted"
    line.settle(quiet=1.0)
    assert line.twilio.messages() == []


def test_spanish_texter_is_answered_in_spanish_and_routed_to_a_spanish_speaker(line: Line, people: People) -> None:
    ben = people.volunteer("Ben", languages="en")
    ana = people.volunteer("Ana", languages="en,es")
    line.text(ben, "#on", texter=False)
    line.start_shift(ana)
    texter = people.texter()
    line.text(texter, "hola, no me siento bien y necesito hablar con alguien")
    line.wait_for(texter, "Un voluntario capacitado")
    offer = line.wait_for(ana, "necesito hablar")
    assert "prefers español" in offer["Body"]
    line.text(ana, "#yes", texter=False)
    line.wait_for(texter, "Ahora estás hablando con Ana")
    line.settle()
    assert not any("necesito" in message["Body"] for message in line.inbox(ben)), (
        "never offered to a volunteer without Spanish"
    )


def test_espanol_keyword_switches_language(line: Line, people: People) -> None:
    texter = people.texter()
    line.text(texter, "hi")
    line.wait_for(texter, "Para español, responde ESPAÑOL")
    line.text(texter, "ESPAÑOL")
    line.wait_for(texter, "seguimos en español")
