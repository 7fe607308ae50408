"""Consented follow-up: the volunteer's #followup mark, the question at a conversation's end,
the texter's YES or NO, the check-in when it is due, and the reply that answers it.

Whether and when is decided in the core (`routing.follow_up`); this module carries it out.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from routing import follow_up as rules
from service.db import Conversation, Escalation, FollowUp, Texter
from service.db.turn import Turn
from service.db.vault import PURGED
from service.outbound import outbox

# A follow-up still to happen: STOP or DELETE MY DATA cancels it.
UPCOMING = ("marked", "asked", "scheduled")


def _of(turn: Turn, conversation: Conversation) -> FollowUp | None:
    return turn.session.scalars(
        select(FollowUp).where(FollowUp.conversation_id == conversation.id).with_for_update()
    ).first()


def mark(turn: Turn, conversation: Conversation) -> bool:
    """#followup: the texter will be asked at the end; False if this conversation's one
    follow-up is already past marking."""
    existing = _of(turn, conversation)
    if existing is not None:
        return existing.status == "marked"
    turn.session.add(
        FollowUp(
            conversation_id=conversation.id,
            texter_id=conversation.texter_id,
            volunteer_id=conversation.volunteer_id,
            status="marked",
            marked_at=turn.now,
        )
    )
    turn.session.flush()
    return True


def ask(turn: Turn, conversation: Conversation) -> None:
    """At a conversation's end: ask the texter about a check-in text when the conversation was
    escalated or marked, once (`routing.follow_up.should_ask`)."""
    existing = _of(turn, conversation)
    escalated = bool(turn.session.scalar(select(exists().where(Escalation.conversation_id == conversation.id))))
    texter = conversation.texter
    asking = rules.should_ask(
        escalated=escalated,
        marked=existing is not None and existing.status == "marked",
        close_reason=conversation.close_reason or "",
        asked_before=existing is not None and existing.status != "marked",
        opted_out=texter.opted_out or texter.phone_encrypted == PURGED,
    )
    if not asking:
        if existing is not None and existing.status == "marked":
            existing.status = "cancelled"
        return
    follow_up = existing or FollowUp(conversation_id=conversation.id, texter_id=texter.id)
    follow_up.volunteer_id = conversation.volunteer_id
    follow_up.status = "asked"
    follow_up.asked_at = turn.now
    turn.session.add(follow_up)
    turn.session.flush()
    outbox.tell_texter(turn, texter, "follow_up_question", conversation, hours=_hours(turn))


def _hours(turn: Turn) -> str:
    return f"{turn.runtime.settings.continuity.follow_up_delay_hours:g}"


def awaiting_answer(turn: Turn, texter: Texter) -> FollowUp | None:
    """The follow-up question this texter may be answering now (asked, still fresh)."""
    asked = turn.session.scalars(
        select(FollowUp)
        .where(FollowUp.texter_id == texter.id, FollowUp.status == "asked")
        .order_by(FollowUp.asked_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if asked is None or asked.asked_at is None:
        return None
    return asked if rules.consent_counts(asked.asked_at, turn.now, turn.runtime.follow_up_rules) else None


def answer(turn: Turn, texter: Texter, follow_up: FollowUp, yes: bool) -> None:
    """YES schedules the check-in `follow_up_delay_hours` from now; NO schedules nothing."""
    conversation = turn.session.get_one(Conversation, follow_up.conversation_id)
    if not yes:
        follow_up.status = "declined"
        outbox.tell_texter(turn, texter, "follow_up_declined", conversation)
        return
    follow_up.status = "scheduled"
    follow_up.consented_at = turn.now
    follow_up.due_at = rules.check_in_due(turn.now, turn.runtime.follow_up_rules)
    outbox.tell_texter(turn, texter, "follow_up_scheduled", conversation, hours=_hours(turn))


def send_check_in(turn: Turn, follow_up_id: int) -> None:
    """The check-in, once due (the sweeper): it says who it is from and how to reply. A texter
    who has since opted out or had their data deleted is not texted."""
    follow_up = turn.session.scalars(select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update()).first()
    if follow_up is None or follow_up.status != "scheduled" or follow_up.due_at is None or follow_up.due_at > turn.now:
        return
    texter = turn.session.get_one(Texter, follow_up.texter_id)
    if texter.opted_out or texter.phone_encrypted == PURGED:
        follow_up.status = "cancelled"
        return
    follow_up.status = "sent"
    follow_up.sent_at = turn.now
    outbox.tell_texter(
        turn, texter, "follow_up_check_in", turn.session.get_one(Conversation, follow_up.conversation_id)
    )


def lapse(turn: Turn, follow_up_id: int) -> None:
    """No answer to the question in time: nothing is scheduled."""
    follow_up = turn.session.scalars(select(FollowUp).where(FollowUp.id == follow_up_id).with_for_update()).first()
    if follow_up is None or follow_up.status != "asked" or follow_up.asked_at is None:
        return
    if not rules.consent_counts(follow_up.asked_at, turn.now, turn.runtime.follow_up_rules):
        follow_up.status = "lapsed"


def link_reply(turn: Turn, texter: Texter, conversation: Conversation) -> None:
    """A new conversation that answers the check-in: it goes first to the volunteer who had the
    texter (dispatch prefers a texter's previous volunteer), and the one who accepts is told."""
    sent = turn.session.scalars(
        select(FollowUp)
        .where(FollowUp.texter_id == texter.id, FollowUp.status == "sent")
        .order_by(FollowUp.sent_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if (
        sent is None
        or sent.sent_at is None
        or not rules.answers_check_in(sent.sent_at, turn.now, turn.runtime.follow_up_rules)
    ):
        return
    sent.status = "answered"
    sent.answered_at = turn.now
    sent.reply_conversation_id = conversation.id
    if sent.volunteer_id is not None:
        texter.last_volunteer_id = sent.volunteer_id


def cancel_for(turn: Turn, texter: Texter) -> None:
    """STOP: no follow-up still to come for this texter is sent or asked."""
    for follow_up in turn.session.scalars(
        select(FollowUp).where(FollowUp.texter_id == texter.id, FollowUp.status.in_(UPCOMING)).with_for_update()
    ):
        follow_up.status = "cancelled"
