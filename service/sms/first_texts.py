"""First texts from new texters, routed together: a surge of new people (the line mentioned in
the news) costs a few statements per batch instead of about fifteen per texter.

A text is routed here only when routing it alone would do nothing else than open a queued
conversation: its sender is neither staff nor a texter the line knows (under any data key),
it asks for a start (no keyword: `routing.texter_text`), the policy does nothing about its
words (`risk.quiet_first_message`), it carries no picture and the line is not paused; and only the run of such
texts at the head of the waiting ones, so that texts are still routed in the order they
came (and each texter's place in line is what it would be). For those, the texters,
their conversations, their first messages and the welcome and queue texts are each written
with one INSERT; the limit on new senders a minute is counted for each in turn, and the
queue is offered once, at the end, as `service.sms.texters` would after each. Anything else
is routed one text at a time, as before (`service.sms.inbound._route`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from routing import admission
from routing.admission import Arrival
from routing.texter_text import TexterAction, read_texter_text
from service.conversations import dispatch, lifecycle, line_pause, queue_news, risk
from service.db import Conversation, InboundReceipt, Texter
from service.db.turn import Turn
from service.outbound import outbox
from service.sms import texters


@dataclass(frozen=True)
class _First:
    receipt: InboundReceipt
    phone: str
    phone_hash: str
    body: str
    language: str
    verdict: tuple[str, str]


def route_first_texts(turn: Turn, receipts: Sequence[InboundReceipt]) -> list[tuple[InboundReceipt, str]]:
    """Route, together, the quiet first texts of new texters at the head of `receipts` (the
    oldest waiting texts, each its sender's oldest, in order); returns those it routed, each
    with its texter's pseudonym, which the caller marks routed (and logs, as it logs every
    routed text). None routed: the caller routes the texts one by one."""
    firsts = _firsts(turn, receipts)
    if not firsts:
        return []
    session, now = turn.session, turn.now
    minute_ago = now - timedelta(minutes=1)
    new_senders = session.scalar(select(func.count()).select_from(Texter).where(Texter.created_at > minute_ago)) or 0
    queued_ahead = (
        session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.status == "queued", Conversation.channel == "sms")
        )
        or 0
    )
    on_shift = dispatch.anyone_on_shift(turn)
    vault = turn.runtime.vault
    people = [
        Texter(
            pseudonym=pseudonym,
            phone_hash=first.phone_hash,
            phone_encrypted=vault.encrypt(first.phone),
            language=first.language,
            created_at=now,
        )
        for first, pseudonym in zip(firsts, texters.new_pseudonyms(turn, len(firsts)), strict=True)
    ]
    session.add_all(people)
    session.flush()
    conversations = [lifecycle.new_queued(turn, texter, "sms") for texter in people]
    session.add_all(conversations)
    session.flush()
    session.add_all(
        lifecycle.new_message(turn, conversation, "texter", first.body, risk=first.verdict)
        for first, conversation in zip(firsts, conversations, strict=True)
    )
    texts: list[tuple[Texter, str, Conversation, str]] = []
    messages = turn.runtime.texts
    partner_line = turn.runtime.settings.rota.partner_line
    for index, (first, texter, conversation) in enumerate(zip(firsts, people, conversations, strict=True)):
        knock = admission.Knock(
            paused=False, new_sender=True, paused_told_at=None, new_senders_last_minute=new_senders + index + 1
        )
        if admission.arrival(knock, turn.runtime.admission_rules, now) is Arrival.BUSY:
            texts.append((texter, first.phone, conversation, messages.for_texter(texter.language, "line_busy")))
            continue
        told = [messages.for_texter(texter.language, "welcome")]
        if on_shift:
            # As `queue_news.tell_first_place`: the place told is remembered, so that later
            # news of the queue tells only a better one.
            place = queued_ahead + index + 1
            conversation.place_told, conversation.place_checked_at = place, now
            told.append(messages.for_texter(texter.language, "queued", position=place))
        else:
            told.append(messages.for_texter(texter.language, "nobody_on_shift"))
            if partner_line:
                told.append(messages.for_texter(texter.language, "partner_line", partner_line=partner_line))
        question = queue_news.topic_question(turn, texter.language)
        told += [question] if question is not None else []
        texts += [(texter, first.phone, conversation, body) for body in told]
    outbox.to_new_texters(turn, texts)
    if on_shift:
        dispatch.offer_waiting(turn)
    return [(first.receipt, texter.pseudonym) for first, texter in zip(firsts, people, strict=True)]


def _firsts(turn: Turn, receipts: Sequence[InboundReceipt]) -> list[_First]:
    """The quiet first texts of new texters at the head of `receipts`, up to the first text
    that is not one: texts are routed in the order they came, so that nobody's place in line
    depends on how their text was routed."""
    if not receipts or line_pause.is_paused(turn.session):
        return []
    vault = turn.runtime.vault
    head = []
    for receipt in receipts:
        if receipt.from_staff or receipt.reply is not None or receipt.media_count:
            break
        assert receipt.sender_encrypted is not None and receipt.body_encrypted is not None
        head.append((receipt, vault.decrypt(receipt.sender_encrypted), vault.decrypt(receipt.body_encrypted)))
    hashes = {receipt.sid: vault.lookup_hashes(phone) for receipt, phone, _ in head}
    every_hash = [one for found in hashes.values() for one in found]
    known = set(turn.session.scalars(select(Texter.phone_hash).where(Texter.phone_hash.in_(every_hash))))
    keywords = texters.keywords(turn)
    default_language = turn.runtime.settings.line.languages[0]
    firsts = []
    for receipt, phone, body in head:
        if known.intersection(hashes[receipt.sid]):
            break
        intent = read_texter_text(
            body, language=default_language, is_new=True, opted_out=False, in_conversation=False, keywords=keywords
        )
        verdict = (
            risk.quiet_first_message(turn.runtime, body, turn.now) if intent.action is TexterAction.START else None
        )
        if verdict is None:
            break
        firsts.append(_First(receipt, phone, hashes[receipt.sid][0], body, intent.language, verdict))
    return firsts
