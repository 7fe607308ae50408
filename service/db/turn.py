"""A turn: one event handled in one database transaction, and what must follow its commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from service.runtime import Runtime

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a turn raises when PostgreSQL cannot be reached (or a deadlock outlived its retries):
# the webhook then spools the request instead of losing it.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)


@dataclass(frozen=True)
class Timer:
    """A job to run at `at` with one id argument (an offer's expiry, a conversation's silence)."""

    job: str
    target_id: int
    at: datetime


@dataclass(frozen=True)
class Sending:
    """An outbox row its own turn claimed (committed as `submitting`): the job that ran the turn
    sends it right after the commit, with no transaction of its own to claim it first."""

    outbox_id: int
    to: str
    from_number: str
    body: str


@dataclass
class Turn:
    session: Session
    runtime: Runtime
    now: datetime
    outbox_ids: list[int] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    # Answered in the webhook's own TwiML, not through the outbox: it reaches the texter even
    # with Redis or every worker down (the crisis text), or needs the number we just forgot
    # (confirming a deletion).
    inline_reply: str | None = None
    # False while a worker routes a text the webhook stored and answered already: what would
    # have gone inline goes as a text instead.
    replies_inline: bool = True
    # Set by a job that sends what its turn writes itself, after the commit: each outbox row
    # is then claimed as it is written, and listed in `sendings` (never stored unencrypted).
    sends_at_once: bool = False
    sendings: list[Sending] = field(default_factory=list)

    def schedule(self, job: str, target_id: int, at: datetime) -> None:
        self.timers.append(Timer(job, target_id, at))


def run_turn(runtime: Runtime, now: datetime, work: Callable[[Turn], T], attempts: int = 3) -> tuple[T, Turn]:
    """Run `work` in one transaction; retry when PostgreSQL reports a deadlock or a
    concurrent insert of the same unique row (two first texts from one new texter)."""
    for attempt in range(1, attempts + 1):
        try:
            with runtime.sessions() as session, session.begin():
                turn = Turn(session=session, runtime=runtime, now=now)
                result = work(turn)
            return result, turn
        except (IntegrityError, OperationalError) as error:
            if attempt == attempts or not _retryable(error):
                raise
            log.info("turn.retry attempt=%d error=%s", attempt, type(error.orig).__name__)
    raise AssertionError("unreachable")


def _retryable(error: IntegrityError | OperationalError) -> bool:
    if isinstance(error, IntegrityError):
        return True
    code = getattr(error.orig, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(error.orig)
