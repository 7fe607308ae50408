"""What happens when a texter texts the line: welcome, queue, relay, opt-out, feedback.

What the text asks for is decided in the core (`routing.texter_text`); this module carries it out.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from routing import admission
from routing.admission import Arrival
from routing.presence import Party
from routing.texter_text import TexterAction, TexterKeywords, over_flood_limit, read_texter_text
from service.conversations import (
    dispatch,
    follow_ups,
    lifecycle,
    line_pause,
    queue_news,
    retention,
    risk,
    seats,
    texter_blocks,
)
from service.db import OPEN_STATUSES, Conversation, Message, Texter
from service.db.turn import Turn
from service.outbound import outbox


def find_or_create_texter(turn: Turn, phone: str) -> tuple[Texter, bool]:
    """The texter with this number, found under any configured data key (a key rotation may not
    have reached them yet), or a new one, stored under the newest; whether it is new."""
    vault = turn.runtime.vault
    hashes = vault.lookup_hashes(phone)
    found = turn.session.scalars(select(Texter).where(Texter.phone_hash.in_(hashes))).all()
    if found:
        # Two records only if a process that knew only the new key met a number stored under the
        # old one (a rolling restart): the one under the newest key is the one kept.
        return min(found, key=lambda texter: hashes.index(texter.phone_hash)), False
    texter = Texter(
        pseudonym=_new_pseudonym(turn),
        phone_hash=hashes[0],
        phone_encrypted=vault.encrypt(phone),
        language=turn.runtime.settings.line.languages[0],
        created_at=turn.now,
    )
    turn.session.add(texter)
    turn.session.flush()
    return texter, True


def _new_pseudonym(turn: Turn) -> str:
    return new_pseudonyms(turn, 1)[0]


def new_pseudonyms(turn: Turn, count: int) -> list[str]:
    """`count` free pseudonyms such as `T-4821`: short enough to say aloud; longer once four
    digits grow crowded. Those taken are looked up together, at each length."""
    chosen: list[str] = []
    for digits in (4, 4, 4, 6, 6, 8):
        candidates = {f"T-{secrets.randbelow(10**digits):0{digits}d}" for _ in range(count - len(chosen))}
        candidates -= set(chosen)
        taken = set(turn.session.scalars(select(Texter.pseudonym).where(Texter.pseudonym.in_(candidates))))
        chosen += sorted(candidates - taken)
        if len(chosen) == count:
            return chosen
    raise RuntimeError("no free pseudonym")  # 10^8 texters: unreachable in practice


def on_texter_message(turn: Turn, phone: str, body: str, opt_out_type: str = "", media_count: int = 0) -> Texter:
    """A texter's text, in whatever state they are; `opt_out_type`: Twilio's `OptOutType`, when
    the webhook carried one; `media_count`: the pictures attached (an MMS)."""
    texter, is_new = find_or_create_texter(turn, phone)
    conversation = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter.id, Conversation.channel == "sms", Conversation.status.in_(OPEN_STATUSES)
        )
        .options(joinedload(Conversation.volunteer))  # a relay needs them: no second round trip
        .with_for_update(of=Conversation)
    ).first()
    asked = follow_ups.awaiting_answer(turn, texter) if conversation is None and not is_new else None
    intent = read_texter_text(
        body,
        follow_up_asked=asked is not None,
        opt_out_type=opt_out_type,
        language=texter.language,
        is_new=is_new,
        opted_out=texter.opted_out,
        in_conversation=conversation is not None,
        keywords=keywords(turn),
    )
    match intent.action:
        case TexterAction.DELETE_DATA:
            _delete_data(turn, texter, conversation, intent.language)
        case TexterAction.OPT_OUT:
            # Twilio has already blocked the pair and confirmed to the texter; anything we send
            # now would fail with 21610. End the conversation and tell the volunteer.
            texter.opted_out = True
            follow_ups.cancel_for(turn, texter)
            if conversation is not None:
                lifecycle.record(turn, conversation, "texter", body)
                lifecycle.close(turn, conversation, "texter_stop")
                dispatch.offer_waiting(turn)
        case TexterAction.OPT_IN:
            texter.opted_out = False  # Twilio confirms the re-subscription itself
        case TexterAction.SWITCH_LANGUAGE:
            texter.language = intent.language
            texter.language_chosen = True
            if conversation is None:
                _start_conversation(turn, texter, first_message=None, new_sender=is_new)
            else:
                conversation.language = intent.language
                outbox.tell_texter(turn, texter, "language_set", conversation)
        case TexterAction.FEEDBACK | TexterAction.START:
            # A score that no recently ended conversation awaits starts a conversation too.
            if intent.score is None or not _store_feedback(turn, texter, intent.score):
                texter.language = intent.language
                _start_conversation(turn, texter, first_message=body, new_sender=is_new)
        case TexterAction.FOLLOW_UP_YES | TexterAction.FOLLOW_UP_NO if asked is not None:
            follow_ups.answer(turn, texter, asked, yes=intent.action is TexterAction.FOLLOW_UP_YES)
        case TexterAction.CONTINUE if conversation is not None:  # read only in a conversation
            if body.strip() or not media_count:  # a picture alone is no line for the transcript
                _continue(turn, texter, conversation, body)
            else:
                conversation.last_texter_at = turn.now
    if media_count:
        _picture_came(turn, texter)
    return texter


def _picture_came(turn: Turn, texter: Texter) -> None:
    """An MMS: pictures are never fetched, shown or kept, so the texter is asked to say it in
    words, and their volunteer is told a picture came (instead of an empty line)."""
    conversation = turn.session.scalars(
        select(Conversation).where(
            Conversation.texter_id == texter.id, Conversation.channel == "sms", Conversation.status.in_(OPEN_STATUSES)
        )
    ).first()
    if conversation is None:
        return
    outbox.tell_texter(turn, texter, "picture_not_shown", conversation)
    if conversation.status == "active" and conversation.volunteer is not None:
        outbox.tell_volunteer(
            turn,
            conversation.volunteer,
            "picture_came",
            conversation.line_number,
            conversation,
            pseudonym=texter.pseudonym,
        )


def keywords(turn: Turn) -> TexterKeywords:
    texts = turn.runtime.texts
    return TexterKeywords(
        delete={code: texts.language(code).delete_keywords for code in texts.languages},
        switch={code: texts.language(code).switch_keywords for code in texts.languages},
        common_words={code: texts.language(code).common_words for code in texts.languages},
        default_language=texts.languages[0],
        opt_out=frozenset(turn.runtime.settings.inbound.opt_out_keywords),
        follow_up_yes={code: texts.language(code).follow_up_yes for code in texts.languages},
        follow_up_no={code: texts.language(code).follow_up_no for code in texts.languages},
    )


def _continue(turn: Turn, texter: Texter, conversation: Conversation, body: str) -> None:
    """A text in the open conversation: assessed and kept, then relayed to the volunteer
    unless the texter is over the flood limit."""
    history = risk.texter_history(turn, conversation)
    risk.record_texter_message(turn, conversation, body, history)
    conversation.last_texter_at = turn.now
    if _flooding(turn, conversation, [row.created_at for row in history]):
        return
    if conversation.status == "queued":
        queue_news.answer_queued_reply(turn, conversation, body)
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
    seats.echo(turn, conversation, Party.TEXTER, body)


def _delete_data(turn: Turn, texter: Texter, conversation: Conversation | None, language: str) -> None:
    """`DELETE MY DATA`: end the conversation (the volunteer is told), forget the number and
    every message, and confirm in the webhook's reply, the one text that needs no stored number
    (the webhook routes such a text itself: `service.sms.inbound.urgency`)."""
    if conversation is not None:
        lifecycle.close(turn, conversation, "texter_deleted_data")
    turn.session.flush()
    retention.purge_texter(turn.session, texter, turn.now)
    retention.forget_contacts(turn.session, texter)
    turn.inline_reply = turn.runtime.texts.for_texter(language, "data_deleted")
    dispatch.offer_waiting(turn)


def _flooding(turn: Turn, conversation: Conversation, earlier: Sequence[datetime]) -> bool:
    """Past the per-minute limit the text stays in the transcript but is not relayed; the
    texter is told once per minute. Its risk was already assessed. `earlier`: when the
    texter's earlier messages came."""
    if not over_flood_limit(earlier, turn.now, turn.runtime.settings.inbound.max_texts_per_minute):
        return False
    minute_ago = turn.now - timedelta(minutes=1)
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
        lifecycle.record(turn, conversation, "flood_notice", notice)
        outbox.to_texter(turn, conversation.texter, notice, conversation)
    return True


def _start_conversation(turn: Turn, texter: Texter, first_message: str | None, new_sender: bool = False) -> None:
    """Queue the texter, or tell them the line is paused, as `routing.admission` decides.
    `new_sender`: the line has never heard from them before this text. A blocked texter's
    text is kept and answered safely, never queued (`service.conversations.texter_blocks`)."""
    block = None if new_sender else texter_blocks.block_in_force(turn, texter)
    if block is not None:
        texter_blocks.on_blocked_text(turn, texter, block, first_message)
        return
    paused = line_pause.is_paused(turn.session)
    told = _told_paused(turn, texter) if paused else None
    knock = admission.Knock(
        paused=paused,
        new_sender=new_sender,
        paused_told_at=told.created_at if told is not None else None,
        new_senders_last_minute=_new_senders_last_minute(turn) if new_sender and not paused else 0,
    )
    arrival = admission.arrival(knock, turn.runtime.admission_rules, turn.now)
    if arrival is Arrival.PAUSED_TOLD:
        assert told is not None
        if first_message is not None:
            # Kept and assessed where the reply went (the crisis text and the supervisors'
            # alert still go out), with nothing more sent.
            risk.record_texter_message(turn, told, first_message, risk.texter_history(turn, told))
            told.last_texter_at = turn.now
        return
    conversation = lifecycle.open_queued(turn, texter, "sms")
    follow_ups.link_reply(turn, texter, conversation)
    if first_message is not None:
        risk.record_texter_message(turn, conversation, first_message)
    if arrival is Arrival.PAUSED:
        # Risk was assessed above: the crisis text and supervisors' alert still go out.
        lifecycle.close(turn, conversation, line_pause.TURNED_AWAY)
        outbox.tell_texter(turn, texter, "line_paused", conversation)
        return
    if arrival is Arrival.BUSY:
        outbox.tell_texter(turn, texter, "line_busy", conversation)
        dispatch.offer_waiting(turn)
        return
    outbox.tell_texter(turn, texter, "welcome", conversation)
    if not dispatch.anyone_on_shift(turn):
        outbox.tell_texter(turn, texter, "nobody_on_shift", conversation)
        partner_line = turn.runtime.settings.rota.partner_line
        if partner_line:
            outbox.tell_texter(turn, texter, "partner_line", conversation, partner_line=partner_line)
        queue_news.ask_topic(turn, conversation)
        return
    queue_news.tell_first_place(turn, conversation)
    queue_news.ask_topic(turn, conversation)
    dispatch.offer_waiting(turn)


def _told_paused(turn: Turn, texter: Texter) -> Conversation | None:
    """The texter's latest conversation that a paused line turned away (with the reply)."""
    return turn.session.scalars(
        select(Conversation)
        .where(Conversation.texter_id == texter.id, Conversation.close_reason == line_pause.TURNED_AWAY)
        .order_by(Conversation.created_at.desc())
        .limit(1)
    ).first()


def _new_senders_last_minute(turn: Turn) -> int:
    """Texters the line first heard from in the last minute, this one included."""
    minute_ago = turn.now - timedelta(minutes=1)
    return turn.session.scalar(select(func.count()).select_from(Texter).where(Texter.created_at > minute_ago)) or 0


def _store_feedback(turn: Turn, texter: Texter, score: int) -> bool:
    """A 1-5 reply to the closing question of a conversation that ended recently; False when
    no such conversation awaits one."""
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
