"""What a supervisor does to step in from the dashboard: acknowledge an escalation, end a
volunteer's shift or send them on a break, lift a limit, hand a conversation to another
volunteer, and say who is on call.

Each function runs inside one turn (`run_turn`), takes the same row locks as dispatch, writes
the audit entry and the texts it causes; the caller submits the turn after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from routing import limits
from service.conversations import contact_notes, dispatch, escalations, lifecycle, shifts
from service.db import Conversation, Escalation, LimitOverride, Supervisor, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit

# How many of the texter's latest messages a volunteer taking over a conversation receives.
HANDOVER_MESSAGES = 5


class ActionRefused(Exception):
    """The action cannot be carried out; `reason` names why (a limit's name or a state), and the
    dashboard says it in words."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


def _local_time(turn: Turn, moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(turn.runtime.settings.line.timezone)).strftime("%H:%M")


def _detail(fact: str, reason: str) -> str:
    """An audit entry's detail: what changed, then the supervisor's reason when given."""
    return f"{fact}; {reason.strip()}" if reason.strip() else fact


def _locked_volunteer(turn: Turn, volunteer_id: int) -> Volunteer:
    volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).first()
    if volunteer is None:
        raise ActionRefused("not_found")
    return volunteer


def acknowledge(turn: Turn, supervisor: Supervisor, escalation_id: int) -> Escalation:
    escalation = escalations.acknowledge(turn, supervisor, escalation_id)
    if escalation is None:
        raise ActionRefused("already_acknowledged")
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        "escalation_acknowledged",
        f"escalation:{escalation.id}",
        f"{escalation.level} {escalation.conversation.texter.pseudonym}",
    )
    return escalation


def end_shift(turn: Turn, volunteer_id: int, actor: str, reason: str) -> None:
    """End a volunteer's shift now: no new texters; open conversations go on until #done."""
    volunteer = _locked_volunteer(turn, volunteer_id)
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is None:
        raise ActionRefused(limits.OFF_SHIFT)
    shifts.end(turn, shift, "supervisor")
    open_count = shifts.active_count(turn.session, volunteer.id)
    if open_count:
        outbox.tell_volunteer(turn, volunteer, "shift_ended_by_supervisor_open", count=open_count)
    else:
        outbox.tell_volunteer(turn, volunteer, "shift_ended_by_supervisor")
    audit.record(turn.session, turn.now, actor, "shift_ended", f"volunteer:{volunteer.id}", reason.strip())
    dispatch.offer_waiting(turn)


def put_on_break(turn: Turn, volunteer_id: int, minutes: int, actor: str, reason: str) -> datetime:
    """No new texters for `minutes`; the sweeper ends the break and tells the volunteer."""
    if not 1 <= minutes <= 240:
        raise ActionRefused("break_length")
    volunteer = _locked_volunteer(turn, volunteer_id)
    if shifts.open_shift(turn.session, volunteer.id) is None:
        raise ActionRefused(limits.OFF_SHIFT)
    volunteer.break_until = turn.now + timedelta(minutes=minutes)
    shifts.withdraw_offer(turn, volunteer.id)
    outbox.tell_volunteer(turn, volunteer, "break_by_supervisor", until=_local_time(turn, volunteer.break_until))
    audit.record(
        turn.session, turn.now, actor, "break_started", f"volunteer:{volunteer.id}", _detail(f"{minutes} min", reason)
    )
    dispatch.offer_waiting(turn)
    return volunteer.break_until


def lift_limit(turn: Turn, volunteer_id: int, limit: str, minutes: int, reason: str, actor: str) -> LimitOverride:
    """Lift one limit for one volunteer for a while (audited by `shifts.lift`); the volunteer is
    told, and may at once be offered a waiting texter."""
    volunteer = _locked_volunteer(turn, volunteer_id)
    try:
        override = shifts.lift(turn.session, volunteer, limit, minutes, reason, actor, turn.now)
    except ValueError as error:
        raise ActionRefused("override_invalid") from error
    outbox.tell_volunteer(
        turn,
        volunteer,
        "limit_lifted",
        limit=limit.replace("_", " "),
        until=_local_time(turn, override.until),
        reason=reason.strip(),
    )
    dispatch.offer_waiting(turn)
    return override


@dataclass(frozen=True)
class Handover:
    """A conversation moved to another volunteer: who had it, on which thread, and the new thread."""

    previous: Volunteer
    previous_line: str | None
    volunteer: Volunteer
    line_number: str


def hand_over(turn: Turn, conversation: Conversation, volunteer_id: int) -> Handover:
    """Move an active text conversation (locked by the caller) to another volunteer on shift,
    in a thread of its own, if `routing.limits` lets them take a texter now. Nobody is told:
    the caller words it (a supervisor's reassignment, a warm transfer)."""
    if conversation.status != "active" or conversation.volunteer is None:
        raise ActionRefused("not_active")
    if conversation.channel != "sms":
        raise ActionRefused("not_a_text_conversation")  # a call cannot move to another phone
    if conversation.volunteer_id == volunteer_id:
        raise ActionRefused("same_volunteer")
    volunteer = _locked_volunteer(turn, volunteer_id)
    if not volunteer.active:
        raise ActionRefused("inactive")
    state = shifts.volunteer_states(turn.session, [volunteer.id], turn.now)[volunteer.id]
    refusal = limits.refusal(state, turn.runtime.shift_limits, turn.now)
    if refusal is not None:
        raise ActionRefused(refusal.limit, refusal.until)
    line_number = limits.free_line_number(
        turn.runtime.shift_limits.line_numbers, state.busy_line_numbers, state.wrap_up_line_numbers
    )
    assert line_number is not None  # refusal() has checked it
    contact_notes.close_for_thread(turn, volunteer, line_number)
    previous, previous_line = conversation.volunteer, conversation.line_number
    conversation.volunteer, conversation.line_number = volunteer, line_number
    conversation.texter.last_volunteer_id = volunteer.id
    volunteer.last_assigned_at = turn.now
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is not None:
        shift.conversations_taken += 1
    turn.session.execute(update(Volunteer).where(Volunteer.id == previous.id).values(last_assigned_at=turn.now))
    turn.session.flush()
    return Handover(previous, previous_line, volunteer, line_number)


def reassign(turn: Turn, conversation_id: int, volunteer_id: int, actor: str, reason: str) -> None:
    """Hand an active conversation to another volunteer on shift, in a thread of its own.

    Locks as dispatch does (conversation, then volunteer) and asks `routing.limits` whether the
    new volunteer may take a texter now; the texter, the old and the new volunteer are told,
    and the new one gets the texter's latest messages.
    """
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conversation is None:
        raise ActionRefused("not_active")
    moved = hand_over(turn, conversation, volunteer_id)
    previous, previous_line, volunteer, line_number = (
        moved.previous,
        moved.previous_line,
        moved.volunteer,
        moved.line_number,
    )
    texter = conversation.texter
    outbox.tell_volunteer(turn, previous, "conversation_reassigned", previous_line, pseudonym=texter.pseudonym)
    outbox.tell_volunteer(turn, volunteer, "reassigned_to_you", line_number, conversation, pseudonym=texter.pseudonym)
    backlog = lifecycle.texter_backlog(turn, conversation)[-HANDOVER_MESSAGES:]
    if backlog:
        outbox.tell_volunteer(
            turn, volunteer, "backlog", line_number, conversation, pseudonym=texter.pseudonym, text="\n".join(backlog)
        )
    outbox.tell_texter(turn, texter, "reassigned", conversation, alias=volunteer.alias)
    audit.record(
        turn.session,
        turn.now,
        actor,
        "conversation_reassigned",
        f"conversation:{conversation.id}",
        _detail(f"{texter.pseudonym} {previous.alias} → {volunteer.alias}", reason),
    )
    dispatch.offer_waiting(turn)  # the previous volunteer may have room for the next texter


def set_on_call(turn: Turn, supervisor_id: int, on_call: bool, backup: bool, actor: str) -> Supervisor:
    """Who escalation alerts reach first (on call) and when nobody acknowledges (backup)."""
    supervisor = turn.session.scalars(
        select(Supervisor).where(Supervisor.id == supervisor_id).with_for_update()
    ).first()
    if supervisor is None or not supervisor.active:
        raise ActionRefused("inactive")
    supervisor.on_call, supervisor.backup = on_call, backup
    audit.record(
        turn.session,
        turn.now,
        actor,
        "on_call_set",
        f"supervisor:{supervisor.id}",
        f"{supervisor.name} on_call={str(on_call).lower()} backup={str(backup).lower()}",
    )
    return supervisor
