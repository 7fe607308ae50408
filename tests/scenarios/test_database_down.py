"""PostgreSQL down: a verified text is spooled, not lost; the sender gets a safe reply at
once (the crisis text when the message is risky); the spool is replayed in order, once,
when the database is back. What waits in the spool, in Redis or in its file, holds neither
the texter's number nor their words."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import redis
from sqlalchemy import select

from scripts.harness.fake_twilio import FakeTwilio
from scripts.harness.redis_server import RedisServer
from scripts.harness.tcp_proxy import TcpProxy
from service.db import Conversation, Escalation, Message
from service.settings import Settings
from service.sms.spool import SPOOL_KEY
from tests.conftest import REPO
from tests.support.line import Line
from tests.support.phone_calls import Call, says
from tests.support.privacy import leaks
from tests.support.stack import People, Stack, _clean_line, private_stack, start_stack

SECRET_WORDS = "my sister Marisol knows, she lives on Calle Ocho"


def _inline(response_text: str) -> str:
    return " ".join(m.text or "" for m in ElementTree.fromstring(response_text).iter("Message"))


@pytest.fixture
def outage(
    environment: dict[str, str], fake_twilio: FakeTwilio, log_lines: list[str], tmp_path: Path
) -> Iterator[tuple[Line, Stack, TcpProxy]]:
    proxy = TcpProxy(5432)
    proxy.start()
    url = environment["DATABASE_URL"].replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    stack = start_stack({**environment, "DATABASE_URL": url}, tmp_path)
    lines = _clean_line(stack, fake_twilio, log_lines)
    yield next(lines), stack, proxy
    proxy.start() if proxy._listener is None else None
    for _ in lines:
        pass
    stack.stop()
    proxy.cut()


@pytest.fixture
def private_outage(
    environment: dict[str, str], fake_twilio: FakeTwilio, log_lines: list[str], tmp_path: Path
) -> Iterator[tuple[Line, Stack, TcpProxy, RedisServer]]:
    """A line whose database and Redis are its own, so that no other test's worker replays
    its spool before the test has read it."""
    proxy, redis_server = TcpProxy(5432), RedisServer(tmp_path)
    proxy.start()
    stacks = private_stack(environment, "spool", tmp_path, database_proxy=proxy, redis_server=redis_server)
    stack = next(stacks)
    lines = _clean_line(stack, fake_twilio, log_lines)
    yield next(lines), stack, proxy, redis_server
    if proxy._listener is None:
        proxy.start()
    for _ in lines:
        pass
    for _ in stacks:
        pass
    proxy.cut()


def _texter_messages_once_replayed(stack: Stack, expected: int, timeout: float = 30) -> list[str]:
    """The texter's stored messages, in order, once the replay has stored `expected` of them
    (the alerts awaited before come from the risky text, maybe before the last is replayed);
    a second replay would show up a moment later as one too many."""

    def stored() -> list[str]:
        with stack.runtime.sessions() as session:
            return [
                stack.runtime.vault.decrypt(m.body_encrypted or "")
                for m in session.scalars(select(Message).where(Message.author == "texter").order_by(Message.id))
            ]

    deadline = time.monotonic() + timeout
    while len(stored()) < expected and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    return stored()


def test_texts_during_a_database_outage_are_answered_and_replayed_in_order(
    outage: tuple[Line, Stack, TcpProxy], people: People, environment: dict[str, str]
) -> None:
    line, stack, proxy = outage
    sam = people.supervisor("Sam", on_call=True)
    texter = people.texter()
    proxy.cut()
    started = time.monotonic()
    first = line.text(texter, "hello, is anyone there")
    second = line.text(texter, "i have the pills in my hand and i'm taking them now")
    duplicate = line.text(texter, "i have the pills in my hand and i'm taking them now", sid="SM" + "e" * 32)
    again = line.text(texter, "i have the pills in my hand and i'm taking them now", sid="SM" + "e" * 32)
    assert time.monotonic() - started < 10, "answered quickly, not after Twilio's 15 s"
    assert "We got your message" in _inline(first.text) and "988" in _inline(first.text)
    assert "suicide and crisis line" in _inline(second.text), "a risky text gets the crisis text even with no database"
    assert "suicide and crisis line" in _inline(duplicate.text) and again.status_code == 200

    proxy.start()
    try:
        line.wait_for(sam, "escalation #", timeout=60)
        line.wait_for(texter, "trained peer volunteer", timeout=60)
    except AssertionError as missing:
        tail = stack.worker_log.read_text("utf-8", "replace").splitlines()[-40:]
        raise AssertionError(f"{missing}\nworker log:\n" + "\n".join(tail)) from None
    bodies = _texter_messages_once_replayed(stack, expected=3)
    assert bodies == [
        "hello, is anyone there",
        "i have the pills in my hand and i'm taking them now",
        "i have the pills in my hand and i'm taking them now",
    ], "in order; the redelivered sid once"
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Conversation.risk_level)).one() == "imminent"
        assert len(session.scalars(select(Escalation)).all()) == 1


def test_a_call_during_a_database_outage_still_reaches_the_crisis_line_in_one_key(
    outage: tuple[Line, Stack, TcpProxy], people: People
) -> None:
    line, _, proxy = outage
    proxy.cut()
    started = time.monotonic()
    call = Call.dial_in(line, people.texter())
    assert time.monotonic() - started < 10, "answered quickly, not after Twilio's 15 s"
    assert "can't connect you with a volunteer right now" in says(call.document) and "press 9" in says(call.document)
    crisis = call.press("9")
    assert crisis.find("Dial").text == "988" and crisis.find("Dial").attrib["callerId"] == line.main_number


def test_the_spool_in_redis_holds_no_number_or_words_and_still_replays(
    private_outage: tuple[Line, Stack, TcpProxy, RedisServer],
) -> None:
    line, stack, proxy, redis_server = private_outage
    texter = People.new_number()
    proxy.cut()
    assert "We got your message" in _inline(line.text(texter, SECRET_WORDS).text)
    spooled = [entry.decode("latin-1") for entry in redis.Redis.from_url(redis_server.url).lrange(SPOOL_KEY, 0, -1)]
    assert len(spooled) == 1
    assert not leaks(spooled[0], texter) and "Marisol" not in spooled[0] and "Ocho" not in spooled[0]

    proxy.start()
    line.wait_for(texter, "trained peer volunteer", timeout=60)
    assert _texter_messages_once_replayed(stack, expected=1) == [SECRET_WORDS]


def test_the_spool_file_is_private_holds_no_number_or_words_and_still_replays(
    private_outage: tuple[Line, Stack, TcpProxy, RedisServer], environment: dict[str, str]
) -> None:
    line, stack, proxy, redis_server = private_outage
    texter = People.new_number()
    proxy.cut()
    redis_server.stop()
    assert "We got your message" in _inline(line.text(texter, SECRET_WORDS).text)
    spool = stack.runtime.settings.spool_dir / "inbound.jsonl"
    assert spool.stat().st_mode & 0o777 == 0o600, "readable by the service's own user only"
    written = spool.read_text()
    assert len(written.splitlines()) == 1
    assert not leaks(written, texter) and "Marisol" not in written and "Ocho" not in written
    default = Settings.from_environment({**environment, "WARMLINE_CONFIG": ""}).spool_dir
    assert not default.is_relative_to(REPO), "by default the spool is outside the code folder"

    redis_server.start()
    stack.start_worker_if_stopped()
    proxy.start()
    line.text(texter, "are you there?")  # the web process replays its own file once it can store a text
    line.wait_for(texter, "trained peer volunteer", timeout=60)
    assert sorted(_texter_messages_once_replayed(stack, expected=2)) == sorted([SECRET_WORDS, "are you there?"])
