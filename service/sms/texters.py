"""What happens when a texter texts the line: welcome, queue, relay, opt-out, feedback."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from routing.keywords import Keyword, deletion_request, feedback_score, language_switch, opt_keyword
from routing.language import detect_language
from service.conversations import dispatch, lifecycle, line_pause, retention, risk
from service.db import OPEN_STATUSES, Conversation, Message, Texter
from service.db.turn import Turn
from service.outbound import outbox


def find_or_create_texter(turn: Turn, phone: str) -> tuple[Texter, bool]:
    vault = turn.runtime.vault
    phone_hash = vault.lookup_hash(phone)
    texter = turn.session.scalars(select(Texter).where(Texter.phone_hash == phone_hash)).first()
    if texter is not None:
        return texter, False
    texter = Texter(
        pseudonym=_new_pseudonym(turn),
        phone_hash=phone_hash,
        phone_encrypted=vault.encrypt(phone),
        language=turn.runtime.settings.line.languages[0],
        created_at=turn.now,
    )
    turn.session.add(texter)
    turn.session.flush()
    return texter, True


def _new_pseudonym(turn: Turn) -> str:
    """`T-4821`: short enough to say aloud; longer once four digits grow crowded."""
    for digits in (4, 4, 4, 6, 6, 8):
        candidate = f"T-{secrets.randbelow(10**digits):0{digits}d}"
        if turn.session.scalar(select(Texter.id).where(Texter.pseudonym == candidate)) is None:
            return candidate
    raise RuntimeError("no free pseudonym")  # 10^8 texters: unreachable in practice


def on_texter_message(turn: Turn, phone: str, body: str, opt_out_type: str = "") -> Texter:
    """A texter's text, in whatever state they are; `opt_out_type`: Twilio's `OptOutType`, when
    the webhook carried one."""
    texter, is_new = find_or_create_texter(turn, phone)
    conversation = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter.id, Conversation.channel == "sms", Conversation.status.in_(OPEN_STATUSES)
        )
        .options(joinedload(Conversation.volunteer))  # a relay needs them: no second round trip
        .with_for_update(of=Conversation)
    ).first()
    texts = turn.runtime.texts
    deleting = deletion_request(body, {code: texts.language(code).delete_keywords for code in texts.languages})
    if deleting is not None:
        _delete_data(turn, texter, conversation, deleting)
        return texter
    keyword = opt_keyword(body, opt_out_type, turn.runtime.settings.inbound.opt_out_keywords)
    if keyword is Keyword.OPT_OUT:
        # Twilio has already blocked the pair and confirmed to the texter; anything we send
        # now would fail with 21610. End the conversation and tell the volunteer.
        texter.opted_out = True
        if conversation is not None:
            lifecycle.record(turn, conversation, "texter", body)
            lifecycle.close(turn, conversation, "texter_stop")
            dispatch.offer_waiting(turn)
        return texter
    if keyword is Keyword.OPT_IN and texter.opted_out:
        texter.opted_out = False  # Twilio confirms the re-subscription itself
        return texter

    switch = language_switch(body, {code: texts.language(code).switch_keywords for code in texts.languages})
    if switch is not None:
        texter.language = switch
        texter.language_chosen = True
        if conversation is not None:
            conversation.language = switch
            outbox.tell_texter(turn, texter, "language_set", conversation)
            return texter
        _start_conversation(turn, texter, first_message=None)
        return texter

    if conversation is None:
        if not is_new and _store_feedback(turn, texter, body):
            return texter
        if is_new:
            vocabularies = {code: texts.language(code).common_words for code in texts.languages}
            texter.language = detect_language(body, vocabularies, texts.languages[0])
        _start_conversation(turn, texter, first_message=body)
        return texter

    history = risk.texter_history(turn, conversation)
    risk.record_texter_message(turn, conversation, body, history)
    conversation.last_texter_at = turn.now
    if _flooding(turn, conversation, [row.created_at for row in history]):
        return texter
    if conversation.status == "active" and conversation.volunteer is not None:
        outbox.tell_volunteer(
            turn,
            conversation.volunteer,
            "relay",
            conversation.line_number,
            conversation,
            pseudonym=texter.pseudonym,
            text=body,
        )
    return texter


def _delete_data(turn: Turn, texter: Texter, conversation: Conversation | None, language: str) -> None:
    """`DELETE MY DATA`: end the conversation (the volunteer is told), forget the number and
    every message, and confirm in the webhook's reply, the one text that needs no stored number
    (the webhook routes such a text itself: `service.sms.inbound.urgency`)."""
    if conversation is not None:
        lifecycle.close(turn, conversation, "texter_deleted_data")
    turn.session.flush()
    retention.purge_texter(turn.session, texter, turn.now)
    turn.inline_reply = turn.runtime.texts.for_texter(language, "data_deleted")
    dispatch.offer_waiting(turn)


def _flooding(turn: Turn, conversation: Conversation, earlier: Sequence[datetime]) -> bool:
    """Past the per-minute limit the text stays in the transcript but is not relayed; the
    texter is told once per minute. Its risk was already assessed. `earlier`: when the
    texter's earlier messages came."""
    limit = turn.runtime.settings.inbound.max_texts_per_minute
    minute_ago = turn.now - timedelta(minutes=1)
    recent = 1 + sum(created_at > minute_ago for created_at in earlier)
    if recent <= limit:
        return False
    told = turn.session.scalar(
        select(func.count())
        .select_from(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.author == "flood_notice",
            Message.created_at > minute_ago,
        )
    )
    if not told:
        notice = turn.runtime.texts.for_texter(conversation.texter.language, "slow_down")
        turn.session.add(
            Message(
                conversation_id=conversation.id,
                author="flood_notice",
                body_encrypted=turn.runtime.vault.encrypt(notice),
                created_at=turn.now,
            )
        )
        outbox.to_texter(turn, conversation.texter, notice, conversation)
    return True


def _start_conversation(turn: Turn, texter: Texter, first_message: str | None) -> None:
    conversation = Conversation(
        texter=texter,
        channel="sms",
        status="queued",
        language=texter.language,
        priority=0,
        created_at=turn.now,
        queued_at=turn.now,
        last_texter_at=turn.now,
    )
    turn.session.add(conversation)
    turn.session.flush()
    if first_message is not None:
        risk.record_texter_message(turn, conversation, first_message)
    if line_pause.is_paused(turn.session):
        # Risk was assessed above: the crisis text and supervisors' alert still go out.
        lifecycle.close(turn, conversation, "line_paused")
        outbox.tell_texter(turn, texter, "line_paused", conversation)
        return
    outbox.tell_texter(turn, texter, "welcome", conversation)
    if not dispatch.anyone_on_shift(turn):
        outbox.tell_texter(turn, texter, "nobody_on_shift", conversation)
        return
    outbox.tell_texter(turn, texter, "queued", conversation, position=dispatch.queue_position(turn, conversation))
    dispatch.offer_waiting(turn)


def _store_feedback(turn: Turn, texter: Texter, body: str) -> bool:
    """A 1-5 reply to the closing question of a conversation that ended recently."""
    score = feedback_score(body)
    if score is None:
        return False
    window = timedelta(minutes=turn.runtime.settings.routing.feedback_window_minutes)
    last = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter.id,
            Conversation.channel == "sms",
            Conversation.status == "closed",
            Conversation.closed_at >= turn.now - window,
        )
        .order_by(Conversation.closed_at.desc())
    ).first()
    if last is None or last.feedback_score is not None or last.close_reason not in lifecycle.CLOSING_TEXT:
        return False
    last.feedback_score = score
    outbox.tell_texter(turn, texter, "feedback_thanks", last)
    return True
