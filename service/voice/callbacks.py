"""Calling a caller back: a volunteer takes the request with #yes, the line calls the
volunteer, and once they press 1 the line calls the caller and joins the two.

Both calls are placed through Twilio's REST API from a line number (so each phone shows only
the line) by the `place_call` job, and joined in a Twilio queue named for the conversation:
the volunteer waits in it (<Enqueue>, which creates it) and the caller, once they press 1,
dials it (<Dial><Queue>). The volunteer's wait URL lets them go as soon as the caller's leg
is over unanswered. The caller's number is never in TwiML; it is decrypted only for the API
request that calls them, like a text's recipient.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from routing import call_flow as rules
from routing.delivery_pace import retry_delay
from service.conversations import dispatch, lifecycle
from service.db import Call, Conversation, Offer, Volunteer
from service.db.turn import Turn, run_turn
from service.db.vault import PURGED
from service.outbound import outbox
from service.outbound.twilio_gateway import Accepted, Retryable, TwilioGateway, Unknown
from service.runtime import Runtime
from service.voice import calls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prompt:
    """Whoever answered a placed call hears who it is for and presses 1 to go on."""

    call_id: int
    text: str
    language: str


@dataclass(frozen=True)
class WaitForCaller:
    """The volunteer waits in the conversation's queue while the line calls the caller."""

    call_id: int
    queue: str
    text: str


@dataclass(frozen=True)
class StillCalling:
    """The volunteer's wait URL: a moment's silence, then the URL is asked again."""


@dataclass(frozen=True)
class JoinVolunteer:
    """The caller dials the conversation's queue, where the volunteer is waiting."""

    call_id: int
    queue: str


@dataclass(frozen=True)
class Spoken:
    """A last sentence to the volunteer, then the call ends."""

    text: str


Step = Prompt | WaitForCaller | StillCalling | JoinVolunteer | Spoken | calls.HangUp | calls.LeaveHold


@dataclass(frozen=True)
class _Placement:
    to: str
    from_number: str
    url: str
    status_callback: str
    timeout: int


def accept(turn: Turn, volunteer: Volunteer, offer: Offer) -> None:
    """`#yes` to a callback request: the request becomes the volunteer's conversation (in the
    offer's thread, where #escalate reaches it) and the line calls the volunteer first."""
    conversation = dispatch.assign(turn, volunteer, offer)
    outbox.tell_volunteer(
        turn, volunteer, "callback_accepted", offer.line_number, conversation, pseudonym=conversation.texter.pseudonym
    )
    _place(turn, conversation, "volunteer", offer.line_number)
    turn.session.flush()
    dispatch.offer_waiting(turn)


def _place(turn: Turn, conversation: Conversation, party: str, line_number: str) -> None:
    leg = Call(
        conversation_id=conversation.id,
        party=party,
        direction="outbound",
        line_number=line_number,
        stage=rules.PLACING,
        started_at=turn.now,
        next_attempt_at=turn.now,
    )
    turn.session.add(leg)
    turn.session.flush()
    turn.schedule("place_call", leg.id, turn.now)


def place(runtime: Runtime, gateway: TwilioGateway, call_id: int, now: datetime) -> Turn:
    """Ask Twilio to place one leg of a callback. Safe to run twice: a leg is claimed with a
    lease (`next_attempt_at`), so a job that dies mid-request is retried only after it, and a
    second call that results hangs up when answered (its CallSid is not the leg's)."""
    placement, claimed = run_turn(runtime, now, lambda turn: _claim(turn, call_id))
    if placement is None:
        return claimed  # it may have settled the request (texts to send)
    outcome = gateway.place_call(
        placement.to, placement.from_number, placement.url, placement.status_callback, placement.timeout
    )
    return run_turn(runtime, now, lambda turn: _placed(turn, call_id, outcome))[1]


def _claim(turn: Turn, call_id: int) -> _Placement | None:
    locked = calls.lock_call(turn, call_id)
    if locked is None:
        return None
    call, conversation = locked
    if call.stage != rules.PLACING or (call.next_attempt_at is not None and call.next_attempt_at > turn.now):
        return None
    if conversation.status != "active":
        call.stage = rules.FAILED
        return None
    if call.party == "volunteer":
        volunteer = turn.session.get_one(Volunteer, conversation.volunteer_id)
        to = volunteer.phone
    elif conversation.texter.phone_encrypted != PURGED:
        to = turn.runtime.vault.decrypt(conversation.texter.phone_encrypted)
    else:  # the caller deleted their data meanwhile
        _failed(turn, call, conversation)
        return None
    settings = turn.runtime.settings
    call.attempts += 1
    call.next_attempt_at = turn.now + timedelta(seconds=settings.delivery.twilio_timeout_seconds + 5)
    return _Placement(
        to=to,
        from_number=call.line_number,
        url=f"{settings.public_url}/twilio/voice/callback/answered?call={call.id}",
        status_callback=f"{settings.call_status_callback_url}?call={call.id}",
        timeout=settings.voice.ring_timeout_seconds,
    )


def _placed(turn: Turn, call_id: int, outcome: object) -> None:
    locked = calls.lock_call(turn, call_id)
    if locked is None:
        return
    call, conversation = locked
    if isinstance(outcome, Accepted):
        call.call_sid = call.call_sid or outcome.sid
        if call.stage == rules.PLACING:
            call.stage = rules.RINGING
        log.info("callback.placed call=%d party=%s", call.id, call.party)
        return
    if call.stage != rules.PLACING:
        return
    delivery = turn.runtime.settings.delivery
    if isinstance(outcome, Unknown):
        # Twilio may have placed it: its webhook would claim the leg; otherwise, after the lease, try again.
        assert call.next_attempt_at is not None
        turn.schedule("place_call", call.id, call.next_attempt_at)
        return
    if isinstance(outcome, Retryable) and call.attempts < delivery.max_attempts:
        call.next_attempt_at = turn.now + timedelta(seconds=retry_delay(call.attempts, delivery.retry_base_seconds))
        turn.schedule("place_call", call.id, call.next_attempt_at)
        return
    log.error("callback.place_failed call=%d party=%s outcome=%s", call.id, call.party, outcome)
    _failed(turn, call, conversation)


def answered(runtime: Runtime, call_id: int, call_sid: str, now: datetime) -> tuple[Step, Turn]:
    """A placed leg was answered: say who the call is for (to the caller's phone, nothing
    about the line until they press 1: anyone may have picked it up)."""

    def work(turn: Turn) -> Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.HangUp()
        call, conversation = locked
        call.call_sid = call.call_sid or call_sid
        if (
            call.call_sid != call_sid
            or call.stage not in (rules.PLACING, rules.RINGING)
            or conversation.status != "active"
        ):
            return calls.HangUp()
        call.stage = rules.RINGING
        texts = turn.runtime.texts
        if call.party == "caller":
            return Prompt(call.id, texts.for_caller(conversation.language, "callback_greeting"), conversation.language)
        language_note = ""
        if conversation.language != texts.languages[0]:
            language_note = texts.for_volunteer(
                "call_whisper_language", language_name=texts.language(conversation.language).name
            )
        text = texts.for_volunteer(
            "callback_whisper", pseudonym=conversation.texter.pseudonym, language_note=language_note
        )
        return Prompt(call.id, text, texts.languages[0])

    return run_turn(runtime, now, work)


def pressed(runtime: Runtime, call_id: int, digits: str, now: datetime) -> tuple[Step, Turn]:
    """1 on the volunteer's phone calls the caller while the volunteer waits in the
    conversation's queue; 1 on the caller's phone joins the volunteer there. Anything else
    ends that leg, and its status callback settles the request."""

    def work(turn: Turn) -> Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.HangUp()
        call, conversation = locked
        if call.stage == rules.CONNECTED and conversation.status == "active":
            return _join(turn, call, conversation)  # a repeated webhook: the same answer, no second call
        if call.stage != rules.RINGING or conversation.status != "active" or digits.strip()[:1] != rules.ACCEPT_KEY:
            return calls.HangUp()
        call.stage = rules.CONNECTED
        call.answered_at = turn.now
        if call.party == "caller":
            conversation.last_texter_at = turn.now
        else:
            _place(turn, conversation, "caller", turn.runtime.settings.line.main_number)
        return _join(turn, call, conversation)

    return run_turn(runtime, now, work)


def _join(turn: Turn, call: Call, conversation: Conversation) -> Step:
    queue = f"warmline-callback-{conversation.id}"
    if call.party == "caller":
        return JoinVolunteer(call.id, queue)
    return WaitForCaller(call.id, queue, turn.runtime.texts.for_volunteer("callback_calling"))


def still_calling(runtime: Runtime, call_id: int, now: datetime) -> tuple[Step, Turn]:
    """The volunteer's wait URL, asked again every few seconds: they leave the queue as soon
    as the caller's leg is over without them pressing 1, or when it has had time enough to
    ring and be answered (a lost status callback must not keep a volunteer waiting)."""

    def work(turn: Turn) -> Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.LeaveHold()
        call, conversation = locked
        caller_leg = turn.session.scalars(
            select(Call).where(Call.conversation_id == conversation.id, Call.party == "caller").order_by(Call.id.desc())
        ).first()
        if caller_leg is not None and caller_leg.stage == rules.CONNECTED:
            return StillCalling()  # they pressed 1 and are dialing in
        patience = timedelta(seconds=turn.runtime.settings.voice.ring_seconds + 30)
        gone = caller_leg is not None and caller_leg.stage in (rules.ENDED, rules.FAILED)
        if (
            conversation.status != "active"
            or gone
            or (call.answered_at is not None and turn.now - call.answered_at > patience)
        ):
            return calls.LeaveHold()
        return StillCalling()

    return run_turn(runtime, now, work)


def done(runtime: Runtime, call_id: int, now: datetime) -> tuple[Step, Turn]:
    """A leg's join ended (the volunteer's <Enqueue> action, the caller's <Dial> action): a
    callback the caller joined is over; one they never joined closes unanswered."""

    def work(turn: Turn) -> Step:
        locked = calls.lock_call(turn, call_id)
        if locked is None:
            return calls.HangUp()
        call, conversation = locked
        joined = _caller_joined(turn, conversation)
        if conversation.status == "active":
            _finish(turn, conversation, joined)
        if call.party == "volunteer" and not joined:
            return Spoken(turn.runtime.texts.for_volunteer("callback_no_answer"))
        return calls.HangUp()

    return run_turn(runtime, now, work)


def leg_ended(turn: Turn, call: Call, conversation: Conversation) -> None:
    """Twilio's final status for a leg (status callback). A volunteer who never pressed 1
    gives the request back to the queue; a caller who never did leaves it unanswered."""
    connected = call.stage == rules.CONNECTED
    call.stage = rules.ENDED
    if conversation.status != "active" or not _current_leg(turn, call):
        return
    if call.party == "volunteer" and not connected:
        _give_back(turn, conversation)
    else:
        _finish(turn, conversation, joined=_caller_joined(turn, conversation))


def _current_leg(turn: Turn, call: Call) -> bool:
    """Whether `call` is the latest leg of its party: a leg of an earlier attempt (another
    volunteer's, before the request came back to the queue) settles nothing now."""
    latest = turn.session.scalar(
        select(func.max(Call.id)).where(Call.conversation_id == call.conversation_id, Call.party == call.party)
    )
    return latest == call.id


def _caller_joined(turn: Turn, conversation: Conversation) -> bool:
    return (
        turn.session.scalar(
            select(Call.id)
            .where(Call.conversation_id == conversation.id, Call.party == "caller", Call.answered_at.is_not(None))
            .limit(1)
        )
        is not None
    )


def _finish(turn: Turn, conversation: Conversation, joined: bool) -> None:
    outcome = rules.ANSWERED if joined else rules.UNANSWERED
    for leg in turn.session.scalars(
        select(Call).where(Call.conversation_id == conversation.id, Call.outcome.is_(None))
    ):
        leg.outcome = outcome
    conversation.last_texter_at = turn.now
    lifecycle.close(turn, conversation, "call_ended" if joined else "callback_unanswered")
    dispatch.offer_waiting(turn)


def _failed(turn: Turn, call: Call, conversation: Conversation) -> None:
    """Twilio would not place the leg: the volunteer's, and the request goes to another
    volunteer; the caller's, and it closes unanswered."""
    call.stage = rules.FAILED
    if conversation.status != "active":
        return
    if call.party == "volunteer":
        _give_back(turn, conversation)
    else:
        _finish(turn, conversation, joined=False)


def _give_back(turn: Turn, conversation: Conversation) -> None:
    """The volunteer could not be reached: the request is queued again (their offer counts
    as missed, so another volunteer comes first) and they are told."""
    volunteer = conversation.volunteer
    assert volunteer is not None
    taken = turn.session.scalars(
        select(Offer).where(
            Offer.conversation_id == conversation.id, Offer.volunteer_id == volunteer.id, Offer.status == "accepted"
        )
    ).all()
    for offer in taken:
        offer.status = "expired"
    outbox.tell_volunteer(
        turn, volunteer, "callback_missed", conversation.line_number, pseudonym=conversation.texter.pseudonym
    )
    conversation.status, conversation.volunteer, conversation.line_number, conversation.assigned_at = (
        "queued",
        None,
        None,
        None,
    )
    turn.session.flush()
    dispatch.offer_waiting(turn)
