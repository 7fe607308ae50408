"""Supervisors inside a conversation: who may step into a call, and who hears each message once
a supervisor is in a text conversation's thread."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class CallMode(StrEnum):
    """How a supervisor is in a call's conference."""

    LISTEN = "listen"  # muted: hears caller and volunteer
    COACH = "coach"  # heard by the volunteer only (Twilio's coaching)
    JOIN = "join"  # heard by everyone


@dataclass(frozen=True)
class Audio:
    """What Twilio holds for a participant: muted, and coaching (whispering to the volunteer)."""

    muted: bool
    coaching: bool


def audio(mode: CallMode) -> Audio:
    return {
        CallMode.LISTEN: Audio(muted=True, coaching=False),
        CallMode.COACH: Audio(muted=False, coaching=True),
        CallMode.JOIN: Audio(muted=False, coaching=False),
    }[mode]


def volunteer_may_leave(crisis_line_in_call: bool) -> bool:
    """Whether the volunteer leaving ends the call: not once the crisis line has been added (a
    warm hand-off: the caller stays with the crisis line), else it does (as hanging up always did)."""
    return crisis_line_in_call


class Party(StrEnum):
    TEXTER = "texter"
    VOLUNTEER = "volunteer"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class Staff:
    """The signed-in supervisor as the rules need them."""

    role: str
    on_call: bool


@dataclass(frozen=True)
class Hearer:
    """One recipient of a message written in a conversation: who, and (for a supervisor) which one."""

    party: Party
    supervisor_id: int | None = None


def may_listen_to_calls(staff: Staff, any_supervisor_may_listen: bool) -> bool:
    """Listening to a live call (and so coaching or joining it) is for admins and the supervisor
    on call, unless the line lets every supervisor (`[supervision] any_supervisor_may_listen`):
    a caller's words are heard as they are said, not read later under audit."""
    return staff.role == "admin" or staff.on_call or any_supervisor_may_listen


def hearers(author: Party, seated: Sequence[int], author_supervisor_id: int | None = None) -> tuple[Hearer, ...]:
    """Everyone in the conversation but the author hears what they write: the texter, the
    volunteer, and each supervisor seated in the thread. A supervisor writing from the
    dashboard (not seated) is not sent their own words either."""
    parties = [Hearer(party) for party in (Party.TEXTER, Party.VOLUNTEER) if party is not author]
    parties += [Hearer(Party.SUPERVISOR, seat) for seat in seated if seat != author_supervisor_id]
    return tuple(parties)
