"""The SMS webhooks: `POST /twilio/sms` (a text comes in) and `POST /twilio/status` (what
became of a text the line sent)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from routing.language import detect_language
from service.conversations import risk
from service.db.turn import DATABASE_DOWN, Turn
from service.jobs.job_queue import JobQueue
from service.operations.metrics import web_counters
from service.outbound import delivery
from service.runtime import Runtime
from service.sms import inbound
from service.sms.spool import Spool, SpooledSms
from service.sms.twilio_request import MAX_SID, form_field, form_sid, twilio_signed, webhook_runtime

log = logging.getLogger(__name__)

sms_webhooks = Blueprint("twilio_sms", __name__, url_prefix="/twilio")
# Twilio attaches at most 10 media to a message.
MAX_MEDIA = 10
# What str(MessagingResponse()) renders, without building it for every text.
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def _twiml(response: MessagingResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


@sms_webhooks.post("/sms")
@twilio_signed
def sms() -> Response:
    sid = form_sid("MessageSid")
    runtime = webhook_runtime()
    sender, to, body = form_field("From"), form_field("To"), form_field("Body", required=False)
    # Sent by Twilio with Advanced Opt-Out on: what it did with a keyword (STOP, START, HELP).
    opt_out_type = form_field("OptOutType", required=False)[:MAX_SID]
    media = form_field("NumMedia", required=False)
    # Counted only: a picture's URL is never read, so media are neither fetched nor stored.
    media_count = min(int(media), MAX_MEDIA) if media.isascii() and media.isdigit() else 0
    reply = MessagingResponse()
    spool = Spool(runtime.redis, runtime.settings.spool_dir, runtime.vault)
    try:
        sender_number, line_number = inbound.parse_numbers(runtime, sender, to)
        inline = _route_or_store(
            runtime,
            inbound.InboundSms(
                sid=sid,
                sender=sender_number,
                line_number=line_number,
                body=body,
                opt_out_type=opt_out_type,
                media_count=media_count,
            ),
        )
    except DATABASE_DOWN as error:
        # Never lose it: keep the verified request, answer safely now, replay it later.
        where = spool.keep(
            SpooledSms(sid=sid, sender=sender, to=to, body=body, received_at=time.time(), opt_out_type=opt_out_type)
        )
        log.error("sms.spooled reason=database_unavailable error=%s spool=%s", type(error).__name__, where)
        web_counters().texts_received.labels("spooled").inc()
        reply.message(_spooled_reply(runtime, body))
        return _twiml(reply)
    web_counters().texts_received.labels("stored").inc()
    if spool.has_file():
        replay_own_spool(runtime, spool)
    if inline:
        reply.message(inline)
        return _twiml(reply)
    return Response(EMPTY_TWIML, mimetype="text/xml")


def _route_or_store(runtime: Runtime, message: inbound.InboundSms) -> str | None:
    """Store the text for a worker and answer; the crisis text, when due, goes in this reply.
    A deletion request is routed here (its confirmation goes inline), as is a text Twilio
    says it took as STOP or START (only this request carries that), and any text when no
    router is running and Redis is down. Returns the reply to put inline, if any."""
    now = datetime.now(UTC)
    queue = JobQueue(runtime)
    reading = inbound.read(runtime, message.body, message.opt_out_type)
    if reading.urgency in inbound.ROUTED_BY_WEBHOOK or not inbound.can_store(runtime):
        turn = inbound.receive_sms(runtime, message, now)
        queue.submit(turn)
        return turn.inline_reply
    stored = inbound.store_sms(runtime, message, now, reading)
    if not stored.new:
        log.info("sms.duplicate")
        return stored.earlier_reply
    reply = None
    if stored.held:
        reply = inbound.crisis_reply(runtime, message, reading, stored, now)
        inbound.release(runtime, message.sid, reply)
    if stored.router_seated or queue.route_stored():
        return reply
    turn = inbound.route_stored(runtime, message.sid, now, answering=True)
    queue.submit(turn)
    return turn.inline_reply or reply


def _spooled_reply(runtime: Runtime, body: str) -> str:
    """What a sender hears while the database is down: the crisis text when the message is
    risky (the detector needs no database), otherwise that it arrived, with the crisis line."""
    texts = runtime.texts
    language = detect_language(
        body, {code: texts.language(code).common_words for code in texts.languages}, texts.languages[0]
    )
    # As the policy reads a first message: nothing earlier is known without the database.
    due = risk.crisis_text_due(runtime, runtime.detector.assess(body), [], None, None, None, datetime.now(UTC))
    return texts.crisis_text(language, due) if due is not None else texts.for_texter(language, "spooled")


def replay_own_spool(runtime: Runtime, spool: Spool) -> None:
    """This host's file spool (written while Redis and the database were both down)."""
    queue = JobQueue(runtime)
    try:
        if spool.replay_file(lambda message: _submit(queue, inbound.replay_spooled(runtime, message))):
            queue.route_stored()
    except DATABASE_DOWN:
        log.warning("spool.replay_postponed reason=database_unavailable")


def _submit(queue: JobQueue, turn: Turn | None) -> None:
    if turn is not None:
        queue.submit(turn)


@sms_webhooks.post("/status")
@twilio_signed
def status() -> Response:
    sid = form_sid("MessageSid")
    message_status = form_field("MessageStatus").lower()
    raw_code = request.form.get("ErrorCode", "")
    error_code = int(raw_code) if raw_code.isascii() and raw_code.isdigit() else None  # "²" is a digit to Python
    runtime = webhook_runtime()
    known, turn = delivery.record_callback(runtime, sid, message_status, error_code, datetime.now(UTC))
    if not known:
        log.info("status.unknown_sid status=%s", message_status)
    if turn is not None:
        JobQueue(runtime).submit(turn)
    return Response(status=204)
