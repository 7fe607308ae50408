"""The fake Twilio's Conferences and their Participants (2010-04-01): fetch and update a
conference; create, list, fetch, update (`Muted`, `Hold`, `Coaching`, `CallSidToCoach`,
`EndConferenceOnExit`...) and remove a participant. Every request form is checked against
Twilio's OpenAPI spec (CreateParticipant, UpdateParticipant, UpdateConference) and every
answer has exactly the spec's fields.

The server script loads the contract (`load_conference_contract` there) and hands in its
spec rules. A conference comes to exist the way it does at Twilio, when a call's TwiML `<Dial>`s into it:
a test says so through the control API (`POST /_control/conferences`, with the calls already
in it and their labels), then the service learns its SID from the signed status callback the
test sends, as Twilio would.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

API_VERSION = "2010-04-01"
CONFERENCE_PATH = "/2010-04-01/Accounts/{AccountSid}/Conferences/{Sid}.json"
PARTICIPANTS_PATH = "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json"
PARTICIPANT_PATH = "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants/{CallSid}.json"
CONFERENCE_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Conferences/([^/]+)\.json")
PARTICIPANTS_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Conferences/([^/]+)/Participants\.json")
PARTICIPANT_ROUTE = re.compile(r"/2010-04-01/Accounts/([^/]+)/Conferences/([^/]+)/Participants/([^/]+)\.json")
CONFERENCE_SID = re.compile(r"CF[0-9a-f]{32}")
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
# Twilio's answer to coaching a call that is not in the conference.
COACHED_CALL_MISSING = (400, 16025, "Call to coach is not a participant of this conference")


@dataclass(frozen=True)
class ConferenceContract:
    """The spec's operations this module answers: each form's contract (the server's
    `FormContract`, read by its `_form_contract`) and each resource's field names."""

    participant_create: Any
    participant_update: Any
    conference_update: Any
    participant_fields: tuple[str, ...]
    conference_fields: tuple[str, ...]


@dataclass(frozen=True)
class SpecRules:
    """The server's own spec rules, handed in (this module runs beside the server script and
    imports nothing from it): a form's validation, its typed fields, and Twilio's error."""

    validate: Callable[[Any, dict[str, list[str]]], dict[str, str | list[str]]]
    typed: Callable[[Any, dict[str, str | list[str]]], dict[str, Any]]
    error: Callable[[int, int, str], Exception]


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


class Conferences:
    """Live conferences, their participants, and a log of every change made through the API."""

    def __init__(self, contract: ConferenceContract, rules: SpecRules, account_sid: str) -> None:
        self._contract = contract
        self._rules = rules
        self._account_sid = account_sid
        self._lock = threading.Lock()
        self._conferences: dict[str, dict[str, Any]] = {}
        self._participants: dict[str, dict[str, dict[str, Any]]] = {}
        self._log: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self._lock:
            self._conferences.clear()
            self._participants.clear()
            self._log.clear()

    def start(self, sid: str, friendly_name: str, calls: dict[str, str]) -> dict[str, Any]:
        """A conference the calls `calls` ({CallSid: label}) have `<Dial>`ed into."""
        if not CONFERENCE_SID.fullmatch(sid) or not all(CALL_SID.fullmatch(call) for call in calls):
            raise ValueError("conferences takes a sid (CF + 32 hex), a friendly_name and calls {CA...: label}")
        now = datetime.now(UTC)
        with self._lock:
            self._conferences[sid] = self._conference(sid, friendly_name, now)
            self._participants[sid] = {
                call: self._participant(sid, call, {"label": label}, now) for call, label in calls.items()
            }
            return dict(self._conferences[sid])

    def log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._log]

    def handle(self, method: str, path: str, form: dict[str, list[str]] | None) -> tuple[int, Any] | None:
        """Answer a Conferences API request (status, JSON body); None when the path is not one."""
        conference, participants, participant = (
            CONFERENCE_ROUTE.fullmatch(path),
            PARTICIPANTS_ROUTE.fullmatch(path),
            PARTICIPANT_ROUTE.fullmatch(path),
        )
        if conference is None and participants is None and participant is None:
            return None
        with self._lock:
            if conference is not None:
                return self._conference_api(method, conference.group(2), form)
            if participants is not None:
                return self._participants_api(method, participants.group(2), form)
            assert participant is not None
            return self._participant_api(method, participant.group(2), participant.group(3), form)

    def _found(self, sid: str) -> dict[str, dict[str, Any]]:
        if sid not in self._conferences:
            raise self._rules.error(404, 20404, f"The requested resource /Conferences/{sid}.json was not found")
        return self._participants[sid]

    def _conference_api(self, method: str, sid: str, form: dict[str, list[str]] | None) -> tuple[int, Any]:
        self._found(sid)
        if method == "GET":
            return 200, dict(self._conferences[sid])
        if method != "POST":
            raise self._rules.error(405, 20004, "Method not allowed")
        fields = self._rules.validate(self._contract.conference_update, form or {})
        if fields.get("Status") == "completed":
            self._conferences[sid]["status"] = "completed"
            self._participants[sid].clear()
        self._log.append({**fields, "action": "update_conference", "conference_sid": sid})
        return 200, dict(self._conferences[sid])

    def _participants_api(self, method: str, sid: str, form: dict[str, list[str]] | None) -> tuple[int, Any]:
        members = self._found(sid)
        if method == "GET":
            return 200, {"participants": [dict(member) for member in members.values()]}
        if method != "POST":
            raise self._rules.error(405, 20004, "Method not allowed")
        fields = self._rules.validate(self._contract.participant_create, form or {})
        self._check_coaching(members, fields)
        call_sid = "CA" + uuid.uuid4().hex
        typed = self._rules.typed(self._contract.participant_create, fields)
        members[call_sid] = self._participant(sid, call_sid, typed, datetime.now(UTC), status="queued")
        self._log.append({**fields, "action": "create_participant", "conference_sid": sid, "call_sid": call_sid})
        return 201, dict(members[call_sid])

    def _participant_api(
        self, method: str, sid: str, call_sid: str, form: dict[str, list[str]] | None
    ) -> tuple[int, Any]:
        members = self._found(sid)
        member = members.get(call_sid)
        if member is None:
            raise self._rules.error(404, 20404, f"The requested resource /Participants/{call_sid}.json was not found")
        if method == "GET":
            return 200, dict(member)
        if method == "DELETE":
            del members[call_sid]
            self._log.append({"action": "remove_participant", "conference_sid": sid, "call_sid": call_sid})
            return 204, None
        fields = self._rules.validate(self._contract.participant_update, form or {})
        self._check_coaching(members, fields)
        member.update(
            {
                key: value
                for key, value in self._rules.typed(self._contract.participant_update, fields).items()
                if key in member
            }
        )
        member["date_updated"] = rfc2822(datetime.now(UTC))
        self._log.append({**fields, "action": "update_participant", "conference_sid": sid, "call_sid": call_sid})
        return 200, dict(member)

    def _check_coaching(self, members: dict[str, dict[str, Any]], fields: dict[str, str | list[str]]) -> None:
        """Coaching needs the call coached, and that call must be in the conference."""
        coaching = str(fields.get("Coaching", "")).lower() == "true"
        coached = fields.get("CallSidToCoach")
        if coaching and not coached:
            raise self._rules.error(400, 16024, "CallSidToCoach is required when Coaching is true")
        if coached and coached not in members:
            raise self._rules.error(*COACHED_CALL_MISSING)

    def _conference(self, sid: str, friendly_name: str, now: datetime) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self._account_sid}/Conferences/{sid}"
        known = {
            "account_sid": self._account_sid,
            "api_version": API_VERSION,
            "date_created": rfc2822(now),
            "date_updated": rfc2822(now),
            "friendly_name": friendly_name,
            "region": "us1",
            "sid": sid,
            "status": "in-progress",
            "uri": f"{uri}.json",
            "subresource_uris": {
                "participants": f"{uri}/Participants.json",
                "recordings": f"{uri}/Recordings.json",
            },
        }
        return {name: known.get(name) for name in self._contract.conference_fields}

    def _participant(
        self, sid: str, call_sid: str, typed: dict[str, Any], now: datetime, status: str = "connected"
    ) -> dict[str, Any]:
        known = {
            "account_sid": self._account_sid,
            "call_sid": call_sid,
            "label": typed.get("label"),
            "call_sid_to_coach": typed.get("call_sid_to_coach"),
            "coaching": typed.get("coaching", False),
            "conference_sid": sid,
            "date_created": rfc2822(now),
            "date_updated": rfc2822(now),
            "end_conference_on_exit": typed.get("end_conference_on_exit", False),
            "muted": typed.get("muted", False),
            "hold": False,
            "start_conference_on_enter": typed.get("start_conference_on_enter", True),
            "status": status,
            "queue_time": None,
            "uri": f"/{API_VERSION}/Accounts/{self._account_sid}/Conferences/{sid}/Participants/{call_sid}.json",
        }
        return {name: known.get(name) for name in self._contract.participant_fields}
