"""What the fuzz tests check besides status codes: that a refused request wrote nothing, and
that the router's rules still hold once thousands of requests have been through."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from service.conversations import shifts
from service.db import PHONE_CHANNELS, Conversation, Volunteer
from service.runtime import Runtime

WRITES = ("INSERT", "UPDATE", "DELETE")
# Noting when a session was last used is not an action: a refused request still used its session.
SESSION_SEEN = "UPDATE STAFF_SESSIONS SET LAST_SEEN_AT"


class DatabaseWrites:
    """Counts the INSERT, UPDATE and DELETE statements this process sends through `engine`.

    The scenario tests' rq worker may be running against the same database (it takes the jobs
    the fuzzed requests enqueue), so row counts can change under a test for reasons of their
    own; the statements the app itself sent cannot."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(
        self, connection: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        start = statement.lstrip()[:40].upper()
        if start[:6] in WRITES and not start.startswith(SESSION_SEEN):
            self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def assert_consistent(runtime: Runtime, session: Session) -> None:
    """No active conversation without a volunteer, nobody over a limit, nobody on two calls."""
    assert not session.scalars(
        select(Conversation).where(Conversation.status == "active", Conversation.volunteer_id.is_(None))
    ).all()
    states = shifts.volunteer_states(session, session.scalars(select(Volunteer.id)).all(), datetime.now(UTC))
    limits = runtime.shift_limits
    for state in states.values():
        assert state.active_conversations <= limits.concurrency_limit(state.max_concurrent, state.lifted)
        assert state.conversations_this_shift <= limits.max_conversations_per_shift
    on_two_calls = session.execute(
        select(Conversation.volunteer_id)
        .where(Conversation.status == "active", Conversation.channel.in_(PHONE_CHANNELS))
        .group_by(Conversation.volunteer_id)
        .having(func.count() > 1)
    ).all()
    assert not on_two_calls, on_two_calls
