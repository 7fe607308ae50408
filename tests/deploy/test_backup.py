"""deploy/backup.sh against the real PostgreSQL: a dated dump that restores, old dumps deleted
after the retention, and a failed dump that leaves no file behind."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_ADMIN_URL, TEST_DATABASE

BACKUP = Path(__file__).resolve().parents[2] / "deploy" / "backup.sh"
SOURCE = f"{TEST_DATABASE}_backup_source"
RESTORED = f"{TEST_DATABASE}_backup_restored"
LIBPQ = "postgresql://postgres@127.0.0.1:5432/"


def _admin(statement: str) -> None:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


@pytest.fixture
def source_database() -> Iterator[str]:
    for name in (SOURCE, RESTORED):
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _admin(f"CREATE DATABASE {SOURCE}")
    engine = create_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{SOURCE}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE texters (pseudonym text)"))
        connection.execute(text("INSERT INTO texters VALUES ('T-4821')"))
    engine.dispose()
    yield SOURCE
    for name in (SOURCE, RESTORED):
        _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def backup(folder: Path, keep_days: int, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(BACKUP), str(folder), str(keep_days), *command], capture_output=True, text=True)


def test_a_backup_restores_and_old_dumps_go_after_the_retention(tmp_path: Path, source_database: str) -> None:
    old, recent = tmp_path / "warmline-20260101T031500Z.dump", tmp_path / "warmline-20261201T031500Z.dump"
    for path, days_ago in ((old, 20), (recent, 3)):
        path.write_bytes(b"an earlier dump")
        stamp = time.time() - days_ago * 86400
        os.utime(path, (stamp, stamp))

    result = backup(tmp_path, 14, "pg_dump", "--format=custom", LIBPQ + source_database)

    assert result.returncode == 0, result.stderr
    dumps = sorted(path.name for path in tmp_path.iterdir())
    [new] = [name for name in dumps if name not in (old.name, recent.name)]
    assert dumps == sorted([recent.name, new])
    assert (tmp_path / new).stat().st_mode & 0o077 == 0
    _admin(f"CREATE DATABASE {RESTORED}")
    subprocess.run(["pg_restore", "--no-owner", "--dbname", LIBPQ + RESTORED, str(tmp_path / new)], check=True)
    engine = create_engine(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{RESTORED}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pseudonym FROM texters")).scalars().all() == ["T-4821"]
    engine.dispose()


def test_a_failed_dump_leaves_no_backup_and_deletes_nothing(tmp_path: Path) -> None:
    kept = tmp_path / "warmline-20260101T031500Z.dump"
    kept.write_bytes(b"the last good dump")
    stamp = time.time() - 90 * 86400
    os.utime(kept, (stamp, stamp))

    result = backup(tmp_path, 14, "pg_dump", "--format=custom", LIBPQ + "no_such_database_here")

    assert result.returncode != 0
    assert [path.name for path in tmp_path.iterdir()] == [kept.name]
