"""What happens when a volunteer texts a line number: a `#` command or words for a texter."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from routing.commands import Command, CommandText, parse_command
from service import conversations, dispatch, escalations, outbox
from service.db import Conversation, Shift, Volunteer
from service.turn import Turn


def on_volunteer_message(turn: Turn, volunteer: Volunteer, line_number: str, body: str) -> None:
    command = parse_command(body)
    if command is None:
        _relay(turn, volunteer, line_number, body)
        return
    handler = _HANDLERS.get(command.command) if command.command else None
    if handler is None:
        outbox.tell_volunteer(turn, volunteer, "help", line_number)
        return
    handler(turn, volunteer, line_number, command)


def _relay(turn: Turn, volunteer: Volunteer, line_number: str, body: str) -> None:
    conversation = _thread(turn, volunteer, line_number)
    if conversation is None or not body.strip():
        outbox.tell_volunteer(turn, volunteer, "not_in_conversation_hint", line_number)
        return
    conversations.record(turn, conversation, "volunteer", body)
    outbox.to_texter(turn, conversation.texter, body, conversation)


def _thread(turn: Turn, volunteer: Volunteer, line_number: str) -> Conversation | None:
    """The conversation a line number carries for this volunteer (each has its own number)."""
    return turn.session.scalars(
        select(Conversation).where(
            Conversation.volunteer_id == volunteer.id, Conversation.status == "active", Conversation.line_number == line_number
        )
    ).first()


def _thread_or_only(turn: Turn, volunteer: Volunteer, line_number: str) -> tuple[Conversation | None, int]:
    """This thread's conversation, else the volunteer's only one; and how many they hold."""
    active = turn.session.scalars(
        select(Conversation).where(Conversation.volunteer_id == volunteer.id, Conversation.status == "active")
    ).all()
    for conversation in active:
        if conversation.line_number == line_number:
            return conversation, len(active)
    return (active[0] if len(active) == 1 else None), len(active)


def _open_shift(turn: Turn, volunteer: Volunteer) -> Shift | None:
    return turn.session.scalars(select(Shift).where(Shift.volunteer_id == volunteer.id, Shift.ended_at.is_(None))).first()


def _queued_count(turn: Turn) -> int:
    return int(turn.session.scalar(select(func.count()).select_from(Conversation).where(Conversation.status == "queued")) or 0)


def _local_time(turn: Turn, moment) -> str:  # type: ignore[no-untyped-def]
    return moment.astimezone(ZoneInfo(turn.runtime.settings.line.timezone)).strftime("%H:%M")


def _on(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    if _open_shift(turn, volunteer) is not None:
        volunteer.break_until = None
        outbox.tell_volunteer(turn, volunteer, "already_on_shift", line_number, queued=_queued_count(turn))
        dispatch.offer_waiting(turn)
        return
    turn.session.add(Shift(volunteer_id=volunteer.id, started_at=turn.now))
    volunteer.break_until = None
    turn.session.flush()
    outbox.tell_volunteer(turn, volunteer, "shift_started", line_number, queued=_queued_count(turn))
    dispatch.offer_waiting(turn)


def _off(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    shift = _open_shift(turn, volunteer)
    if shift is None:
        outbox.tell_volunteer(turn, volunteer, "not_on_shift", line_number)
        return
    shift.ended_at = turn.now
    shift.end_reason = "volunteer"
    dispatch.withdraw_volunteer_offer(turn, volunteer)
    _, open_count = _thread_or_only(turn, volunteer, line_number)
    if open_count:
        outbox.tell_volunteer(turn, volunteer, "shift_ended_open", line_number, count=open_count)
    else:
        outbox.tell_volunteer(turn, volunteer, "shift_ended", line_number)
    dispatch.offer_waiting(turn)


def _yes(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    offer = dispatch.pending_offer(turn, volunteer)
    if offer is None:
        outbox.tell_volunteer(turn, volunteer, "no_offer", line_number)
        return
    dispatch.accept(turn, volunteer, offer)


def _pass(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    offer = dispatch.pending_offer(turn, volunteer)
    if offer is None:
        outbox.tell_volunteer(turn, volunteer, "no_offer", line_number)
        return
    dispatch.decline(turn, volunteer, offer)


def _done(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    conversation, open_count = _thread_or_only(turn, volunteer, line_number)
    if conversation is None:
        key = "done_which" if open_count > 1 else "no_conversation"
        outbox.tell_volunteer(turn, volunteer, key, line_number, count=open_count)
        return
    conversations.close(turn, conversation, "volunteer_done")
    dispatch.offer_waiting(turn)


def _break(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    if _open_shift(turn, volunteer) is None:
        outbox.tell_volunteer(turn, volunteer, "not_on_shift", line_number)
        return
    volunteer.break_until = turn.now + timedelta(minutes=turn.runtime.settings.shifts.break_minutes)
    dispatch.withdraw_volunteer_offer(turn, volunteer)
    outbox.tell_volunteer(turn, volunteer, "break_started", line_number, until=_local_time(turn, volunteer.break_until))
    dispatch.offer_waiting(turn)


def _status(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    shift = _open_shift(turn, volunteer)
    queued = _queued_count(turn)
    if shift is None:
        outbox.tell_volunteer(turn, volunteer, "status_off_shift", line_number, queued=queued)
        return
    texts = turn.runtime.texts
    _, active = _thread_or_only(turn, volunteer, line_number)
    offer = dispatch.pending_offer(turn, volunteer)
    offer_note = texts.for_volunteer("status_offer_note", pseudonym=offer.conversation.texter.pseudonym) if offer else ""
    on_break = volunteer.break_until is not None and volunteer.break_until > turn.now
    break_note = texts.for_volunteer("status_break_note", until=_local_time(turn, volunteer.break_until)) if on_break else ""
    outbox.tell_volunteer(
        turn, volunteer, "status", line_number,
        since=_local_time(turn, shift.started_at), active=active,
        limit=turn.runtime.shift_policy.concurrency_limit(volunteer.max_concurrent),
        offer_note=offer_note, break_note=break_note, queued=queued,
    )


def _help(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    outbox.tell_volunteer(turn, volunteer, "help", line_number)


def _escalate(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    conversation, _ = _thread_or_only(turn, volunteer, line_number)
    if conversation is None:
        outbox.tell_volunteer(turn, volunteer, "escalate_no_conversation", line_number)
        return
    reason = turn.runtime.texts.for_supervisor("volunteer_requested")
    if command.argument:
        reason = f"{reason}: {command.argument[:200]}"
    reached = escalations.open_escalation(turn, conversation, level="elevated", source="volunteer", reason=reason)
    key = "escalated" if reached else "no_supervisor"
    outbox.tell_volunteer(turn, volunteer, key, conversation.line_number, conversation, pseudonym=conversation.texter.pseudonym)


_HANDLERS = {
    Command.ON: _on,
    Command.OFF: _off,
    Command.YES: _yes,
    Command.PASS: _pass,
    Command.DONE: _done,
    Command.BREAK: _break,
    Command.STATUS: _status,
    Command.HELP: _help,
    Command.ESCALATE: _escalate,
}
