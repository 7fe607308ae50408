"""Pointing Twilio at this service: each line number's webhooks and the one Messaging Service
that holds the line numbers, compared with what they should be and, when asked, changed
through Twilio's REST API.

`warmline twilio setup` applies the differences; `warmline check` reports them. Both walk
the same comparison, so what check calls wrong is exactly what setup would change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twilio.rest import Client

from service.settings import Problem, Settings

# Twilio ignores a number's own SMS URL while it sits in a Messaging Service, unless the
# service says to use it: the flag the README's console steps used to leave unnamed.
SERVICE_WANTED = {"use_inbound_webhook_on_number": True, "inbound_method": "POST"}


@dataclass
class Survey:
    """What differs between Twilio and this service: changes setup can make, problems it cannot."""

    changes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def number_webhooks(settings: Settings) -> dict[str, str]:
    """Each line number's webhooks, as the IncomingPhoneNumber resource names them."""
    return {
        "sms_url": f"{settings.public_url}/twilio/sms",
        "sms_method": "POST",
        "voice_url": f"{settings.public_url}/twilio/voice",
        "voice_method": "POST",
        "status_callback": settings.call_status_callback_url,
        "status_callback_method": "POST",
        # A TwiML App on the number overrides its URLs; none may be set.
        "sms_application_sid": "",
        "voice_application_sid": "",
    }


def service_settings(settings: Settings) -> dict[str, Any]:
    """The Messaging Service's own settings; its inbound URL only matters if the flag is lost."""
    return {
        **SERVICE_WANTED,
        "inbound_request_url": f"{settings.public_url}/twilio/sms",
        "status_callback": settings.status_callback_url,
    }


def survey(client: Client, settings: Settings, apply: bool) -> Survey:
    """Compare Twilio's setup with this service's; with `apply`, change what differs."""
    found = Survey()
    owned = _line_numbers(client, settings, found, apply)
    _messaging_service(client, settings, owned, found, apply)
    return found


def _line_numbers(client: Client, settings: Settings, found: Survey, apply: bool) -> dict[str, str]:
    """Point each owned line number's webhooks here; returns number -> its PN sid."""
    wanted = number_webhooks(settings)
    owned = {}
    for number in settings.line.numbers:
        # Twilio's PhoneNumber filter matches a part of the number: keep the exact one.
        matches = [
            candidate
            for candidate in client.incoming_phone_numbers.list(phone_number=number)
            if candidate.phone_number == number
        ]
        if not matches:
            found.problems.append(
                Problem(
                    number,
                    "is not a number of this Twilio account",
                    "Buy it in the Twilio console, or correct [line] main_number / pool_numbers",
                )
            )
            continue
        resource = matches[0]
        owned[number] = resource.sid
        updates = {name: value for name, value in wanted.items() if (getattr(resource, name) or "") != value}
        for name, value in updates.items():
            found.changes.append(
                f"{number}: {name.replace('_', ' ')} {getattr(resource, name) or '(none)'} -> {value or '(none)'}"
            )
        if updates and apply:
            client.incoming_phone_numbers(resource.sid).update(**updates)
    return owned


def _messaging_service(client: Client, settings: Settings, owned: dict[str, str], found: Survey, apply: bool) -> None:
    """One Messaging Service, found by its friendly name, holding exactly the line numbers."""
    name = settings.line.messaging_service
    services = client.messaging.v1.services.list()
    ours = [service for service in services if service.friendly_name == name]
    wanted = service_settings(settings)
    if len(ours) > 1:
        found.problems.append(
            Problem(
                f"Messaging Service {name!r}",
                f"exists {len(ours)} times",
                f"Delete all but {ours[0].sid} in the Twilio console (Messaging > Services)",
            )
        )
    service = ours[0] if ours else None
    if service is None:
        found.changes.append(f"Messaging Service {name!r}: created, with per-number inbound webhooks")
        if apply:
            service = client.messaging.v1.services.create(friendly_name=name, **wanted)
    else:
        updates = {key: value for key, value in wanted.items() if getattr(service, key) != value}
        for key, value in updates.items():
            found.changes.append(
                f"Messaging Service {name!r}: {key.replace('_', ' ')} {getattr(service, key)} -> {value}"
            )
        if updates and apply:
            service = client.messaging.v1.services(service.sid).update(**updates)
    members = {} if service is None else _members(client, service.sid)
    elsewhere: dict[str, tuple[str, str]] = {}
    for other in services:
        if service is None or other.sid != service.sid:
            for sid in _members(client, other.sid).values():
                elsewhere[sid] = (other.sid, other.friendly_name or other.sid)
    for number, sid in owned.items():
        if sid in members.values():
            continue
        if sid in elsewhere:
            other_sid, other_name = elsewhere[sid]
            found.changes.append(f"{number}: moved from Messaging Service {other_name!r} to {name!r}")
            if apply:
                client.messaging.v1.services(other_sid).phone_numbers(sid).delete()
        else:
            found.changes.append(f"{number}: added to Messaging Service {name!r}")
        if apply and service is not None:
            client.messaging.v1.services(service.sid).phone_numbers.create(phone_number_sid=sid)
    for number, sid in members.items():
        if number not in settings.line.numbers:
            found.changes.append(f"{number}: removed from Messaging Service {name!r} (not a line number)")
            if apply and service is not None:
                client.messaging.v1.services(service.sid).phone_numbers(sid).delete()


def _members(client: Client, service_sid: str) -> dict[str, str]:
    """A Messaging Service's numbers: number -> PN sid."""
    return {
        str(member.phone_number): str(member.sid)
        for member in client.messaging.v1.services(service_sid).phone_numbers.list()
    }


def console_steps(settings: Settings) -> list[str]:
    """What Twilio's API cannot set, for the operator to do in the console once."""
    name = settings.line.messaging_service
    return [
        f"Messaging > Services > {name} > Opt-Out Management: turn on Advanced Opt-Out.",
        "Keep STOP (with its reply: warm, giving START to come back and the crisis line, 988).",
        "Remove END, QUIT, CANCEL and REVOKE from the opt-out keywords, so that a texter who ends "
        'a chat with "end" is not cut off from the line.',
        f"US numbers: register {name} with one 10DLC campaign (a charity's) before texting at volume.",
    ]
