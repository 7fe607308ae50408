"""Offering waiting texters and callers to volunteers: offers, acceptance, passing and expiry.

Assignment is decided in PostgreSQL transactions: a waiting conversation and the volunteers
considered for it are row-locked (`FOR UPDATE SKIP LOCKED`) before their load is read, and
every change to a volunteer's load holds that volunteer's row lock, so web and worker
processes on any number of hosts never offer one texter twice, never ring one volunteer for
two callers, and never push a volunteer over a limit. The choices themselves are pure:
`routing.matching.choose_volunteer` for a text, `routing.call_flow.volunteers_to_ring` for a call.
A ringing phone is an offer too (`kind` "ring"), so the same unique index that allows one
pending offer per volunteer keeps two calls from ringing the same phone.

The volunteers considered are not every one on shift: SQL orders them by the same preference
as `routing.matching.preference` and locks a small window of the best (`CANDIDATE_WINDOW`),
so routing costs about the same with 10,000 volunteers on shift as with 10. The pure choice
still decides among them; when it refuses a whole window (limits SQL does not judge, such
as cooldowns and lifted limits), the next window is read, so the volunteer chosen is the
one the pure choice would pick among everyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, literal, or_, select, true

from routing import call_flow as call_rules
from routing.limits import (
    AWAITING_OK,
    COOLDOWN,
    MAX_CONCURRENT,
    NO_FREE_LINE_NUMBER,
    ShiftLimits,
    VolunteerState,
    offer_moves_on,
    refusal,
)
from routing.matching import (
    EXPERIENCED,
    TRAINEE_SCOPES,
    TRAINING,
    Floor,
    Hold,
    Seeker,
    choose_volunteer,
    hold_for,
    trainee_may_take,
)
from service.conversations import contact_notes, lifecycle, plans, shifts
from service.db import Call, Conversation, LimitOverride, Offer, Shift, TexterPlan, Volunteer
from service.db.turn import Turn
from service.outbound import outbox

# Conversations examined per dispatch; the rest wait for the next event (or the sweeper).
DISPATCH_BATCH = 25
# Volunteers locked and read at a time, best first, when looking for one for a seeker.
CANDIDATE_WINDOW = 8


def offer_waiting(turn: Turn) -> None:
    """Offer every waiting conversation it can: the most urgent first, then callers before
    texters (a caller is holding the phone; a texter can put theirs down), then the longest
    waiting. A text is offered by SMS; a caller's volunteers are rung."""
    session = turn.session
    has_pending = exists().where(Offer.conversation_id == Conversation.id, Offer.status == "pending")
    caller_ready = exists().where(
        Call.conversation_id == Conversation.id, Call.party == "caller", Call.stage.in_(call_rules.READY_TO_RING)
    )
    waiting = session.scalars(
        select(Conversation)
        .where(Conversation.status == "queued", ~has_pending, (Conversation.channel != "voice") | caller_ready)
        .order_by(
            Conversation.priority.desc(),
            (Conversation.channel == "voice").desc(),
            Conversation.queued_at,
            Conversation.id,
        )
        .limit(DISPATCH_BATCH)
        .with_for_update(skip_locked=True, of=Conversation)
    ).all()
    if not waiting:
        return
    # Volunteers a limit refuses whoever the seeker is: examined once for the whole queue.
    refused: set[int] = set()
    floor = _floor(turn, {conversation.topic for conversation in waiting if conversation.topic is not None})
    preferred = _preferred_volunteers(turn, [conversation.texter_id for conversation in waiting])
    for conversation in waiting:
        seeker = _seeker(turn, conversation, preferred.get(conversation.texter_id))
        if conversation.channel == "voice":
            # A caller is holding the phone: no hold for anyone, only a trainee's scope.
            offered = _ring_best(turn, conversation, seeker, Hold(mentor_on_shift=floor.experienced), refused)
        else:
            hold = hold_for(seeker, floor, turn.runtime.match_rules, turn.now)
            offered = _offer_best(turn, conversation, seeker, hold, refused)
            conversation.held_until = hold.until if not offered else None
        if offered is None:
            return  # nobody at all is free: the rest of the queue waits too


def _floor(turn: Turn, topics: set[str]) -> Floor:
    """Who is on shift, free or busy: whether an experienced volunteer is, and which of the
    waiting texters' `topics` a volunteer on shift shares (a few EXISTS, however many are on shift)."""
    on_shift = and_(Volunteer.active, Volunteer.on_shift)
    experienced = turn.session.scalar(select(exists().where(on_shift, Volunteer.level == EXPERIENCED)))
    shared = {topic for topic in topics if turn.session.scalar(select(exists().where(on_shift, _shares(topic))))}
    return Floor(experienced=bool(experienced), topics=frozenset(shared))


def _shares(topic: str) -> ColumnElement[bool]:
    return (literal(",") + Volunteer.topics + literal(",")).contains(f",{topic},", autoescape=True)


def _admitted(seeker: Seeker, hold: Hold) -> tuple[ColumnElement[bool], bool]:
    """`routing.matching.admits` as an SQL condition, and whether it narrows who is asked."""
    scopes = [scope for scope in TRAINEE_SCOPES if trainee_may_take(scope, seeker, hold)]
    conditions: list[ColumnElement[bool]] = [(Volunteer.level != TRAINING) | Volunteer.trainee_scope.in_(scopes)]
    if hold.experienced_only:
        conditions.append(Volunteer.level == EXPERIENCED)
    if hold.topic is not None:
        conditions.append(_shares(hold.topic))
    narrowed = len(scopes) < len(TRAINEE_SCOPES) or hold.experienced_only or hold.topic is not None
    return and_(*conditions), narrowed


def _offer_best(turn: Turn, conversation: Conversation, seeker: Seeker, hold: Hold, refused: set[int]) -> bool | None:
    """Offer a text (or a callback) to the best volunteer the hold admits. False when nobody
    eligible for this seeker is free; None when nobody at all is."""
    limits = turn.runtime.shift_limits
    admitted, narrowed = _admitted(seeker, hold)
    found_anyone = False
    for window in _candidate_windows(turn, seeker, seeker.passed_by, refused, admitted):
        found_anyone = True
        # A callback is a phone call too: not for a volunteer already on one.
        available = [v for v in window if conversation.channel != "callback" or not v.on_call]
        match = choose_volunteer(seeker, available, limits, turn.now, hold)
        if match is not None:
            _make_offer(
                turn, conversation, match.volunteer_id, match.line_number, match.language_fallback, match.returning
            )
            return True
    return None if not found_anyone and not seeker.passed_by and not narrowed else False


def _ring_best(turn: Turn, conversation: Conversation, seeker: Seeker, hold: Hold, refused: set[int]) -> bool | None:
    """Ring the best eligible volunteers for a caller (`ring_group_size` of them). False when
    nobody eligible for this caller is free; None when nobody at all is."""
    voice = turn.runtime.settings.voice
    missed_at = _missed_rings(turn, conversation)
    ring_again_after = timedelta(minutes=voice.ring_again_after_minutes)
    tried = call_rules.tried(seeker, missed_at, turn.now, ring_again_after)
    admitted, narrowed = _admitted(seeker, hold)
    rung: list[int] = []
    found_anyone = False
    for window in _candidate_windows(turn, seeker, tried, refused, admitted):
        found_anyone = True
        rung += call_rules.volunteers_to_ring(
            seeker,
            window,
            turn.runtime.shift_limits,
            turn.now,
            voice.ring_group_size - len(rung),
            missed_at=missed_at,
            ring_again_after=ring_again_after,
        )
        if len(rung) >= voice.ring_group_size:
            break
    if rung:
        _ring(turn, conversation, tuple(rung))
        return True
    return None if not found_anyone and not tried and not narrowed else False


def _candidate_windows(
    turn: Turn, seeker: Seeker, excluded: frozenset[int], refused: set[int], admitted: ColumnElement[bool]
) -> Iterator[list[VolunteerState]]:
    """The free volunteers on shift, best first for this seeker, `CANDIDATE_WINDOW` at a
    time: each window locked (volunteers another transaction is changing are skipped) and
    then read afresh (a new statement sees everything committed before the locks). Those a
    limit refuses for any seeker are added to `refused`, so the rest of the queue skips them
    (a text refusal for want of a free thread still allows a call)."""
    limits = turn.runtime.shift_limits
    for tier in _tiers(seeker):
        examined: set[int] = set()
        while True:
            locked = turn.session.scalars(_candidates(turn, tier, admitted, excluded | examined | refused)).all()
            if locked:
                window = list(shifts.volunteer_states(turn.session, locked, turn.now).values())
                refused.update(v.volunteer_id for v in window if _refused_for_anyone(v, limits, turn.now))
                yield window
            if len(locked) < CANDIDATE_WINDOW:
                break
            examined.update(locked)


def _refused_for_anyone(volunteer: VolunteerState, limits: ShiftLimits, now: datetime) -> bool:
    found = refusal(volunteer, limits, now)
    return found is not None and found.limit != NO_FREE_LINE_NUMBER


def _tiers(seeker: Seeker) -> list[ColumnElement[bool]]:
    """The first keys of `routing.matching.preference` as SQL conditions, in its order: the
    volunteer the seeker spoke with before; then those who speak the seeker's language before
    those who do not, each with those who let this seeker's offer lapse last. Within a tier
    the index gives the rest of the order: the least loaded, the longest idle, the lowest id."""
    speaks = (literal(",") + Volunteer.languages + literal(",")).contains(f",{seeker.language},", autoescape=True)
    missed = Volunteer.id.in_(seeker.missed_by)
    tiers: list[ColumnElement[bool]] = []
    previous: ColumnElement[bool] = false()
    if seeker.first_choice is not None:
        previous = Volunteer.id == seeker.first_choice
        tiers.append(previous)
    for language in (speaks, ~speaks):
        for lapsed in (~missed, missed) if seeker.missed_by else (true(),):
            tiers.append(and_(~previous, language, lapsed))
    return tiers


def _candidates(
    turn: Turn, tier: ColumnElement[bool], admitted: ColumnElement[bool], excluded: frozenset[int] | set[int]
) -> Select[int]:
    """The next window of a tier, walking ix_volunteers_dispatch. SQL keeps those the limits
    could allow, the same limits as `routing.limits.refusal` with a limit a supervisor lifted
    counted as lifted (on shift, not on a break, no pending offer, not cooling down, not
    awaiting an ok, under their concurrency limit); the pure choice judges the rest (wrap-up,
    conversations this shift, a free thread) and decides. A looser filter would make a busy
    line walk, and lock, every volunteer on shift for each waiting texter."""
    limits = turn.runtime.shift_limits
    pending_offer = exists().where(Offer.volunteer_id == Volunteer.id, Offer.status == "pending")

    def lifted(limit: str) -> ColumnElement[bool]:
        return exists().where(
            LimitOverride.volunteer_id == Volunteer.id, LimitOverride.limit == limit, LimitOverride.until > turn.now
        )

    active = Volunteer.active_conversations
    # routing.limits.concurrency_limit: their own limit and the line's, or the number pool's when lifted.
    under_own_limit = and_(
        active < limits.max_concurrent, Volunteer.max_concurrent.is_(None) | (active < Volunteer.max_concurrent)
    )
    query = (
        select(Volunteer.id)
        .where(
            Volunteer.active,
            Volunteer.on_shift,
            tier,
            admitted,
            ~pending_offer,
            Volunteer.break_until.is_(None) | (Volunteer.break_until <= turn.now),
            or_(Volunteer.cooldown_until.is_(None), Volunteer.cooldown_until <= turn.now, lifted(COOLDOWN)),
            or_(~Volunteer.awaiting_ok, lifted(AWAITING_OK)),
            active < len(limits.line_numbers),
            under_own_limit | lifted(MAX_CONCURRENT),
        )
        .order_by(Volunteer.active_conversations, Volunteer.last_assigned_at.asc().nulls_first(), Volunteer.id)
        .limit(CANDIDATE_WINDOW)
        .with_for_update(skip_locked=True)
    )
    if excluded:
        query = query.where(Volunteer.id.not_in(excluded))
    return query


def _preferred_volunteers(turn: Turn, texter_ids: list[int]) -> dict[int, int]:
    """The volunteer each texter's plan names, for the texters that have one (one query)."""
    return {
        texter_id: volunteer_id
        for texter_id, volunteer_id in turn.session.execute(
            select(TexterPlan.texter_id, TexterPlan.preferred_volunteer_id).where(
                TexterPlan.texter_id.in_(texter_ids), TexterPlan.preferred_volunteer_id.is_not(None)
            )
        )
        if volunteer_id is not None
    }


def _seeker(turn: Turn, conversation: Conversation, preferred: int | None = None) -> Seeker:
    answered = turn.session.execute(
        select(Offer.volunteer_id, Offer.status).where(
            Offer.conversation_id == conversation.id, Offer.status.in_(("declined", "expired"))
        )
    ).all()
    return Seeker(
        conversation_id=conversation.id,
        language=conversation.language,
        previous_volunteer_id=conversation.texter.last_volunteer_id,
        passed_by=frozenset(v for v, status in answered if status == "declined"),
        missed_by=frozenset(v for v, status in answered if status == "expired"),
        risk_level=conversation.risk_level,
        queued_at=conversation.queued_at,
        topic=conversation.topic,
        preferred_volunteer_id=preferred,
    )


def _ring(turn: Turn, conversation: Conversation, volunteer_ids: tuple[int, ...]) -> None:
    """Reserve volunteers for a caller: a ring offer each, from the line number the caller
    dialled (their phones show it as caller ID). A caller answered by this very webhook hears
    the ringing in its TwiML; a caller on hold is redirected to it by a job."""
    call = turn.session.scalars(
        select(Call).where(Call.conversation_id == conversation.id, Call.party == "caller").with_for_update()
    ).one()
    expires_at = turn.now + timedelta(seconds=turn.runtime.settings.voice.ring_seconds)
    for volunteer_id in volunteer_ids:
        offer = Offer(
            conversation_id=conversation.id,
            volunteer_id=volunteer_id,
            line_number=call.line_number,
            kind="ring",
            status="pending",
            created_at=turn.now,
            expires_at=expires_at,
        )
        turn.session.add(offer)
        turn.session.flush()
        turn.schedule("expire_offer", offer.id, expires_at)
    if call.stage == call_rules.HOLDING:
        call.stage = call_rules.PULLING
        turn.schedule("ring_held_caller", call.id, turn.now)
    else:
        call.stage = call_rules.RINGING


def _missed_rings(turn: Turn, conversation: Conversation) -> dict[int, datetime]:
    """When each volunteer last missed this caller's ring."""
    rows = turn.session.execute(
        select(Offer.volunteer_id, func.max(Offer.answered_at))
        .where(Offer.conversation_id == conversation.id, Offer.kind == "ring", Offer.status == "expired")
        .group_by(Offer.volunteer_id)
    )
    return {
        volunteer_id: missed_at
        for volunteer_id, missed_at in rows
        if volunteer_id is not None and missed_at is not None
    }


def _make_offer(
    turn: Turn,
    conversation: Conversation,
    volunteer_id: int,
    line_number: str,
    language_fallback: bool,
    returning: bool,
) -> None:
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
    backlog = lifecycle.texter_backlog(turn, conversation)
    preview = " / ".join(backlog)
    if len(preview) > settings.offer_preview_chars:
        preview = preview[: settings.offer_preview_chars].rstrip() + "…"
    language_note = ""
    if conversation.language != turn.runtime.settings.line.languages[0] or language_fallback:
        language_note = texts.for_volunteer(
            "offer_language_note", volunteer.staff_language, language_name=texts.language(conversation.language).name
        )
    body = texts.for_volunteer(
        "offer_callback" if conversation.channel == "callback" else "offer",
        volunteer.staff_language,
        pseudonym=texter.pseudonym,
        preview=preview,
        timeout=settings.offer_timeout_seconds,
        language_note=language_note,
    )
    if returning:
        body += texts.for_volunteer("returning_note", volunteer.staff_language)
    if conversation.topic is not None and conversation.topic in volunteer.topic_codes:
        body += texts.for_volunteer(
            "offer_topic_note", volunteer.staff_language, topic=conversation.topic.replace("_", " ")
        )
    if conversation.risk_level != "none":
        body = (
            texts.for_volunteer("offer_risk_note", volunteer.staff_language, level=conversation.risk_level.upper())
            + body
        )
    outbox.to_volunteer(turn, volunteer, body, line_number, conversation)
    if language_fallback and not conversation.language_fallback_told:
        conversation.language_fallback_told = True
        outbox.tell_texter(
            turn, texter, "language_fallback", conversation, language_name=texts.language(conversation.language).name
        )
    turn.schedule("expire_offer", offer.id, offer.expires_at)


def focus_on_danger(turn: Turn, volunteer_id: int) -> None:
    """One of the volunteer's conversations has just come into imminent danger: no new texter
    for them until the supervisor acknowledges (`routing.limits.FOCUS`), and the offer pending
    to them, if any, goes on to the next volunteer at once. (A phone ringing for them is left
    to its own short timeout: the caller's <Dial> is already under way.)"""
    state = shifts.volunteer_states(turn.session, [volunteer_id], turn.now)[volunteer_id]
    if not offer_moves_on(state):
        return
    offer = turn.session.scalars(
        select(Offer)
        .where(Offer.volunteer_id == volunteer_id, Offer.status == "pending", Offer.kind == "text")
        .with_for_update()
    ).first()
    if offer is None:
        return
    offer.status = "withdrawn"
    offer.answered_at = turn.now
    texter = offer.conversation.texter
    outbox.tell_volunteer(turn, offer.volunteer, "offer_moved_on_focus", offer.line_number, pseudonym=texter.pseudonym)
    turn.session.flush()
    offer_waiting(turn)


def offer_after_risk(turn: Turn, conversation: Conversation) -> None:
    """A waiting texter has just been flagged at risk: an offer pending to a trainee who may
    take only texters without risk goes on to the next volunteer at once."""
    offer = turn.session.scalars(
        select(Offer)
        .where(Offer.conversation_id == conversation.id, Offer.status == "pending", Offer.kind == "text")
        .with_for_update()
    ).first()
    if offer is None:
        return
    volunteer = offer.volunteer
    if volunteer.level != TRAINING or trainee_may_take(volunteer.trainee_scope, _seeker(turn, conversation), Hold()):
        return
    offer.status = "withdrawn"
    offer.answered_at = turn.now
    outbox.tell_volunteer(
        turn, volunteer, "offer_moved_on_risk", offer.line_number, pseudonym=conversation.texter.pseudonym
    )
    turn.session.flush()
    offer_waiting(turn)


def pending_offer(turn: Turn, volunteer: Volunteer) -> Offer | None:
    """The offer a volunteer's `#yes` or `#pass` answers (a ringing phone is answered by pressing 1)."""
    return turn.session.scalars(
        select(Offer)
        .where(Offer.volunteer_id == volunteer.id, Offer.status == "pending", Offer.kind == "text")
        .with_for_update()
    ).first()


def assign(turn: Turn, volunteer: Volunteer, offer: Offer) -> Conversation:
    """The offer's conversation becomes the volunteer's and counts toward their shift: on
    `#yes`, and when a caller's volunteer presses 1. A caller's call holds no text thread."""
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == offer.conversation_id).with_for_update()
    ).one()
    _lock_volunteer(turn, volunteer)
    offer.status = "accepted"
    offer.answered_at = turn.now
    conversation.status = "active"
    conversation.volunteer_id = volunteer.id
    conversation.line_number = None if conversation.channel == "voice" else offer.line_number
    if conversation.line_number is not None:
        contact_notes.close_for_thread(turn, volunteer, conversation.line_number)
    conversation.assigned_at = turn.now
    if conversation.topic is not None:  # for the reports: how often a named topic was matched
        conversation.topic_matched = conversation.topic in volunteer.topic_codes
    volunteer.last_assigned_at = turn.now
    shift = shifts.open_shift(turn.session, volunteer.id)
    if shift is not None:
        shift.conversations_taken += 1
    return conversation


def accept(turn: Turn, volunteer: Volunteer, offer: Offer) -> None:
    """`#yes`: the conversation becomes the volunteer's, in the offer's thread; both are told,
    and the volunteer gets what the texter wrote while waiting."""
    conversation = assign(turn, volunteer, offer)
    texter = conversation.texter
    texter.last_volunteer_id = volunteer.id
    outbox.tell_volunteer(turn, volunteer, "accepted", offer.line_number, conversation, pseudonym=texter.pseudonym)
    history = contact_notes.history_for_volunteer(turn, conversation)
    if history:
        outbox.to_volunteer(turn, volunteer, history, offer.line_number, conversation)
    plans.tell_on_accept(turn, volunteer, conversation, offer.line_number)
    backlog = lifecycle.texter_backlog(turn, conversation)
    if backlog:
        outbox.tell_volunteer(
            turn,
            volunteer,
            "backlog",
            offer.line_number,
            conversation,
            pseudonym=texter.pseudonym,
            text="\n".join(backlog),
        )
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
    if offer.kind == "ring":
        _ring_lapsed(turn, offer)
    else:
        offer.status = "expired"
        offer.answered_at = turn.now
        outbox.tell_volunteer(
            turn, offer.volunteer, "offer_expired", offer.line_number, pseudonym=offer.conversation.texter.pseudonym
        )
    turn.session.flush()
    offer_waiting(turn)


def _ring_lapsed(turn: Turn, offer: Offer) -> None:
    """A ring Twilio never reported on (the <Dial> action settles it normally). A caller still
    waiting for the redirect out of the hold queue never reached that phone: the volunteer
    is released untried and the caller is on hold again, to be rung anew."""
    call = turn.session.scalars(
        select(Call).where(Call.conversation_id == offer.conversation_id, Call.party == "caller").with_for_update()
    ).first()
    pulling = call is not None and call.stage == call_rules.PULLING
    offer.status = "withdrawn" if pulling else "expired"
    offer.answered_at = offer.answered_at or turn.now
    turn.session.flush()
    if call is not None and pulling and not ring_offers(turn, offer.conversation_id):
        call.stage = call_rules.HOLDING


def ring_offers(turn: Turn, conversation_id: int) -> list[Offer]:
    """The volunteers reserved (their phones ringing, or about to) for a caller."""
    return list(
        turn.session.scalars(
            select(Offer)
            .where(Offer.conversation_id == conversation_id, Offer.kind == "ring", Offer.status == "pending")
            .order_by(Offer.id)
        )
    )


def _lock_volunteer(turn: Turn, volunteer: Volunteer) -> None:
    turn.session.execute(select(Volunteer.id).where(Volunteer.id == volunteer.id).with_for_update())


def queue_position(turn: Turn, conversation: Conversation) -> int:
    ahead = turn.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .where(
            Conversation.status == "queued",
            Conversation.channel == conversation.channel,
            ahead_of(conversation),
        )
    )
    return int(ahead or 0) + 1


def ahead_of(conversation: Conversation) -> ColumnElement[bool]:
    """Conversations the dispatcher offers before this one: higher priority, then waiting
    longer, then older."""
    return (
        (Conversation.priority > conversation.priority)
        | ((Conversation.priority == conversation.priority) & (Conversation.queued_at < conversation.queued_at))
        | (
            (Conversation.priority == conversation.priority)
            & (Conversation.queued_at == conversation.queued_at)
            & (Conversation.id < conversation.id)
        )
    )


def anyone_on_shift(turn: Turn) -> bool:
    return bool(
        turn.session.scalar(
            select(exists().where(Shift.volunteer_id == Volunteer.id, Shift.ended_at.is_(None), Volunteer.active))
        )
    )
