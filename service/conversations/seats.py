"""Supervisors' seats in text conversations: taking one on a thread of its own (masked like a
volunteer's), leaving it, and echoing what the others write to whoever is seated.

Who hears a message is `routing.presence.hearers`; this module only carries it out for seats.
"""

from __future__ import annotations

from sqlalchemy import select

from routing import limits
from routing.presence import Party, hearers
from service.db import Conversation, Supervisor, SupervisorSeat
from service.db.turn import Turn
from service.outbound import outbox

# The supervisor's text for a line written by each party, in `[supervisor]` of config/messages.
ECHO_TEXT = {
    Party.TEXTER: "seat_texter_says",
    Party.VOLUNTEER: "seat_volunteer_says",
    Party.SUPERVISOR: "seat_supervisor_says",
}


def seated(turn: Turn, conversation: Conversation) -> list[SupervisorSeat]:
    """The supervisors in the conversation now, in the order they joined."""
    return list(
        turn.session.scalars(
            select(SupervisorSeat)
            .where(SupervisorSeat.conversation_id == conversation.id, SupervisorSeat.left_at.is_(None))
            .order_by(SupervisorSeat.joined_at, SupervisorSeat.id)
        )
    )


def seat_on(turn: Turn, supervisor: Supervisor, line_number: str) -> SupervisorSeat | None:
    """The seat this thread of the supervisor's phone carries, if any."""
    return turn.session.scalars(
        select(SupervisorSeat).where(
            SupervisorSeat.supervisor_id == supervisor.id,
            SupervisorSeat.line_number == line_number,
            SupervisorSeat.left_at.is_(None),
        )
    ).first()


def take_seat(turn: Turn, conversation: Conversation, supervisor: Supervisor, invited_by: str) -> SupervisorSeat | None:
    """Seat the supervisor on the first line number none of their seats uses (their phone's
    thread for this conversation); None when every line number is taken."""
    busy = frozenset(
        turn.session.scalars(
            select(SupervisorSeat.line_number).where(
                SupervisorSeat.supervisor_id == supervisor.id, SupervisorSeat.left_at.is_(None)
            )
        )
    )
    line_number = limits.free_line_number(turn.runtime.shift_limits.line_numbers, busy)
    if line_number is None:
        return None
    seat = SupervisorSeat(
        conversation_id=conversation.id,
        supervisor_id=supervisor.id,
        line_number=line_number,
        invited_by=invited_by,
        joined_at=turn.now,
    )
    turn.session.add(seat)
    turn.session.flush()
    return seat


def echo(
    turn: Turn, conversation: Conversation, author: Party, body: str, author_supervisor: Supervisor | None = None
) -> None:
    """What `author` wrote in the conversation, to each supervisor seated in it but the author,
    on their thread, labelled with who wrote it (pseudonym, volunteer alias, supervisor name)."""
    seats = seated(turn, conversation)
    if not seats:
        return
    by_id = {seat.supervisor_id: seat for seat in seats}
    author_id = author_supervisor.id if author_supervisor is not None else None
    volunteer = conversation.volunteer
    for hearer in hearers(author, list(by_id), author_id):
        if hearer.party is not Party.SUPERVISOR or hearer.supervisor_id is None:
            continue
        seat = by_id[hearer.supervisor_id]
        text = turn.runtime.texts.for_supervisor(
            ECHO_TEXT[author],
            pseudonym=conversation.texter.pseudonym,
            volunteer=volunteer.alias if volunteer is not None else "-",
            name=author_supervisor.name if author_supervisor is not None else "",
            text=body,
        )
        outbox.to_supervisor(turn, seat.supervisor, text, conversation, seat.line_number)


def leave(turn: Turn, seat: SupervisorSeat, key: str) -> None:
    """End the seat; the supervisor is told on its thread why (`key`, a `[supervisor]` text)."""
    seat.left_at = turn.now
    outbox.to_supervisor(
        turn,
        seat.supervisor,
        turn.runtime.texts.for_supervisor(key, pseudonym=seat.conversation.texter.pseudonym),
        seat.conversation,
        seat.line_number,
    )
    turn.session.flush()


def release_all(turn: Turn, conversation: Conversation) -> None:
    """A conversation that ends frees every seat in it, telling each supervisor."""
    for seat in seated(turn, conversation):
        leave(turn, seat, "seat_closed")
