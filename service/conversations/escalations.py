"""Opening escalations and alerting the supervisors who must step in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from escalation.assessment import Assessment
from service.conversations import dispatch
from service.db import Conversation, Escalation, Supervisor, Volunteer
from service.db.turn import Turn
from service.outbound import outbox


def supervisors_to_alert(turn: Turn) -> list[Supervisor]:
    """The supervisors on call; when nobody is marked on call, every active supervisor: never nobody."""
    active = turn.session.scalars(select(Supervisor).where(Supervisor.active).order_by(Supervisor.id)).all()
    on_call = [supervisor for supervisor in active if supervisor.on_call]
    return on_call or list(active)


def open_escalation(
    turn: Turn, conversation: Conversation, level: str, source: str, reason: str, assessment: Assessment | None = None
) -> bool:
    """Record the escalation and text the supervisors (pseudonym and dashboard link, never the
    texter's number); a timer re-sends it to the backup if nobody acknowledges it. False when
    no supervisor exists to text."""
    escalation = Escalation(
        conversation_id=conversation.id,
        level=level,
        source=source,
        reason=reason,
        opened_at=turn.now,
        categories=",".join(c.value for c in assessment.categories) if assessment else "",
        rules="; ".join(assessment.rules) if assessment else "",
    )
    turn.session.add(escalation)
    turn.session.flush()
    supervisors = supervisors_to_alert(turn)
    _alert(turn, escalation, supervisors, "escalation_alert")
    delay = timedelta(minutes=turn.runtime.settings.escalation.realert_after_minutes)
    turn.schedule("realert_escalation", escalation.id, turn.now + delay)
    return bool(supervisors)


def _alert(turn: Turn, escalation: Escalation, supervisors: list[Supervisor], key: str) -> None:
    conversation = escalation.conversation
    volunteer = conversation.volunteer
    for supervisor in supervisors:
        language = supervisor.staff_language
        body = turn.runtime.texts.for_supervisor(
            key,
            language,
            escalation_id=escalation.id,
            pseudonym=conversation.texter.pseudonym,
            level=escalation.level,
            volunteer=volunteer.alias if volunteer else turn.runtime.texts.for_supervisor("nobody_yet", language),
            reason=escalation.reason,
            url=f"{turn.runtime.settings.public_url}/dashboard/escalations/{escalation.id}",
        )
        outbox.to_supervisor(turn, supervisor, body, conversation)
    names = [name for name in escalation.alerted.split(", ") if name] + [supervisor.name for supervisor in supervisors]
    escalation.alerted = ", ".join(names)


def realert(turn: Turn, escalation_id: int) -> None:
    """Nobody acknowledged in time: alert the backup supervisors (those marked backup, else
    every other active supervisor, else the same ones again). Safe to run twice."""
    escalation = turn.session.scalars(
        select(Escalation).where(Escalation.id == escalation_id).with_for_update()
    ).first()
    delay = timedelta(minutes=turn.runtime.settings.escalation.realert_after_minutes)
    if escalation is None or escalation.acknowledged_at is not None or escalation.realerted_at is not None:
        return
    if escalation.opened_at + delay > turn.now:
        return
    active = turn.session.scalars(select(Supervisor).where(Supervisor.active).order_by(Supervisor.id)).all()
    alerted = set(escalation.alerted.split(", "))
    backups = (
        [s for s in active if s.backup and s.name not in alerted]
        or [s for s in active if s.name not in alerted]
        or list(active)
    )
    escalation.realerted_at = turn.now
    _alert(turn, escalation, backups, "escalation_realert")


def acknowledge(turn: Turn, supervisor: Supervisor, escalation_id: int | None) -> Escalation | None:
    """`#ack [number]` (or the dashboard): the supervisor has it; the latest open one when no number is given."""
    query = select(Escalation).where(Escalation.acknowledged_at.is_(None))
    query = (
        query.where(Escalation.id == escalation_id)
        if escalation_id is not None
        else query.order_by(Escalation.opened_at.desc())
    )
    escalation = turn.session.scalars(query.with_for_update()).first()
    if escalation is None:
        return None
    escalation.acknowledged_at = turn.now
    escalation.acknowledged_by = supervisor.id
    turn.session.flush()
    # The volunteer this danger kept from new texters (`routing.limits.FOCUS`) may take one again.
    dispatch.offer_waiting(turn)
    return escalation


def request_debrief(turn: Turn, volunteer: Volunteer) -> bool:
    """`#debrief`: ask the supervisors on call to reach out to a volunteer after a hard conversation."""
    supervisors = supervisors_to_alert(turn)
    for supervisor in supervisors:
        outbox.to_supervisor(
            turn,
            supervisor,
            turn.runtime.texts.for_supervisor("debrief_request", supervisor.staff_language, volunteer=volunteer.name),
        )
    return bool(supervisors)
