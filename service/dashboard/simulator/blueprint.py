"""Routes of the simulator: the page, sending from a phone, and the Twilio stand-in."""

from __future__ import annotations

import base64
import secrets
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from twilio.request_validator import RequestValidator

from service.dashboard.simulator.phone_feed import PhoneFeed
from service.runtime import Runtime

simulator_blueprint = Blueprint(
    "simulator", __name__, url_prefix="/simulator", template_folder="templates", static_folder="static"
)


def _runtime() -> Runtime:
    return current_app.extensions["warmline"]


def _feed() -> PhoneFeed:
    return current_app.extensions.setdefault("simulator_feed", PhoneFeed())


@simulator_blueprint.get("")
def page() -> str:
    runtime = _runtime()
    phones = current_app.config["SIMULATOR_PHONES"]
    return render_template("simulator/page.html", phones=phones, line=runtime.settings.line)


@simulator_blueprint.get("/feed")
def feed() -> Response:
    after = request.args.get("after", "0")
    return jsonify(_feed().since(int(after) if after.isdigit() else 0))


@simulator_blueprint.post("/send")
def send() -> tuple[Response, int]:
    """A phone pane sends a text: post it to the real webhook, signed as Twilio would."""
    payload = request.get_json(silent=True) or {}
    pane, to, body = str(payload.get("pane", "")), str(payload.get("to", "")), str(payload.get("body", ""))
    phones = {entry["pane"]: entry["phone"] for entry in current_app.config["SIMULATOR_PHONES"]}
    phone = phones.get(pane)
    if phone is None or to not in _runtime().settings.line.numbers or not body.strip():
        return jsonify({"error": "unknown phone or line number, or empty text"}), 400
    settings = _runtime().settings
    form = {
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": settings.twilio_account_sid,
        "From": phone,
        "To": to,
        "Body": body[:1600],
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    url = f"{settings.public_url}/twilio/sms"
    signature = RequestValidator(settings.twilio_auth_token).compute_signature(url, form)
    _feed().add(pane, to, "sent", body)
    webhook = urllib.request.Request(
        url, data=urllib.parse.urlencode(form).encode(), headers={"X-Twilio-Signature": signature}, method="POST"
    )
    try:
        with urllib.request.urlopen(webhook, timeout=15) as response:
            twiml = response.read().decode()
    except urllib.error.HTTPError as error:
        return jsonify({"error": f"webhook answered {error.code}"}), 502
    # What Twilio would text back from the webhook's reply (the crisis text, the outage text,
    # a deletion's confirmation) reaches the phone like any other text.
    for reply in inline_messages(twiml):
        _feed().add(pane, to, "received", reply)
    return jsonify({"twiml": twiml}), 200


def inline_messages(twiml: str) -> list[str]:
    """The texts of a messaging TwiML document's <Message> verbs (a body given as text or in
    a <Body> noun); our own webhook's answer, so a document it cannot parse has none."""
    try:
        root = ElementTree.fromstring(twiml)
    except ElementTree.ParseError:
        return []
    return ["".join(message.itertext()) for message in root.iter("Message")]


@simulator_blueprint.post("/twilio/2010-04-01/Accounts/<account_sid>/Messages.json")
def twilio_messages(account_sid: str) -> tuple[Response, int]:
    """Stands in for Twilio's Messages API: accepts the delivery job's request, shows it in a pane."""
    settings = _runtime().settings
    expected = base64.b64encode(f"{settings.twilio_account_sid}:{settings.twilio_auth_token}".encode()).decode()
    if account_sid != settings.twilio_account_sid or request.headers.get("Authorization") != f"Basic {expected}":
        return jsonify({"code": 20003, "message": "Authenticate", "status": 401}), 401
    to, from_number, body = request.form.get("To", ""), request.form.get("From", ""), request.form.get("Body", "")
    if not to or not from_number or not body:
        abort(400, "To, From and Body are required")
    panes = {entry["phone"]: entry["pane"] for entry in current_app.config["SIMULATOR_PHONES"]}
    _feed().add(panes.get(to, "elsewhere"), from_number, "received", body)
    sid = "SM" + secrets.token_hex(16)
    now = format_datetime(datetime.now(UTC))
    return jsonify(
        {
            "sid": sid,
            "account_sid": account_sid,
            "to": to,
            "from": from_number,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "num_segments": "1",
        }
    ), 201
