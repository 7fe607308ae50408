"""Whether the line takes new texters: the pause switch supervisors use from the dashboard.

The state is one database row, so every web and worker process sees a change at once.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db import LINE_STATE_ID, LineState
from service.db.turn import Turn
from service.staff import audit

# Why a conversation the paused line turned away was closed (with the one reply it got).
TURNED_AWAY = "line_paused"


def is_paused(session: Session) -> bool:
    """No row means never paused."""
    return bool(session.scalar(select(LineState.paused).where(LineState.id == LINE_STATE_ID)))


def set_paused(turn: Turn, paused: bool, actor: str) -> bool:
    """Pause or resume; False when the line already was so (nothing changes, nothing is audited)."""
    state = turn.session.scalars(select(LineState).where(LineState.id == LINE_STATE_ID).with_for_update()).first()
    if state is None:
        # The migration inserts the row; a database emptied since (tests truncate every table)
        # gets it back here. A concurrent insert fails on the primary key and the turn retries.
        state = LineState(id=LINE_STATE_ID, paused=False)
        turn.session.add(state)
    if state.paused == paused:
        return False
    state.paused, state.changed_at, state.changed_by = paused, turn.now, actor
    audit.record(turn.session, turn.now, actor, "line_paused" if paused else "line_resumed", "line", "")
    return True
