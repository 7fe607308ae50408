"""Calls to the line, walked through whole with the test playing Twilio: signed webhooks
(CallSid, Digits, SpeechResult, DialCallStatus, QueueResult, status callbacks) against the
live app and worker. Every TwiML document is checked on arrival (tests/support/twiml.py):
documented verbs and attributes only, callerId always a line number, no caller's number."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from scripts.harness.fake_twilio import FakeTwilio
from service.db import Call, Conversation, Escalation, Offer, Shift
from tests.support.line import Line
from tests.support.phone_calls import Call as PhoneCall
from tests.support.phone_calls import (
    answer_placed_call,
    new_call_sid,
    says,
    wait_for_api_request,
    wait_for_call_request,
)
from tests.support.stack import People, Stack, _clean_line, start_variant


def _conversations(stack: Stack, channel: str) -> list[Conversation]:
    with stack.runtime.sessions() as session:
        return list(
            session.scalars(select(Conversation).where(Conversation.channel == channel).order_by(Conversation.id))
        )


def _caller_call(stack: Stack, sid: str) -> Call:
    with stack.runtime.sessions() as session:
        return session.scalars(select(Call).where(Call.call_sid == sid)).one()


def _pseudonym(line: Line, volunteer: str) -> str:
    connected = line.wait_for(volunteer, "You're on the phone with")
    return connected["Body"].split("phone with ")[1].split(".")[0]


def test_call_answered_by_the_first_volunteer(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    caller = people.texter()

    call = PhoneCall.dial_in(line, caller)
    assert "press 9" in says(call.document) and "para español, oprima 2" in says(call.document).lower()
    call.no_input()
    [leg] = call.rung()
    assert leg.phone == ana and call.document.find("Dial").attrib["callerId"] == line.main_number
    whisper = leg.pick_up()
    assert "Press 1 to accept" in says(whisper)
    assert leg.press("1").findall("*") == [], "an empty answer connects the two"
    pseudonym = _pseudonym(line, ana)
    with stack.runtime.sessions() as session:
        conversation = session.scalars(select(Conversation).where(Conversation.channel == "voice")).one()
        assert (conversation.status, conversation.volunteer.alias, conversation.texter.pseudonym) == (
            "active",
            "Ana",
            pseudonym,
        )
        assert session.scalars(select(Shift.conversations_taken)).one() == 1, "a call counts toward the shift"

    goodbye = call.dial_ends("completed", leg, duration=300)
    assert "hung up" in says(goodbye) and goodbye.find("Hangup") is not None
    call.hang_up(duration=320)
    record = _caller_call(stack, call.sid)
    assert (record.outcome, record.duration_seconds, record.stage) == ("answered", 320, "ended")
    assert record.answered_at is not None and record.ended_at is not None
    line.wait_for(ana, f"Call with {pseudonym} ended")
    [conversation] = _conversations(stack, "voice")
    assert (conversation.status, conversation.close_reason) == ("closed", "call_ended")


def test_first_volunteer_declines_and_the_second_answers(line: Line, people: People, stack: Stack) -> None:
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    line.start_shift(ana)
    line.start_shift(ben)
    call = PhoneCall.dial_in(line, people.texter())
    call.press("1")  # English
    [first] = call.rung()
    first.pick_up()
    assert first.press("2").find("Hangup") is not None, "any key but 1 passes"
    call.dial_ends("completed", first)
    [second] = call.rung()
    assert {first.phone, second.phone} == {ana, ben}
    second.pick_up()
    second.press("1")
    _pseudonym(line, second.phone)
    with stack.runtime.sessions() as session:
        statuses = dict(session.execute(select(Offer.volunteer_id, Offer.status).where(Offer.kind == "ring")).all())
        assert sorted(statuses.values()) == ["accepted", "declined"]


def test_no_key_within_the_timeout_or_no_answer_moves_to_the_next_volunteer(line: Line, people: People) -> None:
    ana, ben, cara = people.volunteer("Ana"), people.volunteer("Ben"), people.volunteer("Cara")
    for volunteer in (ana, ben, cara):
        line.start_shift(volunteer)
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    [voicemail] = call.rung()
    assert "Press 1" in says(voicemail.pick_up())  # a voicemail picks up and never presses 1
    call.dial_ends("completed", voicemail)
    [unanswered] = call.rung()
    call.dial_ends("no-answer")
    [third] = call.rung()
    assert len({voicemail.phone, unanswered.phone, third.phone}) == 3, "nobody is rung twice for one call"
    third.pick_up()
    third.press("1")
    _pseudonym(line, third.phone)


def test_nobody_answers_so_the_caller_holds_until_a_volunteer_is_free(line: Line, people: People, stack: Stack) -> None:
    ben = people.on_shift(line, "Ben", max_concurrent=1)
    texter = people.texter()
    offer = line.connect(ben, texter, "can we talk")
    ana = people.on_shift(line, "Ana")

    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    assert call.rung_phones() == [ana], "Ben is at his limit"
    on_hold = call.dial_ends("no-answer")
    assert on_hold.find("Enqueue") is not None
    notice = call.hold()
    assert "number 1 in line" in says(notice) and "press 2" in says(notice) and "press 9" in says(notice)
    assert _caller_call(stack, call.sid).stage == "holding"

    line.text(ben, "#done", to=offer["From"], texter=False)  # Ben is free: the caller is pulled off hold
    ringing = call.redirected()
    assert call.rung_phones() == [ben] and ringing.find("Dial").attrib["callerId"] == line.main_number
    assert call.leave_queue("redirected").findall("*") == [], "the redirect's TwiML is what the caller hears"
    [leg] = call.rung()
    leg.pick_up()
    leg.press("1")
    _pseudonym(line, ben)
    # Talking with Ben: connected, and moving (or moved) into the call's conference at once.
    assert _caller_call(stack, call.sid).stage in ("connected", "conference")


def test_a_held_caller_who_hung_up_unnoticed_releases_the_volunteer_reserved_for_them(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.on_shift(line, "Ana", max_concurrent=1)
    offer = line.connect(ana, people.texter())
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    call.hold()
    line.twilio.call_status(call.sid, "completed")  # gone, and its status callback never came
    line.text(ana, "#done", to=offer["From"], texter=False)
    refused = wait_for_api_request(
        line, lambda request: request["path"].endswith(f"/Calls/{call.sid}.json") and request["status"] is not None
    )
    assert refused["error_code"] == 21220, "Twilio cannot redirect a call that has ended"
    line.settle(quiet=1.0)
    record = _caller_call(stack, call.sid)
    assert (record.stage, record.outcome) == ("ended", "abandoned")
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Offer).where(Offer.status == "pending")).all() == [], "Ana is free again"


def test_nobody_on_shift_the_caller_asks_for_a_callback_and_a_volunteer_calls_back_masked(
    line: Line, people: People, stack: Stack
) -> None:
    caller = people.texter()
    call = PhoneCall.dial_in(line, caller)
    closing = call.no_input()
    assert "No volunteer is on shift" in says(closing) and "press 1" in says(closing) and "press 9" in says(closing)
    recorded = call.press("1")
    assert "call you back" in says(recorded) and recorded.find("Hangup") is not None
    call.hang_up(duration=40)
    assert _caller_call(stack, call.sid).outcome == "callback"
    [request] = _conversations(stack, "callback")
    assert request.status == "queued"

    ana = people.on_shift(line, "Ana")
    offer = line.wait_for(ana, "asked to be called back")
    line.text(ana, "#yes", to=offer["From"], texter=False)
    line.wait_for(ana, "The line is calling you now")
    to_volunteer = wait_for_call_request(line, lambda placed: placed["action"] == "create" and placed["To"] == ana)
    assert to_volunteer["From"] == offer["From"], "the volunteer sees the line number of the offer's thread"
    volunteer_leg = answer_placed_call(line, to_volunteer)
    assert "Press 1 to call them now" in says(volunteer_leg.document)
    waiting = volunteer_leg.press("1")
    queue = waiting.find("Enqueue")
    assert queue is not None and "Calling them now" in says(waiting)
    assert volunteer_leg.hold().find("Pause") is not None, "the volunteer waits while the caller's phone rings"

    to_caller = wait_for_call_request(line, lambda placed: placed["action"] == "create" and placed["To"] == caller)
    assert to_caller["From"] == line.main_number
    caller_leg = answer_placed_call(line, to_caller)
    assert "you asked us to call you back" in says(caller_leg.document).lower()
    joined = caller_leg.press("1")
    assert joined.find("Dial/Queue").text == queue.text, "both legs meet in the conversation's queue"
    assert volunteer_leg.leave_queue("bridged").find("Hangup") is not None  # after they talked
    caller_leg.dial_ends("completed")
    caller_leg.hang_up(duration=600)
    volunteer_leg.hang_up(duration=610)
    [request] = _conversations(stack, "callback")
    assert (request.status, request.close_reason) == ("closed", "call_ended")
    with stack.runtime.sessions() as session:
        legs = session.scalars(select(Call).where(Call.conversation_id == request.id).order_by(Call.id)).all()
        assert [(leg.party, leg.outcome) for leg in legs] == [("volunteer", "answered"), ("caller", "answered")]
    line.wait_for(ana, "ended. Thank you")


def _request_callback(line: Line, people: People) -> str:
    caller = people.texter()
    call = PhoneCall.dial_in(line, caller)
    call.no_input()
    call.press("1")
    call.hang_up()
    return caller


def test_a_callback_the_caller_does_not_answer_closes_and_frees_the_volunteer(
    line: Line, people: People, stack: Stack
) -> None:
    caller = _request_callback(line, people)
    ana = people.on_shift(line, "Ana")
    offer = line.wait_for(ana, "asked to be called back")
    line.text(ana, "#yes", to=offer["From"], texter=False)
    volunteer_leg = answer_placed_call(line, wait_for_call_request(line, lambda placed: placed["To"] == ana))
    volunteer_leg.press("1")
    caller_leg = answer_placed_call(line, wait_for_call_request(line, lambda placed: placed["To"] == caller))
    caller_leg.press("")  # whoever answered did not press 1
    caller_leg.hang_up(duration=10)
    assert volunteer_leg.hold().find("Leave") is not None, "the volunteer is let go at once"
    assert "didn't answer" in says(volunteer_leg.leave_queue("leave"))
    line.wait_for(ana, "didn't answer the call back")
    [request] = _conversations(stack, "callback")
    assert (request.status, request.close_reason) == ("closed", "callback_unanswered")


def test_a_callback_the_volunteer_misses_goes_to_another_volunteer(line: Line, people: People, stack: Stack) -> None:
    _request_callback(line, people)
    ana = people.on_shift(line, "Ana")
    offer = line.wait_for(ana, "asked to be called back")
    line.text(ana, "#yes", to=offer["From"], texter=False)
    ben = people.on_shift(line, "Ben")
    missed = wait_for_call_request(line, lambda placed: placed["To"] == ana)
    line.twilio.call_status(missed["sid"], "no-answer")
    PhoneCall(
        line,
        caller=missed["From"],
        to=ana,
        sid=missed["sid"],
        direction="outbound-api",
        status_url=missed["StatusCallback"],
    ).status("no-answer")
    line.wait_for(ana, "couldn't reach you")
    line.wait_for(ben, "asked to be called back")
    [request] = _conversations(stack, "callback")
    assert request.status == "queued"


def test_press_9_or_say_crisis_reaches_the_crisis_line_at_once(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    for answer in (lambda call: call.press("9"), lambda call: call.say("I need the crisis line please")):
        call = PhoneCall.dial_in(line, people.texter())
        crisis = answer(call)
        dial = crisis.find("Dial")
        assert dial is not None and (dial.text, dial.attrib["callerId"]) == ("988", line.main_number)
        assert "crisis line" in says(crisis)
        assert _caller_call(stack, call.sid).outcome == "crisis_line"
        call.hang_up(duration=900)
    assert [c.close_reason for c in _conversations(stack, "voice")] == ["crisis_line", "crisis_line"]
    assert not any(ana in document for document in line.voice_documents), "no volunteer was rung"
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Offer).where(Offer.kind == "ring")).all() == []


def test_9_on_hold_reaches_the_crisis_line(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana", max_concurrent=1)
    line.connect(ana, people.texter())
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    call.hold()
    assert call.press_on_hold("9").find("Leave") is not None
    crisis = call.leave_queue("leave")
    assert crisis.find("Dial").text == "988"
    assert _caller_call(stack, call.sid).outcome == "crisis_line"


def test_a_volunteer_at_a_limit_is_never_rung(line: Line, people: People, stack: Stack) -> None:
    ana = people.volunteer("Ana", max_concurrent=1)
    ben = people.volunteer("Ben")
    line.start_shift(ana)
    line.connect(ana, people.texter())  # Ana holds her one conversation
    line.start_shift(ben)
    line.text(ben, "#break", texter=False)
    line.wait_for(ben, "On break")

    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    assert call.document.find("Enqueue") is not None, "nobody may be rung: the caller holds"
    call.hold()
    call.hold()  # each wait visit dispatches again; still nobody
    assert not any(ana in document or ben in document for document in line.voice_documents)
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Offer).where(Offer.kind == "ring")).all() == []


def _all_at_once(start: threading.Barrier, call: PhoneCall) -> None:
    start.wait()
    call.no_input()


def test_two_simultaneous_calls_never_ring_the_same_volunteer(line: Line, people: People, stack: Stack) -> None:
    volunteers = [people.volunteer(name) for name in ("Ana", "Ben")]
    for volunteer in volunteers:
        line.start_shift(volunteer)
    for _ in range(5):
        calls = [PhoneCall.dial_in(line, people.texter()) for _ in range(3)]
        start = threading.Barrier(len(calls))
        threads = [threading.Thread(target=_all_at_once, args=(start, call)) for call in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # A caller who found every volunteer locked by the others' turns (SKIP LOCKED) holds;
        # Twilio fetches the queue's wait URL at once, and that visit rings anyone still free.
        for call in calls:
            if call.document.find("Enqueue") is not None:
                call.hold()
                if _caller_call(stack, call.sid).stage == "pulling":
                    call.redirected()
        rung = [phone for call in calls for phone in call.rung_phones()]
        assert sorted(rung) == sorted(volunteers), f"each volunteer rung once, for one caller: {rung}"
        assert [_caller_call(stack, call.sid).stage for call in calls].count("holding") == 1, "the third caller holds"
        for call in calls:
            call.hang_up(duration=5)
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Offer).where(Offer.status == "pending")).all() == []


def test_a_caller_on_hold_may_continue_by_text_keeping_their_place(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana", max_concurrent=1)
    line.connect(ana, people.texter())
    caller = people.texter()
    call = PhoneCall.dial_in(line, caller)
    call.no_input()
    call.hold()
    call.press_on_hold("2")
    goodbye = call.leave_queue("leave")
    assert "sent you a text" in says(goodbye)
    line.wait_for(caller, "you asked to continue by text")
    [voice] = _conversations(stack, "voice")
    texting = _conversations(stack, "sms")[-1]
    assert (texting.status, texting.queued_at) == ("queued", voice.queued_at)
    assert _caller_call(stack, call.sid).outcome == "text_instead"


def test_an_escalated_call_alerts_the_supervisor_and_gives_the_volunteer_a_check_in(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.volunteer("Ana")
    sam = people.supervisor("Sam")
    line.start_shift(ana)
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    [leg] = call.rung()
    leg.pick_up()
    leg.press("1")
    pseudonym = _pseudonym(line, ana)
    line.text(ana, "#escalate caller has a plan", texter=False)  # to the main number, mid-call
    alert = line.wait_for(sam, "escalation #")
    assert pseudonym in alert["Body"]
    line.wait_for(ana, "supervisor on call has been alerted")
    call.dial_ends("completed", leg, call_status="completed", duration=1200)
    call.hang_up(duration=1200)
    line.wait_for(ana, "That was a heavy conversation")
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Escalation.source)).one() == "volunteer"

    second = PhoneCall.dial_in(line, people.texter())
    second.no_input()
    assert second.document.find("Enqueue") is not None, "no calls until Ana texts #ok"


def test_webhooks_twilio_repeats_change_nothing_twice(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    call = PhoneCall.dial_in(line, people.texter())
    again = call.post(line.public_url + "/twilio/voice", {})
    assert says(again) == says(call.document)
    greeting = call.document
    first = call.no_input()
    call.document = greeting
    assert [n.attrib["url"] for n in call.no_input().iter("Number")] == [n.attrib["url"] for n in first.iter("Number")]
    [leg] = call.rung()
    leg.pick_up()
    leg.press("1")
    call.dial_ends("completed", leg)
    call.hang_up()
    call.status("completed", 60)
    line.settle(quiet=1.0)
    assert len(_conversations(stack, "voice")) == 1
    assert len([m for m in line.inbox(ana) if "ended. Thank you" in m["Body"]]) == 1


def test_unsigned_or_forged_voice_webhooks_are_refused(line: Line, people: People, stack: Stack) -> None:
    form = {"CallSid": "CA" + "f" * 32, "From": people.texter(), "To": line.main_number, "CallStatus": "ringing"}
    assert line.post("/twilio/voice", form, sign=False).status_code == 403
    assert line.post("/twilio/voice", form, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert line.post("/twilio/voice/status", {**form, "CallStatus": "completed"}, sign=False).status_code == 403
    assert _conversations(stack, "voice") == []


def test_a_returning_texter_who_calls_is_known_and_greeted_in_their_language(
    line: Line, people: People, stack: Stack
) -> None:
    person = people.texter()
    line.text(person, "hola, necesito hablar con alguien")
    line.wait_for(person, "Hola")
    call = PhoneCall.dial_in(line, person)
    assert says(call.document).startswith("Hola") and "For English, press 1" in says(call.document)
    [texting] = _conversations(stack, "sms")
    [calling] = _conversations(stack, "voice")
    assert calling.texter_id == texting.texter_id and texting.status == "queued", (
        "the call opens beside the text conversation"
    )


def test_a_hidden_number_gets_no_callback_offer(line: Line, people: People, stack: Stack) -> None:
    call = PhoneCall.dial_in(line, "+266696687")  # Twilio's From for a withheld caller ID
    closing = call.no_input()
    assert "press 9" in says(closing) and "call you back" not in says(closing)
    call.press("1")
    assert _conversations(stack, "callback") == []


# A second deployment: two volunteers rung at once, and callers held for three seconds at most.
GROUP_AND_SHORT_HOLD = "\n[voice]\nring_group_size = 2\nmax_hold_minutes = 0.05\n"


@pytest.fixture(scope="module")
def group_stack(
    environment: dict[str, str], log_lines: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    deployment = start_variant(environment, tmp_path_factory.mktemp("group-ring"), GROUP_AND_SHORT_HOLD, 2)
    yield deployment
    deployment.stop()


@pytest.fixture
def group_line(group_stack: Stack, fake_twilio: FakeTwilio, log_lines: list[str]) -> Iterator[Line]:
    yield from _clean_line(group_stack, fake_twilio, log_lines)


def test_a_group_rings_at_once_and_the_first_to_press_1_takes_the_call(
    group_line: Line, people: People, group_stack: Stack
) -> None:
    line = group_line
    ana, ben, cara = people.volunteer("Ana"), people.volunteer("Ben"), people.volunteer("Cara")
    for volunteer in (ana, ben, cara):
        line.start_shift(volunteer)
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    first_round = call.rung()
    assert len(first_round) == 2 and call.document.find("Dial").attrib["callerId"] == line.main_number
    voicemail, cut_off = first_round
    voicemail.pick_up()  # picked up first, so Twilio stopped the other phone; no key follows
    call.dial_ends("completed", voicemail)
    second_round = call.rung_phones()
    assert cut_off.phone in second_round and voicemail.phone not in second_round, (
        "the phone Twilio stopped may ring again"
    )
    taker = call.rung()[0]
    taker.pick_up()
    taker.press("1")
    _pseudonym(line, taker.phone)
    with group_stack.runtime.sessions() as session:
        assert session.scalars(select(Offer).where(Offer.status == "pending")).all() == [], (
            "the other phone is released"
        )


def test_after_the_longest_hold_the_caller_hears_the_hours_and_may_ask_for_a_callback(
    group_line: Line, people: People, group_stack: Stack
) -> None:
    line = group_line
    ana = people.on_shift(line, "Ana", max_concurrent=1)
    line.connect(ana, people.texter())
    call = PhoneCall.dial_in(line, people.texter())
    call.no_input()
    assert "number 1 in line" in says(call.hold())
    deadline_passed = False
    for _ in range(40):  # Twilio asks the wait URL again after each announcement
        if call.hold(queue_time=5).find("Leave") is not None:
            deadline_passed = True
            break
        threading.Event().wait(0.25)
    assert deadline_passed, "past max_hold_minutes the caller leaves the queue"
    closing = call.leave_queue("leave")
    assert (
        "no volunteer could take your call" in says(closing)
        and "988" in says(closing)
        and "call you back" in says(closing)
    )
    assert "call you back from this number" in says(call.press("1"))
    assert _caller_call(group_stack, call.sid).outcome == "callback"
    [request] = _conversations(group_stack, "callback")
    assert request.status == "queued"


def test_bad_voice_input_is_a_clear_400_or_a_safe_answer_never_a_500(line: Line, people: People) -> None:
    form = {"CallSid": "CA" + "a" * 32, "From": people.texter(), "To": line.main_number, "CallStatus": "in-progress"}
    assert line.post("/twilio/voice", {k: v for k, v in form.items() if k != "CallSid"}).status_code == 400
    assert line.post("/twilio/voice", {**form, "CallSid": "CA\x00" + "a" * 31}).status_code == 400
    assert line.post("/twilio/voice/menu?call=abc", form).status_code == 400
    assert line.post("/twilio/voice/menu?call=%C2%B2", form).status_code == 400, (
        "a superscript two is a digit, not a number"
    )
    assert line.post("/twilio/voice/menu?call=2147483648", form).status_code == 400, "past the range of a row's id"
    assert (
        line.post("/twilio/voice/status", {**form, "CallStatus": "completed", "CallDuration": "²"}).status_code == 204
    )
    assert line.post("/twilio/voice/status", {**form, "CallStatus": "exploded"}).status_code == 400
    assert line.post("/twilio/voice/status", {**form, "CallStatus": "completed"}).status_code == 204, "an unknown call"
    unknown = line.post("/twilio/voice/menu?call=999999", {**form, "Digits": "1"})
    assert unknown.status_code == 200 and "<Hangup />" in unknown.text
    assert line.post("/twilio/voice/wait?call=999999", form).text.count("<Leave />") == 1


def test_a_whisper_answer_naming_a_text_offer_hangs_up(line: Line, people: People, stack: Stack) -> None:
    """Found by the webhook fuzz test: an offer id from a text conversation has no call to join."""
    ana = people.on_shift(line, "Ana")
    line.connect(ana, people.texter())
    with stack.runtime.sessions() as session:
        offer_id = session.scalars(select(Offer.id).where(Offer.kind == "text", Offer.status == "accepted")).one()
    leg = {"CallSid": new_call_sid(), "Digits": "1", "CallStatus": "in-progress"}
    answer = line.post(f"/twilio/voice/whisper-answer?offer={offer_id}", leg)
    assert answer.status_code == 200 and "<Hangup />" in answer.text
    assert len(_conversations(stack, "sms")) == 1 and not _conversations(stack, "voice")
