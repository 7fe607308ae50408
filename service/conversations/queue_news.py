"""Keeping waiting texters informed, in the database: their place as it improves, an estimate
when the pace allows, the long-wait question and its answers, and the welcome's optional topic
question. The rules are `routing.queue_updates`; this module loads what they need and sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, select

from routing import queue_updates as rules
from service.conversations import dispatch
from service.db import Conversation
from service.db.turn import Turn
from service.outbound import outbox


def queue_rules(turn: Turn) -> rules.QueueRules:
    matching = turn.runtime.settings.matching
    return rules.QueueRules(
        every=timedelta(minutes=matching.place_update_minutes), long_wait=timedelta(minutes=matching.long_wait_minutes)
    )


def tell_first_place(turn: Turn, conversation: Conversation) -> None:
    """The place in line a new texter is told with the welcome."""
    place = dispatch.queue_position(turn, conversation)
    conversation.place_told, conversation.place_checked_at = place, turn.now
    outbox.tell_texter(turn, conversation.texter, "queued", conversation, position=place)


def ask_topic(turn: Turn, conversation: Conversation) -> None:
    """When the line names lived-experience topics: the welcome's optional question of what
    the text is about, answered (or not) with one number."""
    question = topic_question(turn, conversation.language)
    if question is not None:
        outbox.to_texter(turn, conversation.texter, question, conversation)


def topic_question(turn: Turn, language: str) -> str | None:
    """The topic question in `language`, or None when the line names no topics."""
    topics = turn.runtime.settings.matching.topics
    if not topics:
        return None
    texts = turn.runtime.texts
    wording = texts.language(language).texter
    choices = ", ".join(
        f"{number} {wording.get(f'topic_{topic}', topic.replace('_', ' '))}" for number, topic in enumerate(topics, 1)
    )
    return texts.for_texter(language, "topic_question", choices=choices)


def keep_informed(turn: Turn, conversation_ids: Sequence[int]) -> None:
    """Tell each texter still in line what `routing.queue_updates` says is news now."""
    queue = queue_rules(turn)
    window_start = turn.now - queue.pace_window
    taken = turn.session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.assigned_at >= window_start)
    )
    for conversation in turn.session.scalars(
        select(Conversation)
        .where(Conversation.id.in_(conversation_ids), Conversation.status == "queued")
        .order_by(Conversation.id)
        .with_for_update(skip_locked=True)
    ):
        waiting = _waiting(turn, conversation)
        if not rules.due(waiting, queue, turn.now):
            continue
        news = rules.queue_news(waiting, queue, turn.now)
        if waiting.checked_at is None or turn.now - waiting.checked_at >= queue.every:
            conversation.place_checked_at = turn.now
        if news.place is not None:
            conversation.place_told = news.place
            minutes = rules.estimate_minutes(news.place, int(taken or 0), queue)
            estimate = (
                ""
                if minutes is None
                else turn.runtime.texts.for_texter(conversation.language, "queue_estimate", minutes=minutes)
            )
            outbox.tell_texter(
                turn, conversation.texter, "queue_place", conversation, place=news.place, estimate=estimate
            )
        if news.ask_long_wait:
            conversation.long_wait_told = True
            outbox.tell_texter(turn, conversation.texter, "long_wait_options", conversation)


def _waiting(turn: Turn, conversation: Conversation) -> rules.Waiting:
    return rules.Waiting(
        place=dispatch.queue_position(turn, conversation),
        told_place=conversation.place_told,
        checked_at=conversation.place_checked_at,
        queued_at=conversation.queued_at,
        long_wait_told=conversation.long_wait_told,
    )


def answer_queued_reply(turn: Turn, conversation: Conversation, body: str) -> None:
    """A bare number from a texter in line answers the question asked last (kept for the
    volunteer like any text): keep their place, the crisis line's options now, or the topic."""
    reply = rules.read_queued_reply(
        body,
        long_wait_asked=conversation.long_wait_told,
        topics=turn.runtime.settings.matching.topics,
        topic_chosen=conversation.topic is not None,
    )
    if reply is None:
        return
    texter = conversation.texter
    match reply.kind:
        case rules.ReplyKind.KEEP_WAITING:
            place = dispatch.queue_position(turn, conversation)
            outbox.tell_texter(turn, texter, "keep_waiting", conversation, place=place)
        case rules.ReplyKind.CRISIS_OPTIONS:
            outbox.tell_texter(turn, texter, "crisis_options", conversation)
        case rules.ReplyKind.TOPIC:
            conversation.topic = reply.topic
            outbox.tell_texter(turn, texter, "topic_noted", conversation)
            dispatch.offer_waiting(turn)
