"""Scratch PostgreSQL databases on the local server, for the tests and the scripts: created,
dropped, and emptied between runs."""

from __future__ import annotations

import time

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from service.db import Base

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def create_database(name: str, *, replace: bool = False) -> str:
    """A new PostgreSQL database on the local server; returns its URL."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if replace:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def empty_database(engine: Engine, *, restart_ids: bool = False) -> None:
    """Empty every table. A live stack's worker may hold a table for a moment (a sweep), and
    TRUNCATE then waits or is chosen as a deadlock's victim: try again."""
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    for attempt in range(10):
        try:
            with engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables}{' RESTART IDENTITY' if restart_ids else ''} CASCADE"))
            return
        except OperationalError:
            if attempt == 9:
                raise
            time.sleep(0.2)
