"""Blocks in the database: a supervisor (or a volunteer's `#block`) blocks a texter, a
supervisor lifts it, and a blocked texter's text is kept and answered safely.

The rules are `routing.blocks`; this module loads what they need and carries them out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from routing import blocks as rules
from service.conversations import dispatch, escalations, lifecycle, risk
from service.db import OPEN_STATUSES, Conversation, Texter, TexterBlock
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit

# A blocked texter's conversation ends with this reason (the volunteer is told).
BLOCKED = "texter_blocked"


def block_in_force(turn: Turn, texter: Texter) -> TexterBlock | None:
    """The texter's block that holds now, if any (locked: its notice is told once)."""
    for block in turn.session.scalars(
        select(TexterBlock)
        .where(TexterBlock.texter_id == texter.id, TexterBlock.lifted_at.is_(None), TexterBlock.until > turn.now)
        .order_by(TexterBlock.until.desc())
        .with_for_update()
    ):
        if rules.in_force(_rule(block), turn.now):
            return block
    return None


def _rule(block: TexterBlock) -> rules.Block:
    return rules.Block(until=block.until, lifted_at=block.lifted_at, told_at=block.told_at)


def block(turn: Turn, texter: Texter, until: datetime, reason: str, actor: str) -> TexterBlock:
    """Block the texter until `until`: their open conversations end (the volunteer is told),
    and from now on their texts are kept but not offered. Audited."""
    found = TexterBlock(
        texter_id=texter.id,
        until=until,
        reason=reason[: rules.MAX_REASON],
        created_by=actor,
        created_at=turn.now,
    )
    turn.session.add(found)
    for conversation in turn.session.scalars(
        select(Conversation)
        .where(Conversation.texter_id == texter.id, Conversation.status.in_(OPEN_STATUSES))
        .with_for_update()
    ):
        lifecycle.close(turn, conversation, BLOCKED)
    audit.record(
        turn.session, turn.now, actor, "texter_blocked", texter.pseudonym, f"until {until.isoformat()}; {reason}"
    )
    turn.session.flush()
    dispatch.offer_waiting(turn)
    return found


def lift(turn: Turn, block_id: int, actor: str) -> TexterBlock | None:
    """End a block early; None when it no longer holds. Audited."""
    found = turn.session.scalars(select(TexterBlock).where(TexterBlock.id == block_id).with_for_update()).first()
    if found is None or not rules.in_force(_rule(found), turn.now):
        return None
    found.lifted_at = turn.now
    audit.record(turn.session, turn.now, actor, "texter_block_lifted", found.texter.pseudonym, f"block {found.id}")
    return found


def on_blocked_text(turn: Turn, texter: Texter, block: TexterBlock, body: str | None) -> None:
    """A blocked texter's text: kept and assessed in a conversation that is never offered (the
    crisis text still goes back inline), told once per block, and a text at risk alerts the
    supervisors on call."""
    conversation = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter.id,
            Conversation.close_reason == BLOCKED,
            Conversation.created_at >= block.created_at,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    ).first()
    if conversation is None:
        conversation = lifecycle.open_queued(turn, texter, "sms")
        lifecycle.close(turn, conversation, BLOCKED)
    level = "none"
    if body is not None:
        whole = risk.record_texter_message(turn, conversation, body, risk.texter_history(turn, conversation))
        level = whole.level.value
        conversation.last_texter_at = turn.now
    brings = rules.blocked_text(_rule(block), level)
    if brings.tell_texter:
        block.told_at = turn.now
        outbox.tell_texter(turn, texter, "blocked_notice", conversation)
    if brings.alert_supervisors:
        for supervisor in escalations.supervisors_to_alert(turn):
            outbox.to_supervisor(
                turn,
                supervisor,
                turn.runtime.texts.for_supervisor(
                    "blocked_texter_at_risk", supervisor.staff_language, pseudonym=texter.pseudonym, level=level
                ),
                conversation,
            )
