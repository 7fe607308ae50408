"""A conversation's transcript and its ending, shared by texter, volunteer and timer paths."""

from __future__ import annotations

from sqlalchemy import select, update

from service.conversations import contact_notes, follow_ups, seats, shifts
from service.db import Conversation, Message, Offer, Texter, Volunteer
from service.db.turn import Turn
from service.outbound import outbox


def open_queued(turn: Turn, texter: Texter, channel: str) -> Conversation:
    """A new conversation for the texter (or caller), queued from now, in their language."""
    conversation = new_queued(turn, texter, channel)
    turn.session.add(conversation)
    turn.session.flush()
    return conversation


def new_queued(turn: Turn, texter: Texter, channel: str) -> Conversation:
    """`open_queued`'s conversation, not yet added to the session (several are added at once)."""
    now = turn.now
    conversation = Conversation(texter=texter, channel=channel, status="queued", language=texter.language, priority=0)
    conversation.created_at = conversation.queued_at = conversation.last_texter_at = now
    return conversation


def record(
    turn: Turn, conversation: Conversation, author: str, body: str, risk: tuple[str, str] | None = None
) -> Message:
    """Keep a line of the transcript, encrypted (a supervisor may read it during retention),
    with the detector's verdict (`risk`: level and detail) on a texter's message."""
    message = new_message(turn, conversation, author, body, risk)
    turn.session.add(message)
    turn.session.flush()
    return message


def new_message(
    turn: Turn, conversation: Conversation, author: str, body: str, risk: tuple[str, str] | None = None
) -> Message:
    """`record`'s line, not yet added to the session (several are added at once)."""
    return Message(
        conversation_id=conversation.id,
        author=author,
        body_encrypted=turn.runtime.vault.encrypt(body),
        created_at=turn.now,
        risk_level=risk[0] if risk else None,
        risk_detail=risk[1] if risk else None,
    )


def texter_backlog(turn: Turn, conversation: Conversation) -> list[str]:
    """What the texter wrote while waiting, for the volunteer who accepts."""
    rows = turn.session.scalars(
        select(Message.body_encrypted)
        .where(Message.conversation_id == conversation.id, Message.author == "texter")
        .order_by(Message.id)
    )
    return [turn.runtime.vault.decrypt(row) for row in rows if row is not None]


def withdraw_offers(turn: Turn, conversation: Conversation) -> None:
    """A conversation that closes while queued takes back its pending offers and says so (a
    ringing phone says so by itself: it stops)."""
    pending = turn.session.scalars(
        select(Offer).where(Offer.conversation_id == conversation.id, Offer.status == "pending")
    ).all()
    for offer in pending:
        offer.status = "withdrawn"
        offer.answered_at = turn.now
        if offer.kind == "text":
            outbox.tell_volunteer(
                turn,
                offer.volunteer,
                "offer_withdrawn",
                offer.line_number,
                conversation,
                pseudonym=conversation.texter.pseudonym,
            )


def requeue(turn: Turn, conversation: Conversation) -> None:
    """Give an active text conversation back to the queue when its volunteer can no longer hold
    it (removed from the roster): it keeps the time the texter first queued, so they are next
    at their level of risk, and the volunteer who takes it gets all they wrote."""
    conversation.status = "queued"
    conversation.volunteer_id = None
    conversation.line_number = None
    conversation.assigned_at = None
    outbox.tell_texter(turn, conversation.texter, "volunteer_left", conversation)
    turn.session.flush()


CLOSING_TEXT = {"volunteer_done": "closed", "texter_inactive": "closed_by_inactivity"}
# The text telling the volunteer why a conversation ended: most reasons have one of their name.
SAME_NAMED = ("texter_unsubscribed", "texter_deleted_data", "call_ended", "callback_unanswered", "texter_blocked")
VOLUNTEER_TEXT = {reason: reason for reason in SAME_NAMED} | {
    "volunteer_done": "done",
    "texter_inactive": "closed_by_inactivity",
    "texter_stop": "texter_stopped",
}


def close(turn: Turn, conversation: Conversation, reason: str) -> None:
    """End a conversation: tell both sides (the texter gets the closing text and feedback
    question unless they opted out), free the volunteer's thread, and remember the volunteer
    so a returning texter can reach them again. The caller then offers waiting texters
    (`dispatch.offer_waiting`): the volunteer may be free for the next one."""
    if conversation.status == "closed":
        return
    was_active = conversation.status == "active"
    conversation.status = "closed"
    conversation.closed_at = turn.now
    conversation.close_reason = reason
    texter = conversation.texter
    if not was_active:
        withdraw_offers(turn, conversation)
    if reason in CLOSING_TEXT:
        outbox.tell_texter(turn, texter, CLOSING_TEXT[reason], conversation)
    volunteer = conversation.volunteer
    if was_active and volunteer is not None:
        texter.last_volunteer_id = volunteer.id
        turn.session.execute(update(Volunteer).where(Volunteer.id == volunteer.id).values(last_assigned_at=turn.now))
        outbox.tell_volunteer(
            turn,
            volunteer,
            VOLUNTEER_TEXT[reason],
            conversation.line_number,
            conversation,
            pseudonym=texter.pseudonym,
            minutes=f"{turn.runtime.settings.routing.texter_inactivity_minutes:g}",
        )
        turn.session.flush()
        shifts.after_conversation(turn, conversation)
        if reason != "texter_deleted_data":
            contact_notes.ask(turn, conversation, volunteer)
    follow_ups.ask(turn, conversation)
    seats.release_all(turn, conversation)
    turn.session.flush()
