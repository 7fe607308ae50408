"""Volunteers, waiting conversations and shift limits as the pure core sees them, for its unit
tests: a volunteer on shift for an hour, idle and English-speaking; a texter waiting in
English; a line's usual limits; each changed only where a test says."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from routing.limits import ShiftLimits, VolunteerState
from routing.matching import Seeker


def volunteer_state(now: datetime, **changes: Any) -> VolunteerState:
    idle: dict[str, Any] = dict(break_until=None, busy_line_numbers=frozenset(), active_conversations=0)
    ready: dict[str, Any] = dict(has_pending_offer=False, last_assigned_at=None, max_concurrent=None)
    on_shift: dict[str, Any] = {"volunteer_id": 1, "languages": ("en",), "on_shift_since": now - timedelta(hours=1)}
    return VolunteerState(**(on_shift | idle | ready | changes))


def seeker(**changes: Any) -> Seeker:
    waiting: dict[str, Any] = dict(conversation_id=1, language="en", previous_volunteer_id=None)
    return Seeker(**(waiting | dict(passed_by=frozenset(), missed_by=frozenset()) | changes))


def shift_limits(*line_numbers: str) -> ShiftLimits:
    """Two texters at once, four-hour shifts, eight hours' rest, twenty hours a week."""
    return ShiftLimits(
        line_numbers=line_numbers,
        max_concurrent=2,
        max_shift_minutes=240,
        max_conversations_per_shift=12,
        wrap_up_minutes=15,
        cooldown_after_escalation_minutes=20,
        long_conversation_minutes=60,
        cooldown_after_long_minutes=10,
        min_rest_minutes=480,
        max_hours_per_week=20,
    )
