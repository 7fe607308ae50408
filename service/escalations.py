"""Opening escalations and alerting the supervisors who must step in."""

from __future__ import annotations

from sqlalchemy import select

from service import outbox
from service.db import Conversation, Escalation, Supervisor, Volunteer
from service.turn import Turn


def supervisors_to_alert(turn: Turn) -> list[Supervisor]:
    """The supervisors on call; when nobody is marked on call, every active supervisor: never nobody."""
    active = turn.session.scalars(select(Supervisor).where(Supervisor.active).order_by(Supervisor.id)).all()
    on_call = [supervisor for supervisor in active if supervisor.on_call]
    return on_call or list(active)


def open_escalation(turn: Turn, conversation: Conversation, level: str, source: str, reason: str) -> bool:
    """Record the escalation and text the supervisors; False when no supervisor exists to text."""
    escalation = Escalation(conversation_id=conversation.id, level=level, source=source, reason=reason, opened_at=turn.now)
    turn.session.add(escalation)
    turn.session.flush()
    volunteer = conversation.volunteer
    supervisors = supervisors_to_alert(turn)
    for supervisor in supervisors:
        body = turn.runtime.texts.for_supervisor(
            "escalation_alert",
            escalation_id=escalation.id,
            pseudonym=conversation.texter.pseudonym,
            level=level,
            volunteer=volunteer.alias if volunteer else "-",
            reason=reason,
            url=f"{turn.runtime.settings.public_url}/dashboard/escalations/{escalation.id}",
        )
        outbox.to_supervisor(turn, supervisor, body, conversation)
    return bool(supervisors)


def request_debrief(turn: Turn, volunteer: Volunteer) -> bool:
    """`#debrief`: ask the supervisors on call to reach out to a volunteer after a hard conversation."""
    supervisors = supervisors_to_alert(turn)
    for supervisor in supervisors:
        outbox.to_supervisor(turn, supervisor, turn.runtime.texts.for_supervisor("debrief_request", volunteer=volunteer.name))
    return bool(supervisors)
