"""The sweeper: timers kept in the database, so nothing depends on a Redis job surviving.

Offer expiry also has a precise RQ timer; the sweeper catches every deadline that timer
missed (Redis restarted, worker killed), closes silent conversations, ends breaks, and
hands stuck outbox rows back to delivery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from service import conversations, dispatch, outbox
from service.db import Conversation, Offer, OutboxMessage, Shift, Volunteer
from service.runtime import Runtime
from service.turn import Turn, run_turn

# Rows handled per sweep and kind; a larger backlog is taken over the next sweeps.
BATCH = 200


def sweep(runtime: Runtime, now: datetime) -> list[Turn]:
    """Run every overdue deadline, each in its own turn; returns the turns to submit."""
    turns: list[Turn] = []
    routing = runtime.settings.routing
    delivery = runtime.settings.delivery
    with runtime.sessions() as session:
        expired = session.scalars(
            select(Offer.id).where(Offer.status == "pending", Offer.expires_at <= now).limit(BATCH)
        ).all()
        silent = session.scalars(
            select(Conversation.id).where(
                Conversation.status == "active",
                Conversation.last_texter_at <= now - timedelta(minutes=routing.texter_inactivity_minutes),
            ).limit(BATCH)
        ).all()
        rested = session.scalars(select(Volunteer.id).where(Volunteer.break_until <= now).limit(BATCH)).all()
        stuck_before = now - timedelta(seconds=delivery.stuck_after_seconds)
        stuck = session.scalars(
            select(OutboxMessage.id).where(
                ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= stuck_before))
                | ((OutboxMessage.status == "submitting") & (OutboxMessage.updated_at <= stuck_before))
            ).limit(BATCH)
        ).all()
    for offer_id in expired:
        turns.append(run_turn(runtime, now, lambda turn, offer_id=offer_id: dispatch.expire(turn, offer_id))[1])
    for conversation_id in silent:
        turns.append(run_turn(runtime, now, lambda turn, cid=conversation_id: close_if_silent(turn, cid))[1])
    for volunteer_id in rested:
        turns.append(run_turn(runtime, now, lambda turn, vid=volunteer_id: end_break(turn, vid))[1])
    if stuck:
        _, turn = run_turn(runtime, now, lambda turn: None)
        turn.outbox_ids.extend(stuck)
        turns.append(turn)
    return turns


def close_if_silent(turn: Turn, conversation_id: int) -> None:
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    limit = timedelta(minutes=turn.runtime.settings.routing.texter_inactivity_minutes)
    if conversation is None or conversation.status != "active" or conversation.last_texter_at > turn.now - limit:
        return
    conversations.close(turn, conversation, "texter_inactive")
    dispatch.offer_waiting(turn)


def end_break(turn: Turn, volunteer_id: int) -> None:
    volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).first()
    if volunteer is None or volunteer.break_until is None or volunteer.break_until > turn.now:
        return
    volunteer.break_until = None
    on_shift = turn.session.scalar(select(Shift.id).where(Shift.volunteer_id == volunteer_id, Shift.ended_at.is_(None)))
    if on_shift is not None:
        outbox.tell_volunteer(turn, volunteer, "break_ended")
        dispatch.offer_waiting(turn)
