"""Risk on the texter's side of a conversation: assess each message, the conversation as a
whole, and carry out what `escalation.policy` decides."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, select

from escalation.assessment import Assessment, Category, Level, Signal
from escalation.conversation import assess_conversation
from escalation.policy import (
    PRIORITY,
    Action,
    ConversationRisk,
    Policy,
    crisis_resources,
    respond,
    weighs_open_escalation,
)
from service.conversations import dispatch, escalations, lifecycle
from service.db import Conversation, Escalation, Message
from service.db.turn import Turn
from service.outbound import outbox
from service.runtime import Runtime


def _encode(assessment: Assessment) -> str:
    return "|".join(
        (
            ",".join(c.value for c in assessment.categories),
            "\x1f".join(assessment.rules),
            ",".join(s.value for s in assessment.signals),
        )
    )


def _decode(level: str, detail: str | None) -> Assessment:
    categories, rules, signals = (detail or "||").split("|", 2)
    return Assessment(
        level=Level(level),
        categories=tuple(Category(c) for c in categories.split(",") if c),
        rules=tuple(r for r in rules.split("\x1f") if r),
        signals=tuple(Signal(s) for s in signals.split(",") if s),
    )


def texter_history(turn: Turn, conversation: Conversation) -> list[Row[str | None, str | None, datetime]]:
    """The conversation's texter messages so far, oldest first: each one's verdict (for the
    conversation's assessment) and time (for the flood limit), in one query."""
    return list(
        turn.session.execute(
            select(Message.risk_level, Message.risk_detail, Message.created_at)
            .where(Message.conversation_id == conversation.id, Message.author == "texter")
            .order_by(Message.id)
        ).all()
    )


def record_texter_message(
    turn: Turn,
    conversation: Conversation,
    body: str,
    history: Sequence[Row[str | None, str | None, datetime]] = (),
) -> Assessment:
    """Keep a texter's message with the detector's verdict (every language's lexicon reads it:
    a texter's language may be guessed wrong; in doubt, the higher reading wins), then assess
    the whole conversation (its earlier messages are `history`) and act."""
    latest = turn.runtime.detector.assess(body)
    lifecycle.record(turn, conversation, "texter", body, risk=(latest.level.value, _encode(latest)))
    earlier = [_decode(level, detail) for level, detail, _ in history if level is not None]
    whole = assess_conversation(earlier, latest)
    act(turn, conversation, whole, _categories(earlier))
    return whole


def quiet_first_message(runtime: Runtime, body: str, now: datetime) -> tuple[str, str] | None:
    """The verdict columns (level, detail) of a new conversation's first message when the
    policy does nothing about it (nothing flagged, no crisis text, no escalation): such a
    message may be routed with others in bulk. None when the policy acts on it."""
    latest = runtime.detector.assess(body)
    whole = assess_conversation([], latest)
    state = ConversationRisk(
        status="queued", flagged=Level.NONE, open_escalation=None, safety_sent_at=None, earlier_categories=()
    )
    if respond(whole, state, now, Policy(runtime.settings.escalation.safety_repeat_minutes)):
        return None
    return latest.level.value, _encode(latest)


def _categories(verdicts: Sequence[Assessment]) -> tuple[Category, ...]:
    return tuple(dict.fromkeys(category for verdict in verdicts for category in verdict.categories))


def crisis_text_due(
    runtime: Runtime,
    latest: Assessment,
    history: Sequence[tuple[str, str | None]],
    status: str | None,
    flagged: str | None,
    safety_sent_at: datetime | None,
    now: datetime,
) -> tuple[str, ...] | None:
    """The resources of the crisis text the policy sends with this message, if it sends one
    (what `act` will decide for the same conversation): for the webhook, which answers before
    the message is routed."""
    earlier = [_decode(level, detail) for level, detail in history]
    whole = assess_conversation(earlier, latest)
    state = ConversationRisk(
        status=status or "queued",
        flagged=Level(flagged or Level.NONE.value),
        open_escalation=None,
        safety_sent_at=safety_sent_at,
        earlier_categories=_categories(earlier),
    )
    actions = respond(whole, state, now, Policy(runtime.settings.escalation.safety_repeat_minutes))
    return _resources(whole) if Action.SAFETY_REPLY in actions else None


def _resources(whole: Assessment) -> tuple[str, ...]:
    return tuple(resource.value for resource in crisis_resources(whole))


def act(turn: Turn, conversation: Conversation, whole: Assessment, earlier_categories: tuple[Category, ...]) -> None:
    """Carry out what the policy decides for the conversation's whole assessment `whole`;
    `earlier_categories`: the kinds of danger its messages showed before this one."""
    open_escalation = None
    if weighs_open_escalation(whole):
        open_levels = turn.session.scalars(
            select(Escalation.level).where(
                Escalation.conversation_id == conversation.id, Escalation.acknowledged_at.is_(None)
            )
        ).all()
        open_escalation = max((Level(level) for level in open_levels), default=None)
    state = ConversationRisk(
        status=conversation.status,
        flagged=Level(conversation.risk_level),
        open_escalation=open_escalation,
        safety_sent_at=conversation.safety_sent_at,
        earlier_categories=earlier_categories,
    )
    actions = respond(whole, state, turn.now, Policy(turn.runtime.settings.escalation.safety_repeat_minutes))
    texter, volunteer, texts = conversation.texter, conversation.volunteer, turn.runtime.texts
    categories = ", ".join(category.value.replace("_", " ") for category in whole.categories) or whole.level.value
    if Action.FLAG in actions:
        conversation.risk_level = whole.level.value
        conversation.priority = max(conversation.priority, PRIORITY[whole.level])
        if conversation.status == "queued":
            dispatch.offer_after_risk(turn, conversation)
    if Action.SAFETY_REPLY in actions:
        # Inline in the webhook's TwiML: it reaches the texter even with Redis or every worker
        # down. (A worker routing a text the webhook stored finds that rarely: the webhook
        # routes itself every text with risk in it, and every text in imminent danger.)
        safety = texts.crisis_text(texter.language, _resources(whole))
        if turn.replies_inline:
            turn.inline_reply = safety
        else:
            outbox.to_texter(turn, texter, safety, conversation)
        conversation.safety_sent_at = turn.now
        lifecycle.record(turn, conversation, "line", safety)
    if Action.OPEN_ESCALATION in actions:
        reason = texts.for_supervisor("detector_reason", categories=categories)
        escalations.open_escalation(turn, conversation, whole.level.value, "detector", reason, whole)
        if whole.level is Level.IMMINENT and conversation.status == "active" and volunteer is not None:
            dispatch.focus_on_danger(turn, volunteer.id)
    resources = texts.crisis_resources_for_volunteer(_resources(whole))
    if Action.GUIDE_VOLUNTEER in actions and volunteer is not None:
        outbox.tell_volunteer(
            turn,
            volunteer,
            "risk_imminent_guidance",
            conversation.line_number,
            conversation,
            pseudonym=texter.pseudonym,
            categories=categories,
            resources=resources,
        )
    if Action.ALERT_VOLUNTEER in actions and volunteer is not None:
        outbox.tell_volunteer(
            turn,
            volunteer,
            "risk_elevated_alert",
            conversation.line_number,
            conversation,
            pseudonym=texter.pseudonym,
            categories=categories,
            resources=resources,
        )
