"""A request from Twilio: its signature checked against the public URL Twilio called, and its
form fields read (the SMS and the voice webhooks share both).

Behind TLS termination Flask sees `http://internal:8000/...`, not the URL Twilio signed, so
the URL is rebuilt from WARMLINE_PUBLIC_URL plus the path and query string. With no auth
token configured every request is refused: failing open would let anyone act as Twilio.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import urlparse

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator, compare, remove_port

from service.runtime import Runtime

log = logging.getLogger(__name__)

# Twilio's SIDs are two letters and 32 hex digits; accept any short alphanumeric id, refuse
# the rest before it reaches the database.
MAX_SID = 64
SID = re.compile(rf"[A-Za-z0-9]{{2,{MAX_SID}}}")


def webhook_runtime() -> Runtime:
    return current_app.extensions["warmline"]


def form_field(name: str, required: bool = True) -> str:
    value = request.form.get(name, "")
    if required and not value:
        abort(400, f"Missing required field {name}.")
    return value


def form_sid(name: str) -> str:
    value = form_field(name)
    if not SID.fullmatch(value):
        abort(400, f"{name} is not a Twilio SID.")
    return value


def public_url(req: Request, base: str) -> str:
    query = req.query_string.decode("latin-1")
    return f"{base}{req.path}" + (f"?{query}" if query else "")


def is_signed_by_twilio(req: Request, auth_token: str, base: str) -> bool:
    signature = req.headers.get("X-Twilio-Signature", "")
    if not auth_token or not signature:
        return False
    validator, url = RequestValidator(auth_token), public_url(req, base)
    # The library checks the URL without and with a port, computing both signatures every
    # time; the first is the one that matches: when it does, so would the library's check.
    if compare(validator.compute_signature(_without_port(url), req.form), signature):
        return True
    return validator.validate(url, req.form, signature)


@lru_cache(maxsize=256)
def _without_port(url: str) -> str:
    """The URL as the library first signs it; a webhook's URL is one of a few, parsed once."""
    return remove_port(urlparse(url))


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request Twilio did not sign; never act on it."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        settings = current_app.extensions["warmline"].settings
        if not settings.twilio_auth_token:
            log.error("webhook.refused reason=no_auth_token_configured path=%s", request.path)
            abort(403, "Twilio auth token is not configured; refusing all webhooks.")
        if not is_signed_by_twilio(request, settings.twilio_auth_token, settings.public_url):
            log.warning("webhook.refused reason=bad_signature path=%s", request.path)
            abort(403, "Invalid or missing X-Twilio-Signature.")
        return view(*args, **kwargs)

    return checked
