"""The webhook stores a text and a worker routes it: each sender's texts in order, whichever
worker takes which; none lost when its job is; the crisis text still goes back in the
webhook's own reply when it is due, and only then."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select, text, update

from scripts.harness import seed
from scripts.harness.database import empty_database
from service.db import Conversation, InboundReceipt, Message, Shift, Texter, Volunteer
from service.runtime import Runtime
from service.sms import inbound, router_seat
from service.sms.router_seat import RouterSeat
from tests.support.line import Line
from tests.support.stack import People, Stack, runtime_of_its_own

IMMINENT = "I have the pills in front of me and I'm going to take them all tonight"


def _inline(response_text: str) -> str:
    return " ".join(message.text or "" for message in ElementTree.fromstring(response_text).iter("Message"))


def test_a_burst_from_one_texter_reaches_the_volunteer_in_order(line: Line, people: People) -> None:
    ana, texter = people.talking(line)
    before = len(line.inbox(ana))
    for index in range(8):  # as fast as Twilio may post them, not waiting for each to be routed
        line.post("/twilio/sms", line.sms_form(texter, f"part {index} of my story"))
    line.wait_for(ana, "part 7 of my story", after=before)
    relayed = [message["Body"] for message in line.inbox(ana)[before:] if "of my story" in message["Body"]]
    assert [body.split("part ")[1][0] for body in relayed] == [str(index) for index in range(8)]


def test_a_steady_stream_of_texts_is_routed_by_one_job_not_one_each(line: Line, people: People, stack: Stack) -> None:
    """The router waits a moment for the next text instead of ending its job: RQ's cost per job
    (several Redis round trips) is paid once for the stream."""
    ana, texter = people.talking(line)
    time.sleep(1.0)  # the router of the texts so far has ended
    jobs_before = stack.worker_log.read_text().count("warmline: route_stored(")
    before = len(line.inbox(ana))
    for index in range(10):
        line.post("/twilio/sms", line.sms_form(texter, f"line {index} of my day"))
        time.sleep(0.1)
    line.wait_for(ana, "line 9 of my day", after=before)
    relayed = [message["Body"] for message in line.inbox(ana)[before:] if "of my day" in message["Body"]]
    assert len(relayed) == 10
    assert stack.worker_log.read_text().count("warmline: route_stored(") - jobs_before <= 2


def test_a_volunteers_words_of_risk_get_no_crisis_text(line: Line, people: People) -> None:
    ana = people.on_shift(line, "Ana")
    texter = people.texter()
    offer = line.connect(ana, texter)
    response = line.text(
        ana, "you said you want to kill yourself, I'm here, tell me more", to=offer["From"], texter=False
    )
    assert _inline(response.text) == ""
    line.wait_for(texter, "I'm here, tell me more")


def test_the_crisis_text_is_due_again_for_calm_words_once_the_repeat_interval_has_passed(
    line: Line, people: People, stack: Stack
) -> None:
    people.supervisor("Sam")
    texter = people.texter()
    assert "988" in _inline(line.text(texter, IMMINENT).text)
    assert _inline(line.text(texter, "ok").text) == "", "not again within the repeat interval"
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Conversation).values(safety_sent_at=datetime.now(UTC) - timedelta(minutes=11)))
    assert "988" in _inline(line.text(texter, "ok").text), "the conversation is still in imminent danger"
    with stack.runtime.sessions() as session:
        said = [m for m in session.scalars(select(Message).where(Message.author == "line"))]
    assert len(said) == 2, "each crisis text is in the transcript, once"


def test_a_text_whose_routing_job_was_lost_is_routed_by_the_sweeper(line: Line, people: People, stack: Stack) -> None:
    texter = people.texter()
    line.texter_numbers.add(texter)
    sms = inbound.InboundSms(sid="SM" + "5" * 32, sender=texter, line_number=line.main_number, body="hello, anyone?")
    stored = inbound.store_sms(stack.runtime, sms, datetime.now(UTC), inbound.read(stack.runtime, sms.body))
    assert stored.new and not stored.held  # and no job is queued
    line.wait_for(texter, "trained peer volunteer", timeout=20)
    with stack.runtime.sessions() as session:
        receipt = session.get_one(InboundReceipt, sms.sid)
        assert receipt.routed_at is not None and receipt.body_encrypted is None and receipt.sender_encrypted is None


def test_a_held_text_whose_webhook_died_is_routed_by_the_sweeper_and_the_crisis_text_goes_as_a_text(
    line: Line, people: People, stack: Stack
) -> None:
    people.supervisor("Sam")
    texter = people.texter()
    line.texter_numbers.add(texter)
    sms = inbound.InboundSms(sid="SM" + "6" * 32, sender=texter, line_number=line.main_number, body=IMMINENT)
    assert inbound.store_sms(
        stack.runtime, sms, datetime.now(UTC), inbound.read(stack.runtime, sms.body)
    ).held  # never released
    line.wait_for(texter, "988", timeout=20)


def test_with_the_worker_hung_an_imminent_text_still_gets_the_crisis_text_and_the_supervisor_is_alerted_once_it_runs(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam")
    texter = people.texter()
    line.texter_numbers.add(texter)
    os.kill(stack.worker_pid, signal.SIGSTOP)  # alive to RQ and Redis, doing nothing: as hung as a worker gets
    try:
        started = time.monotonic()
        response = line.post("/twilio/sms", line.sms_form(texter, IMMINENT))
        assert response.status_code == 200 and "988" in _inline(response.text), (
            "the crisis text is in the webhook's own answer"
        )
        assert time.monotonic() - started < 5
        time.sleep(1)
        assert not line.inbox(sam), "nothing can go out with the worker hung"
    finally:
        os.kill(stack.worker_pid, signal.SIGCONT)
    alert = line.wait_for(sam, "escalation #", timeout=20)
    assert texter not in alert["Body"]
    crisis_text = _inline(response.text)
    assert crisis_text.startswith(stack.runtime.texts.for_texter("en", "safety_intro"))
    line.settle()
    assert not [message for message in line.inbox(texter) if message.get("Body") == crisis_text], (
        "the crisis text is not sent twice"
    )


@pytest.fixture(scope="module")
def quiet_runtime(environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A database no worker routes from: the test plays the workers."""
    runtime = runtime_of_its_own(environment, "stored", tmp_path_factory.mktemp("stored"))
    yield runtime
    runtime.engine.dispose()


def test_a_worker_never_routes_a_senders_text_before_an_earlier_one_another_worker_holds(
    quiet_runtime: Runtime,
) -> None:
    runtime = quiet_runtime
    empty_database(runtime.engine, restart_ids=True)
    now = datetime.now(UTC)
    with runtime.sessions() as session, session.begin():
        session.add(Volunteer(**seed.volunteer("Ana", "+13035500001", now, id=1)))
        session.flush()
        session.add(
            Shift(volunteer_id=1, started_at=now, planned_end_at=now + timedelta(hours=3), conversations_taken=0)
        )
    main = runtime.settings.line.main_number
    texts = [("+14045500001", "first"), ("+14045500001", "second"), ("+14045500002", "another texter")]
    for index, (sender, body) in enumerate(texts):
        inbound.store_sms(
            runtime,
            inbound.InboundSms(f"SM{index:032d}", sender, main, body),
            now + timedelta(milliseconds=index),
            inbound.read(runtime, body),
        )
    other_worker = runtime.engine.connect()
    other_worker.execute(
        text(f"SELECT sid FROM inbound_receipts WHERE sid = 'SM{0:032d}' FOR UPDATE")
    )  # routing "first" now
    routed = inbound.route_next(runtime, now)
    assert routed is not None
    assert _bodies(runtime) == {"+14045500002": ["another texter"]}, (
        "the held sender's texts wait, not only the held one"
    )
    assert inbound.route_next(runtime, now) is None
    other_worker.rollback()  # that worker gave up: "first" waits again
    other_worker.close()
    while inbound.route_next(runtime, now) is not None:
        pass
    assert _bodies(runtime)["+14045500001"] == ["first", "second"]


def _bodies(runtime: Runtime) -> dict[str, list[str]]:
    vault = runtime.vault
    found: dict[str, list[str]] = {}
    with runtime.sessions() as session:
        for phone_hash, body in session.execute(
            select(Texter.phone_hash, Message.body_encrypted)
            .join(Conversation, Conversation.texter_id == Texter.id)
            .join(Message, Message.conversation_id == Conversation.id)
            .where(Message.author == "texter")
            .order_by(Message.id)
        ):
            phone = next(
                number for number in ("+14045500001", "+14045500002") if vault.lookup_hash(number) == phone_hash
            )
            found.setdefault(phone, []).append(vault.decrypt(body or ""))
    return found


def test_a_webhook_sees_a_seated_router_and_a_leaving_router_waits_for_it_to_commit(quiet_runtime: Runtime) -> None:
    """The one race of the router's seat: a text stored while the seat seemed taken queues no
    job, so the router must not take its last look before that text is committed."""
    engine = quiet_runtime.engine
    seen = select(*router_seat.webhook_columns())
    with engine.connect() as webhook:
        assert webhook.execute(seen).one()[0] is False, "no router yet: the webhook queues one"
        webhook.commit()
    with RouterSeat(engine) as router:
        assert router.take()
        with RouterSeat(engine) as second:
            assert not second.take(), "one router at a time"
        webhook = engine.connect()
        assert webhook.execute(seen).one()[0] is True  # and not committed yet
        left = threading.Event()

        def leave() -> None:
            router.leave()
            left.set()

        leaving = threading.Thread(target=leave)
        leaving.start()
        assert not left.wait(0.5), "the router left before the webhook that saw it seated committed"
        webhook.commit()
        assert left.wait(5)
        leaving.join()
        assert webhook.execute(seen).one()[0] is False, "the router left: the next webhook queues a new one"
        webhook.close()


def test_a_seated_router_is_woken_by_each_stored_text(quiet_runtime: Runtime) -> None:
    runtime = quiet_runtime
    main = runtime.settings.line.main_number
    with RouterSeat(runtime.engine) as router:
        assert router.take()
        assert not router.wait_for_texts(0.2)
        stored = inbound.store_sms(
            runtime,
            inbound.InboundSms("SM" + "7" * 32, "+14045500003", main, "hello?"),
            datetime.now(UTC),
            inbound.read(runtime, "hello?"),
        )
        assert stored.new and stored.router_seated
        assert router.wait_for_texts(2)
        assert not router.wait_for_texts(0.2), "one text, one wake-up"
    stored = inbound.store_sms(
        runtime,
        inbound.InboundSms("SM" + "8" * 32, "+14045500003", main, "still there?"),
        datetime.now(UTC),
        inbound.read(runtime, "still there?"),
    )
    assert not stored.router_seated, "the router's seat is freed with its connection"
