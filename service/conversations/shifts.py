"""Shifts and their limits in the database: starting and ending shifts, cooldowns after heavy
conversations, supervisors' overrides, and the volunteer state the router decides on.

The decisions are `routing.limits`; this module loads what they need and carries them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from escalation.assessment import Level
from routing import limits as rules
from routing.limits import PastShift, Refusal, VolunteerState
from service.db import (
    NOTE_PENDING,
    PHONE_CHANNELS,
    ContactNote,
    Conversation,
    Escalation,
    LimitOverride,
    Offer,
    Shift,
    Volunteer,
)
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit


def open_shift(session: Session, volunteer_id: int) -> Shift | None:
    return session.scalars(select(Shift).where(Shift.volunteer_id == volunteer_id, Shift.ended_at.is_(None))).first()


def lifted_limits(session: Session, volunteer_ids: Iterable[int], now: datetime) -> dict[int, frozenset[str]]:
    """The limits a supervisor has lifted, per volunteer, that are still lifted at `now`."""
    ids = list(volunteer_ids)
    lifted: dict[int, set[str]] = {volunteer_id: set() for volunteer_id in ids}
    if ids:
        for volunteer_id, limit in session.execute(
            select(LimitOverride.volunteer_id, LimitOverride.limit).where(
                LimitOverride.volunteer_id.in_(ids), LimitOverride.until > now
            )
        ):
            lifted[volunteer_id].add(limit)
    return {volunteer_id: frozenset(names) for volunteer_id, names in lifted.items()}


def past_shifts(session: Session, volunteer_id: int, now: datetime) -> list[PastShift]:
    """Shifts that touch the rolling week (and the last one, for the rest between shifts)."""
    rows = session.execute(
        select(Shift.started_at, Shift.ended_at)
        .where(Shift.volunteer_id == volunteer_id, (Shift.ended_at.is_(None)) | (Shift.ended_at >= now - rules.WEEK))
        .order_by(Shift.started_at)
    ).all()
    return [PastShift(started_at=row.started_at, ended_at=row.ended_at) for row in rows]


def volunteer_states(session: Session, volunteer_ids: Iterable[int], now: datetime) -> dict[int, VolunteerState]:
    """What `routing.limits` needs about each volunteer, read in a few set-based queries."""
    ids = list(volunteer_ids)
    if not ids:
        return {}
    volunteers = {v.id: v for v in session.scalars(select(Volunteer).where(Volunteer.id.in_(ids)))}
    shifts = {
        s.volunteer_id: s
        for s in session.scalars(select(Shift).where(Shift.volunteer_id.in_(ids), Shift.ended_at.is_(None)))
    }
    busy: dict[int, set[str]] = {volunteer_id: set() for volunteer_id in ids}
    active: dict[int, int] = dict.fromkeys(ids, 0)
    on_call: set[int] = set()
    focus: set[int] = set()
    # In imminent danger, not yet acknowledged: `routing.limits.FOCUS`.
    in_danger = exists().where(
        Escalation.conversation_id == Conversation.id,
        Escalation.level == Level.IMMINENT.value,
        Escalation.acknowledged_at.is_(None),
    )
    for volunteer_id, line_number, channel, danger in session.execute(
        select(Conversation.volunteer_id, Conversation.line_number, Conversation.channel, in_danger).where(
            Conversation.status == "active", Conversation.volunteer_id.in_(ids)
        )
    ):
        assert volunteer_id is not None  # by the query (in_(ids)): tells the type checker
        active[volunteer_id] += 1
        if line_number is not None:  # a caller's call holds no text thread
            busy[volunteer_id].add(line_number)
        if channel in PHONE_CHANNELS:
            on_call.add(volunteer_id)
        if danger:
            focus.add(volunteer_id)
    # Threads whose wrap-up form waits for the volunteer's answer take a new texter last
    # (`routing.limits.free_line_number`): the answer should reach no texter.
    wrapping_up: dict[int, set[str]] = {volunteer_id: set() for volunteer_id in ids}
    for volunteer_id, line_number in session.execute(
        select(ContactNote.volunteer_id, ContactNote.line_number).where(
            ContactNote.status == NOTE_PENDING, ContactNote.volunteer_id.in_(ids)
        )
    ):
        wrapping_up[volunteer_id].add(line_number)
    pending = set(
        session.scalars(select(Offer.volunteer_id).where(Offer.status == "pending", Offer.volunteer_id.in_(ids)))
    )
    lifted = lifted_limits(session, ids, now)
    states = {}
    for volunteer_id in ids:
        volunteer, shift = volunteers[volunteer_id], shifts.get(volunteer_id)
        states[volunteer_id] = VolunteerState(
            volunteer_id=volunteer_id,
            languages=volunteer.language_codes,
            on_shift_since=shift.started_at if shift and volunteer.active else None,
            break_until=volunteer.break_until,
            busy_line_numbers=frozenset(busy[volunteer_id]),
            wrap_up_line_numbers=frozenset(wrapping_up[volunteer_id]),
            active_conversations=active[volunteer_id],
            max_concurrent=volunteer.max_concurrent,
            has_pending_offer=volunteer_id in pending,
            last_assigned_at=volunteer.last_assigned_at,
            shift_ends_at=shift.planned_end_at if shift else None,
            conversations_this_shift=shift.conversations_taken if shift else 0,
            cooldown_until=volunteer.cooldown_until,
            awaiting_ok=volunteer.awaiting_ok,
            lifted=lifted[volunteer_id],
            on_call=volunteer_id in on_call,
            focus=volunteer_id in focus,
            level=volunteer.level,
            trainee_scope=volunteer.trainee_scope,
            topics=volunteer.topic_codes,
        )
    return states


def start(turn: Turn, volunteer: Volunteer) -> Refusal | None:
    """`#on`: a new shift, unless rest between shifts or the weekly hours forbid it."""
    limits = turn.runtime.shift_limits
    history = past_shifts(turn.session, volunteer.id, turn.now)
    lifted = lifted_limits(turn.session, [volunteer.id], turn.now)[volunteer.id]
    refusal = rules.shift_start_refusal(history, limits, turn.now, lifted)
    if refusal is not None:
        return refusal
    turn.session.add(
        Shift(
            volunteer_id=volunteer.id,
            started_at=turn.now,
            planned_end_at=rules.shift_ends_at(turn.now, history, limits, lifted),
            conversations_taken=0,
        )
    )
    volunteer.break_until = None
    turn.session.flush()
    return None


def end(turn: Turn, shift: Shift, reason: str) -> None:
    shift.ended_at = turn.now
    shift.end_reason = reason
    withdraw_offer(turn, shift.volunteer_id)


def withdraw_offer(turn: Turn, volunteer_id: int) -> None:
    """A volunteer leaving (`#off`, `#break`, a forced end) hands their pending offer back to the queue."""
    offer = turn.session.scalars(
        select(Offer).where(Offer.volunteer_id == volunteer_id, Offer.status == "pending").with_for_update()
    ).first()
    if offer is not None:
        offer.status = "withdrawn"
        offer.answered_at = turn.now
        turn.session.flush()


def active_count(session: Session, volunteer_id: int) -> int:
    return len(
        session.scalars(
            select(Conversation.id).where(Conversation.volunteer_id == volunteer_id, Conversation.status == "active")
        ).all()
    )


SHIFT_END_TEXT = {rules.MAX_SHIFT: "shift_ended_max_length", rules.MAX_CONVERSATIONS: "shift_ended_max_conversations"}


def end_if_due(turn: Turn, volunteer: Volunteer) -> bool:
    """A shift that has reached its maximum length or conversations ends itself once the
    volunteer's open conversations are finished; the volunteer is told why."""
    shift = open_shift(turn.session, volunteer.id)
    if shift is None:
        return False
    limit = _reached(turn, shift)
    if limit is None or active_count(turn.session, volunteer.id):
        return False
    end(turn, shift, limit)
    outbox.tell_volunteer(turn, volunteer, SHIFT_END_TEXT[limit])
    return True


def _reached(turn: Turn, shift: Shift) -> str | None:
    lifted = lifted_limits(turn.session, [shift.volunteer_id], turn.now)[shift.volunteer_id]
    if rules.MAX_SHIFT not in lifted and shift.planned_end_at is not None and turn.now >= shift.planned_end_at:
        return rules.MAX_SHIFT
    if (
        rules.MAX_CONVERSATIONS not in lifted
        and shift.conversations_taken >= turn.runtime.shift_limits.max_conversations_per_shift
    ):
        return rules.MAX_CONVERSATIONS
    return None


def after_conversation(turn: Turn, conversation: Conversation) -> None:
    """Care for the carer: after a heavy conversation, a pause (and a check-in text after an
    escalated one); then the shift ends if it has reached a limit."""
    volunteer = conversation.volunteer
    if volunteer is None or conversation.assigned_at is None or conversation.closed_at is None:
        return
    escalated = (
        turn.session.scalar(select(Escalation.id).where(Escalation.conversation_id == conversation.id).limit(1))
        is not None
    )
    cooldown = rules.cooldown_after(
        conversation.assigned_at, conversation.closed_at, escalated, turn.runtime.shift_limits
    )
    if cooldown is not None and (volunteer.cooldown_until is None or volunteer.cooldown_until < cooldown.until):
        volunteer.cooldown_until = cooldown.until
        volunteer.awaiting_ok = volunteer.awaiting_ok or cooldown.needs_ok
        withdraw_offer(turn, volunteer.id)  # an offer made before the pause must not outlive it
        limits = turn.runtime.shift_limits
        if cooldown.needs_ok:
            outbox.tell_volunteer(
                turn, volunteer, "checkin_after_escalation", minutes=limits.cooldown_after_escalation_minutes
            )
        else:
            outbox.tell_volunteer(turn, volunteer, "cooldown_after_long", minutes=limits.cooldown_after_long_minutes)
    end_if_due(turn, volunteer)


def lift(
    session: Session, volunteer: Volunteer, limit: str, minutes: int, reason: str, actor: str, now: datetime
) -> LimitOverride:
    """A supervisor lifts one limit for one volunteer for a bounded time; always audited."""
    if limit not in rules.LIFTABLE:
        raise ValueError(f"{limit!r} cannot be lifted; choose one of {', '.join(sorted(rules.LIFTABLE))}")
    if not 1 <= minutes <= 24 * 60:
        raise ValueError("an override lasts from 1 minute to 24 hours")
    if not reason.strip():
        raise ValueError("an override needs a reason")
    override = LimitOverride(
        volunteer_id=volunteer.id,
        limit=limit,
        until=now + timedelta(minutes=minutes),
        reason=reason.strip(),
        created_by=actor,
        created_at=now,
    )
    session.add(override)
    if limit in (rules.MAX_SHIFT, rules.WEEKLY_HOURS):
        shift = open_shift(session, volunteer.id)
        if shift is not None and shift.planned_end_at is not None:
            shift.planned_end_at = max(shift.planned_end_at, override.until)
    if limit in (rules.COOLDOWN, rules.AWAITING_OK):
        volunteer.cooldown_until = None if limit == rules.COOLDOWN else volunteer.cooldown_until
        volunteer.awaiting_ok = False if limit == rules.AWAITING_OK else volunteer.awaiting_ok
    audit.record(
        session,
        now,
        actor,
        "limit_override",
        f"volunteer:{volunteer.id}",
        f"{limit} lifted for {minutes} min: {reason.strip()}",
    )
    return override
