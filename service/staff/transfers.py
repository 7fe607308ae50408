"""Warm transfers of a text conversation: a volunteer's `#transfer [note]`, or a supervisor's
from the dashboard (to a named volunteer), offered with the note and the texter's latest
messages; the first volunteer stays until another accepts with `#yes`, then both and the
texter are told; when nobody accepts in `[supervision] transfer_offer_seconds` the first
volunteer is told and keeps the texter. `routing.warm_transfer` decides each step."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from routing import warm_transfer
from routing.warm_transfer import AcceptOutcome, TransferState, TransferStatus
from service.conversations import dispatch, lifecycle, shifts
from service.db import Conversation, Transfer, Volunteer
from service.db.turn import Turn
from service.outbound import outbox
from service.staff import audit
from service.staff.supervision import ActionRefused, hand_over

LAPSE_JOB = "lapse_transfer"


def ask(turn: Turn, volunteer: Volunteer, conversation: Conversation, note: str) -> None:
    """`#transfer [note]` in a conversation's thread; a refusal is told to the volunteer."""
    try:
        offer(turn, conversation, note, f"volunteer:{volunteer.id}")
    except ActionRefused as refused:
        outbox.tell_volunteer(
            turn,
            volunteer,
            f"transfer_{refused.reason}",
            conversation.line_number,
            conversation,
            pseudonym=conversation.texter.pseudonym,
        )


def offer_from_dashboard(turn: Turn, conversation_id: int, volunteer_id: int | None, actor: str) -> Transfer:
    """A supervisor's warm transfer: to the volunteer named, or (None) to whoever accepts first."""
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    ).first()
    if conversation is None:
        raise ActionRefused("not_active")
    return offer(turn, conversation, "", actor, named=volunteer_id)


def offer(turn: Turn, conversation: Conversation, note: str, requested_by: str, named: int | None = None) -> Transfer:
    """Offer the conversation to other volunteers who could take a texter now (or to `named`);
    the first volunteer is told to stay meanwhile."""
    first = conversation.volunteer
    if conversation.status != "active" or first is None:
        raise ActionRefused("not_active")
    if conversation.channel != "sms":
        raise ActionRefused("not_a_text_conversation")
    if _open_transfer(turn, conversation) is not None:
        raise ActionRefused("already_offered")
    settings = turn.runtime.settings.supervision
    # Dispatch's preference: least loaded, then longest idle.
    on_shift = turn.session.scalars(
        select(Volunteer.id)
        .where(Volunteer.active, Volunteer.on_shift)
        .order_by(Volunteer.active_conversations, Volunteer.last_assigned_at.asc().nulls_first(), Volunteer.id)
    ).all()
    states = shifts.volunteer_states(turn.session, list(on_shift), turn.now)
    ordered = {volunteer_id: states[volunteer_id] for volunteer_id in on_shift}
    chosen = warm_transfer.candidates(
        ordered, turn.runtime.shift_limits, turn.now, first.id, settings.transfer_max_volunteers, named
    )
    if not chosen:
        raise ActionRefused("nobody_free")
    expires_at = turn.now + timedelta(seconds=settings.transfer_offer_seconds)
    transfer = Transfer(
        conversation_id=conversation.id,
        from_volunteer_id=first.id,
        to_volunteer_id=named,
        offered_to=",".join(str(volunteer_id) for volunteer_id in chosen),
        requested_by=requested_by,
        status=TransferStatus.OFFERED,
        created_at=turn.now,
        expires_at=expires_at,
    )
    turn.session.add(transfer)
    turn.session.flush()
    texter = conversation.texter
    if note.strip():
        lifecycle.record(turn, conversation, "transfer", note.strip())
    recent = lifecycle.texter_backlog(turn, conversation)[-settings.transfer_recent_messages :]
    for volunteer_id in chosen:
        volunteer = turn.session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        outbox.tell_volunteer(
            turn,
            volunteer,
            "transfer_offer",
            None,
            conversation,
            alias=first.alias,
            pseudonym=texter.pseudonym,
            note=note.strip() or "-",
            recent=" / ".join(recent) or "-",
            timeout=settings.transfer_offer_seconds,
        )
    outbox.tell_volunteer(
        turn,
        first,
        "transfer_asked",
        conversation.line_number,
        conversation,
        pseudonym=texter.pseudonym,
        count=len(chosen),
    )
    audit.record(
        turn.session,
        turn.now,
        requested_by,
        "transfer_offered",
        f"conversation:{conversation.id}",
        f"{texter.pseudonym} from {first.alias} to {len(chosen)} volunteer(s)",
    )
    turn.schedule(LAPSE_JOB, transfer.id, expires_at)
    return transfer


def _open_transfer(turn: Turn, conversation: Conversation) -> Transfer | None:
    return turn.session.scalars(
        select(Transfer).where(Transfer.conversation_id == conversation.id, Transfer.status == TransferStatus.OFFERED)
    ).first()


def _state(transfer: Transfer, conversation: Conversation) -> TransferState:
    return TransferState(
        status=TransferStatus(transfer.status),
        expires_at=transfer.expires_at,
        from_volunteer_id=transfer.from_volunteer_id,
        offered_to=transfer.offered_ids,
        still_with_first=conversation.status == "active" and conversation.volunteer_id == transfer.from_volunteer_id,
    )


def accept(turn: Turn, volunteer: Volunteer) -> bool:
    """`#yes` from a volunteer with no other offer waiting: take the open transfer offered to
    them, if any (whether there was one to answer)."""
    offered = [
        transfer
        for transfer in turn.session.scalars(
            select(Transfer).where(Transfer.status == TransferStatus.OFFERED).order_by(Transfer.created_at, Transfer.id)
        )
        if volunteer.id in transfer.offered_ids
    ]
    if not offered:
        return False
    transfer = offered[0]
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == transfer.conversation_id).with_for_update()
    ).one()
    turn.session.refresh(transfer, with_for_update=True)
    pseudonym = conversation.texter.pseudonym
    outcome = warm_transfer.accept(_state(transfer, conversation), volunteer.id, turn.now)
    if outcome is not AcceptOutcome.TAKEN:
        outbox.tell_volunteer(turn, volunteer, "transfer_gone", None, pseudonym=pseudonym)
        return True
    try:
        moved = hand_over(turn, conversation, volunteer.id)
    except ActionRefused:
        outbox.tell_volunteer(turn, volunteer, "transfer_cannot_take", None, pseudonym=pseudonym)
        return True
    transfer.status, transfer.to_volunteer_id, transfer.decided_at = TransferStatus.ACCEPTED, volunteer.id, turn.now
    outbox.tell_volunteer(
        turn, moved.previous, "transfer_done", moved.previous_line, alias=volunteer.alias, pseudonym=pseudonym
    )
    outbox.tell_volunteer(turn, volunteer, "transfer_taken", moved.line_number, conversation, pseudonym=pseudonym)
    outbox.tell_texter(turn, conversation.texter, "reassigned", conversation, alias=volunteer.alias)
    _close_other_offers(turn, transfer, pseudonym, but=volunteer.id)
    audit.record(
        turn.session,
        turn.now,
        f"volunteer:{volunteer.id}",
        "transfer_accepted",
        f"conversation:{conversation.id}",
        f"{pseudonym} {moved.previous.alias} → {volunteer.alias}",
    )
    dispatch.offer_waiting(turn)  # the first volunteer may have room for the next texter
    return True


def lapse(turn: Turn, transfer_id: int) -> None:
    """The offer's deadline (its timer, or the sweeper): nobody accepted, so the first
    volunteer is told they keep the texter. Safe to run twice, and before the deadline."""
    transfer = turn.session.scalars(select(Transfer).where(Transfer.id == transfer_id).with_for_update()).first()
    if transfer is None or transfer.status != TransferStatus.OFFERED:
        return
    conversation = transfer.conversation
    status = warm_transfer.at_deadline(_state(transfer, conversation), turn.now)
    if status is TransferStatus.OFFERED:
        return
    transfer.status, transfer.decided_at = status, turn.now
    pseudonym = conversation.texter.pseudonym
    _close_other_offers(turn, transfer, pseudonym, but=None)
    if status is TransferStatus.LAPSED and conversation.volunteer is not None:
        outbox.tell_volunteer(
            turn,
            conversation.volunteer,
            "transfer_lapsed",
            conversation.line_number,
            conversation,
            pseudonym=pseudonym,
            seconds=turn.runtime.settings.supervision.transfer_offer_seconds,
        )
    audit.record(turn.session, turn.now, "line", f"transfer_{status}", f"conversation:{conversation.id}", pseudonym)


def _close_other_offers(turn: Turn, transfer: Transfer, pseudonym: str, but: int | None) -> None:
    for volunteer_id in sorted(transfer.offered_ids - {but} if but is not None else transfer.offered_ids):
        other = turn.session.get(Volunteer, volunteer_id)
        if other is not None:
            outbox.tell_volunteer(turn, other, "transfer_closed", None, pseudonym=pseudonym)
