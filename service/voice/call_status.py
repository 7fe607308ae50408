"""Twilio's call status callbacks: the one place a call's end is recorded, for a caller's
call and for each leg of a callback. Idempotent on CallSid: the first final status ends the
call; repeats and stragglers change nothing."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select

from routing import call_flow as rules
from service.db import Call
from service.db.turn import Turn, run_turn
from service.runtime import Runtime
from service.voice import callbacks, calls

log = logging.getLogger(__name__)


def record(
    runtime: Runtime, call_sid: str, placed_call_id: int | None, status: str, duration: int | None, now: datetime
) -> Turn:
    """Apply one status callback. A leg the line placed names itself in the callback URL
    (`placed_call_id`), so its end is recorded even when Twilio's answer to the API request,
    with the CallSid in it, was lost."""

    def work(turn: Turn) -> None:
        call_id = turn.session.scalar(select(Call.id).where(_is_the_call(call_sid, placed_call_id)))
        if call_id is None:
            log.info("call.status_unknown status=%s", status)
            return
        locked = calls.lock_call(turn, call_id)
        assert locked is not None
        call, conversation = locked
        if call.ended_at is not None:
            return
        call.call_sid = call.call_sid or call_sid
        call.twilio_status = status
        if status not in calls.FINAL_STATUSES:
            return
        call.ended_at = turn.now
        call.duration_seconds = duration
        if call.direction == "outbound":
            callbacks.leg_ended(turn, call, conversation)
        else:
            stage, call.stage = call.stage, rules.ENDED
            if stage != rules.DONE:
                calls.close_call(turn, call, conversation, _outcome(stage))
        log.info("call.ended call=%d status=%s outcome=%s", call.id, status, call.outcome)

    return run_turn(runtime, now, work)[1]


def _is_the_call(call_sid: str, placed_call_id: int | None) -> ColumnElement[bool]:
    """The call with this CallSid, or the placed leg named in the URL that has no CallSid yet,
    in ONE statement: the job that placed the leg may commit its CallSid at any moment, and two
    lookups (by CallSid, then by id without one) would each miss it if it landed between them,
    losing the status and leaving the request with a volunteer nobody could reach."""
    if placed_call_id is None:
        return Call.call_sid == call_sid
    return or_(Call.call_sid == call_sid, and_(Call.id == placed_call_id, Call.call_sid.is_(None)))


def _outcome(stage: str) -> str:
    """How a caller's call ended, from where it stood: talking with a volunteer; told that
    nobody could take it; or hung up while waiting."""
    if stage in (rules.CONNECTED, rules.CONFERENCE):
        return rules.ANSWERED
    if stage == rules.CLOSING:
        return rules.UNANSWERED
    return rules.ABANDONED
