"""A warm transfer of a text conversation, step by step: offered to other volunteers while the
first one stays; the first volunteer who accepts in time takes the texter; when nobody does by
the deadline the first volunteer keeps them. Pure: the service layer loads the state and
carries the outcome out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from routing.limits import ShiftLimits, VolunteerState, refusal


class TransferStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    # Nobody accepted by the deadline: the first volunteer keeps the texter.
    LAPSED = "lapsed"
    # The conversation ended (or changed hands another way) before anyone accepted.
    WITHDRAWN = "withdrawn"


class AcceptOutcome(StrEnum):
    TAKEN = "taken"
    NOT_OFFERED = "not_offered"
    TOO_LATE = "too_late"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class TransferState:
    status: TransferStatus
    expires_at: datetime
    from_volunteer_id: int
    offered_to: frozenset[int]
    # The conversation is still active with the volunteer who asked.
    still_with_first: bool


def candidates(
    states: Mapping[int, VolunteerState],
    rules: ShiftLimits,
    now: datetime,
    first_volunteer_id: int,
    most: int,
    named: int | None = None,
) -> tuple[int, ...]:
    """Who the transfer is offered to: the volunteer named (a supervisor's choice), else up to
    `most` others who could take a new texter now under the same limits as dispatch, in the
    order given (dispatch's preference)."""
    chosen: Iterable[int] = (named,) if named is not None else states
    able = [
        volunteer_id
        for volunteer_id in chosen
        if volunteer_id != first_volunteer_id
        and volunteer_id in states
        and refusal(states[volunteer_id], rules, now) is None
    ]
    return tuple(able[:most])


def accept(state: TransferState, volunteer_id: int, now: datetime) -> AcceptOutcome:
    """A volunteer answers the offer: taken only while it is open, offered to them, in time,
    and the first volunteer still holds the texter (else there is nothing to hand over)."""
    if volunteer_id not in state.offered_to:
        return AcceptOutcome.NOT_OFFERED
    if state.status is not TransferStatus.OFFERED or now >= state.expires_at:
        return AcceptOutcome.TOO_LATE
    if not state.still_with_first:
        return AcceptOutcome.UNAVAILABLE
    return AcceptOutcome.TAKEN


def at_deadline(state: TransferState, now: datetime) -> TransferStatus:
    """The transfer's status once its deadline may have passed: an open offer lapses (the first
    volunteer keeps the texter), or is withdrawn when the conversation left them meanwhile."""
    if state.status is not TransferStatus.OFFERED or now < state.expires_at:
        return state.status
    return TransferStatus.LAPSED if state.still_with_first else TransferStatus.WITHDRAWN
