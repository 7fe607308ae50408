"""Twilio's webhooks: signed requests in, TwiML out."""

from service.webhooks.blueprint import twilio_blueprint

__all__ = ["twilio_blueprint"]
