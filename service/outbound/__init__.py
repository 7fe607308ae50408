"""What the line sends: outbox rows written in the turn that causes them, their delivery, and
Twilio's REST API."""
