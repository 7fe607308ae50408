"""What happens when a volunteer texts a line number: a `#` command or words for a texter."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from routing import limits
from routing.blocks import block_request
from routing.commands import Command, CommandText, parse_command
from routing.presence import Party
from service.conversations import (
    contact_notes,
    dispatch,
    escalations,
    follow_ups,
    lifecycle,
    referrals,
    seats,
    shifts,
    texter_blocks,
)
from service.db import PHONE_CHANNELS, Conversation, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.sms import rota_signups
from service.staff import call_supervision, stepping_in, transfers
from service.staff.supervision import ActionRefused
from service.voice import callbacks


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
    if conversation is None and body.strip() and contact_notes.answer(turn, volunteer, line_number, body):
        dispatch.offer_waiting(turn)  # the thread is free again
        return
    if conversation is None or not body.strip():
        outbox.tell_volunteer(turn, volunteer, "not_in_conversation_hint", line_number)
        return
    lifecycle.record(turn, conversation, "volunteer", body)
    outbox.to_texter(turn, conversation.texter, body, conversation)
    seats.echo(turn, conversation, Party.VOLUNTEER, body)


def _thread(turn: Turn, volunteer: Volunteer, line_number: str) -> Conversation | None:
    """The conversation a line number carries for this volunteer (each has its own number)."""
    return turn.session.scalars(
        select(Conversation).where(
            Conversation.volunteer_id == volunteer.id,
            Conversation.status == "active",
            Conversation.line_number == line_number,
        )
    ).first()


def _thread_or_only(turn: Turn, volunteer: Volunteer, line_number: str) -> tuple[Conversation | None, int]:
    """This thread's conversation, else the volunteer's only one, else the call they are on
    (a call has no thread: #escalate texted to any line number during it means the call);
    and how many they hold."""
    active = turn.session.scalars(
        select(Conversation).where(Conversation.volunteer_id == volunteer.id, Conversation.status == "active")
    ).all()
    for conversation in active:
        if conversation.line_number == line_number:
            return conversation, len(active)
    if len(active) == 1:
        return active[0], 1
    on_phone = [conversation for conversation in active if conversation.channel in PHONE_CHANNELS]
    return (on_phone[0] if len(on_phone) == 1 else None), len(active)


def _queued_count(turn: Turn) -> int:
    return int(
        turn.session.scalar(select(func.count()).select_from(Conversation).where(Conversation.status == "queued")) or 0
    )


def _local(turn: Turn, moment: datetime) -> str:
    """A time as the volunteer reads it: the line's zone, with the day when it is not today."""
    zone = ZoneInfo(turn.runtime.settings.line.timezone)
    local = moment.astimezone(zone)
    return local.strftime("%H:%M") if local.date() == turn.now.astimezone(zone).date() else local.strftime("%a %H:%M")


REFUSAL_TEXT = {limits.MIN_REST: "on_refused_min_rest", limits.WEEKLY_HOURS: "on_refused_weekly_hours"}


def _on(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    if shifts.open_shift(turn.session, volunteer.id) is not None:
        volunteer.break_until = None
        outbox.tell_volunteer(turn, volunteer, "already_on_shift", line_number, queued=_queued_count(turn))
        dispatch.offer_waiting(turn)
        return
    refusal = shifts.start(turn, volunteer)
    if refusal is not None:
        settings = turn.runtime.shift_limits
        outbox.tell_volunteer(
            turn,
            volunteer,
            REFUSAL_TEXT[refusal.limit],
            line_number,
            until=_local(turn, refusal.until) if refusal.until else "-",
            hours=f"{settings.min_rest_minutes / 60:g}"
            if refusal.limit == limits.MIN_REST
            else f"{settings.max_hours_per_week:g}",
        )
        return
    shift = shifts.open_shift(turn.session, volunteer.id)
    ends = _local(turn, shift.planned_end_at) if shift and shift.planned_end_at else "-"
    outbox.tell_volunteer(turn, volunteer, "shift_started", line_number, queued=_queued_count(turn), ends=ends)
    dispatch.offer_waiting(turn)


def _off(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is None:
        outbox.tell_volunteer(turn, volunteer, "not_on_shift", line_number)
        return
    shifts.end(turn, shift, "volunteer")
    open_count = shifts.active_count(turn.session, volunteer.id)
    if open_count:
        outbox.tell_volunteer(turn, volunteer, "shift_ended_open", line_number, count=open_count)
    else:
        outbox.tell_volunteer(turn, volunteer, "shift_ended", line_number)
    dispatch.offer_waiting(turn)


def _yes(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    offer = dispatch.pending_offer(turn, volunteer)
    if offer is None:
        if not transfers.accept(turn, volunteer):
            outbox.tell_volunteer(turn, volunteer, "no_offer", line_number)
        return
    if offer.conversation.channel == "callback":
        callbacks.accept(turn, volunteer, offer)
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
    if conversation.channel in PHONE_CHANNELS:
        outbox.tell_volunteer(turn, volunteer, "call_done_hint", line_number)
        return
    lifecycle.close(turn, conversation, "volunteer_done")
    dispatch.offer_waiting(turn)


def _break(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    if shifts.open_shift(turn.session, volunteer.id) is None:
        outbox.tell_volunteer(turn, volunteer, "not_on_shift", line_number)
        return
    volunteer.break_until = turn.now + timedelta(minutes=turn.runtime.shift_limits.break_minutes)
    shifts.withdraw_offer(turn, volunteer.id)
    outbox.tell_volunteer(turn, volunteer, "break_started", line_number, until=_local(turn, volunteer.break_until))
    dispatch.offer_waiting(turn)


def _status(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    """Time left on shift, conversations left, and any pause: what a volunteer needs to pace themselves."""
    queued = _queued_count(turn)
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is None:
        outbox.tell_volunteer(turn, volunteer, "status_off_shift", line_number, queued=queued)
        return
    texts, rules = turn.runtime.texts, turn.runtime.shift_limits
    state = shifts.volunteer_states(turn.session, [volunteer.id], turn.now)[volunteer.id]
    notes = []
    offer = dispatch.pending_offer(turn, volunteer)
    if offer is not None:
        notes.append(
            texts.for_volunteer(
                "status_offer_note", volunteer.staff_language, pseudonym=offer.conversation.texter.pseudonym
            )
        )
    refusal = limits.refusal(state, rules, turn.now)
    if refusal is not None and refusal.limit in STATUS_NOTES:
        notes.append(
            texts.for_volunteer(
                STATUS_NOTES[refusal.limit],
                volunteer.staff_language,
                until=_local(turn, refusal.until) if refusal.until else "-",
            )
        )
    left = (
        "-"
        if limits.MAX_CONVERSATIONS in state.lifted
        else max(0, rules.max_conversations_per_shift - state.conversations_this_shift)
    )
    outbox.tell_volunteer(
        turn,
        volunteer,
        "status",
        line_number,
        since=_local(turn, shift.started_at),
        ends=_local(turn, shift.planned_end_at) if shift.planned_end_at else "-",
        active=state.active_conversations,
        limit=rules.concurrency_limit(volunteer.max_concurrent, state.lifted),
        left=left,
        notes="".join(notes),
        queued=queued,
    )


STATUS_NOTES = {
    limits.ON_BREAK: "status_break_note",
    limits.COOLDOWN: "status_cooldown_note",
    limits.AWAITING_OK: "status_awaiting_ok_note",
    limits.WRAP_UP: "status_wrap_up_note",
    limits.MAX_SHIFT: "status_wrap_up_note",
    limits.MAX_CONVERSATIONS: "status_max_conversations_note",
}


def _ok(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    """Ready again after a heavy conversation; offers resume once the minimum pause is over."""
    if not volunteer.awaiting_ok:
        outbox.tell_volunteer(turn, volunteer, "ok_nothing", line_number)
        return
    volunteer.awaiting_ok = False
    if volunteer.cooldown_until is not None and volunteer.cooldown_until > turn.now:
        outbox.tell_volunteer(turn, volunteer, "ok_early", line_number, until=_local(turn, volunteer.cooldown_until))
        return
    outbox.tell_volunteer(turn, volunteer, "ok_ready", line_number)
    dispatch.offer_waiting(turn)


def _debrief(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    reached = escalations.request_debrief(turn, volunteer)
    outbox.tell_volunteer(turn, volunteer, "debrief_requested" if reached else "no_supervisor", line_number)


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
    level = "imminent" if conversation.risk_level == "imminent" else "elevated"
    conversation.risk_level = level
    reached = escalations.open_escalation(turn, conversation, level=level, source="volunteer", reason=reason)
    key = "escalated" if reached else "no_supervisor"
    outbox.tell_volunteer(
        turn, volunteer, key, conversation.line_number, conversation, pseudonym=conversation.texter.pseudonym
    )


def _skip(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    if not contact_notes.skip(turn, volunteer, line_number):
        outbox.tell_volunteer(turn, volunteer, "skip_nothing", line_number)
        return
    dispatch.offer_waiting(turn)


def _contact(turn: Turn, volunteer: Volunteer, line_number: str) -> Conversation | None:
    """What #res, #send and #followup act on: the thread's conversation (or the volunteer's only
    one, or their call), else the one whose wrap-up waits in this thread (just ended, or a call
    just over: a caller may be sent a resource by text after the call, with their consent)."""
    conversation, _ = _thread_or_only(turn, volunteer, line_number)
    return conversation or contact_notes.pending_conversation(turn, volunteer, line_number)


def _res(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    conversation = _contact(turn, volunteer, line_number)
    if conversation is None:
        outbox.tell_volunteer(turn, volunteer, "continuity_no_conversation", line_number)
        return
    referrals.list_for(turn, volunteer, line_number, conversation, command.argument[:100])


def _send(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    conversation = _contact(turn, volunteer, line_number)
    if conversation is None:
        outbox.tell_volunteer(turn, volunteer, "continuity_no_conversation", line_number)
        return
    referrals.send(turn, volunteer, line_number, conversation, command.argument)


def _followup(turn: Turn, volunteer: Volunteer, line_number: str, _: CommandText) -> None:
    conversation, _count = _thread_or_only(turn, volunteer, line_number)
    if conversation is None or conversation.channel != "sms":
        outbox.tell_volunteer(turn, volunteer, "continuity_no_conversation", line_number)
        return
    key = "followup_marked" if follow_ups.mark(turn, conversation) else "followup_taken"
    outbox.tell_volunteer(turn, volunteer, key, line_number, conversation, pseudonym=conversation.texter.pseudonym)


def _in_thread(
    turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText, texts_only: bool
) -> Conversation | None:
    """The conversation a command about one conversation is for (this thread's, the only one,
    or the call); None after telling the volunteer to send it in the right thread."""
    conversation, _ = _thread_or_only(turn, volunteer, line_number)
    if conversation is None or (texts_only and conversation.channel in PHONE_CHANNELS):
        outbox.tell_volunteer(turn, volunteer, "needs_thread", line_number, command=f"#{command.word}")
        return None
    return conversation


def _sup(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    conversation = _in_thread(turn, volunteer, line_number, command, texts_only=False)
    if conversation is not None:
        stepping_in.ask_for_supervisor(turn, volunteer, conversation)


def _transfer(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    conversation = _in_thread(turn, volunteer, line_number, command, texts_only=True)
    if conversation is not None:
        transfers.ask(turn, volunteer, conversation, command.argument[:300])


def _crisis_line(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    """`#988`: in a text conversation, the crisis line's options to the texter; during a call,
    the crisis line added to it as a third participant."""
    conversation = _in_thread(turn, volunteer, line_number, command, texts_only=False)
    if conversation is None:
        return
    if conversation.channel == "sms":
        stepping_in.send_crisis_line(turn, volunteer, conversation)
        return
    try:
        call_supervision.add_crisis_line(turn, conversation.id, f"volunteer:{volunteer.id}")
    except ActionRefused as refused:
        outbox.tell_volunteer(turn, volunteer, refused.reason, None, conversation)


def _block(turn: Turn, volunteer: Volunteer, line_number: str, command: CommandText) -> None:
    """`#block <reason>` in a texter's thread: the texter is blocked for the line's default
    period (the conversation ends), and the supervisors on call are told, to review it."""
    conversation, _ = _thread_or_only(turn, volunteer, line_number)
    if conversation is None:
        outbox.tell_volunteer(turn, volunteer, "block_no_conversation", line_number)
        return
    request = block_request(command.argument, turn.now, turn.runtime.settings.matching.block_days)
    if request is None:
        outbox.tell_volunteer(turn, volunteer, "block_needs_reason", line_number)
        return
    texter = conversation.texter
    texter_blocks.block(turn, texter, request.until, request.reason, f"volunteer:{volunteer.alias}")
    for supervisor in escalations.supervisors_to_alert(turn):
        outbox.to_supervisor(
            turn,
            supervisor,
            turn.runtime.texts.for_supervisor(
                "texter_blocked_by_volunteer",
                supervisor.staff_language,
                alias=volunteer.alias,
                pseudonym=texter.pseudonym,
                reason=request.reason,
            ),
        )


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
    Command.OK: _ok,
    Command.DEBRIEF: _debrief,
    Command.SHIFTS: rota_signups.shifts,
    Command.TAKE: rota_signups.take,
    Command.DROP: rota_signups.drop,
    Command.MINE: rota_signups.mine,
    Command.CALENDAR: rota_signups.calendar,
    Command.SKIP: _skip,
    Command.RES: _res,
    Command.SEND: _send,
    Command.FOLLOWUP: _followup,
    Command.SUP: _sup,
    Command.TRANSFER: _transfer,
    Command.CRISIS_LINE: _crisis_line,
    Command.BLOCK: _block,
}
