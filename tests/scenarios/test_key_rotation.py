"""Rotating the data key while the line runs: a texter the line knew under the old key is
recognised (one record, one pseudonym), and `warmline keys rotate` brings every row under the
new key in committed batches, so that a rotation stopped half-way finishes when run again."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scripts.harness import seed
from service.db import Conversation, Message, Texter, key_rotation
from service.db.vault import Vault
from tests.support.line import Line
from tests.support.stack import People, Stack, private_line_fixtures

WARMLINE = str(Path(sys.executable).parent / "warmline")
NEW_KEY = "a-brand-new-data-key-for-rotation-tests"


# The line restarted with WARMLINE_DATA_KEY="new,old": the first step of a rotation.
rotating_stack, rotating_line = private_line_fixtures(
    "rotating", variables=lambda environment: {"WARMLINE_DATA_KEY": f"{NEW_KEY},{environment['WARMLINE_DATA_KEY']}"}
)


def _known_under_the_old_key(stack: Stack, old: Vault, number: str, pseudonym: str) -> None:
    """A texter (with a conversation) stored before the new key was added."""
    long_ago = datetime.now(UTC) - timedelta(days=2)
    with stack.runtime.sessions() as session, session.begin():
        hidden = {"phone_hash": old.lookup_hash(number), "phone_encrypted": old.encrypt(number)}
        texter = Texter(**seed.texter(pseudonym, long_ago, **hidden))
        session.add(texter)
        session.flush()
        ended = {"status": "closed", "closed_at": long_ago, "close_reason": "volunteer_done"}
        conversation = Conversation(texter_id=texter.id, **seed.queued_conversation(long_ago, **ended))
        session.add(conversation)
        session.flush()
        session.add(
            Message(
                conversation_id=conversation.id,
                author="texter",
                body_encrypted=old.encrypt(f"words of {pseudonym}"),
                created_at=long_ago,
            )
        )


def _rotate(stack: Stack, *arguments: str) -> str:
    """`warmline keys rotate`, as an operator runs it against the line."""
    environment = {**os.environ, **stack.environment}
    result = subprocess.run(
        [WARMLINE, "keys", "rotate", *arguments], env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_returning_texter_during_a_rotation_keeps_one_record(
    rotating_line: Line, rotating_stack: Stack, environment: dict[str, str]
) -> None:
    texter = People.new_number()
    _known_under_the_old_key(rotating_stack, Vault(environment["WARMLINE_DATA_KEY"]), texter, "T-1234")
    rotating_line.text(texter, "hi, it's me again")
    rotating_line.wait_for(texter, "trained peer volunteer")
    with rotating_stack.runtime.sessions() as session:
        assert session.scalars(select(Texter.pseudonym)).all() == ["T-1234"], (
            "recognised under the old key: no second record"
        )
        assert session.scalar(select(func.count()).select_from(Conversation)) == 2

    _rotate(rotating_stack)
    new = Vault(NEW_KEY)
    with rotating_stack.runtime.sessions() as session:
        stored = session.scalars(select(Texter)).one()
        assert (stored.phone_hash, new.decrypt(stored.phone_encrypted)) == (new.lookup_hash(texter), texter)
        assert sorted(
            new.decrypt(body or "")
            for body in session.scalars(select(Message.body_encrypted).where(Message.author == "texter"))
        ) == ["hi, it's me again", "words of T-1234"]


def test_a_rotation_stopped_after_one_batch_finishes_when_run_again(
    rotating_line: Line, rotating_stack: Stack, environment: dict[str, str]
) -> None:
    old = Vault(environment["WARMLINE_DATA_KEY"])
    numbers = [People.new_number() for _ in range(5)]
    for index, number in enumerate(numbers):
        _known_under_the_old_key(rotating_stack, old, number, f"T-{index:04d}")

    class Stopped(Exception):
        pass

    def stop(table: str, read: int, rewritten: int) -> None:
        raise Stopped(table)

    runtime = rotating_stack.runtime
    with pytest.raises(Stopped):
        key_rotation.rotate(runtime.sessions, runtime.vault, batch=2, progress=stop)
    new = Vault(NEW_KEY)
    with runtime.sessions() as session:
        hashes = session.scalars(select(Texter.phone_hash)).all()
        assert sum(phone_hash in {new.lookup_hash(number) for number in numbers} for phone_hash in hashes) == 2, (
            "the first batch is kept"
        )

    printed = _rotate(rotating_stack, "--batch-size", "2")
    assert "texters" in printed
    with runtime.sessions() as session:
        texters = session.scalars(select(Texter).order_by(Texter.id)).all()
        assert [(t.phone_hash, new.decrypt(t.phone_encrypted)) for t in texters] == [
            (new.lookup_hash(n), n) for n in numbers
        ]
        assert sorted(new.decrypt(b or "") for b in session.scalars(select(Message.body_encrypted))) == [
            f"words of T-{i:04d}" for i in range(5)
        ]
    assert "done: 0 rows rewritten" in _rotate(rotating_stack), "a finished rotation run again changes nothing"
