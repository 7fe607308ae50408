"""Contact notes: the wrap-up form sent to the volunteer when a conversation ends, its answer
in one text or #skip, the topics a later volunteer is shown, and a supervisor's correction.

What a reply means is decided in the core (`routing.wrap_up_form`); this module stores it.
The free note is encrypted with the transcript's key and never leaves the dashboard's page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from routing.wrap_up_form import NoteQuestion, WrapUp, WrapUpError, answers_form, example_reply, read_wrap_up
from service.db import NOTE_PENDING, ContactNote, Conversation, FollowUp, Volunteer
from service.db.turn import Turn
from service.outbound import outbox


def ask(turn: Turn, conversation: Conversation, volunteer: Volunteer) -> None:
    """The wrap-up form, in the thread the conversation had (the main number after a call).
    Until it is answered, skipped or lapses, a new texter goes to another of the volunteer's
    threads when one is free (`routing.limits.free_line_number`)."""
    form = turn.runtime.note_form
    if not form:
        return
    line_number = conversation.line_number or turn.runtime.settings.line.main_number
    for older in _pending(turn, volunteer.id, line_number):
        older.status = "lapsed"
    turn.session.add(
        ContactNote(
            conversation_id=conversation.id,
            volunteer_id=volunteer.id,
            line_number=line_number,
            status=NOTE_PENDING,
            asked_at=turn.now,
        )
    )
    turn.session.flush()
    texts = turn.runtime.texts
    questions = "\n".join(
        texts.for_volunteer(
            "wrap_up_question",
            number=number,
            label=question.label,
            choices=", ".join(f"{index} {choice}" for index, choice in enumerate(question.choices, start=1))
            + (texts.for_volunteer("wrap_up_several") if question.multiple else ""),
        )
        for number, question in enumerate(form, start=1)
    )
    outbox.tell_volunteer(
        turn,
        volunteer,
        "wrap_up_form",
        line_number,
        conversation,
        pseudonym=conversation.texter.pseudonym,
        example=_example(form),
        questions=questions,
    )


def _example(form: tuple[NoteQuestion, ...]) -> str:
    return example_reply(form, "feeling calmer")


def _pending(turn: Turn, volunteer_id: int, line_number: str | None = None) -> list[ContactNote]:
    query = select(ContactNote).where(ContactNote.volunteer_id == volunteer_id, ContactNote.status == NOTE_PENDING)
    if line_number is not None:
        query = query.where(ContactNote.line_number == line_number)
    return list(turn.session.scalars(query.order_by(ContactNote.asked_at.desc()).with_for_update()))


def pending_conversation(turn: Turn, volunteer: Volunteer, line_number: str) -> Conversation | None:
    """The conversation whose wrap-up waits in this thread: what #res and #send act on once a
    conversation (or a call) has ended."""
    pending = _pending(turn, volunteer.id, line_number)
    return turn.session.get(Conversation, pending[0].conversation_id) if pending else None


def answer(turn: Turn, volunteer: Volunteer, line_number: str, reply: str) -> bool:
    """A volunteer's text in a thread with no conversation: the wrap-up's answer if one waits
    there (True), else nothing of ours (False: the text gets the usual hint). Once the note is
    stored the thread is free: the caller offers waiting texters."""
    pending = _pending(turn, volunteer.id, line_number) if answers_form(reply) else []
    if not pending:
        return False
    note = pending[0]
    conversation = turn.session.get_one(Conversation, note.conversation_id)
    form = turn.runtime.note_form
    try:
        wrap_up = read_wrap_up(reply, form)
    except WrapUpError as error:
        key = "wrap_up_bad_several" if error.question.multiple else "wrap_up_bad_one"
        outbox.tell_volunteer(
            turn,
            volunteer,
            key,
            line_number,
            conversation,
            position=error.position,
            label=error.question.label,
            count=len(error.question.choices),
            example=_example(form),
        )
        return True
    _store(turn, note, wrap_up)
    note.status = "answered"
    note.answered_at = turn.now
    outbox.tell_volunteer(
        turn, volunteer, "wrap_up_saved", line_number, conversation, pseudonym=conversation.texter.pseudonym
    )
    turn.session.flush()
    return True


def _store(turn: Turn, note: ContactNote, wrap_up: WrapUp) -> None:
    note.answers = json.dumps({key: list(choices) for key, choices in wrap_up.answers.items()})
    note.note_encrypted = turn.runtime.vault.encrypt(wrap_up.note) if wrap_up.note else None


def skip(turn: Turn, volunteer: Volunteer, line_number: str) -> bool:
    """#skip: the wrap-up waiting in this thread (or the volunteer's only one) is left unanswered;
    nothing is stored. False when none waits."""
    pending = _pending(turn, volunteer.id, line_number) or _pending(turn, volunteer.id)
    if not pending or (len(pending) > 1 and pending[0].line_number != line_number):
        return False
    note = pending[0]
    note.status = "skipped"
    conversation = turn.session.get_one(Conversation, note.conversation_id)
    outbox.tell_volunteer(
        turn, volunteer, "wrap_up_skipped", note.line_number, conversation, pseudonym=conversation.texter.pseudonym
    )
    turn.session.flush()
    return True


def close_for_thread(turn: Turn, volunteer: Volunteer, line_number: str) -> None:
    """A new conversation takes a thread whose wrap-up still waits (every other thread was
    busy): the wrap-up closes unanswered, and the volunteer is told before anything else in
    the thread, so that what they text there next goes to the new texter knowingly."""
    for note in _pending(turn, volunteer.id, line_number):
        note.status = "lapsed"
        conversation = turn.session.get_one(Conversation, note.conversation_id)
        outbox.tell_volunteer(
            turn, volunteer, "wrap_up_closed", line_number, conversation, pseudonym=conversation.texter.pseudonym
        )


def lapse(turn: Turn, note_id: int) -> bool:
    """A wrap-up unanswered for `[continuity] wrap_up_answer_minutes` counts as skipped and
    frees its thread (True: the caller offers waiting texters)."""
    note = turn.session.scalars(select(ContactNote).where(ContactNote.id == note_id).with_for_update()).first()
    window = timedelta(minutes=turn.runtime.settings.continuity.wrap_up_answer_minutes)
    if note is None or note.status != NOTE_PENDING or note.asked_at > turn.now - window:
        return False
    note.status = "lapsed"
    turn.session.flush()
    return True


def answers_of(note: ContactNote) -> dict[str, list[str]]:
    """The choices picked, by question key (empty for a note skipped or not yet answered)."""
    return dict(json.loads(note.answers)) if note.answers else {}


def history_for_volunteer(turn: Turn, conversation: Conversation) -> str:
    """What the volunteer who accepts a returning texter is told: the last note's topics (never
    its free note), and whether the texter is answering the line's check-in; empty if neither."""
    texts = turn.runtime.texts
    parts = []
    topics_key = turn.runtime.settings.continuity.topics_question
    last = turn.session.scalars(
        select(ContactNote)
        .join(Conversation, Conversation.id == ContactNote.conversation_id)
        .where(
            Conversation.texter_id == conversation.texter_id,
            Conversation.id != conversation.id,
            ContactNote.answers.is_not(None),
        )
        .order_by(ContactNote.asked_at.desc())
        .limit(1)
    ).first()
    topics = answers_of(last).get(topics_key, []) if last is not None and topics_key else []
    if last is not None and topics:
        zone = turn.runtime.settings.line.timezone
        parts.append(texts.for_volunteer("last_topics", when=_day(last.asked_at, zone), topics=", ".join(topics)))
    follow_up = turn.session.scalars(select(FollowUp).where(FollowUp.reply_conversation_id == conversation.id)).first()
    if follow_up is not None and follow_up.volunteer_id is not None:
        earlier = turn.session.get_one(Volunteer, follow_up.volunteer_id)
        parts.append(texts.for_volunteer("follow_up_reply_note", alias=earlier.alias))
    return "".join(parts).strip()


def _day(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b")


def correct(
    turn: Turn, note: ContactNote, answers: Mapping[str, tuple[str, ...]], note_text: str, supervisor_id: int
) -> None:
    """A supervisor's correction on the dashboard: the answers and free note replace the
    volunteer's (the audit log, written by the caller, says who and when)."""
    _store(turn, note, WrapUp(answers=answers, note=note_text.strip()))
    if note.status != "answered":
        note.status = "answered"
        note.answered_at = turn.now
    note.corrected_at = turn.now
    note.corrected_by = supervisor_id
