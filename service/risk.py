"""Risk on the texter's side of a conversation: assess each message, the conversation as a
whole, and carry out what `escalation.policy` decides."""

from __future__ import annotations

from sqlalchemy import select

from escalation.assessment import Assessment, Category, Level, Signal
from escalation.conversation import assess_conversation
from escalation.policy import PRIORITY, Action, ConversationRisk, Policy, respond
from service import escalations, outbox
from service.db import Conversation, Escalation, Message
from service.turn import Turn


def _encode(assessment: Assessment) -> str:
    return "|".join((",".join(c.value for c in assessment.categories), "\x1f".join(assessment.rules), ",".join(s.value for s in assessment.signals)))


def _decode(level: str, detail: str | None) -> Assessment:
    categories, rules, signals = (detail or "||").split("|", 2)
    return Assessment(
        level=Level(level),
        categories=tuple(Category(c) for c in categories.split(",") if c),
        rules=tuple(r for r in rules.split("\x1f") if r),
        signals=tuple(Signal(s) for s in signals.split(",") if s),
    )


def assess_message(turn: Turn, conversation: Conversation, message: Message, body: str) -> Assessment:
    """Assess a texter's message with every language's lexicon (a texter's language may be
    guessed wrong; in doubt, the higher reading wins), then the whole conversation, and act."""
    latest = turn.runtime.detector.assess(body)
    message.risk_level = latest.level.value
    message.risk_detail = _encode(latest)
    earlier = turn.session.execute(
        select(Message.risk_level, Message.risk_detail)
        .where(Message.conversation_id == conversation.id, Message.author == "texter", Message.risk_level.is_not(None), Message.id != message.id)
        .order_by(Message.id)
    ).all()
    whole = assess_conversation([_decode(level, detail) for level, detail in earlier], latest)
    act(turn, conversation, whole)
    return whole


def act(turn: Turn, conversation: Conversation, whole: Assessment) -> None:
    open_levels = turn.session.scalars(
        select(Escalation.level).where(Escalation.conversation_id == conversation.id, Escalation.acknowledged_at.is_(None))
    ).all()
    state = ConversationRisk(
        status=conversation.status,
        flagged=Level(conversation.risk_level),
        open_escalation=max((Level(level) for level in open_levels), default=None),
        safety_sent_at=conversation.safety_sent_at,
    )
    actions = respond(whole, state, turn.now, Policy(turn.runtime.settings.escalation.safety_repeat_minutes))
    texter, volunteer, texts = conversation.texter, conversation.volunteer, turn.runtime.texts
    categories = ", ".join(category.value.replace("_", " ") for category in whole.categories) or whole.level.value
    if Action.FLAG in actions:
        conversation.risk_level = whole.level.value
        conversation.priority = max(conversation.priority, PRIORITY[whole.level])
    if Action.SAFETY_REPLY in actions:
        # Inline in the webhook's TwiML: it reaches the texter even with Redis or every worker down.
        turn.inline_reply = texts.for_texter(texter.language, "safety")
        conversation.safety_sent_at = turn.now
        turn.session.add(Message(conversation_id=conversation.id, author="line", body_encrypted=turn.runtime.vault.encrypt(turn.inline_reply), created_at=turn.now))
    if Action.OPEN_ESCALATION in actions:
        reason = texts.for_supervisor("detector_reason", categories=categories)
        escalations.open_escalation(turn, conversation, whole.level.value, "detector", reason, whole)
    if Action.GUIDE_VOLUNTEER in actions and volunteer is not None:
        outbox.tell_volunteer(turn, volunteer, "risk_imminent_guidance", conversation.line_number, conversation,
                              pseudonym=texter.pseudonym, categories=categories)
    if Action.ALERT_VOLUNTEER in actions and volunteer is not None:
        outbox.tell_volunteer(turn, volunteer, "risk_elevated_alert", conversation.line_number, conversation,
                              pseudonym=texter.pseudonym, categories=categories)
