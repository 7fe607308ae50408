"""A supervisor inside a text conversation: brought in by a volunteer's `#sup` (on their phone,
in a thread of its own), joining from the dashboard, writing to the texter (labelled as the
supervisor to texter and volunteer alike), leaving with `#leave`; and `#988`, the crisis
line's options sent to a texter while the conversation goes on.

Each function runs inside one turn and writes the audit entry and texts it causes.
"""

from __future__ import annotations

from sqlalchemy import select

from routing.presence import Party, hearers
from service.conversations import escalations, lifecycle, seats
from service.db import Conversation, Supervisor, SupervisorSeat, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit
from service.staff.supervision import ActionRefused

# How many of the latest lines a supervisor brought into a conversation is sent.
RECENT_LINES = 3


def _dashboard_url(turn: Turn, conversation: Conversation) -> str:
    return f"{turn.runtime.settings.public_url}/dashboard/conversations/{conversation.id}/live"


def _recent(turn: Turn, conversation: Conversation) -> str:
    lines = lifecycle.texter_backlog(turn, conversation)[-RECENT_LINES:]
    return " / ".join(lines) if lines else "-"


def ask_for_supervisor(turn: Turn, volunteer: Volunteer, conversation: Conversation) -> None:
    """`#sup`: the supervisor on call (every active supervisor's first when nobody is on call)
    comes into a text conversation on their phone; for a call they are asked to listen from
    the dashboard, where they can coach or join."""
    pseudonym = conversation.texter.pseudonym
    on_call = escalations.supervisors_to_alert(turn)
    if not on_call:
        outbox.tell_volunteer(turn, volunteer, "no_supervisor", conversation.line_number)
        return
    supervisor = on_call[0]
    if conversation.channel != "sms":
        outbox.to_supervisor(
            turn,
            supervisor,
            turn.runtime.texts.for_supervisor(
                "call_help_requested",
                volunteer=volunteer.alias,
                pseudonym=pseudonym,
                url=_dashboard_url(turn, conversation),
            ),
            conversation,
        )
        outbox.tell_volunteer(turn, volunteer, "sup_call_requested", None, conversation, name=supervisor.name)
        audit.record(
            turn.session,
            turn.now,
            f"volunteer:{volunteer.id}",
            "supervisor_requested",
            f"conversation:{conversation.id}",
            f"{pseudonym} call; {supervisor.name} asked",
        )
        return
    _seat(turn, conversation, supervisor, invited_by=f"volunteer:{volunteer.id}", key="seat_invited")


def join(turn: Turn, supervisor: Supervisor, conversation_id: int) -> SupervisorSeat:
    """From the dashboard: the signed-in supervisor comes into the text conversation on their phone."""
    conversation = _active_text(turn, conversation_id)
    return _seat(turn, conversation, supervisor, invited_by=supervisor.email, key="seat_joined")


def _seat(turn: Turn, conversation: Conversation, supervisor: Supervisor, invited_by: str, key: str) -> SupervisorSeat:
    pseudonym = conversation.texter.pseudonym
    volunteer = conversation.volunteer
    assert volunteer is not None  # an active conversation
    already = next((seat for seat in seats.seated(turn, conversation) if seat.supervisor_id == supervisor.id), None)
    if already is not None:
        outbox.tell_volunteer(
            turn, volunteer, "sup_already", conversation.line_number, conversation, name=supervisor.name
        )
        return already
    seat = seats.take_seat(turn, conversation, supervisor, invited_by)
    if seat is None:
        raise ActionRefused("no_free_thread")
    outbox.to_supervisor(
        turn,
        supervisor,
        turn.runtime.texts.for_supervisor(
            key, volunteer=volunteer.alias, pseudonym=pseudonym, recent=_recent(turn, conversation)
        ),
        conversation,
        seat.line_number,
    )
    outbox.tell_volunteer(
        turn,
        volunteer,
        "supervisor_joined",
        conversation.line_number,
        conversation,
        name=supervisor.name,
        pseudonym=pseudonym,
    )
    outbox.tell_texter(turn, conversation.texter, "supervisor_joined", conversation)
    lifecycle.record(
        turn, conversation, "line", turn.runtime.texts.for_texter(conversation.language, "supervisor_joined")
    )
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        "supervisor_joined",
        f"conversation:{conversation.id}",
        f"{pseudonym} with {volunteer.alias}; invited by {invited_by}",
    )
    return seat


def leave(turn: Turn, supervisor: Supervisor, seat: SupervisorSeat) -> None:
    """`#leave` in the seat's thread: the supervisor is out; volunteer and texter are told."""
    conversation = seat.conversation
    seats.leave(turn, seat, "seat_left")
    if conversation.volunteer is not None:
        outbox.tell_volunteer(
            turn,
            conversation.volunteer,
            "supervisor_left",
            conversation.line_number,
            conversation,
            name=supervisor.name,
            pseudonym=conversation.texter.pseudonym,
        )
    outbox.tell_texter(
        turn,
        conversation.texter,
        "supervisor_left",
        conversation,
        alias=conversation.volunteer.alias if conversation.volunteer else "-",
    )
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        "supervisor_left",
        f"conversation:{conversation.id}",
        conversation.texter.pseudonym,
    )


def write(turn: Turn, supervisor: Supervisor, conversation: Conversation, body: str, via: str) -> None:
    """The supervisor's words to the texter (from a seat's thread or the dashboard, `via`): kept
    in the transcript, and sent to everyone else in the conversation, labelled as the supervisor's."""
    text = body.strip()
    if not text:
        raise ActionRefused("empty_message")
    if conversation.status != "active" or conversation.channel != "sms":
        raise ActionRefused("not_active")
    lifecycle.record(turn, conversation, "supervisor", text)
    pseudonym = conversation.texter.pseudonym
    seated = [seat.supervisor_id for seat in seats.seated(turn, conversation)]
    for hearer in hearers(Party.SUPERVISOR, seated, supervisor.id):
        if hearer.party is Party.TEXTER:
            outbox.tell_texter(turn, conversation.texter, "supervisor_says", conversation, text=text)
        elif hearer.party is Party.VOLUNTEER and conversation.volunteer is not None:
            outbox.tell_volunteer(
                turn,
                conversation.volunteer,
                "supervisor_says",
                conversation.line_number,
                conversation,
                name=supervisor.name,
                pseudonym=pseudonym,
                text=text,
            )
    seats.echo(turn, conversation, Party.SUPERVISOR, text, supervisor)
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        "supervisor_wrote",
        f"conversation:{conversation.id}",
        f"{pseudonym} via {via}",
    )


def write_from_dashboard(turn: Turn, supervisor: Supervisor, conversation_id: int, body: str) -> None:
    write(turn, supervisor, _active_text(turn, conversation_id), body, "dashboard")


def send_crisis_line(turn: Turn, volunteer: Volunteer, conversation: Conversation) -> None:
    """`#988` in a text conversation: the texter gets the crisis line's text and call options,
    with why; the conversation stays open and the volunteer stays with them."""
    options = turn.runtime.texts.for_texter(conversation.texter.language, "crisis_line_options")
    lifecycle.record(turn, conversation, "line", options)
    outbox.to_texter(turn, conversation.texter, options, conversation)
    seats.echo(turn, conversation, Party.VOLUNTEER, options)
    outbox.tell_volunteer(
        turn,
        volunteer,
        "crisis_line_sent",
        conversation.line_number,
        conversation,
        pseudonym=conversation.texter.pseudonym,
    )
    audit.record(
        turn.session,
        turn.now,
        f"volunteer:{volunteer.id}",
        "crisis_line_offered",
        f"conversation:{conversation.id}",
        conversation.texter.pseudonym,
    )


def _active_text(turn: Turn, conversation_id: int) -> Conversation:
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conversation is None or conversation.status != "active" or conversation.volunteer is None:
        raise ActionRefused("not_active")
    if conversation.channel != "sms":
        raise ActionRefused("not_a_text_conversation")
    return conversation
