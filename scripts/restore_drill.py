"""The restore drill: a backup proves itself only by being restored.

Restores a dump into a new database (a fresh `pg_dump` of DATABASE_URL, or with --dump the
file the scheduled backup wrote), checks it with `warmline check`'s configuration and
database parts, and shows that texters who come back are recognised under the same
pseudonyms, through the very lookup the router uses, with WARMLINE_DATA_KEY as this
environment has it: the proof that the backup and the data key's copy belong together.
The drill database is dropped afterwards unless --keep is given. Nothing is printed that
identifies a texter beyond their pseudonym.

    .venv/bin/python scripts/restore_drill.py [--dump FILE] [--texters 5] [--keep]

Needs PostgreSQL's client tools (pg_dump, pg_restore) and the service's environment
(docs/operations.md, Restore drill). Exit status 0 only when every step passed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, select, text

from service.db import Texter
from service.db.turn import Turn
from service.db.vault import PURGED, VaultError
from service.operations.setup_check import check_setup
from service.runtime import Runtime
from service.settings import Settings, SettingsError
from service.sms.texters import find_or_create_texter


def libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for the client tools, its password passed in PGPASSWORD (not in `ps`)."""
    password = {"PGPASSWORD": url.password} if url.password else {}
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, password


def run_tool(command: list[str], password: Mapping[str, str]) -> None:
    subprocess.run(command, check=True, env={**os.environ, **password})


def create_database(url: URL, name: str) -> URL:
    """A new, empty database beside the source, on the same server."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name)


def drop_database(url: URL) -> None:
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def recognised_texters(runtime: Runtime, sample: int) -> tuple[list[str], list[str]]:
    """Texters the restored database still has a number for, looked up again as if each texted
    the line now; returns (lines to print, failures). Nothing is written."""
    lines: list[str] = []
    failures: list[str] = []
    with runtime.sessions() as session:
        stored = session.execute(
            select(Texter.pseudonym, Texter.phone_encrypted)
            .where(Texter.phone_encrypted != PURGED)
            .order_by(Texter.id.desc())
            .limit(sample)
        ).all()
        turn = Turn(session=session, runtime=runtime, now=datetime.now(UTC))
        for pseudonym, encrypted in stored:
            try:
                phone = runtime.vault.decrypt(encrypted)
            except VaultError:
                failures.append(
                    f"{pseudonym}: WARMLINE_DATA_KEY cannot read this texter's number: the backup needs the "
                    "data key it was made with (its second copy: docs/operations.md)"
                )
                continue
            texter, is_new = find_or_create_texter(turn, phone)
            if is_new or texter.pseudonym != pseudonym:
                failures.append(f"{pseudonym}: texting again, would be a new texter ({texter.pseudonym})")
            else:
                lines.append(f"{pseudonym} texts again: recognised as {texter.pseudonym}")
        session.rollback()
    if not stored:
        lines.append("no texter in the backup has a number left (the retention period forgot them)")
    return lines, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Restore a backup into a new database and prove it usable.")
    parser.add_argument("--dump", type=Path, help="a pg_dump -Fc file (default: dump DATABASE_URL now)")
    parser.add_argument("--texters", type=int, default=5, help="how many returning texters to try (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the drill database afterwards")
    args = parser.parse_args(argv)
    try:
        source = make_url(Settings.from_environment().database_url)
    except SettingsError as error:
        print(f"the service's environment is incomplete:\n{error}", file=sys.stderr)
        return 2
    target_name = f"{source.database}_drill_{datetime.now(UTC):%Y%m%d%H%M%S}"
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        dump = args.dump
        if dump is None:
            dump = Path(folder) / "drill.dump"
            address, password = libpq(source)
            run_tool(["pg_dump", "--format=custom", f"--file={dump}", address], password)
            print(f"dumped {source.database}")
        target = create_database(source, target_name)
        try:
            address, password = libpq(target)
            run_tool(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={address}", str(dump)], password)
            print(f"restored {dump.name} into {target_name}")
            environ = {**os.environ, "DATABASE_URL": target.render_as_string(hide_password=False)}
            found = check_setup(environ, parts=["database"])
            for passed in found.passed:
                print(f"ok       {passed}")
            failures += [str(problem) for problem in found.problems]
            if found.line_can_take_texts:
                runtime = Runtime(Settings.from_environment(environ))
                lines, lost = recognised_texters(runtime, args.texters)
                runtime.engine.dispose()
                for line in lines:
                    print(f"ok       {line}")
                failures += lost
        finally:
            if args.keep:
                print(f"kept {target_name}")
            else:
                drop_database(target)
    for failure in failures:
        print(f"PROBLEM  {failure}")
    print("restore drill failed" if failures else "restore drill passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
