"""Phone calls: where a call stands, whom to ring next, what a caller's key press means.

A call is a conversation like a text: the same shift limits apply and the same preference
(`routing.matching.preference`) picks among eligible volunteers. Two things differ: a call
needs no thread line number (the volunteer's phone shows the line's number as caller ID),
and nobody takes two phone calls at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.limits import NO_FREE_LINE_NUMBER, Refusal, ShiftLimits, VolunteerState, refusal
from routing.matching import Seeker, preference

# Where a call stands (`calls.stage`). A caller's call to the line:
GREETING = "greeting"  # hearing the welcome and the menu
WAITING = "waiting"  # wants a volunteer; the webhook answering now rings them or holds
RINGING = "ringing"  # volunteers' phones are ringing (one <Dial> round)
HOLDING = "holding"  # in the hold queue (<Enqueue>)
PULLING = "pulling"  # on hold with a volunteer reserved: the call is being redirected to ring them
CONNECTED = "connected"  # talking with a volunteer (or, on a callback leg, pressed 1)
# Talking with a volunteer in a Twilio conference (the answered call moves there at once), where
# a supervisor can listen, coach or join and the crisis line can be added.
CONFERENCE = "conference"
CLOSING = "closing"  # hearing the hours, the crisis line and the offer of a callback
DONE = "done"  # the line's part is over (crisis line, callback recorded, text instead)
ENDED = "ended"  # Twilio reported the call over
# A call the line places (a callback): created through Twilio's API by a job.
PLACING = "placing"
FAILED = "failed"

# Stages from which the dispatcher may ring volunteers for the caller.
READY_TO_RING = (WAITING, HOLDING)
# Stages of a caller still waiting for a volunteer (their place in line counts).
WAITING_STAGES = (WAITING, RINGING, HOLDING, PULLING)

# How a call ended for the caller (`calls.outcome`), for supervisors and statistics.
ANSWERED = "answered"
ABANDONED = "abandoned"
CRISIS_LINE = "crisis_line"
# Nobody on shift: put through to the partner line ([rota] partner_line).
PARTNER_LINE = "partner_line"
CALLBACK = "callback"
TEXT_INSTEAD = "text_instead"
UNANSWERED = "unanswered"

# Keys, the same in every language.
CRISIS_KEY = "9"
ACCEPT_KEY = "1"
CALLBACK_KEY = "1"
TEXT_KEY = "2"

ON_CALL = "on_call"


def call_refusal(volunteer: VolunteerState, limits: ShiftLimits, now: datetime) -> Refusal | None:
    """`refusal` for a phone call: the number pool does not apply (refusal checks it last, so
    that refusal means every other limit allows the volunteer), and someone on a call is busy."""
    found = refusal(volunteer, limits, now)
    if found is not None and found.limit != NO_FREE_LINE_NUMBER:
        return found
    if volunteer.on_call:
        return Refusal(ON_CALL)
    return None


def tried(
    seeker: Seeker, missed_at: Mapping[int, datetime], now: datetime, ring_again_after: timedelta
) -> frozenset[int]:
    """Volunteers not to ring for this caller now. One who declined (any key but 1) is never
    rung for this caller again; one who missed the ring (no answer, a voicemail) not before
    `ring_again_after`, so a caller on hold can still reach a volunteer who had only stepped
    away, without ringing them round after round."""
    return seeker.passed_by | {volunteer for volunteer, at in missed_at.items() if now - at < ring_again_after}


def volunteers_to_ring(
    seeker: Seeker,
    candidates: Iterable[VolunteerState],
    limits: ShiftLimits,
    now: datetime,
    group_size: int,
    missed_at: Mapping[int, datetime],
    ring_again_after: timedelta,
) -> tuple[int, ...]:
    """Up to `group_size` eligible volunteers to ring for this caller, best first, never one
    already `tried`."""
    tried_already = tried(seeker, missed_at, now, ring_again_after)
    eligible = [v for v in candidates if v.volunteer_id not in tried_already and call_refusal(v, limits, now) is None]
    eligible.sort(key=lambda volunteer: preference(seeker, volunteer))
    return tuple(volunteer.volunteer_id for volunteer in eligible[:group_size])


@dataclass(frozen=True)
class RingLeg:
    """One volunteer's phone in a finished <Dial> round, still reserved (no key pressed)."""

    offer_id: int
    picked_up: bool


def settle_round(legs: Sequence[RingLeg]) -> dict[int, str]:
    """What became of the volunteers still reserved when a <Dial> round ended: one who picked
    up but never pressed 1 (a voicemail, a hang-up) missed the call; when someone picked up,
    Twilio hung up the other phones, which is not their doing (`withdrawn`: they may be rung
    again); when nobody picked up, they all missed it."""
    anyone = any(leg.picked_up for leg in legs)
    return {leg.offer_id: "expired" if leg.picked_up or not anyone else "withdrawn" for leg in legs}


def language_keys(languages: Sequence[str]) -> dict[str, str]:
    """The key that picks each language at the greeting: 1 for the first, 2 for the second...
    (9 stays the crisis line's)."""
    return {str(index + 1): code for index, code in enumerate(languages[:8])}


@dataclass(frozen=True)
class MenuChoice:
    crisis: bool = False
    language: str | None = None


def read_menu(
    digits: str,
    speech: str,
    languages: Sequence[str],
    crisis_words: Iterable[str],
    language_words: Mapping[str, Iterable[str]],
) -> MenuChoice:
    """What the caller asked for at the greeting, by key or by voice. The crisis line wins
    over anything else said in the same breath."""
    key = digits.strip()[:1]
    if key == CRISIS_KEY:
        return MenuChoice(crisis=True)
    if key in language_keys(languages):
        return MenuChoice(language=language_keys(languages)[key])
    said = f" {' '.join(''.join(ch if ch.isalnum() else ' ' for ch in speech.lower()).split())} "
    if any(f" {word.lower()} " in said for word in crisis_words):
        return MenuChoice(crisis=True)
    for code in languages:
        if any(f" {word.lower()} " in said for word in language_words.get(code, ())):
            return MenuChoice(language=code)
    return MenuChoice()


def hold_is_over(hold_started_at: datetime, now: datetime, max_hold_minutes: float) -> bool:
    """Past the longest wait the line asks of a caller on hold."""
    return now - hold_started_at >= timedelta(minutes=max_hold_minutes)
