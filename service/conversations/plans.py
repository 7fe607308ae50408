"""Frequent-texter plans in the database: a supervisor sets one per texter; the volunteer who
accepts the texter reads its note, and is reminded when the plan's shorter conversation
limit is reached."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from service.db import Conversation, Texter, TexterPlan, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit

# The longest note kept: it is texted to the volunteer whole.
MAX_NOTE = 600


def set_plan(
    turn: Turn, texter: Texter, note: str, max_minutes: int | None, preferred_volunteer_id: int | None, actor: str
) -> TexterPlan | None:
    """Set (or, with nothing in it, remove) the texter's plan. Audited."""
    plan = turn.session.get(TexterPlan, texter.id, with_for_update=True)
    note = note.strip()[:MAX_NOTE]
    if not note and max_minutes is None and preferred_volunteer_id is None:
        if plan is not None:
            turn.session.delete(plan)
            audit.record(turn.session, turn.now, actor, "texter_plan_removed", texter.pseudonym, "")
        return None
    if plan is None:
        plan = TexterPlan(texter_id=texter.id)
        turn.session.add(plan)
    plan.note, plan.max_minutes, plan.preferred_volunteer_id = note, max_minutes, preferred_volunteer_id
    plan.updated_by, plan.updated_at = actor, turn.now
    detail = f"limit {max_minutes or '-'} min; preferred volunteer {preferred_volunteer_id or '-'}; {note}"
    audit.record(turn.session, turn.now, actor, "texter_plan_set", texter.pseudonym, detail)
    return plan


def tell_on_accept(turn: Turn, volunteer: Volunteer, conversation: Conversation, line_number: str) -> None:
    """The plan's note (and its limit), in the thread of the conversation just accepted."""
    plan = turn.session.get(TexterPlan, conversation.texter_id)
    if plan is None or not (plan.note or plan.max_minutes):
        return
    texts, pseudonym = turn.runtime.texts, conversation.texter.pseudonym
    body = texts.for_volunteer("plan_note", volunteer.staff_language, pseudonym=pseudonym, note=plan.note or "-")
    if plan.max_minutes:
        body += texts.for_volunteer(
            "plan_limit_note", volunteer.staff_language, pseudonym=pseudonym, minutes=plan.max_minutes
        )
    outbox.to_volunteer(turn, volunteer, body, line_number, conversation)


def remind_at_limit(turn: Turn, conversation_id: int) -> None:
    """The plan's conversation limit is reached: the volunteer is told once, to close gently."""
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conversation is None or conversation.status != "active" or conversation.plan_limit_told:
        return
    plan = turn.session.get(TexterPlan, conversation.texter_id)
    volunteer = conversation.volunteer
    if plan is None or not plan.max_minutes or conversation.assigned_at is None or volunteer is None:
        return
    if turn.now < conversation.assigned_at + timedelta(minutes=plan.max_minutes):
        return
    conversation.plan_limit_told = True
    outbox.tell_volunteer(
        turn,
        volunteer,
        "plan_limit_reached",
        conversation.line_number,
        conversation,
        pseudonym=conversation.texter.pseudonym,
        minutes=plan.max_minutes,
    )
