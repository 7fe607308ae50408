"""The Twilio blueprint: `POST /twilio/sms` and `POST /twilio/status`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, request
from twilio.twiml.messaging_response import MessagingResponse

from service import delivery, inbound
from service.job_queue import JobQueue
from service.runtime import Runtime
from service.turn import run_turn
from service.webhooks.signature import twilio_signed

log = logging.getLogger(__name__)

twilio_blueprint = Blueprint("twilio", __name__, url_prefix="/twilio")

# Twilio's SIDs are 34 characters; anything far longer is not from Twilio.
MAX_SID = 64


def _runtime() -> Runtime:
    return current_app.extensions["warmline"]


def _twiml(response: MessagingResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _field(name: str, required: bool = True) -> str:
    value = request.form.get(name, "")
    if required and not value:
        abort(400, f"Missing required field {name}.")
    return value


@twilio_blueprint.post("/sms")
@twilio_signed
def sms() -> Response:
    sid = _field("MessageSid")
    if len(sid) > MAX_SID:
        abort(400, "MessageSid is too long.")
    runtime = _runtime()
    sender, line_number = inbound.parse_numbers(runtime, _field("From"), _field("To"))
    message = inbound.InboundSms(sid=sid, sender=sender, line_number=line_number, body=_field("Body", required=False))
    turn = inbound.receive_sms(runtime, message, datetime.now(UTC))
    reply = MessagingResponse()
    if turn is not None:
        JobQueue(runtime).submit(turn)
        if turn.safety_reply:
            reply.message(turn.safety_reply)
    return _twiml(reply)


@twilio_blueprint.post("/status")
@twilio_signed
def status() -> Response:
    sid = _field("MessageSid")
    message_status = _field("MessageStatus").lower()
    raw_code = request.form.get("ErrorCode", "")
    error_code = int(raw_code) if raw_code.isdigit() else None
    runtime = _runtime()
    known, turn = run_turn(runtime, datetime.now(UTC), lambda turn: delivery.record_status(turn, sid, message_status, error_code))
    if not known:
        log.info("status.unknown_sid status=%s", message_status)
    JobQueue(runtime).submit(turn)
    return Response(status=204)
