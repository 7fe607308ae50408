"""Supervisors in a live call's conference, and the warm hand-off to the crisis line: listen
(muted), coach (heard by the volunteer only) or join, from the dashboard; the crisis line added
as a third participant by the volunteer (`#988` during the call) or a supervisor, after which
the volunteer may leave and the caller stays connected. Each step is audited; Twilio is told
by the `sync_call_participant` job (service/voice/conference.py)."""

from __future__ import annotations

from sqlalchemy import select

from routing import call_flow as rules
from routing.presence import CallMode, Staff, audio, may_listen_to_calls, volunteer_may_leave
from service.db import Call, CallParticipant, Conversation, Supervisor
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit
from service.staff.supervision import ActionRefused
from service.voice import calls, conference

AUDIT_ACTIONS = {CallMode.LISTEN: "call_listened", CallMode.COACH: "call_coached", CallMode.JOIN: "call_joined"}


def live_call(turn: Turn, conversation_id: int) -> tuple[Call, Conversation]:
    """The caller's call of an active conversation, in its conference (locked); else refused."""
    found = turn.session.execute(
        select(Call.id).where(Call.conversation_id == conversation_id, Call.party == "caller")
    ).first()
    if found is None:
        raise ActionRefused("no_live_call")
    locked = calls.lock_call(turn, found.id)
    if locked is None:
        raise ActionRefused("no_live_call")
    call, conversation = locked
    if call.stage != rules.CONFERENCE or conversation.status != "active":
        raise ActionRefused("no_live_call")
    return call, conversation


def step_in(turn: Turn, supervisor: Supervisor, conversation_id: int, mode: CallMode) -> CallParticipant:
    """Listen, coach or join: the first step calls the supervisor's phone into the conference;
    a later one changes how they are in it."""
    staff = Staff(role=supervisor.role, on_call=supervisor.on_call)
    if not may_listen_to_calls(staff, turn.runtime.settings.supervision.any_supervisor_may_listen):
        raise ActionRefused("not_allowed_to_listen")
    call, conversation = live_call(turn, conversation_id)
    members = conference.participants(turn, call)
    mine = next(
        (m for m in members if m.role == "supervisor" and m.supervisor_id == supervisor.id and m.left_at is None),
        None,
    )
    if mine is None:
        mine = CallParticipant(
            call_id=call.id,
            role="supervisor",
            supervisor_id=supervisor.id,
            added_by=supervisor.email,
            added_at=turn.now,
        )
        turn.session.add(mine)
    sound = audio(mode)
    mine.mode, mine.muted, mine.coaching, mine.pending = mode, sound.muted, sound.coaching, True
    turn.session.flush()
    turn.schedule(conference.SYNC_JOB, mine.id, turn.now)
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        AUDIT_ACTIONS[mode],
        f"conversation:{conversation.id}",
        conversation.texter.pseudonym,
    )
    return mine


def add_crisis_line(turn: Turn, conversation_id: int, actor: str) -> CallParticipant:
    """The crisis line as a third participant: called in from the line's number; the volunteer
    stays until they choose to leave, and their leaving no longer ends the call."""
    call, conversation = live_call(turn, conversation_id)
    members = conference.participants(turn, call)
    if any(m.role == "crisis_line" and m.left_at is None for m in members):
        raise ActionRefused("crisis_line_already_added")
    crisis = CallParticipant(call_id=call.id, role="crisis_line", pending=True, added_by=actor, added_at=turn.now)
    turn.session.add(crisis)
    volunteer = next((m for m in members if m.role == "volunteer"), None)
    if volunteer is not None and volunteer.left_at is None:
        volunteer.end_conference_on_exit = not volunteer_may_leave(crisis_line_in_call=True)
        volunteer.pending = True
    turn.session.flush()
    for member in (crisis, volunteer):
        if member is not None and member.pending:
            turn.schedule(conference.SYNC_JOB, member.id, turn.now)
    if conversation.volunteer is not None:
        outbox.tell_volunteer(
            turn,
            conversation.volunteer,
            "crisis_line_added",
            None,
            conversation,
            pseudonym=conversation.texter.pseudonym,
        )
    audit.record(
        turn.session,
        turn.now,
        actor,
        "crisis_line_added",
        f"conversation:{conversation.id}",
        f"{conversation.texter.pseudonym} call",
    )
    return crisis
