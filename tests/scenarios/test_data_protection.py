"""Stored data is protected: no texter number or message body in clear text anywhere in the
database; a rotated key still reads old rows; retention and deletion requests delete what
they should and keep the statistics."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree

from sqlalchemy import select, text, update

from service.db import Base, Conversation, Message, OutboxMessage, Texter
from service.runtime import Runtime
from service.settings import Settings
from tests.support.line import Line
from tests.support.privacy import leaks
from tests.support.stack import People, Stack

WARMLINE = str(Path(sys.executable).parent / "warmline")
SECRET_WORDS = "my sister's name is Marisol and I live on Calle Ocho"


def _database_text(stack: Stack) -> str:
    """Every row of every table, as text: what someone with a copy of the database would see."""
    with stack.runtime.engine.connect() as connection:
        return "\n".join(
            str(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in connection.execute(text(f"SELECT * FROM {table.name}"))
        )


def _conversation(line: Line, people: People) -> tuple[str, str]:
    ana, texter = people.talking(line)
    line.text(texter, SECRET_WORDS)
    line.wait_for(ana, "Marisol")
    line.text(ana, "thank you for trusting me with that", texter=False)
    line.wait_for(texter, "trusting me")
    return ana, texter


def _ended_conversation(line: Line, people: People) -> tuple[str, str]:
    """The same conversation, ended by the volunteer with #done."""
    ana, texter = _conversation(line, people)
    line.text(ana, "#done", texter=False)
    line.wait_for(texter, "conversation has ended")
    return ana, texter


def test_no_number_or_body_in_clear_text_in_the_database(line: Line, people: People, stack: Stack) -> None:
    _, texter = _conversation(line, people)
    dump = _database_text(stack)
    assert not leaks(dump, texter)
    assert "Marisol" not in dump and "trusting me" not in dump


def test_a_rotated_key_still_reads_old_rows_and_recognises_returning_texters(
    line: Line, people: People, stack: Stack, environment: dict[str, str]
) -> None:
    _, texter = _ended_conversation(line, people)
    old_key, new_key = environment["WARMLINE_DATA_KEY"], "a-brand-new-data-key-for-rotation-tests"
    both = {**os.environ, **environment, "WARMLINE_DATA_KEY": f"{new_key},{old_key}"}
    assert (
        Runtime(Settings.from_environment({**environment, "WARMLINE_DATA_KEY": f"{new_key},{old_key}"})).vault.decrypt(
            _first_body(stack)
        )
        == "hi"
    ), "the new key list reads rows written under the old key"
    result = subprocess.run([WARMLINE, "keys", "rotate"], env=both, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    only_new = Runtime(Settings.from_environment({**environment, "WARMLINE_DATA_KEY": new_key}))
    with only_new.sessions() as session:
        texter_row = session.scalars(select(Texter)).one()
        assert only_new.vault.decrypt(texter_row.phone_encrypted) == texter
        assert texter_row.phone_hash == only_new.vault.lookup_hash(texter)
        bodies = [
            only_new.vault.decrypt(m.body_encrypted)
            for m in session.scalars(select(Message).order_by(Message.id))
            if m.body_encrypted
        ]
        assert SECRET_WORDS in bodies


def _first_body(stack: Stack) -> str:
    with stack.runtime.sessions() as session:
        return session.scalars(select(Message.body_encrypted).order_by(Message.id)).first() or ""


def test_retention_deletes_bodies_and_numbers_and_keeps_the_statistics(
    line: Line, people: People, stack: Stack, environment: dict[str, str]
) -> None:
    _, texter = _ended_conversation(line, people)
    line.text(texter, "5")
    line.wait_for(texter, "Thank you for telling us")
    long_ago = datetime.now(UTC) - timedelta(days=31)
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Message).values(created_at=long_ago))
        session.execute(update(OutboxMessage).values(created_at=long_ago))
        session.execute(update(Conversation).values(last_texter_at=long_ago))
    result = subprocess.run(
        [WARMLINE, "retention", "purge"], env={**os.environ, **environment}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "1 texters forgotten" in result.stdout, result.stdout + result.stderr
    with stack.runtime.sessions() as session:
        assert all(m.body_encrypted is None for m in session.scalars(select(Message)))
        conversation = session.scalars(select(Conversation)).one()
        assert (conversation.status, conversation.feedback_score, conversation.assigned_at is not None) == (
            "closed",
            5,
            True,
        )
        assert session.scalars(select(Texter.phone_encrypted)).one() == "purged"
    line.text(texter, "hello again")  # a new texter now: the line no longer knows the number
    line.wait_for(texter, "trained peer volunteer")
    with stack.runtime.sessions() as session:
        assert len(session.scalars(select(Texter)).all()) == 2


def test_delete_my_data_ends_the_conversation_and_forgets_the_texter(line: Line, people: People, stack: Stack) -> None:
    ana, texter = _conversation(line, people)
    response = line.text(texter, "delete my data")
    confirmation = " ".join(m.text or "" for m in ElementTree.fromstring(response.text).iter("Message"))
    assert "deleted your number and your messages" in confirmation
    line.wait_for(ana, "asked us to delete their data")
    with stack.runtime.sessions() as session:
        assert all(m.body_encrypted is None for m in session.scalars(select(Message)))
        assert session.scalars(select(Conversation.close_reason)).one() == "texter_deleted_data"
        assert session.scalars(select(Texter.phone_encrypted)).one() == "purged"
    dump = _database_text(stack)
    assert not leaks(dump, texter) and "Marisol" not in dump


def test_borrar_mis_datos_in_spanish(line: Line, people: People) -> None:
    texter = people.texter()
    line.text(texter, "hola")
    response = line.text(texter, "Borrar mis datos")
    assert "borramos tu número" in " ".join(m.text or "" for m in ElementTree.fromstring(response.text).iter("Message"))
