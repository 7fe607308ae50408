"""The router's seat: how the webhook knows, inside its one storing statement, that a router
is running, and wakes it, with no round trip to Redis.

The router (`jobs.route_stored`) keeps a connection of its own while it runs: it LISTENs on
`CHANNEL`, then holds the session advisory lock `SEAT`. The webhook's storing statement
notifies `CHANNEL` (delivered when it commits) and asks whether `SEAT` is held; only when
it is not does the webhook queue a router through Redis (`JobQueue.route_stored`). Under a
steady stream of texts a router is always seated, so the webhook pays for one durable write.

The seat is freed with the router's connection: a router that ends, crashes, is killed or
is timed out by RQ (the job timeout) frees it at once; one whose host dies or is cut off
loses it within seconds (TCP keepalives). A text stored while the seat seemed held is never
stranded when the router leaves: the webhook's statement holds `GATE` (shared) from before it
looks at the seat until it commits, and the leaving router frees the seat, then waits for
`GATE` (every such statement committed) before its last look for texts.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, cast

from psycopg.errors import LockNotAvailable
from sqlalchemy import ColumnElement, Engine, func, literal_column, not_, select

# Advisory lock keys of this database (arbitrary, fixed: "warm" in ASCII, and the next one).
SEAT = 0x7761726D
GATE = SEAT + 1
CHANNEL = "warmline_stored"
# PostgreSQL gives up on the router's connection (and frees the seat) about 3 + 2 x 2 seconds
# after its host stops answering.
KEEPALIVES = {"tcp_keepalives_idle": 3, "tcp_keepalives_interval": 2, "tcp_keepalives_count": 2}
# How long a starting router waits for the seat (webhooks that saw it free hold it shared
# until they commit) before concluding that another router has it.
TAKE_SEAT_TIMEOUT = "2s"
# Whether a router holds the seat (an advisory lock on a bigint key: its high 32 bits in
# classid, its low 32 bits in objid, objsubid 1): the benchmark waits on it.
SEAT_TAKEN = f"""SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ExclusiveLock' AND granted
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND classid = {SEAT >> 32} AND objid = {SEAT & 0xFFFFFFFF} AND objsubid = 1)"""


def webhook_columns() -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """For the storing statement: whether a router is seated (taken after `GATE`, so the
    leaving router waits for this statement), and the notification that wakes it."""
    gate = select(func.pg_advisory_xact_lock_shared(GATE).label("gate")).cte("gate").prefix_with("MATERIALIZED")
    seated = select(not_(func.pg_try_advisory_xact_lock_shared(SEAT))).select_from(gate).scalar_subquery()
    return seated, func.pg_notify(CHANNEL, literal_column("''"))


class RouterSeat:
    """The router's side: `take()` it, `wait_for_texts()` between turns, `leave()` when done."""

    def __init__(self, engine: Engine) -> None:
        # Its own connection, never returned to the pool: it carries the lock and the LISTEN.
        self._pooled = engine.raw_connection()
        # psycopg's own connection: LISTEN and autocommit are not in the DBAPI protocol.
        self._connection: Any = cast(Any, self._pooled.driver_connection)
        self._connection.autocommit = True

    def take(self) -> bool:
        """Sit down, unless another router keeps the seat past `TAKE_SEAT_TIMEOUT` (a router
        handing over, or failing, queues its successor while it still sits: the successor
        waits for it). LISTEN comes first: a webhook that sees the seat taken commits after
        it, so its notification reaches this router."""
        with self._connection.cursor() as cursor:
            for setting, seconds in KEEPALIVES.items():
                cursor.execute(f"SET {setting} = {seconds}")
            cursor.execute(f"LISTEN {CHANNEL}")
            cursor.execute(f"SET lock_timeout = '{TAKE_SEAT_TIMEOUT}'")
            try:
                cursor.execute("SELECT pg_advisory_lock(%s)", (SEAT,))
            except LockNotAvailable:
                return False
            cursor.execute("SET lock_timeout = 0")
        return True

    def wait_for_texts(self, seconds: float) -> bool:
        """Wait up to `seconds` for a webhook to store a text; whether one did. Notifications
        that came meanwhile are taken all at once: the turn that follows routes their texts."""
        woken = False
        for _ in self._connection.notifies(timeout=seconds, stop_after=1):
            woken = True
        if woken:
            for _ in self._connection.notifies(timeout=0):
                pass
        return woken

    def leave(self) -> None:
        """Free the seat (a webhook from now on queues a router), then wait until every
        webhook that saw it taken has committed: the caller's next look finds their texts."""
        with self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", (SEAT,))
            cursor.execute("SELECT pg_advisory_lock(%s)", (GATE,))
            cursor.execute("SELECT pg_advisory_unlock(%s)", (GATE,))

    def close(self) -> None:
        self._pooled.invalidate()

    def __enter__(self) -> RouterSeat:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
