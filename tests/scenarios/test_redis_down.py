"""Redis stopped: the webhook still answers, the crisis text still goes back inline, the
message and every text it causes are kept in PostgreSQL, and delivery resumes by itself
once Redis is back."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from scripts.harness.fake_twilio import FakeTwilio
from scripts.harness.redis_server import RedisServer
from service.db import Escalation, OutboxMessage
from tests.support.line import Line
from tests.support.stack import People, Stack, _clean_line, start_stack


def _stack_on_its_own_redis(
    environment: dict[str, str], fake_twilio: FakeTwilio, log_lines: list[str], tmp_path: Path
) -> Iterator[tuple[Line, Stack, RedisServer, dict[str, str]]]:
    redis = RedisServer(tmp_path)
    redis.start()
    env = {**environment, "REDIS_URL": redis.url}
    stack = start_stack(env, tmp_path)
    lines = _clean_line(stack, fake_twilio, log_lines)
    yield next(lines), stack, redis, env
    for _ in lines:
        pass
    stack.stop()
    redis.stop()


@pytest.fixture
def outage(
    environment: dict[str, str], fake_twilio: FakeTwilio, log_lines: list[str], tmp_path: Path
) -> Iterator[tuple[Line, Stack, RedisServer, dict[str, str]]]:
    yield from _stack_on_its_own_redis(environment, fake_twilio, log_lines, tmp_path)


def test_imminent_message_with_redis_stopped_gets_the_crisis_text_and_is_delivered_after(
    outage: tuple[Line, Stack, RedisServer, dict[str, str]], people: People
) -> None:
    line, stack, redis, env = outage
    sam = people.supervisor("Sam", on_call=True)
    texter = people.texter()
    redis.stop()
    started = time.monotonic()
    response = line.text(texter, "I'm going to jump off the bridge tonight, I'm already here")
    assert time.monotonic() - started < 5, "the webhook does not hang on Redis"
    inline = " ".join(m.text or "" for m in ElementTree.fromstring(response.text).iter("Message"))
    assert "988" in inline
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Escalation.level)).one() == "imminent"
        waiting = session.scalars(select(OutboxMessage.status)).all()
        assert waiting and set(waiting) == {"pending"}, "the welcome and the supervisor's alert wait in the outbox"
    assert line.twilio.messages() == []

    redis.start()
    stack.start_worker_if_stopped()  # as the Procfile's process manager would
    line.wait_for(sam, "escalation #", timeout=30)
    line.wait_for(texter, "trained peer volunteer", timeout=30)


@pytest.fixture
def outage_without_sweeps(
    environment: dict[str, str], fake_twilio: FakeTwilio, log_lines: list[str], tmp_path: Path
) -> Iterator[tuple[Line, Stack, RedisServer, dict[str, str]]]:
    """As `outage`, with a sweeper that would come only minutes later."""
    config = tmp_path / "slow-sweeps.toml"
    tests_config = Path(environment["WARMLINE_CONFIG"]).read_text()
    config.write_text(re.sub(r"(?m)^(stuck_after_seconds|sweep_interval_seconds) = .*$", r"\1 = 300", tests_config))
    slow_sweeps = {**environment, "WARMLINE_CONFIG": str(config)}
    yield from _stack_on_its_own_redis(slow_sweeps, fake_twilio, log_lines, tmp_path)


def test_texts_kept_while_redis_was_down_go_within_seconds_of_its_return_not_at_the_next_sweep(
    outage_without_sweeps: tuple[Line, Stack, RedisServer, dict[str, str]], people: People
) -> None:
    line, stack, redis, _ = outage_without_sweeps
    texter = people.texter()
    redis.stop()
    line.text(texter, "is anyone there")
    with stack.runtime.sessions() as session:
        assert set(session.scalars(select(OutboxMessage.status)).all()) == {"pending"}
    redis.start()
    assert stack._worker.poll() is None, "the worker waits for Redis rather than dying"
    line.wait_for(texter, "trained peer volunteer", timeout=10)
