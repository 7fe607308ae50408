"""A connected call in a Twilio conference: once a volunteer presses 1, the call moves into a
conference of its own (the caller and the volunteer as participants, the screening whisper
kept: it ran before the move), so that a supervisor can listen, coach or join from the
dashboard and the crisis line can be added as a third participant.

The move: a job redirects the volunteer's leg to `/twilio/voice/conference` (its TwiML dials
the conference); the caller's <Dial> then ends and its action (`dial-result`) dials the caller
into the same conference. The conference's signed status callbacks (`conference-status`) say
who joined and left, idempotently (each only fills a time still empty). Participants added
later (supervisors, the crisis line) are called in by the `sync_call_participant` job through
Twilio's Participants API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from routing import call_flow as rules
from service.db import Call, CallParticipant, Conversation
from service.db.turn import Turn, run_turn
from service.outbound.twilio_gateway import CALL_GONE, Accepted, Permanent, Retryable, TwilioGateway
from service.runtime import Runtime
from service.voice import calls

log = logging.getLogger(__name__)

MOVE_JOB = calls.MOVE_TO_CONFERENCE
SYNC_JOB = "sync_call_participant"
# Seconds before a request Twilio could not take now (5xx, 429, no connection) is tried again.
RETRY_SECONDS = 2
# Twilio's conference events this service asks for and reads.
EVENTS = ("start", "end", "join", "leave")
KNOWN_EVENTS = frozenset(
    {
        "conference-start",
        "conference-end",
        "participant-join",
        "participant-leave",
        "participant-mute",
        "participant-unmute",
        "participant-hold",
        "participant-unhold",
        "participant-modify",
        "participant-speech-start",
        "participant-speech-stop",
        "announcement-end",
        "announcement-fail",
    }
)


@dataclass(frozen=True)
class JoinConference:
    """<Dial><Conference>: the caller (whose leaving ends it, and whose <Dial> action says what
    follows) or the volunteer (whose leaving ends it until the crisis line is in the call)."""

    call_id: int
    room: str
    label: str
    end_conference_on_exit: bool
    caller: bool


@dataclass(frozen=True)
class AwaitMove:
    """The caller's <Dial> ended while the volunteer's leg is being moved: a second's silence,
    then ask again (`conference-wait`), which joins the conference or says goodbye."""

    call_id: int


Step = JoinConference | AwaitMove


def room(call: Call) -> str:
    return f"warmline-call-{call.id}"


def participants(turn: Turn, call: Call) -> list[CallParticipant]:
    return list(
        turn.session.scalars(
            select(CallParticipant).where(CallParticipant.call_id == call.id).order_by(CallParticipant.id)
        )
    )


def _participant(turn: Turn, call: Call, role: str) -> CallParticipant | None:
    return next((p for p in participants(turn, call) if p.role == role), None)


def move(runtime: Runtime, gateway: TwilioGateway, call_id: int, now: datetime) -> Turn:
    """The job after a volunteer pressed 1: mark the call as in its conference (before asking
    Twilio, so that the caller's <Dial> ending at once already finds it there), then redirect
    the volunteer's leg into it. Safe to run twice: a call already moved is left alone."""

    def mark(turn: Turn) -> str | None:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return None
        call, conversation = locked
        if conversation.status != "active" or call.volunteer_leg_sid is None:
            return None
        if call.stage == rules.CONFERENCE:
            # A retry: only while the volunteer's leg has not reached the conference yet.
            volunteer = _participant(turn, call, "volunteer")
            waiting = volunteer is not None and volunteer.joined_at is None and volunteer.left_at is None
            return call.volunteer_leg_sid if waiting and call.conference_sid is None else None
        if call.stage != rules.CONNECTED:
            return None
        call.stage = rules.CONFERENCE
        turn.session.add_all(
            [
                CallParticipant(
                    call_id=call.id,
                    role=role,
                    call_sid=sid,
                    end_conference_on_exit=True,
                    # The volunteer's leg is pending until Twilio has taken its redirect.
                    pending=role == "volunteer",
                    added_by="line",
                    added_at=turn.now,
                )
                for role, sid in (("caller", call.call_sid), ("volunteer", call.volunteer_leg_sid))
            ]
        )
        turn.session.flush()
        return call.volunteer_leg_sid

    leg_sid, turn = run_turn(runtime, now, mark)
    if leg_sid is None:
        return turn
    url = f"{runtime.settings.public_url}/twilio/voice/conference?call={call_id}"
    outcome = gateway.redirect_call(leg_sid, url)
    gone = isinstance(outcome, Permanent) and outcome.code in CALL_GONE

    def settle(turn: Turn) -> None:
        """Moved: the caller's <Dial> action takes them into the conference. The leg gone (the
        volunteer hung up first): the caller hears they did."""
        found = turn.session.scalars(
            select(CallParticipant)
            .where(CallParticipant.call_id == call_id, CallParticipant.role == "volunteer")
            .with_for_update()
        ).first()
        if found is None:
            return
        found.pending = False
        if gone:
            found.left_at = found.left_at or turn.now

    if isinstance(outcome, Accepted) or gone:
        log.info("call.conference_move call=%d moved=%s", call_id, not gone)
        return run_turn(runtime, now, settle)[1]
    log.warning("call.conference_move_failed call=%d outcome=%s", call_id, type(outcome).__name__)
    turn.schedule(MOVE_JOB, call_id, now + timedelta(seconds=RETRY_SECONDS))
    return turn


def volunteer_leg(runtime: Runtime, call_id: int, now: datetime) -> tuple[calls.Step | Step, Turn]:
    """The volunteer's leg, redirected: into the conference while the call is there."""

    def work(turn: Turn) -> calls.Step | Step:
        call = turn.session.get(Call, call_id)
        if call is None or call.stage != rules.CONFERENCE:
            return calls.HangUp()
        volunteer = _participant(turn, call, "volunteer")
        end_on_exit = volunteer.end_conference_on_exit if volunteer is not None else True
        return JoinConference(call.id, room(call), "volunteer", end_on_exit, caller=False)

    return run_turn(runtime, now, work)


def caller_step(turn: Turn, call: Call, conversation: Conversation) -> calls.Step | Step:
    """The caller's <Dial> with the volunteer ended because the call moved: into the
    conference; unless the volunteer's leg was gone before it could move (then goodbye)."""
    volunteer = _participant(turn, call, "volunteer")
    if volunteer is not None and volunteer.left_at is not None and volunteer.joined_at is None:
        calls.close_call(turn, call, conversation, rules.ANSWERED)
        return calls.Goodbye(conversation.language, "call_ended")
    if volunteer is not None and volunteer.pending:
        return AwaitMove(call.id)
    return JoinConference(call.id, room(call), "caller", end_conference_on_exit=True, caller=True)


def await_move(runtime: Runtime, call_id: int, call_status: str, now: datetime) -> tuple[calls.Step | Step, Turn]:
    """Asked again after `AwaitMove`: the conference, or goodbye."""

    def work(turn: Turn) -> calls.Step | Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.HangUp()
        call, conversation = locked
        if call.stage != rules.CONFERENCE or conversation.status != "active":
            return calls.HangUp()
        if call_status in calls.FINAL_STATUSES:
            calls.close_call(turn, call, conversation, rules.ANSWERED)
            return calls.HangUp()
        return caller_step(turn, call, conversation)

    return run_turn(runtime, now, work)


def over(runtime: Runtime, call_id: int, call_status: str, now: datetime) -> tuple[calls.Step | Step, Turn]:
    """The caller's conference has ended (everyone else left, or the volunteer did before any
    hand-off): the call is over; a caller still on the line hears goodbye."""

    def work(turn: Turn) -> calls.Step | Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.HangUp()
        call, conversation = locked
        if call.stage != rules.CONFERENCE:
            return calls.HangUp()  # only the caller's conference <Dial> names this URL
        for participant in participants(turn, call):
            participant.left_at = participant.left_at or turn.now
        calls.close_call(turn, call, conversation, rules.ANSWERED)
        if call_status in calls.FINAL_STATUSES:
            return calls.HangUp()
        return calls.Goodbye(conversation.language, "call_ended")

    return run_turn(runtime, now, work)


@dataclass(frozen=True)
class ConferenceEvent:
    """One conference status callback, as far as the line reads it."""

    conference_sid: str
    event: str
    call_sid: str
    label: str


def record_event(runtime: Runtime, call_id: int, event: ConferenceEvent, now: datetime) -> Turn:
    """Who joined or left, and the conference's SID; a repeated callback changes nothing."""

    def work(turn: Turn) -> None:
        locked = calls.lock_call(turn, call_id)
        if locked is None or locked[0].stage != rules.CONFERENCE:
            return
        call, conversation = locked
        members = participants(turn, call)
        if call.conference_sid is None:
            call.conference_sid = event.conference_sid
            # Anyone asked for before the conference had a SID can be called in now.
            for waiting in members:
                if waiting.pending:
                    turn.schedule(SYNC_JOB, waiting.id, turn.now)
        elif call.conference_sid != event.conference_sid:
            log.warning("call.conference_mismatch call=%d", call.id)
            return
        if event.event == "conference-end":
            for everyone in members:
                everyone.left_at = everyone.left_at or turn.now
            return
        by_sid = next((m for m in members if m.call_sid and m.call_sid == event.call_sid), None)
        found = by_sid or next((m for m in members if m.label == event.label), None)
        if found is None:
            return
        found.call_sid = found.call_sid or event.call_sid or None
        if event.event == "participant-join":
            found.joined_at = found.joined_at or turn.now
        elif event.event == "participant-leave" and found.left_at is None:
            found.left_at = turn.now
            handed_off = any(m.role == "crisis_line" and m.left_at is None for m in members)
            if found.role == "volunteer" and handed_off:
                # The warm hand-off is done: the caller stays with the crisis line, and the
                # volunteer's part (their conversation, their load) is over.
                calls.close_call(turn, call, conversation, rules.ANSWERED)

    return run_turn(runtime, now, work)[1]


def sync(runtime: Runtime, gateway: TwilioGateway, participant_id: int, now: datetime) -> Turn:
    """Tell Twilio how a participant should be in the conference: call them in (a supervisor or
    the crisis line) or change them (muted, coaching, whether their leaving ends it). Waits for
    the conference's SID; safe to run twice (a participant already told is left alone)."""

    def read(turn: Turn) -> tuple[str, str | None, str, str, bool, str | None, bool, str] | None:
        member = turn.session.get(CallParticipant, participant_id)
        if member is None or not member.pending or member.left_at is not None:
            return None
        call = member.call
        if call.conference_sid is None or call.stage != rules.CONFERENCE:
            return None  # the conference's start callback schedules this again
        volunteer = _participant(turn, call, "volunteer")
        coached = volunteer.call_sid if member.coaching and volunteer is not None else None
        if member.role == "supervisor":
            assert member.supervisor is not None
            to = member.supervisor.phone
        else:
            to = turn.runtime.settings.supervision.crisis_line_number
        return (
            call.conference_sid,
            member.call_sid,
            to,
            call.line_number,
            member.muted,
            coached,
            member.end_conference_on_exit,
            member.label,
        )

    found, turn = run_turn(runtime, now, read)
    if found is None:
        return turn
    conference_sid, call_sid, to, line_number, muted, coached, end_on_exit, label = found
    if call_sid is None:
        outcome = gateway.add_participant(conference_sid, to, line_number, label, muted, coached)
    else:
        outcome = gateway.update_participant(conference_sid, call_sid, muted, coached, end_on_exit)

    def settle(turn: Turn) -> None:
        member = turn.session.scalars(
            select(CallParticipant).where(CallParticipant.id == participant_id).with_for_update()
        ).one()
        if isinstance(outcome, Accepted):
            member.call_sid = member.call_sid or outcome.sid
            member.pending = False
        elif isinstance(outcome, Retryable):
            turn.schedule(SYNC_JOB, participant_id, turn.now + timedelta(seconds=RETRY_SECONDS))
        else:
            log.warning("call.participant_refused participant=%d outcome=%s", participant_id, outcome)
            member.pending = False
            if call_sid is None:
                member.left_at = turn.now

    return run_turn(runtime, now, settle)[1]
