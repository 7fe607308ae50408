"""Redis stopped: the webhook still answers, the crisis text still goes back inline, the
message and every text it causes are kept in PostgreSQL, and delivery resumes by itself
once Redis is back."""

from __future__ import annotations

import os
import subprocess
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
from tests.support.stack import People, Stack, _clean_line, start_stack, worker_command


@pytest.fixture
def outage(
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
    if stack._worker.poll() is not None:  # as the Procfile's process manager would: start the worker again
        stack._worker = subprocess.Popen(
            worker_command(env["REDIS_URL"]),
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    line.wait_for(sam, "escalation #", timeout=30)
    line.wait_for(texter, "trained peer volunteer", timeout=30)
