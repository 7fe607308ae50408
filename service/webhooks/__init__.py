"""Twilio's webhooks: signed requests in, TwiML out."""

from service.webhooks import voice_routes  # noqa: F401  (adds the /twilio/voice routes to the blueprint)
from service.webhooks.blueprint import twilio_blueprint

__all__ = ["twilio_blueprint"]
