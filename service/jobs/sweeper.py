"""The sweeper: timers kept in the database, so nothing depends on a Redis job surviving.

Offer expiry also has a precise RQ timer; the sweeper catches every deadline that timer
missed (Redis restarted, worker killed), routes stored texts whose routing job was lost,
closes silent conversations, ends breaks and cooldowns, winds shifts down at their limits,
hands stuck outbox rows back to delivery and callback legs back to the job that places them,
and closes calls whose end never came.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from routing import call_flow as call_rules
from service.conversations import contact_notes, dispatch, escalations, follow_ups, lifecycle, plans, queue_news, shifts
from service.db import (
    NOTE_PENDING,
    Call,
    ContactNote,
    Conversation,
    Escalation,
    FollowUp,
    InboundReceipt,
    Offer,
    OutboxMessage,
    Shift,
    TexterPlan,
    Transfer,
    Volunteer,
)
from service.db.turn import Turn, run_turn
from service.outbound import outbox
from service.outbound.delivery import lease_seconds
from service.runtime import Runtime
from service.sms import inbound
from service.staff import transfers
from service.voice import calls

# Rows handled per sweep and kind; a larger backlog is taken over the next sweeps.
BATCH = 200
# Outbox rows given their jobs again at once when Redis is back; the sweeper finds the rest.
RESUME_BATCH = 2000


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
            select(Conversation.id)
            .where(
                Conversation.status == "active",
                Conversation.channel == "sms",  # a call is as long as the people on it make it
                Conversation.last_texter_at <= now - timedelta(minutes=routing.texter_inactivity_minutes),
            )
            .limit(BATCH)
        ).all()
        # Waiting texters whose hold for an experienced volunteer, or one sharing their
        # topic, has lapsed: offered to anyone eligible now.
        hold_lapsed = session.scalar(
            select(Conversation.id).where(Conversation.status == "queued", Conversation.held_until <= now).limit(1)
        )
        # Conversations past their texter's plan's limit, the volunteer not yet told (few
        # texters have a plan with a limit: their conversations are compared here).
        past_plan = [
            conversation_id
            for conversation_id, assigned_at, minutes in session.execute(
                select(Conversation.id, Conversation.assigned_at, TexterPlan.max_minutes)
                .join(TexterPlan, TexterPlan.texter_id == Conversation.texter_id)
                .where(
                    Conversation.status == "active", ~Conversation.plan_limit_told, TexterPlan.max_minutes.is_not(None)
                )
                .limit(BATCH)
            )
            if assigned_at is not None and minutes and assigned_at + timedelta(minutes=minutes) <= now
        ]
        # Texters in line whose place is due to be compared again, or who have waited long.
        matching = runtime.settings.matching
        in_line = session.scalars(
            select(Conversation.id)
            .where(
                Conversation.status == "queued",
                Conversation.channel == "sms",
                (Conversation.place_checked_at <= now - timedelta(minutes=matching.place_update_minutes))
                | (
                    ~Conversation.long_wait_told
                    & (Conversation.queued_at <= now - timedelta(minutes=matching.long_wait_minutes))
                ),
            )
            .limit(BATCH)
        ).all()
        rested = session.scalars(
            select(Volunteer.id).where((Volunteer.break_until <= now) | (Volunteer.cooldown_until <= now)).limit(BATCH)
        ).all()
        wrap_up = timedelta(minutes=runtime.shift_limits.wrap_up_minutes)
        ending = session.scalars(
            select(Shift.id)
            .where(
                Shift.ended_at.is_(None),
                ((Shift.planned_end_at <= now + wrap_up) & ~Shift.wrap_up_told)
                | (Shift.planned_end_at <= now)
                | (Shift.conversations_taken >= runtime.shift_limits.max_conversations_per_shift),
            )
            .limit(BATCH)
        ).all()
        unacknowledged = session.scalars(
            select(Escalation.id)
            .where(
                Escalation.acknowledged_at.is_(None),
                Escalation.realerted_at.is_(None),
                Escalation.opened_at <= now - timedelta(minutes=runtime.settings.escalation.realert_after_minutes),
            )
            .limit(BATCH)
        ).all()
        stuck_before = now - timedelta(seconds=delivery.stuck_after_seconds)
        reconcile_before = now - timedelta(seconds=min(delivery.stuck_after_seconds, lease_seconds(delivery)))
        unplaced = session.scalars(
            select(Call.id).where(Call.stage == call_rules.PLACING, Call.next_attempt_at <= stuck_before).limit(BATCH)
        ).all()
        lost_calls = session.scalars(
            select(Call.id)
            .where(Call.direction == "inbound", Call.ended_at.is_(None), Call.started_at <= now - calls.LONGEST_CALL)
            .limit(BATCH)
        ).all()
        lapsed_transfers = session.scalars(
            select(Transfer.id).where(Transfer.status == "offered", Transfer.expires_at <= now).limit(BATCH)
        ).all()
        # Stored texts whose routing job was lost (Redis restarted, a worker killed mid-turn).
        unrouted = session.scalars(
            select(InboundReceipt.sid)
            .where(InboundReceipt.routed_at.is_(None), InboundReceipt.received_at <= stuck_before)
            .order_by(InboundReceipt.received_at)
            .limit(BATCH)
        ).all()
        stuck = session.scalars(
            select(OutboxMessage.id)
            .where(
                ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= stuck_before))
                # A row claimed before its lease: its request is over, whatever became of its job
                # (a killed worker's): reconciled then, not a minute later.
                | ((OutboxMessage.status == "submitting") & (OutboxMessage.updated_at <= reconcile_before))
            )
            .limit(BATCH)
        ).all()
    for sid in unrouted:
        turns.append(inbound.route_stored(runtime, sid, now))
    for offer_id in expired:
        turns.append(run_turn(runtime, now, partial(dispatch.expire, offer_id=offer_id))[1])
    for transfer_id in lapsed_transfers:
        turns.append(run_turn(runtime, now, partial(transfers.lapse, transfer_id=transfer_id))[1])
    for conversation_id in silent:
        turns.append(run_turn(runtime, now, partial(close_if_silent, conversation_id=conversation_id))[1])
    if hold_lapsed is not None:
        turns.append(run_turn(runtime, now, offer_after_hold)[1])
    for conversation_id in past_plan:
        turns.append(run_turn(runtime, now, partial(plans.remind_at_limit, conversation_id=conversation_id))[1])
    if in_line:
        turns.append(run_turn(runtime, now, partial(queue_news.keep_informed, conversation_ids=in_line))[1])
    for volunteer_id in rested:
        turns.append(run_turn(runtime, now, partial(end_pause, volunteer_id=volunteer_id))[1])
    for escalation_id in unacknowledged:
        turns.append(run_turn(runtime, now, partial(escalations.realert, escalation_id=escalation_id))[1])
    for shift_id in ending:
        turns.append(run_turn(runtime, now, partial(wrap_up_or_end, shift_id=shift_id))[1])
    for call_id in lost_calls:
        turns.append(run_turn(runtime, now, partial(calls.end_if_lost, call_id=call_id))[1])
    turns += _continuity(runtime, now)
    if stuck or unplaced:
        _, turn = run_turn(runtime, now, lambda turn: None)
        turn.outbox_ids.extend(stuck)
        for call_id in unplaced:
            turn.schedule("place_call", call_id, now)
        turns.append(turn)
    return turns


def _continuity(runtime: Runtime, now: datetime) -> list[Turn]:
    """Check-ins now due, follow-up questions left unanswered, wrap-ups left unanswered."""
    continuity = runtime.settings.continuity
    with runtime.sessions() as session:
        due = session.scalars(
            select(FollowUp.id).where(FollowUp.status == "scheduled", FollowUp.due_at <= now).limit(BATCH)
        ).all()
        unanswered = session.scalars(
            select(FollowUp.id)
            .where(
                FollowUp.status == "asked",
                FollowUp.asked_at <= now - timedelta(minutes=continuity.follow_up_consent_minutes),
            )
            .limit(BATCH)
        ).all()
        lapsed = session.scalars(
            select(ContactNote.id)
            .where(
                ContactNote.status == NOTE_PENDING,
                ContactNote.asked_at <= now - timedelta(minutes=continuity.wrap_up_answer_minutes),
            )
            .limit(BATCH)
        ).all()
    turns = [run_turn(runtime, now, partial(follow_ups.send_check_in, follow_up_id=id_))[1] for id_ in due]
    turns += [run_turn(runtime, now, partial(follow_ups.lapse, follow_up_id=id_))[1] for id_ in unanswered]
    turns += [run_turn(runtime, now, partial(_lapse_note, note_id=id_))[1] for id_ in lapsed]
    return turns


def _lapse_note(turn: Turn, note_id: int) -> None:
    if contact_notes.lapse(turn, note_id):
        dispatch.offer_waiting(turn)


def resume(runtime: Runtime, now: datetime) -> Turn:
    """Redis is back (or was restarted, losing its jobs): the jobs every waiting row needs, at
    once rather than at the sweep that finds the row overdue. Deliveries due go now and retries
    at their time, as do callback legs to place and offers to expire; a row whose request may
    still be in flight (`submitting`) is reconciled as soon as its claim's lease is over (its
    own job may have died with a killed worker: this one then finds it). The texts stored
    meanwhile are the router's (`JobQueue.route_stored`)."""
    lease = timedelta(seconds=lease_seconds(runtime.settings.delivery))
    with runtime.sessions() as session:
        sending = [
            (outbox_id, next_attempt_at if status == "pending" else updated_at + lease)
            for outbox_id, status, next_attempt_at, updated_at in session.execute(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.next_attempt_at, OutboxMessage.updated_at)
                .where(OutboxMessage.status.in_(("pending", "submitting")))
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(RESUME_BATCH)
            )
        ]
        placing = session.execute(
            select(Call.id, Call.next_attempt_at).where(Call.stage == call_rules.PLACING).limit(BATCH)
        ).all()
        offers = session.execute(select(Offer.id, Offer.expires_at).where(Offer.status == "pending").limit(BATCH)).all()
    _, turn = run_turn(runtime, now, lambda turn: None)
    for outbox_id, at in sending:
        turn.schedule("deliver_outbound", outbox_id, max(at, now))
    for call_id, placing_at in placing:
        turn.schedule("place_call", call_id, max(placing_at or now, now))
    for offer_id, expires_at in offers:
        turn.schedule("expire_offer", offer_id, max(expires_at, now))
    return turn


def close_if_silent(turn: Turn, conversation_id: int) -> None:
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    limit = timedelta(minutes=turn.runtime.settings.routing.texter_inactivity_minutes)
    if conversation is None or conversation.status != "active" or conversation.last_texter_at > turn.now - limit:
        return
    lifecycle.close(turn, conversation, "texter_inactive")
    dispatch.offer_waiting(turn)


def offer_after_hold(turn: Turn) -> None:
    """Holds have lapsed: the queue is offered again, which holds anyone still held anew (so
    a line with nobody free is not swept again for them at every sweep)."""
    turn.session.execute(
        update(Conversation)
        .where(Conversation.status == "queued", Conversation.held_until <= turn.now)
        .values(held_until=None)
    )
    dispatch.offer_waiting(turn)


def end_pause(turn: Turn, volunteer_id: int) -> None:
    """A break or a cooldown is over: say so, and offer waiting texters (unless the volunteer
    must first text #ok after a heavy conversation)."""
    volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).first()
    if volunteer is None:
        return
    on_shift = shifts.open_shift(turn.session, volunteer_id) is not None
    if volunteer.break_until is not None and volunteer.break_until <= turn.now:
        volunteer.break_until = None
        if on_shift:
            outbox.tell_volunteer(turn, volunteer, "break_ended")
    if volunteer.cooldown_until is not None and volunteer.cooldown_until <= turn.now:
        volunteer.cooldown_until = None
        if on_shift:
            outbox.tell_volunteer(
                turn, volunteer, "cooldown_over_needs_ok" if volunteer.awaiting_ok else "cooldown_over"
            )
    if on_shift:
        dispatch.offer_waiting(turn)


def wrap_up_or_end(turn: Turn, shift_id: int) -> None:
    """Near its end a shift takes no new texters (the volunteer is reminded once); past a
    limit it ends as soon as the volunteer's open conversations are done."""
    volunteer_id = turn.session.scalar(select(Shift.volunteer_id).where(Shift.id == shift_id))
    if volunteer_id is None:
        return
    volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).one()
    shift = turn.session.scalars(select(Shift).where(Shift.id == shift_id).with_for_update()).one()
    if shift.ended_at is not None:
        return
    if shifts.end_if_due(turn, volunteer):
        return
    wrap_up = timedelta(minutes=turn.runtime.shift_limits.wrap_up_minutes)
    if shift.planned_end_at is not None and not shift.wrap_up_told and shift.planned_end_at - wrap_up <= turn.now:
        shift.wrap_up_told = True
        ends = shift.planned_end_at.astimezone(ZoneInfo(turn.runtime.settings.line.timezone)).strftime("%H:%M")
        outbox.tell_volunteer(turn, volunteer, "wrap_up", ends=ends)
        shifts.withdraw_offer(turn, volunteer.id)
