"""The database adapter: typed SQLAlchemy models, engines and sessions."""

from service.db.access import LoginFailure, StaffSession
from service.db.base import MAX_ID, Base, parse_id
from service.db.call_records import Call
from service.db.contact_records import NOTE_PENDING, ContactNote, FollowUp, Referral
from service.db.conversation_records import OPEN_STATUSES, PHONE_CHANNELS, Conversation, Escalation, Message, Offer
from service.db.line_state import LINE_STATE_ID, LineState, OperatorAlert
from service.db.messaging import STATUS_ORDER, UNSENT_STATUSES, InboundReceipt, OutboxMessage
from service.db.people import AuditEntry, LimitOverride, Shift, Supervisor, Texter, Volunteer
from service.db.rota_records import FallbackCall, RotaChange, RotaListing, RotaSignup, RotaSlot
from service.db.supervision_records import CallParticipant, SupervisorSeat, Transfer
from service.db.texter_records import TexterBlock, TexterPlan

__all__ = [
    "MAX_ID",
    "OPEN_STATUSES",
    "PHONE_CHANNELS",
    "STATUS_ORDER",
    "AuditEntry",
    "Base",
    "Call",
    "ContactNote",
    "FollowUp",
    "NOTE_PENDING",
    "Referral",
    "CallParticipant",
    "LimitOverride",
    "Conversation",
    "Escalation",
    "FallbackCall",
    "InboundReceipt",
    "LINE_STATE_ID",
    "LineState",
    "LoginFailure",
    "Message",
    "Offer",
    "OperatorAlert",
    "OutboxMessage",
    "RotaChange",
    "RotaListing",
    "RotaSignup",
    "RotaSlot",
    "Shift",
    "StaffSession",
    "Supervisor",
    "SupervisorSeat",
    "Texter",
    "Transfer",
    "TexterBlock",
    "TexterPlan",
    "UNSENT_STATUSES",
    "Volunteer",
    "parse_id",
]
