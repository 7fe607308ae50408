"""An inbound SMS, from webhook form to routed, in one idempotent turn."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from service import supervisors, texters, volunteers
from service.db import InboundReceipt, Supervisor, Volunteer
from service.phones import normalise
from service.runtime import Runtime
from service.spool import SpooledSms
from service.turn import Turn, run_turn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundSms:
    """What the service needs of Twilio's SMS webhook, numbers already normalised."""

    sid: str
    sender: str
    line_number: str
    body: str


def parse_numbers(runtime: Runtime, sender: str, to: str) -> tuple[str, str]:
    """Normalised sender and line number; a `To` that is not ours is read as the main number
    (a message Twilio signed for our account is never dropped for a misconfigured number)."""
    line = runtime.settings.line
    number = to if to in line.numbers else normalise(to, line.default_region)  # Twilio sends ours as configured
    if number not in line.numbers:
        log.warning("sms.unknown_line_number using=main")
        number = line.main_number
    return normalise(sender, line.default_region), number


def receive_sms(runtime: Runtime, sms: InboundSms, now: datetime) -> Turn:
    """Handle one inbound text exactly once. A redelivered MessageSid changes nothing and
    sends nothing; its turn only repeats the inline reply the first delivery got."""

    def work(turn: Turn) -> None:
        # A concurrent redelivery that slips past this check fails on the receipt's primary
        # key instead, and its retry then finds the receipt here.
        earlier = turn.session.get(InboundReceipt, sms.sid)
        if earlier is not None:
            turn.inline_reply = earlier.reply
            log.info("sms.duplicate")
            return
        receipt = InboundReceipt(sid=sms.sid, kind="sms", received_at=turn.now)
        turn.session.add(receipt)
        turn.session.flush()
        # A volunteer's own row is locked first: their texts are handled one at a time, and
        # every path that changes their load takes locks in the same order (volunteer, offer,
        # conversation, shift), so PostgreSQL rarely has a deadlock to break.
        volunteer = turn.session.scalars(
            select(Volunteer).where(Volunteer.phone == sms.sender, Volunteer.active).with_for_update()
        ).first()
        if volunteer is not None:
            volunteers.on_volunteer_message(turn, volunteer, sms.line_number, sms.body)
            log.info("sms.received from=volunteer volunteer=%d", volunteer.id)
            return
        supervisor = turn.session.scalars(select(Supervisor).where(Supervisor.phone == sms.sender, Supervisor.active)).first()
        if supervisor is not None:
            supervisors.on_supervisor_message(turn, supervisor, sms.body)
            log.info("sms.received from=supervisor supervisor=%d", supervisor.id)
        else:
            texter = texters.on_texter_message(turn, sms.sender, sms.body)
            log.info("sms.received from=texter pseudonym=%s", texter.pseudonym)
        receipt.reply = turn.inline_reply

    _, turn = run_turn(runtime, now, work)
    return turn


def replay_spooled(runtime: Runtime, message: SpooledSms) -> Turn:
    """A text spooled while the database was down, handled now as it would have been then."""
    sender, line_number = parse_numbers(runtime, message.sender, message.to)
    sms = InboundSms(sid=message.sid, sender=sender, line_number=line_number, body=message.body)
    return receive_sms(runtime, sms, datetime.fromtimestamp(message.received_at, UTC))
