"""The `warmline` command as operators use it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from service.db import Supervisor, Volunteer
from tests.support.line import Line
from tests.support.stack import People, Stack

WARMLINE = str(Path(sys.executable).parent / "warmline")


def _run(environment: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WARMLINE, *args], input=stdin, env={**os.environ, **environment}, capture_output=True, text=True, timeout=60
    )


def test_db_upgrade_is_idempotent(environment: dict[str, str]) -> None:
    result = _run(environment, "db", "upgrade")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_volunteer_add_normalises_the_phone_and_refuses_duplicates(
    line: Line, environment: dict[str, str], stack: Stack
) -> None:
    result = _run(
        environment, "volunteer", "add", "--name", "Ana Rivera", "--phone", "(202) 555-0177", "--languages", "en,es"
    )
    assert result.returncode == 0, result.stderr
    with stack.runtime.sessions() as session:
        volunteer = session.scalars(select(Volunteer)).one()
        assert (volunteer.phone, volunteer.alias, volunteer.languages) == ("+12025550177", "Ana", "en,es")
    again = _run(environment, "volunteer", "add", "--name", "Ana Again", "--phone", "+12025550177")
    assert again.returncode != 0 and "already exists with that phone" in again.stderr
    bad = _run(environment, "volunteer", "add", "--name", "X", "--phone", "+12025550178", "--languages", "fr")
    assert bad.returncode != 0 and "languages must be among" in bad.stderr


def test_supervisor_add_reads_the_password_from_stdin_and_hashes_it(
    line: Line, environment: dict[str, str], stack: Stack
) -> None:
    result = _run(
        environment,
        "supervisor",
        "add",
        "--name",
        "Sam Lee",
        "--email",
        "Sam@Example.org",
        "--phone",
        "+12025550188",
        "--on-call",
        stdin="correct horse battery staple\n",
    )
    assert result.returncode == 0, result.stderr
    with stack.runtime.sessions() as session:
        supervisor = session.scalars(select(Supervisor)).one()
        assert supervisor.on_call and supervisor.email == "sam@example.org"
        assert "correct horse" not in supervisor.password_hash
        assert PasswordHasher().verify(supervisor.password_hash, "correct horse battery staple")
    short = _run(
        environment,
        "supervisor",
        "add",
        "--name",
        "Kim",
        "--email",
        "kim@example.org",
        "--phone",
        "+12025550189",
        stdin="short\n",
    )
    assert short.returncode != 0 and "12 characters" in short.stderr


def test_assess_writes_one_json_line_per_input_line() -> None:
    lines = [
        json.dumps({"id": 1, "text": "I took all my pills an hour ago"}),
        json.dumps({"id": "b", "text": "dying to see you"}),
        "{broken",
        json.dumps({"id": 4, "text": "quiero morirme"}),
    ]
    result = subprocess.run(
        [WARMLINE, "assess"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        env={key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "WARMLINE_"))},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(row) for row in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, "b", None, 4]
    assert [row.get("level") for row in rows] == ["imminent", "none", None, "elevated"]
    assert rows[0]["categories"] == ["overdose"] or "overdose" in rows[0]["categories"]
    assert "error" in rows[2]


def test_a_volunteer_removed_mid_conversation_stops_receiving_and_the_texter_is_next_in_line(
    line: Line, people: People, environment: dict[str, str], stack: Stack
) -> None:
    ana, ben = people.volunteer("Ana"), people.volunteer("Ben")
    line.start_shift(ana)
    texter, waiting = people.texter(), people.texter()
    line.connect(ana, texter)
    line.text(waiting, "is anyone there")
    line.wait_for(waiting, "in line")

    removed = _run(environment, "volunteer", "remove", "--phone", ana)
    assert removed.returncode == 0, removed.stderr
    line.wait_for(texter, "Your volunteer had to step away")
    line.text(texter, "are you still there?")
    line.text(ana, "sorry, I'm back", texter=False)  # a removed volunteer is no longer one
    line.start_shift(ben)
    offer = line.wait_for(ben, "is waiting")
    assert "are you still there" in offer["Body"], "the first texter comes first, with their latest words"
    line.text(ben, "#yes", texter=False, to=offer["From"])
    line.wait_for(ben, "are you still there")
    line.settle(quiet=1.0)
    assert not any("are you still there" in message["Body"] for message in line.inbox(ana)), (
        "nothing more reaches a removed volunteer"
    )
    assert not any("sorry, I'm back" in message["Body"] for message in line.inbox(texter))
    with stack.runtime.sessions() as session:
        assert not session.scalar(select(Volunteer.active).where(Volunteer.phone == ana))
