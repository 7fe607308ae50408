"""A supervisor's view of a conversation's contact note and their correction of it: every
reading of a note that has content, and every correction, leaves an audit entry (naming the
texter by pseudonym and the questions changed, never the note's words)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.wrap_up_form import MAX_NOTE_CHARS, NoteQuestion
from service.conversations import contact_notes
from service.db import ContactNote, Conversation, Supervisor, Volunteer
from service.db.turn import Turn
from service.db.vault import PURGED, Vault
from service.staff import audit
from service.staff.supervision import ActionRefused


@dataclass(frozen=True)
class NoteAnswer:
    question: NoteQuestion
    picked: tuple[str, ...]


@dataclass(frozen=True)
class NoteView:
    status: str
    asked_at: datetime
    answered_at: datetime | None
    volunteer: str
    answers: tuple[NoteAnswer, ...]
    # None when there is none, or the retention purge has removed it.
    note: str | None
    corrected_at: datetime | None
    corrected_by: str | None


def read_note(
    session: Session,
    vault: Vault,
    form: tuple[NoteQuestion, ...],
    conversation: Conversation,
    actor: str,
    now: datetime,
) -> NoteView | None:
    """The conversation's note as the supervisor sees it (None when it has none); reading one
    with answers is audited."""
    note = session.scalars(select(ContactNote).where(ContactNote.conversation_id == conversation.id)).first()
    if note is None:
        return None
    answers = contact_notes.answers_of(note)
    if note.answers is not None:
        audit.record(
            session, now, actor, "contact_note_read", f"conversation:{conversation.id}", conversation.texter.pseudonym
        )
    volunteer = session.get(Volunteer, note.volunteer_id)
    corrector = session.get(Supervisor, note.corrected_by) if note.corrected_by else None
    return NoteView(
        status=note.status,
        asked_at=note.asked_at,
        answered_at=note.answered_at,
        volunteer=volunteer.alias if volunteer else "",
        answers=tuple(NoteAnswer(question, tuple(answers.get(question.key, ()))) for question in form),
        note=vault.decrypt(note.note_encrypted) if note.note_encrypted and note.note_encrypted != PURGED else None,
        corrected_at=note.corrected_at,
        corrected_by=corrector.name if corrector else None,
    )


def checked_answers(form: tuple[NoteQuestion, ...], picked: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The answers posted by the correction form, each one of its question's choices (one for a
    question that takes one, at least one otherwise); ActionRefused("note_answers_invalid")."""
    answers = {}
    for question in form:
        chosen = tuple(dict.fromkeys(picked.get(question.key, [])))
        if not chosen or any(choice not in question.choices for choice in chosen):
            raise ActionRefused("note_answers_invalid")
        if not question.multiple and len(chosen) != 1:
            raise ActionRefused("note_answers_invalid")
        answers[question.key] = tuple(choice for choice in question.choices if choice in chosen)
    return answers


def correct_note(
    turn: Turn, conversation_id: int, answers: Mapping[str, tuple[str, ...]], note: str, supervisor: Supervisor
) -> None:
    """Replace the note's answers and free note with the supervisor's, audited with the
    questions that changed."""
    found = turn.session.scalars(
        select(ContactNote).where(ContactNote.conversation_id == conversation_id).with_for_update()
    ).first()
    if found is None:
        raise ActionRefused("not_found")
    before = contact_notes.answers_of(found)
    old_note = (
        turn.runtime.vault.decrypt(found.note_encrypted)
        if found.note_encrypted and found.note_encrypted != PURGED
        else ""
    )
    note = note.strip()[:MAX_NOTE_CHARS]
    changed = [key for key, choices in answers.items() if tuple(before.get(key, ())) != choices]
    if note != old_note:
        changed.append("note")
    contact_notes.correct(turn, found, answers, note, supervisor.id)
    conversation = turn.session.get_one(Conversation, conversation_id)
    audit.record(
        turn.session,
        turn.now,
        supervisor.email,
        "contact_note_corrected",
        f"conversation:{conversation_id}",
        f"{conversation.texter.pseudonym}: {', '.join(changed) or 'nothing changed'}",
    )
