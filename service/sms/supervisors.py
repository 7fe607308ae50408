"""What happens when a supervisor texts a line number: `#ack` an escalation."""

from __future__ import annotations

from routing.commands import parse_command
from service.conversations import escalations
from service.db import Supervisor
from service.db.turn import Turn
from service.outbound import outbox


def on_supervisor_message(turn: Turn, supervisor: Supervisor, body: str) -> None:
    command = parse_command(body)
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
