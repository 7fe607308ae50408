"""What happens when a supervisor texts a line number: `#ack` an escalation; in the thread of a
conversation they sit in, words for the texter and volunteer, or `#leave`."""

from __future__ import annotations

from routing.commands import parse_command
from service.conversations import escalations, seats
from service.db import Supervisor
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import stepping_in
from service.staff.supervision import ActionRefused


def on_supervisor_message(turn: Turn, supervisor: Supervisor, body: str, line_number: str) -> None:
    command = parse_command(body)
    seat = seats.seat_on(turn, supervisor, line_number)
    if seat is not None and command is None:
        try:
            stepping_in.write(turn, supervisor, seat.conversation, body, "phone")
        except ActionRefused as refused:
            # Nothing was sent: an empty text, or a texter back in the queue for a volunteer.
            outbox.to_supervisor(
                turn, supervisor, turn.runtime.texts.for_supervisor(f"seat_{refused.reason}"), None, seat.line_number
            )
        return
    if seat is not None and command is not None and command.word == "leave":
        stepping_in.leave(turn, supervisor, seat)
        return
    if command is None or command.word != "ack":
        outbox.to_supervisor(turn, supervisor, turn.runtime.texts.for_supervisor("help", supervisor.staff_language))
        return
    number = command.argument.lstrip("#")
    escalation = escalations.acknowledge(turn, supervisor, int(number) if number.isdigit() else None)
    if escalation is None:
        outbox.to_supervisor(turn, supervisor, turn.runtime.texts.for_supervisor("ack_none", supervisor.staff_language))
        return
    outbox.to_supervisor(
        turn,
        supervisor,
        turn.runtime.texts.for_supervisor(
            "ack_done",
            supervisor.staff_language,
            escalation_id=escalation.id,
            pseudonym=escalation.conversation.texter.pseudonym,
        ),
    )
