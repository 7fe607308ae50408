"""Offering waiting texters to volunteers: offers, acceptance, passing and expiry.

Assignment is decided in PostgreSQL transactions: a waiting conversation and the volunteers
considered for it are row-locked (`FOR UPDATE SKIP LOCKED`) before their load is read, and
every change to a volunteer's load holds that volunteer's row lock, so web and worker
processes on any number of hosts never offer one texter twice nor push a volunteer over a
limit. The choice itself is the pure `routing.matching.choose_volunteer`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, func, select

from routing.limits import VolunteerState
from routing.matching import Seeker, choose_volunteer
from service import conversations, outbox, shifts
from service.db import Conversation, Offer, Shift, Volunteer
from service.turn import Turn

# Conversations examined per dispatch; the rest wait for the next event (or the sweeper).
DISPATCH_BATCH = 25


def offer_waiting(turn: Turn) -> None:
    """Offer every waiting conversation it can, most urgent and longest waiting first."""
    session = turn.session
    has_pending = exists().where(Offer.conversation_id == Conversation.id, Offer.status == "pending")
    waiting = session.scalars(
        select(Conversation)
        .where(Conversation.status == "queued", ~has_pending)
        .order_by(Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
        .limit(DISPATCH_BATCH)
        .with_for_update(skip_locked=True, of=Conversation)
    ).all()
    if not waiting:
        return
    candidates = _lock_available_volunteers(turn)
    for conversation in waiting:
        if not candidates:
            return
        seeker = _seeker(turn, conversation)
        match = choose_volunteer(seeker, list(candidates.values()), turn.runtime.shift_limits, turn.now)
        if match is None:
            continue
        _make_offer(turn, conversation, match.volunteer_id, match.line_number, match.language_fallback, match.returning)
        del candidates[match.volunteer_id]


def _lock_available_volunteers(turn: Turn) -> dict[int, VolunteerState]:
    """Lock the on-shift volunteers nobody else is changing, then read their state afresh."""
    pending_offer = exists().where(Offer.volunteer_id == Volunteer.id, Offer.status == "pending")
    locked = turn.session.scalars(
        select(Volunteer.id)
        .join(Shift, and_(Shift.volunteer_id == Volunteer.id, Shift.ended_at.is_(None)))
        .where(Volunteer.active, ~pending_offer, (Volunteer.break_until.is_(None)) | (Volunteer.break_until <= turn.now))
        .with_for_update(skip_locked=True, of=Volunteer)
    ).all()
    # A new statement, so a fresh snapshot: it sees every change committed before we took the locks.
    return shifts.volunteer_states(turn.session, locked, turn.now)


def _seeker(turn: Turn, conversation: Conversation) -> Seeker:
    answered = turn.session.execute(
        select(Offer.volunteer_id, Offer.status).where(Offer.conversation_id == conversation.id, Offer.status.in_(("declined", "expired")))
    ).all()
    return Seeker(
        conversation_id=conversation.id,
        language=conversation.language,
        previous_volunteer_id=conversation.texter.last_volunteer_id,
        passed_by=frozenset(v for v, status in answered if status == "declined"),
        missed_by=frozenset(v for v, status in answered if status == "expired"),
    )


def _make_offer(turn: Turn, conversation: Conversation, volunteer_id: int, line_number: str, language_fallback: bool, returning: bool) -> None:
    settings = turn.runtime.settings.routing
    texts = turn.runtime.texts
    volunteer = turn.session.get_one(Volunteer, volunteer_id)
    texter = conversation.texter
    offer = Offer(
        conversation_id=conversation.id,
        volunteer_id=volunteer_id,
        line_number=line_number,
        status="pending",
        created_at=turn.now,
        expires_at=turn.now + timedelta(seconds=settings.offer_timeout_seconds),
    )
    turn.session.add(offer)
    turn.session.flush()
    backlog = conversations.texter_backlog(turn, conversation)
    preview = " / ".join(backlog)
    if len(preview) > settings.offer_preview_chars:
        preview = preview[: settings.offer_preview_chars].rstrip() + "…"
    language_note = ""
    if conversation.language != turn.runtime.settings.line.languages[0] or language_fallback:
        language_note = texts.for_volunteer("offer_language_note", language_name=texts.language(conversation.language).name)
    body = texts.for_volunteer(
        "offer", pseudonym=texter.pseudonym, preview=preview, timeout=settings.offer_timeout_seconds, language_note=language_note
    )
    if returning:
        body += texts.for_volunteer("returning_note")
    if conversation.risk_level != "none":
        body = texts.for_volunteer("offer_risk_note", level=conversation.risk_level.upper()) + body
    outbox.to_volunteer(turn, volunteer, body, line_number, conversation)
    if language_fallback and not conversation.language_fallback_told:
        conversation.language_fallback_told = True
        outbox.tell_texter(turn, texter, "language_fallback", conversation, language_name=texts.language(conversation.language).name)
    turn.schedule("expire_offer", offer.id, offer.expires_at)


def pending_offer(turn: Turn, volunteer: Volunteer) -> Offer | None:
    return turn.session.scalars(
        select(Offer).where(Offer.volunteer_id == volunteer.id, Offer.status == "pending").with_for_update()
    ).first()


def accept(turn: Turn, volunteer: Volunteer, offer: Offer) -> None:
    """`#yes`: the conversation becomes the volunteer's, in the offer's thread; both are told,
    and the volunteer gets what the texter wrote while waiting."""
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == offer.conversation_id).with_for_update()
    ).one()
    _lock_volunteer(turn, volunteer)
    offer.status = "accepted"
    offer.answered_at = turn.now
    conversation.status = "active"
    conversation.volunteer_id = volunteer.id
    conversation.line_number = offer.line_number
    conversation.assigned_at = turn.now
    volunteer.last_assigned_at = turn.now
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is not None:
        shift.conversations_taken += 1
    texter = conversation.texter
    texter.last_volunteer_id = volunteer.id
    outbox.tell_volunteer(turn, volunteer, "accepted", offer.line_number, conversation, pseudonym=texter.pseudonym)
    backlog = conversations.texter_backlog(turn, conversation)
    if backlog:
        outbox.tell_volunteer(turn, volunteer, "backlog", offer.line_number, conversation, pseudonym=texter.pseudonym, text="\n".join(backlog))
    outbox.tell_texter(turn, texter, "connected", conversation, alias=volunteer.alias)
    turn.session.flush()
    offer_waiting(turn)  # a volunteer with room for another conversation gets the next texter


def decline(turn: Turn, volunteer: Volunteer, offer: Offer) -> None:
    """`#pass`: never offered this texter again; the texter goes on to the next volunteer."""
    offer.status = "declined"
    offer.answered_at = turn.now
    outbox.tell_volunteer(turn, volunteer, "passed", offer.line_number, pseudonym=offer.conversation.texter.pseudonym)
    turn.session.flush()
    offer_waiting(turn)


def expire(turn: Turn, offer_id: int) -> None:
    """The offer's time is up (a timer or the sweeper): move it on. Safe to run twice."""
    offer = turn.session.scalars(select(Offer).where(Offer.id == offer_id).with_for_update()).first()
    if offer is None or offer.status != "pending" or offer.expires_at > turn.now:
        return
    offer.status = "expired"
    offer.answered_at = turn.now
    outbox.tell_volunteer(turn, offer.volunteer, "offer_expired", offer.line_number, pseudonym=offer.conversation.texter.pseudonym)
    turn.session.flush()
    offer_waiting(turn)


def _lock_volunteer(turn: Turn, volunteer: Volunteer) -> None:
    turn.session.execute(select(Volunteer.id).where(Volunteer.id == volunteer.id).with_for_update())


def queue_position(turn: Turn, conversation: Conversation) -> int:
    ahead = turn.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "queued",
            (Conversation.priority > conversation.priority)
            | ((Conversation.priority == conversation.priority) & (Conversation.queued_at < conversation.queued_at))
            | ((Conversation.priority == conversation.priority) & (Conversation.queued_at == conversation.queued_at) & (Conversation.id < conversation.id)),
        )
    )
    return int(ahead or 0) + 1


def anyone_on_shift(turn: Turn) -> bool:
    return bool(
        turn.session.scalar(
            select(func.count()).select_from(Shift).join(Volunteer).where(Shift.ended_at.is_(None), Volunteer.active)
        )
    )
