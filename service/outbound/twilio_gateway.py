"""Twilio's REST API through the official client, at a configurable base URL: sending texts,
placing calls and redirecting live ones.

Tells the outcomes apart the way delivery needs them: accepted (with a SID), worth retrying
(5xx, 429, no connection), permanent (4xx such as 21610 unsubscribed or 21211 invalid
number), or unknown (the request went out but no answer came back: Twilio may have
accepted it, so it is reconciled, never blindly resent).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from service.settings import TWILIO_API_DEFAULT, Settings

UNSUBSCRIBED = 21610
# A call that has ended cannot be redirected: Twilio answers 404 (20404) or 21220.
CALL_GONE = frozenset({20404, 21220})


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client sending to `base_url` instead of Twilio (a local server in tests and
    the demo): https://api.twilio.com/... goes to {base_url}/..., and any other Twilio host to
    {base_url}/{the host's first label}/... (https://messaging.twilio.com/v1/Services to
    {base_url}/messaging/v1/Services), the interface contract's rule. With Twilio's own base
    URL nothing is rewritten."""

    def __init__(self, base_url: str, timeout: float) -> None:
        # Proxies from the environment (HTTPS_PROXY, NO_PROXY) are resolved for the one API host
        # once, here: left to requests, they are looked up in os.environ on every request, which
        # cost about a millisecond of each text sent.
        super().__init__(timeout=timeout, proxy=requests.utils.get_environ_proxies(base_url))
        if self.session is not None:
            self.session.trust_env = False
        self.base_url = base_url.rstrip("/")
        self._rebases = self.base_url != TWILIO_API_DEFAULT

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rebased(url), *args, **kwargs)

    def rebased(self, url: str) -> str:
        """Where a request for `url` goes; the Messages API (every text sent) takes the short path."""
        if not self._rebases:
            return url
        if url.startswith(TWILIO_API_DEFAULT):
            return self.base_url + url[len(TWILIO_API_DEFAULT) :]
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host != "twilio.com" and not host.endswith(".twilio.com"):
            return url
        label = host.split(".")[0]
        prefix = self.base_url if label == "api" else f"{self.base_url}/{label}"
        return prefix + parts.path + (f"?{parts.query}" if parts.query else "")


def twilio_client(account_sid: str, auth_token: str, base_url: str, timeout: float) -> Client:
    """The official client, talking to `base_url` (TWILIO_API_BASE_URL)."""
    return Client(account_sid, auth_token, http_client=BaseUrlHttpClient(base_url, timeout))


@dataclass(frozen=True)
class _Participant:
    """A conference participant as `_outcome` reads a resource: its CallSid is its sid."""

    sid: str
    status: str


@dataclass(frozen=True)
class Accepted:
    sid: str
    status: str


@dataclass(frozen=True)
class Retryable:
    reason: str
    code: int | None
    # 429: we are sending too fast (every worker slows down), not Twilio failing.
    throttled: bool = False


@dataclass(frozen=True)
class Permanent:
    reason: str
    code: int | None


@dataclass(frozen=True)
class Unknown:
    reason: str


SendOutcome = Accepted | Retryable | Permanent | Unknown


class TwilioGateway:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client = twilio_client(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_api_base_url,
            settings.delivery.twilio_timeout_seconds,
        )

    def send(self, to: str, from_number: str, body: str) -> SendOutcome:
        return _outcome(
            lambda: self._client.messages.create(
                to=to, from_=from_number, body=body, status_callback=self._settings.status_callback_url
            )
        )

    def place_call(self, to: str, from_number: str, url: str, status_callback: str, timeout: int) -> SendOutcome:
        """Call `to` from a line number; Twilio fetches `url` for TwiML once they answer and
        posts the call's end to `status_callback`."""
        return _outcome(
            lambda: self._client.calls.create(
                to=to, from_=from_number, url=url, timeout=timeout, status_callback=status_callback
            )
        )

    def redirect_call(self, sid: str, url: str) -> SendOutcome:
        """Make a live call fetch its next TwiML from `url` (taking a caller out of the hold queue)."""
        return _outcome(lambda: self._client.calls(sid).update(url=url, method="POST"))

    def add_participant(
        self,
        conference_sid: str,
        to: str,
        from_number: str,
        label: str,
        muted: bool,
        coaching_call_sid: str | None,
    ) -> SendOutcome:
        """Call `to` into a conference (a supervisor, the crisis line): muted to listen, or
        coaching the call `coaching_call_sid` (heard by that participant only)."""

        def create() -> _Participant:
            participant = self._client.conferences(conference_sid).participants.create(
                from_=from_number,
                to=to,
                label=label,
                muted=muted,
                coaching=coaching_call_sid is not None,
                call_sid_to_coach=coaching_call_sid or values.unset,
                early_media=True,
                beep="false",
            )
            return _Participant(str(participant.call_sid), str(participant.status or "queued"))

        return _outcome(create)

    def update_participant(
        self,
        conference_sid: str,
        call_sid: str,
        muted: bool,
        coaching_call_sid: str | None,
        end_conference_on_exit: bool,
    ) -> SendOutcome:
        """Change how a participant is in the conference (listening, coaching, joined) and whether
        their leaving ends it."""

        def update() -> _Participant:
            participant = (
                self._client.conferences(conference_sid)
                .participants(call_sid)
                .update(
                    muted=muted,
                    coaching=coaching_call_sid is not None,
                    call_sid_to_coach=coaching_call_sid or values.unset,
                    end_conference_on_exit=end_conference_on_exit,
                )
            )
            return _Participant(str(participant.call_sid), str(participant.status or "connected"))

        return _outcome(update)

    def remove_participant(self, conference_sid: str, call_sid: str) -> SendOutcome:
        """Take a participant out of the conference (their leg hangs up)."""
        return _outcome(
            lambda: (
                _Participant(call_sid, "complete")
                if self._client.conferences(conference_sid).participants(call_sid).delete()
                else _Participant(call_sid, "unknown")
            )
        )

    def find_sent(self, to: str, from_number: str, body: str) -> Accepted | None:
        """A message Twilio accepted although its answer never reached us (for reconciliation).

        Twilio lists newest first; a queued message has no DateSent yet, so the match is on
        the pair of numbers and the body among the latest messages.
        """
        for message in self._client.messages.list(to=to, from_=from_number, limit=50):
            if message.body == body:
                return Accepted(sid=str(message.sid), status=str(message.status or "queued"))
        return None


def _outcome(request: Callable[[], Any]) -> SendOutcome:
    """One API request, its answer sorted the way a caller must act on it."""
    try:
        resource = request()
    except TwilioRestException as error:
        if error.status == 429 or error.status >= 500:
            return Retryable(f"http {error.status}", error.code, throttled=error.status == 429)
        return Permanent(f"http {error.status}", error.code)
    except requests.exceptions.ConnectTimeout:
        return Retryable("connect timeout", None)
    except requests.exceptions.ConnectionError as error:
        # Refused before sending is safe to retry; a connection dropped mid-request is not.
        if "refused" in str(error).lower():
            return Retryable("connection refused", None)
        return Unknown("connection lost")
    except requests.exceptions.Timeout:
        return Unknown("read timeout")
    return Accepted(sid=str(resource.sid), status=str(resource.status or "queued"))
