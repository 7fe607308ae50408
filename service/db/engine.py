"""Engines and sessions: one engine per process, one session per request or job."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

# A pooled connection unused for this long is pinged before it is handed out (PostgreSQL may
# have restarted meanwhile); one in steady use is not: pinging every checkout (pool_pre_ping)
# cost a round trip in every webhook, a quarter of a one-insert request's.
PING_AFTER_IDLE_SECONDS = 5.0


def make_engine(database_url: str) -> Engine:
    """Create the process's engine; SQLite (demo only) gets WAL so web and worker threads share it.
    Errors never show a statement's bound values (`hide_parameters`): some bind a texter's number."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take the write lock at BEGIN: a deferred transaction that reads then writes fails
        # at once when another thread committed in between, instead of waiting its turn.
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    engine = create_engine(database_url, pool_size=5, max_overflow=5, hide_parameters=True)
    event.listen(engine.pool, "checkin", _note_checkin)
    event.listen(
        engine.pool, "checkout", lambda dbapi_connection, entry, _: _ping_if_idle(engine, dbapi_connection, entry)
    )
    return engine


def _note_checkin(_dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
    entry.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, entry: ConnectionPoolEntry) -> None:
    """Ping a connection that has sat idle; a dead one makes the pool connect afresh (the
    pool retries a checkout that raises DisconnectionError). A new connection needs none."""
    checked_in_at = entry.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_SECONDS:
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as error:
        raise DisconnectionError("an idle pooled connection no longer answers") from error


def _sqlite_pragmas(connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
    connection.isolation_level = None  # let the "begin" listener issue BEGIN itself
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def one_statement(engine: Engine) -> Iterator[Connection]:
    """A connection for one statement that commits by itself: on PostgreSQL in autocommit, so
    no BEGIN and COMMIT round trips surround it (the hot paths' single writes); elsewhere (the
    demo's SQLite) in a transaction of its own."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with sessions() as session, session.begin():
        yield session
