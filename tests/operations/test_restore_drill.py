"""scripts/restore_drill.py against the suite's PostgreSQL: dump, restore into a new database,
check it, and a returning texter recognised under the same pseudonym."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from service.db.turn import run_turn
from service.runtime import Runtime
from service.sms.texters import find_or_create_texter
from tests.conftest import POSTGRES_ADMIN_URL, TEST_DATABASE

DRILL = Path(__file__).resolve().parents[2] / "scripts" / "restore_drill.py"


def _drill(environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DRILL), "--texters", "50"],
        env={**os.environ, **environ},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _drill_databases() -> list[str]:
    admin = create_engine(POSTGRES_ADMIN_URL)
    with admin.connect() as connection:
        names = connection.scalars(
            text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"), {"prefix": f"{TEST_DATABASE}_drill_%"}
        ).all()
    admin.dispose()
    return list(names)


def _texter(runtime: Runtime) -> tuple[str, str]:
    phone = f"+1202555{secrets.randbelow(10_000):04d}"
    texter, _ = run_turn(runtime, datetime.now(UTC), lambda turn: find_or_create_texter(turn, phone))[0]
    return phone, texter.pseudonym


def test_restored_backup_passes_the_check_and_knows_a_returning_texter(
    runtime: Runtime, environment: dict[str, str]
) -> None:
    phone, pseudonym = _texter(runtime)

    drill = _drill(environment)

    assert drill.returncode == 0, drill.stdout + drill.stderr
    assert "ok       database reachable, migrated to" in drill.stdout
    assert f"ok       {pseudonym} texts again: recognised as {pseudonym}" in drill.stdout
    assert drill.stdout.rstrip().endswith("restore drill passed")
    assert phone not in drill.stdout + drill.stderr and phone[2:] not in drill.stdout + drill.stderr
    assert _drill_databases() == []


def test_a_backup_restored_without_its_data_key_fails_the_drill(runtime: Runtime, environment: dict[str, str]) -> None:
    _, pseudonym = _texter(runtime)

    drill = _drill({**environment, "WARMLINE_DATA_KEY": secrets.token_urlsafe(32)})

    assert drill.returncode == 1
    assert f"PROBLEM  {pseudonym}: WARMLINE_DATA_KEY cannot read this texter's number" in drill.stdout
    assert drill.stdout.rstrip().endswith("restore drill failed")
    assert _drill_databases() == []
