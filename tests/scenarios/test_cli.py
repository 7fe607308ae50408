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
from tests.support.stack import Stack
from tests.support.line import Line

WARMLINE = str(Path(sys.executable).parent / "warmline")


def _run(environment: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([WARMLINE, *args], input=stdin, env={**os.environ, **environment}, capture_output=True, text=True, timeout=60)


def test_db_upgrade_is_idempotent(environment: dict[str, str]) -> None:
    result = _run(environment, "db", "upgrade")
    assert result.returncode == 0 and "up to date" in result.stdout


def test_volunteer_add_normalises_the_phone_and_refuses_duplicates(line: Line, environment: dict[str, str], stack: Stack) -> None:
    result = _run(environment, "volunteer", "add", "--name", "Ana Rivera", "--phone", "(202) 555-0177", "--languages", "en,es")
    assert result.returncode == 0, result.stderr
    with stack.runtime.sessions() as session:
        volunteer = session.scalars(select(Volunteer)).one()
        assert (volunteer.phone, volunteer.alias, volunteer.languages) == ("+12025550177", "Ana", "en,es")
    again = _run(environment, "volunteer", "add", "--name", "Ana Again", "--phone", "+12025550177")
    assert again.returncode != 0 and "already exists with that phone" in again.stderr
    bad = _run(environment, "volunteer", "add", "--name", "X", "--phone", "+12025550178", "--languages", "fr")
    assert bad.returncode != 0 and "languages must be among" in bad.stderr


def test_supervisor_add_reads_the_password_from_stdin_and_hashes_it(line: Line, environment: dict[str, str], stack: Stack) -> None:
    result = _run(environment, "supervisor", "add", "--name", "Sam Lee", "--email", "Sam@Example.org", "--phone", "+12025550188", "--on-call",
                  stdin="correct horse battery staple\n")
    assert result.returncode == 0, result.stderr
    with stack.runtime.sessions() as session:
        supervisor = session.scalars(select(Supervisor)).one()
        assert supervisor.on_call and supervisor.email == "sam@example.org"
        assert "correct horse" not in supervisor.password_hash
        assert PasswordHasher().verify(supervisor.password_hash, "correct horse battery staple")
    short = _run(environment, "supervisor", "add", "--name", "Kim", "--email", "kim@example.org", "--phone", "+12025550189", stdin="short\n")
    assert short.returncode != 0 and "12 characters" in short.stderr


def test_assess_writes_one_json_line_per_input_line() -> None:
    lines = [json.dumps({"id": 1, "text": "I took all my pills an hour ago"}), json.dumps({"id": "b", "text": "dying to see you"}),
             "{broken", json.dumps({"id": 4, "text": "quiero morirme"})]
    result = subprocess.run([WARMLINE, "assess"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60,
                            env={key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_", "WARMLINE_"))})
    assert result.returncode == 0, result.stderr
    rows = [json.loads(row) for row in result.stdout.splitlines()]
    assert [row["id"] for row in rows] == [1, "b", None, 4]
    assert [row.get("level") for row in rows] == ["imminent", "none", None, "elevated"]
    assert rows[0]["categories"] == ["overdose"] or "overdose" in rows[0]["categories"]
    assert "error" in rows[2]
