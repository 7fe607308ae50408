"""The database adapter: typed SQLAlchemy models, engines and sessions."""

from service.db.base import Base
from service.db.conversations import OPEN_STATUSES, Conversation, Escalation, Message, Offer
from service.db.messaging import STATUS_ORDER, UNSENT_STATUSES, InboundReceipt, OutboxMessage
from service.db.people import AuditEntry, LimitOverride, Shift, Supervisor, Texter, Volunteer

__all__ = [
    "OPEN_STATUSES", "STATUS_ORDER", "AuditEntry", "Base", "LimitOverride", "Conversation", "Escalation", "InboundReceipt",
    "Message", "Offer", "OutboxMessage", "Shift", "Supervisor", "Texter", "UNSENT_STATUSES", "Volunteer",
]
