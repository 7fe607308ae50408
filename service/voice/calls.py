"""A call to the line, step by step: the greeting and its menu, ringing volunteers, the hold
queue, the crisis line, and how the call ends.

Each webhook is one turn: it moves the call's stage (routing.call_flow) under the conversation's
row lock and returns the next `Step` for whoever is on the line; service/voice/blueprint.py renders it
as TwiML. Steps are computed from the stored stage, so a webhook Twilio repeats gets the
same answer and changes nothing twice. No step carries the caller's number.

Pulling a caller out of the hold queue: when a volunteer becomes free, the dispatcher
reserves them for the longest-waiting caller (a ring offer, under the same row locks as a
text offer) and a job redirects that call through Twilio's REST API to `/twilio/voice/ring`,
whose <Dial> rings the volunteer like any other round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from routing import call_flow as rules
from service.conversations import dispatch, lifecycle
from service.conversations.retention import purge_texter
from service.db import Call, Conversation, Offer, Texter, Volunteer
from service.db.turn import Turn, run_turn
from service.db.vault import PURGED
from service.outbound import outbox
from service.outbound.twilio_gateway import CALL_GONE, Accepted, Permanent, Retryable, TwilioGateway
from service.phones import is_anonymous_caller
from service.runtime import Runtime
from service.sms import texters

log = logging.getLogger(__name__)

# Twilio's CallStatus values after which the call is over.
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "canceled", "failed"})
# Twilio ends any call after 4 hours; a caller's call still open long after that lost its end.
LONGEST_CALL = timedelta(hours=4, minutes=15)
# The job that moves an answered call into its conference (service/voice/conference.py).
MOVE_TO_CONFERENCE = "move_call_to_conference"
# Seconds before a failed redirect out of the hold queue is tried again.
PULL_RETRY_SECONDS = 2

CLOSE_REASONS = {
    rules.ABANDONED: "caller_hung_up",
    rules.UNANSWERED: "nobody_free",
    rules.CRISIS_LINE: "crisis_line",
    rules.PARTNER_LINE: "partner_line",
    rules.CALLBACK: "callback_requested",
    rules.TEXT_INSTEAD: "text_instead",
}


# --- Steps: what the caller (or a volunteer's phone) is told next -----------------------------


@dataclass(frozen=True)
class Greeting:
    call_id: int
    language: str


@dataclass(frozen=True)
class Ringing:
    """A <Dial> round: each volunteer's phone with the whisper of its ring offer."""

    call_id: int
    language: str
    line_number: str
    phones: tuple[tuple[int, str], ...]  # (offer id, volunteer's phone)
    announce: bool


@dataclass(frozen=True)
class OnHold:
    call_id: int
    language: str


@dataclass(frozen=True)
class HoldNotice:
    """Played on hold (the queue's wait URL), then played again: the caller's place, the keys."""

    call_id: int
    language: str
    position: int
    can_text: bool
    volunteer_coming: bool


@dataclass(frozen=True)
class LeaveHold:
    """Out of the hold queue; the queue's action URL says what comes next."""


@dataclass(frozen=True)
class CrisisLine:
    language: str
    line_number: str


@dataclass(frozen=True)
class PartnerLine:
    """Nobody is on shift and the line has a partner: the call rolls over to it."""

    language: str
    line_number: str
    partner_line: str


@dataclass(frozen=True)
class Closing:
    """Nobody could take the call: the hours, the crisis line and, when possible, a callback."""

    call_id: int
    language: str
    nobody_on_shift: bool
    callback: bool


@dataclass(frozen=True)
class Goodbye:
    language: str
    key: str


@dataclass(frozen=True)
class Whisper:
    """Spoken to a volunteer who picked up: press 1 to take the call."""

    offer_id: int
    text: str


@dataclass(frozen=True)
class Outage:
    """The database is unreachable: say so, and keep the crisis line one key away."""

    language: str


@dataclass(frozen=True)
class Continue:
    """An empty answer: after a whisper, connect; after a redirect, nothing to add."""


@dataclass(frozen=True)
class HangUp:
    pass


Step = (
    Greeting
    | Ringing
    | OnHold
    | HoldNotice
    | LeaveHold
    | CrisisLine
    | PartnerLine
    | Closing
    | Goodbye
    | Whisper
    | Outage
    | Continue
    | HangUp
)


@dataclass(frozen=True)
class IncomingCall:
    """What the service needs of Twilio's incoming-call webhook, numbers normalised."""

    sid: str
    caller: str
    line_number: str


# --- The caller's call, webhook by webhook ----------------------------------------------------


def incoming(runtime: Runtime, call: IncomingCall, now: datetime) -> tuple[Step, Turn]:
    """A call to the line opens a conversation (channel voice) for the caller, known like a
    texter by a pseudonym, and greets them. A repeated webhook greets again, changing nothing."""

    def work(turn: Turn) -> Step:
        known = turn.session.scalars(select(Call).where(Call.call_sid == call.sid)).first()
        if known is not None:
            return _current_step(turn, known, known.conversation)
        texter = _caller(turn, call)
        _end_earlier(turn, texter)
        conversation = lifecycle.open_queued(turn, texter, "voice")
        record = Call(
            conversation_id=conversation.id,
            call_sid=call.sid,
            party="caller",
            direction="inbound",
            line_number=call.line_number,
            stage=rules.GREETING,
            started_at=turn.now,
        )
        turn.session.add(record)
        turn.session.flush()
        log.info("call.incoming call=%d pseudonym=%s", record.id, texter.pseudonym)
        return Greeting(record.id, conversation.language)

    return run_turn(runtime, now, work)


def menu(runtime: Runtime, call_id: int, digits: str, speech: str, now: datetime) -> tuple[Step, Turn]:
    """The greeting's answer: 9 (or "crisis") dials the crisis line at once; a language key
    switches language; anything else, or nothing, goes on to the volunteers."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return HangUp()
        call, conversation = locked
        if call.stage != rules.GREETING:
            return _current_step(turn, call, conversation)
        texts = turn.runtime.texts
        choice = rules.read_menu(
            digits,
            speech,
            texts.languages,
            crisis_words=[word for code in texts.languages for word in texts.language(code).voice.crisis_words],
            language_words={code: texts.language(code).voice.choose_words for code in texts.languages},
        )
        if choice.crisis:
            return _to_crisis_line(turn, call, conversation)
        if choice.language is not None:
            conversation.language = choice.language
            conversation.texter.language = choice.language
            conversation.texter.language_chosen = True
        return _find_volunteer(turn, call, conversation, announce=True)

    return run_turn(runtime, now, work)


def ring(runtime: Runtime, call_id: int, now: datetime) -> tuple[Step, Turn]:
    """A caller redirected out of the hold queue: ring the volunteers reserved for them (or,
    when the reservation lapsed meanwhile, look again)."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return HangUp()
        call, conversation = locked
        if call.stage != rules.PULLING:
            return _current_step(turn, call, conversation)
        if dispatch.ring_offers(turn, conversation.id):
            call.stage = rules.RINGING
            return _ringing(turn, call, conversation, announce=False)
        return _find_volunteer(turn, call, conversation, announce=False)

    return run_turn(runtime, now, work)


def whisper(runtime: Runtime, offer_id: int, now: datetime) -> tuple[Step, Turn]:
    """A volunteer's phone picked up (or their voicemail did): ask them to press 1. The offer
    stays pending, so they stay reserved, until they press a key or the round ends."""

    def work(turn: Turn) -> Step:
        offer = turn.session.scalars(select(Offer).where(Offer.id == offer_id).with_for_update()).first()
        if offer is None or offer.kind != "ring" or offer.status != "pending":
            return HangUp()
        offer.answered_at = turn.now
        conversation, texts = offer.conversation, turn.runtime.texts
        language_note = ""
        if conversation.language != texts.languages[0]:
            language_note = texts.for_volunteer(
                "call_whisper_language", language_name=texts.language(conversation.language).name
            )
        returning = conversation.texter.last_volunteer_id == offer.volunteer_id
        text = texts.for_volunteer(
            "call_whisper",
            pseudonym=conversation.texter.pseudonym,
            language_note=language_note,
            returning_note=texts.for_volunteer("call_whisper_returning") if returning else "",
        )
        return Whisper(offer.id, text)

    return run_turn(runtime, now, work)


def whisper_answer(runtime: Runtime, offer_id: int, digits: str, leg_sid: str, now: datetime) -> tuple[Step, Turn]:
    """1 takes the call: it becomes the volunteer's conversation, counted toward their shift,
    and the other phones of the round are released. Any other key passes on this caller."""

    def work(turn: Turn) -> Step:
        volunteer_id = turn.session.scalar(select(Offer.volunteer_id).where(Offer.id == offer_id))
        if volunteer_id is None:
            return HangUp()
        volunteer = turn.session.scalars(select(Volunteer).where(Volunteer.id == volunteer_id).with_for_update()).one()
        offer = turn.session.scalars(select(Offer).where(Offer.id == offer_id).with_for_update()).one()
        if offer.kind != "ring" or offer.status != "pending":
            # A repeated press 1 must not cut the call; a text offer's id names no call at all.
            taken = (
                offer.kind == "ring"
                and offer.status == "accepted"
                and caller_call(turn, offer.conversation_id).volunteer_leg_sid == leg_sid
            )
            return Continue() if taken else HangUp()
        if digits.strip()[:1] != rules.ACCEPT_KEY:
            offer.status = "declined"
            offer.answered_at = turn.now
            turn.session.flush()
            dispatch.offer_waiting(turn)
            return HangUp()
        conversation = dispatch.assign(turn, volunteer, offer)
        call = caller_call(turn, conversation.id)
        call.stage = rules.CONNECTED
        call.answered_at = turn.now
        call.volunteer_leg_sid = leg_sid
        for other in dispatch.ring_offers(turn, conversation.id):
            other.status = "withdrawn"
            other.answered_at = turn.now
        outbox.tell_volunteer(
            turn, volunteer, "call_connected", conversation=conversation, pseudonym=conversation.texter.pseudonym
        )
        turn.session.flush()
        # Into a conference of its own at once, where supervisors and the crisis line can join
        # (service/voice/conference.py); the whisper has done its work by now.
        turn.schedule(MOVE_TO_CONFERENCE, call.id, turn.now)
        dispatch.offer_waiting(turn)  # the released phones may ring for someone else
        log.info("call.connected call=%d volunteer=%d", call.id, volunteer.id)
        return Continue()

    return run_turn(runtime, now, work)


def dial_result(
    runtime: Runtime,
    call_id: int,
    call_status: str,
    now: datetime,
    into_conference: Callable[[Turn, Call, Conversation], Any],
) -> tuple[Any, Turn]:
    """The <Dial> round is over. A call that moved into its conference takes the caller there
    (`into_conference`, service/voice/conference.py); after a conversation the caller (if still
    on the line) hears goodbye; otherwise the round is settled and the next volunteers are
    rung, or the caller holds, or hears the hours."""

    def work(turn: Turn) -> Any:
        locked = lock_call(turn, call_id)
        if locked is None:
            return HangUp()
        call, conversation = locked
        caller_gone = call_status in FINAL_STATUSES
        if call.stage == rules.CONFERENCE:
            if caller_gone:
                close_call(turn, call, conversation, rules.ANSWERED)
                return HangUp()
            return into_conference(turn, call, conversation)
        if call.stage == rules.CONNECTED:
            close_call(turn, call, conversation, rules.ANSWERED)
            return HangUp() if caller_gone else Goodbye(conversation.language, "call_ended")
        if call.stage != rules.RINGING:
            return _current_step(turn, call, conversation)
        offers = dispatch.ring_offers(turn, conversation.id)
        fates = rules.settle_round([rules.RingLeg(offer.id, offer.answered_at is not None) for offer in offers])
        for offer in offers:
            offer.status = fates[offer.id]
            offer.answered_at = offer.answered_at or turn.now
        turn.session.flush()
        if caller_gone:
            close_call(turn, call, conversation, rules.ABANDONED)
            return HangUp()
        return _find_volunteer(turn, call, conversation, announce=False)

    return run_turn(runtime, now, work)


def wait(runtime: Runtime, call_id: int, now: datetime) -> tuple[Step, Turn]:
    """The hold queue's wait URL, requested again each time its announcement ends. Each visit
    is also a dispatch (a volunteer free now is rung at once), and past the longest hold the
    caller leaves the queue to hear the hours, the crisis line and the offer of a callback."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return LeaveHold()
        call, conversation = locked
        if call.stage == rules.HOLDING:
            dispatch.offer_waiting(turn)
        if call.stage not in (rules.HOLDING, rules.PULLING):
            return LeaveHold()
        hold_started_at = call.hold_started_at or turn.now
        if call.stage == rules.HOLDING and rules.hold_is_over(
            hold_started_at, turn.now, turn.runtime.settings.voice.max_hold_minutes
        ):
            call.stage = rules.CLOSING
            return LeaveHold()
        return _hold_notice(turn, call, conversation)

    return run_turn(runtime, now, work)


def wait_choice(runtime: Runtime, call_id: int, digits: str, now: datetime) -> tuple[Step, Turn]:
    """A key pressed on hold: 9 the crisis line, 2 continue by text (keeping their place)."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return LeaveHold()
        call, conversation = locked
        if call.stage not in (rules.HOLDING, rules.PULLING):
            return LeaveHold()
        key = digits.strip()[:1]
        if key == rules.CRISIS_KEY:
            _to_crisis_line(turn, call, conversation)
            return LeaveHold()
        if key == rules.TEXT_KEY and _can_text(conversation.texter):
            _continue_by_text(turn, call, conversation)
            return LeaveHold()
        return _hold_notice(turn, call, conversation)

    return run_turn(runtime, now, work)


def queue_result(runtime: Runtime, call_id: int, result: str, call_status: str, now: datetime) -> tuple[Step, Turn]:
    """The caller left the hold queue (the <Enqueue> action): say what comes next."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return HangUp()
        call, conversation = locked
        if result == "redirected":
            return Continue()  # the REST redirect's own TwiML is what the caller hears
        if call_status in FINAL_STATUSES or result == "hangup":
            if call.stage not in (rules.DONE, rules.ENDED):
                close_call(turn, call, conversation, rules.ABANDONED)
            return HangUp()
        if call.stage in (rules.HOLDING, rules.PULLING):  # thrown out of the queue (full, error)
            call.stage = rules.CLOSING
        return _current_step(turn, call, conversation)

    return run_turn(runtime, now, work)


def closing_choice(runtime: Runtime, call_id: int, digits: str, now: datetime) -> tuple[Step, Turn]:
    """After the hours: 1 asks for a callback (a request volunteers take with #yes), 9 the
    crisis line; anything else, goodbye."""

    def work(turn: Turn) -> Step:
        locked = lock_call(turn, call_id)
        if locked is None:
            return HangUp()
        call, conversation = locked
        if call.stage != rules.CLOSING:
            return _current_step(turn, call, conversation)
        key = digits.strip()[:1]
        if key == rules.CRISIS_KEY:
            return _to_crisis_line(turn, call, conversation)
        call.stage = rules.DONE
        if key == rules.CALLBACK_KEY and _can_call_back(turn, conversation.texter):
            _request_callback(turn, conversation)
            close_call(turn, call, conversation, rules.CALLBACK)
            log.info("call.callback_requested call=%d", call.id)
            return Goodbye(conversation.language, "callback_recorded")
        close_call(turn, call, conversation, rules.UNANSWERED)
        return Goodbye(conversation.language, "goodbye")

    return run_turn(runtime, now, work)


def end_if_lost(turn: Turn, call_id: int) -> None:
    """A caller's call Twilio must have ended long ago (it ends every call within 4 hours)
    whose end never reached us: close it so its volunteer is free again (the sweeper)."""
    locked = lock_call(turn, call_id)
    if locked is None:
        return
    call, conversation = locked
    if call.ended_at is not None or call.started_at > turn.now - LONGEST_CALL:
        return
    call.ended_at = turn.now
    outcome = rules.ANSWERED if call.stage in (rules.CONNECTED, rules.CONFERENCE) else rules.ABANDONED
    call.stage = rules.ENDED
    close_call(turn, call, conversation, outcome)


# --- Taking a caller out of the hold queue (a job) --------------------------------------------


def pull_from_hold(runtime: Runtime, gateway: TwilioGateway, call_id: int, now: datetime) -> Turn | None:
    """Redirect a held caller, for whom volunteers are reserved, to the TwiML that rings them.
    Safe to run twice: only a call still waiting for its redirect is redirected."""
    sid = run_turn(runtime, now, lambda turn: _sid_to_pull(turn, call_id))[0]
    if sid is None:
        return None
    outcome = gateway.redirect_call(sid, f"{runtime.settings.public_url}/twilio/voice/ring?call={call_id}")
    if isinstance(outcome, Accepted):
        log.info("call.pulled call=%d", call_id)
        return None
    return run_turn(runtime, now, lambda turn: _pull_failed(turn, call_id, outcome))[1]


def _sid_to_pull(turn: Turn, call_id: int) -> str | None:
    call = turn.session.get(Call, call_id)
    if call is None or call.stage != rules.PULLING:
        return None
    return call.call_sid


def _pull_failed(turn: Turn, call_id: int, outcome: object) -> None:
    """A retryable failure is tried again (the ring offers' expiry bounds it); a call Twilio
    no longer has has ended; anything else waits for the reservation to lapse, after which the
    caller is on hold again and rung anew."""
    locked = lock_call(turn, call_id)
    if locked is None:
        return
    call, conversation = locked
    if call.stage != rules.PULLING:
        return
    log.warning("call.pull_failed call=%d outcome=%s", call.id, type(outcome).__name__)
    if isinstance(outcome, Retryable):
        turn.schedule("ring_held_caller", call.id, turn.now + timedelta(seconds=PULL_RETRY_SECONDS))
    elif isinstance(outcome, Permanent) and outcome.code in CALL_GONE:
        call.stage = rules.ENDED
        call.ended_at = turn.now
        close_call(turn, call, conversation, rules.ABANDONED)


# --- Shared moves -----------------------------------------------------------------------------


def lock_call(turn: Turn, call_id: int) -> tuple[Call, Conversation] | None:
    """The call and its conversation, locked in the order every path takes: the volunteer
    (when the conversation has one), the conversation, then the call."""
    row = turn.session.execute(
        select(Call.conversation_id, Conversation.volunteer_id)
        .join(Conversation, Call.conversation_id == Conversation.id)
        .where(Call.id == call_id)
    ).first()
    if row is None:
        return None
    if row.volunteer_id is not None:
        turn.session.execute(select(Volunteer.id).where(Volunteer.id == row.volunteer_id).with_for_update())
    conversation = turn.session.scalars(
        select(Conversation).where(Conversation.id == row.conversation_id).with_for_update()
    ).one()
    call = turn.session.scalars(select(Call).where(Call.id == call_id).with_for_update()).one()
    return call, conversation


def caller_call(turn: Turn, conversation_id: int) -> Call:
    return turn.session.scalars(
        select(Call).where(Call.conversation_id == conversation_id, Call.party == "caller").with_for_update()
    ).one()


def _find_volunteer(turn: Turn, call: Call, conversation: Conversation, announce: bool) -> Step:
    """Ring the best volunteers free now; else hold while anyone is on shift; else the hours."""
    call.stage = rules.WAITING
    turn.session.flush()
    dispatch.offer_waiting(turn)
    if call.stage == rules.RINGING:
        return _ringing(turn, call, conversation, announce)
    if dispatch.anyone_on_shift(turn):
        call.stage = rules.HOLDING
        call.hold_started_at = call.hold_started_at or turn.now
        return OnHold(call.id, conversation.language)
    partner_line = turn.runtime.settings.rota.partner_line
    if partner_line:
        call.stage = rules.DONE
        close_call(turn, call, conversation, rules.PARTNER_LINE)
        log.info("call.partner_line call=%d", call.id)
        return PartnerLine(conversation.language, call.line_number, partner_line)
    call.stage = rules.CLOSING
    return _closing(turn, call, conversation)


def _ringing(turn: Turn, call: Call, conversation: Conversation, announce: bool) -> Step:
    offers = dispatch.ring_offers(turn, conversation.id)
    if not offers:
        return _find_volunteer(turn, call, conversation, announce)
    phones = tuple((offer.id, offer.volunteer.phone) for offer in offers)
    return Ringing(call.id, conversation.language, call.line_number, phones, announce)


def _closing(turn: Turn, call: Call, conversation: Conversation) -> Closing:
    return Closing(
        call.id,
        conversation.language,
        nobody_on_shift=not dispatch.anyone_on_shift(turn),
        callback=_can_call_back(turn, conversation.texter),
    )


def _current_step(turn: Turn, call: Call, conversation: Conversation) -> Step:
    """What a repeated webhook answers: the step of the stage the call is in."""
    match call.stage:
        case rules.GREETING:
            return Greeting(call.id, conversation.language)
        case rules.RINGING:
            return _ringing(turn, call, conversation, announce=False)
        case rules.HOLDING | rules.PULLING:
            return OnHold(call.id, conversation.language)
        case rules.CLOSING:
            return _closing(turn, call, conversation)
        case rules.DONE if call.outcome == rules.CRISIS_LINE:
            return CrisisLine(conversation.language, call.line_number)
        case rules.DONE if call.outcome == rules.PARTNER_LINE and turn.runtime.settings.rota.partner_line:
            return PartnerLine(conversation.language, call.line_number, turn.runtime.settings.rota.partner_line)
        case rules.DONE if call.outcome == rules.CALLBACK:
            return Goodbye(conversation.language, "callback_recorded")
        case rules.DONE if call.outcome == rules.TEXT_INSTEAD:
            return Goodbye(conversation.language, "text_sent")
        case rules.DONE:
            return Goodbye(conversation.language, "goodbye")
        case rules.CONNECTED:
            return Continue()
    return HangUp()


def _to_crisis_line(turn: Turn, call: Call, conversation: Conversation) -> CrisisLine:
    call.stage = rules.DONE
    close_call(turn, call, conversation, rules.CRISIS_LINE)
    log.info("call.crisis_line call=%d", call.id)
    return CrisisLine(conversation.language, call.line_number)


def close_call(turn: Turn, call: Call, conversation: Conversation, outcome: str) -> None:
    """The line's part of the call is over: record the outcome once and close the
    conversation, which frees its volunteer (with any cooldown or check-in) and releases
    reserved phones; then the next waiting caller or texter is offered."""
    if call.outcome is None:
        call.outcome = outcome
    if conversation.status == "closed":
        return
    conversation.last_texter_at = turn.now
    lifecycle.close(
        turn, conversation, "call_ended" if conversation.status == "active" else CLOSE_REASONS[call.outcome]
    )
    dispatch.offer_waiting(turn)


def _request_callback(turn: Turn, conversation: Conversation) -> None:
    """A callback request is a conversation of its own, queued and offered to volunteers by
    text like a texter (service/callbacks carries it on once a volunteer says #yes)."""
    turn.session.add(
        Conversation(
            texter=conversation.texter,
            channel="callback",
            status="queued",
            language=conversation.language,
            priority=conversation.priority,
            created_at=turn.now,
            queued_at=turn.now,
            last_texter_at=turn.now,
        )
    )
    turn.session.flush()


def _continue_by_text(turn: Turn, call: Call, conversation: Conversation) -> None:
    """The caller would rather text: a text conversation keeps their place in line (their
    call's queue time) and starts with a text to them; the call ends politely."""
    texter = conversation.texter
    texting = turn.session.scalars(
        select(Conversation).where(
            Conversation.texter_id == texter.id,
            Conversation.channel == "sms",
            Conversation.status.in_(("queued", "active")),
        )
    ).first()
    if texting is None:
        texting = Conversation(
            texter=texter,
            channel="sms",
            status="queued",
            language=conversation.language,
            priority=conversation.priority,
            created_at=turn.now,
            queued_at=conversation.queued_at,
            last_texter_at=turn.now,
        )
        turn.session.add(texting)
        turn.session.flush()
    outbox.tell_texter(turn, texter, "call_to_text", texting)
    call.stage = rules.DONE
    close_call(turn, call, conversation, rules.TEXT_INSTEAD)


def _hold_notice(turn: Turn, call: Call, conversation: Conversation) -> HoldNotice:
    """What a caller on hold hears next: their place, and the keys they may press."""
    position, can_text = _hold_position(turn, conversation), _can_text(conversation.texter)
    return HoldNotice(call.id, conversation.language, position, can_text, volunteer_coming=call.stage == rules.PULLING)


def _hold_position(turn: Turn, conversation: Conversation) -> int:
    """The caller's place among callers still waiting for a volunteer, in the dispatcher's order."""
    ahead = turn.session.scalar(
        select(func.count())
        .select_from(Conversation)
        .join(Call, (Call.conversation_id == Conversation.id) & (Call.party == "caller"))
        .where(
            Conversation.channel == "voice",
            Conversation.status == "queued",
            Call.stage.in_(rules.WAITING_STAGES),
            dispatch.ahead_of(conversation),
        )
    )
    return int(ahead or 0) + 1


def _caller(turn: Turn, call: IncomingCall) -> Texter:
    """The caller as a texter: found by their number's keyed hash, so returning callers (and
    texters who call) are recognised. A caller who hides their number is a new texter whose
    number the line never had: no callback, no text."""
    if not is_anonymous_caller(call.caller):
        return texters.find_or_create_texter(turn, call.caller)[0]
    texter, _ = texters.find_or_create_texter(turn, f"anonymous:{call.sid}")
    purge_texter(turn.session, texter, turn.now)
    return texter


def _end_earlier(turn: Turn, texter: Texter) -> None:
    """Calling again replaces a callback request still waiting, and ends an earlier call of
    theirs whose end never reached us (one open call per caller)."""
    earlier = turn.session.scalars(
        select(Conversation)
        .where(
            Conversation.texter_id == texter.id,
            Conversation.channel.in_(("voice", "callback")),
            Conversation.status == "queued",
        )
        .with_for_update()
    ).all()
    for conversation in earlier:
        if conversation.channel == "callback":
            lifecycle.close(turn, conversation, "caller_called_again")
            continue
        call = caller_call(turn, conversation.id)
        call.stage, call.ended_at = rules.ENDED, turn.now
        close_call(turn, call, conversation, rules.ABANDONED)
    active = turn.session.scalars(
        select(Call.id)
        .join(Conversation, Call.conversation_id == Conversation.id)
        .where(
            Conversation.texter_id == texter.id,
            Conversation.channel == "voice",
            Conversation.status == "active",
            Call.party == "caller",
        )
    ).all()
    for call_id in active:
        locked = lock_call(turn, call_id)
        assert locked is not None
        call, conversation = locked
        call.stage, call.ended_at = rules.ENDED, turn.now
        close_call(turn, call, conversation, rules.ANSWERED)


def _can_text(texter: Texter) -> bool:
    return texter.phone_encrypted != PURGED and not texter.opted_out


def _can_call_back(turn: Turn, texter: Texter) -> bool:
    return turn.runtime.settings.voice.callbacks and texter.phone_encrypted != PURGED
