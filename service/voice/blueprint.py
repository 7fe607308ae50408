"""The voice webhooks: `POST /twilio/voice` (a call comes in) and each later step of a call
under `/twilio/voice/...`. Every one is signed-checked, parses Twilio's form, runs one
service function and answers with the TwiML of the step it returns.

When PostgreSQL is unreachable a caller still gets an answer: that volunteers cannot be
reached now, with the crisis line one key away (`/twilio/voice/crisis` needs no database).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request

from routing.call_flow import CRISIS_KEY
from service.db import parse_id
from service.db.turn import DATABASE_DOWN, Turn
from service.jobs.job_queue import JobQueue
from service.runtime import Runtime
from service.sms import inbound
from service.sms.twilio_request import form_field, form_sid, twilio_signed, webhook_runtime
from service.voice import call_status, callbacks, calls, conference
from service.voice.call_script import CallScript, Step

log = logging.getLogger(__name__)

voice_webhooks = Blueprint("twilio_voice", __name__, url_prefix="/twilio")

CONFERENCE_SID = re.compile(r"CF[0-9a-fA-F]{32}")
CALL_SID = re.compile(r"CA[0-9a-fA-F]{32}")
CALL_STATUSES = frozenset(
    {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "canceled", "failed"}
)


def _twiml(runtime: Runtime, step: Step) -> Response:
    return Response(str(CallScript(runtime).render(step)), mimetype="text/xml")


def _answer(work: Callable[[Runtime, datetime], tuple[Step, Turn]], outage: Step | None = None) -> Response:
    """Run a step's turn, hand its follow-ups to the job queue, and answer with its TwiML.
    Without the database the caller hears `Outage` (a step that cannot use it, such as the
    hold queue's, passes what to do instead)."""
    runtime = webhook_runtime()
    try:
        step, turn = work(runtime, datetime.now(UTC))
    except DATABASE_DOWN as error:
        log.error("voice.database_unavailable error=%s path=%s", type(error).__name__, request.path)
        return _twiml(runtime, outage or calls.Outage(runtime.settings.line.languages[0]))
    JobQueue(runtime).submit(turn)
    return _twiml(runtime, step)


def _id(name: str) -> int:
    found = parse_id(request.args.get(name, ""))
    if found is None:
        abort(400, f"Missing or invalid {name} in the URL.")
    return found


def _digits() -> str:
    return request.form.get("Digits", "")[:8]


@voice_webhooks.post("/voice")
@twilio_signed
def voice() -> Response:
    sid = form_sid("CallSid")
    caller, line_number = inbound.parse_numbers(webhook_runtime(), form_field("From"), form_field("To"))
    call = calls.IncomingCall(sid=sid, caller=caller, line_number=line_number)
    return _answer(lambda runtime, now: calls.incoming(runtime, call, now))


@voice_webhooks.post("/voice/menu")
@twilio_signed
def voice_menu() -> Response:
    call_id, digits, speech = _id("call"), _digits(), request.form.get("SpeechResult", "")[:200]
    return _answer(lambda runtime, now: calls.menu(runtime, call_id, digits, speech, now))


@voice_webhooks.post("/voice/ring")
@twilio_signed
def voice_ring() -> Response:
    call_id = _id("call")
    return _answer(lambda runtime, now: calls.ring(runtime, call_id, now))


@voice_webhooks.post("/voice/whisper")
@twilio_signed
def voice_whisper() -> Response:
    offer_id = _id("offer")
    return _answer(lambda runtime, now: calls.whisper(runtime, offer_id, now), outage=calls.HangUp())


@voice_webhooks.post("/voice/whisper-answer")
@twilio_signed
def voice_whisper_answer() -> Response:
    offer_id, digits, leg_sid = _id("offer"), _digits(), form_sid("CallSid")
    return _answer(
        lambda runtime, now: calls.whisper_answer(runtime, offer_id, digits, leg_sid, now), outage=calls.HangUp()
    )


@voice_webhooks.post("/voice/dial-result")
@twilio_signed
def voice_dial_result() -> Response:
    call_id, call_status_now = _id("call"), request.form.get("CallStatus", "")
    log.info("call.dial_over call=%d dial_status=%s", call_id, request.form.get("DialCallStatus", "")[:20])
    return _answer(
        lambda runtime, now: calls.dial_result(runtime, call_id, call_status_now, now, conference.caller_step)
    )


@voice_webhooks.post("/voice/wait")
@twilio_signed
def voice_wait() -> Response:
    call_id = _id("call")
    # Out of the queue, where the outage prompt (and its crisis line) can be played.
    return _answer(lambda runtime, now: calls.wait(runtime, call_id, now), outage=calls.LeaveHold())


@voice_webhooks.post("/voice/wait-choice")
@twilio_signed
def voice_wait_choice() -> Response:
    call_id, digits = _id("call"), _digits()
    return _answer(lambda runtime, now: calls.wait_choice(runtime, call_id, digits, now), outage=calls.LeaveHold())


@voice_webhooks.post("/voice/queue-result")
@twilio_signed
def voice_queue_result() -> Response:
    call_id, result, call_status_now = (
        _id("call"),
        request.form.get("QueueResult", ""),
        request.form.get("CallStatus", ""),
    )
    return _answer(lambda runtime, now: calls.queue_result(runtime, call_id, result, call_status_now, now))


@voice_webhooks.post("/voice/callback")
@twilio_signed
def voice_callback_request() -> Response:
    call_id, digits = _id("call"), _digits()
    return _answer(lambda runtime, now: calls.closing_choice(runtime, call_id, digits, now))


@voice_webhooks.post("/voice/crisis")
@twilio_signed
def voice_crisis() -> Response:
    """The outage prompt's answer: 9 dials the crisis line, with no database involved."""
    runtime = webhook_runtime()
    line = runtime.settings.line
    if not _digits().startswith(CRISIS_KEY):
        return _twiml(runtime, calls.HangUp())
    to = request.form.get("To", "")
    caller_id = to if to in line.numbers else line.main_number
    return _twiml(runtime, calls.CrisisLine(line.languages[0], caller_id))


@voice_webhooks.post("/voice/status")
@twilio_signed
def voice_status() -> Response:
    sid, status = form_sid("CallSid"), form_field("CallStatus").lower()
    if status not in CALL_STATUSES:
        abort(400, "CallStatus is not one of Twilio's call statuses.")
    raw_duration = request.form.get("CallDuration", "")
    duration = (
        int(raw_duration) if raw_duration.isascii() and raw_duration.isdigit() and len(raw_duration) < 9 else None
    )
    placed = _id("call") if "call" in request.args else None
    runtime = webhook_runtime()
    turn = call_status.record(runtime, sid, placed, status, duration, datetime.now(UTC))
    JobQueue(runtime).submit(turn)
    return Response(status=204)


@voice_webhooks.post("/voice/conference")
@twilio_signed
def voice_conference() -> Response:
    """The volunteer's leg, redirected by the job that moves an answered call into its conference."""
    call_id = _id("call")
    return _answer(lambda runtime, now: conference.volunteer_leg(runtime, call_id, now), outage=calls.HangUp())


@voice_webhooks.post("/voice/conference-wait")
@twilio_signed
def voice_conference_wait() -> Response:
    """The caller, a second after their <Dial> ended while the call was moving into its conference."""
    call_id, call_status_now = _id("call"), request.form.get("CallStatus", "")
    return _answer(lambda runtime, now: conference.await_move(runtime, call_id, call_status_now, now))


@voice_webhooks.post("/voice/conference-over")
@twilio_signed
def voice_conference_over() -> Response:
    """The caller's conference has ended."""
    call_id, call_status_now = _id("call"), request.form.get("CallStatus", "")
    return _answer(lambda runtime, now: conference.over(runtime, call_id, call_status_now, now))


@voice_webhooks.post("/voice/conference-status")
@twilio_signed
def voice_conference_status() -> Response:
    """A conference's status callback: who joined or left. Idempotent: a repeat changes nothing."""
    call_id = _id("call")
    event = request.form.get("StatusCallbackEvent", "")
    conference_sid = request.form.get("ConferenceSid", "")
    if event not in conference.KNOWN_EVENTS or not CONFERENCE_SID.fullmatch(conference_sid):
        abort(400, "StatusCallbackEvent or ConferenceSid is not one of Twilio's.")
    call_sid = request.form.get("CallSid", "")
    found = conference.ConferenceEvent(
        conference_sid=conference_sid,
        event=event,
        call_sid=call_sid if CALL_SID.fullmatch(call_sid) else "",
        label=request.form.get("ParticipantLabel", "")[:64],
    )
    runtime = webhook_runtime()
    turn = conference.record_event(runtime, call_id, found, datetime.now(UTC))
    JobQueue(runtime).submit(turn)
    return Response(status=204)


@voice_webhooks.post("/voice/callback/answered")
@twilio_signed
def voice_callback_answered() -> Response:
    call_id, sid = _id("call"), form_sid("CallSid")
    return _answer(lambda runtime, now: callbacks.answered(runtime, call_id, sid, now))


@voice_webhooks.post("/voice/callback/pressed")
@twilio_signed
def voice_callback_pressed() -> Response:
    call_id, digits = _id("call"), _digits()
    return _answer(lambda runtime, now: callbacks.pressed(runtime, call_id, digits, now))


@voice_webhooks.post("/voice/callback/wait")
@twilio_signed
def voice_callback_wait() -> Response:
    call_id = _id("call")
    return _answer(lambda runtime, now: callbacks.still_calling(runtime, call_id, now), outage=calls.LeaveHold())


@voice_webhooks.post("/voice/callback/done")
@twilio_signed
def voice_callback_done() -> Response:
    call_id = _id("call")
    return _answer(lambda runtime, now: callbacks.done(runtime, call_id, now))
