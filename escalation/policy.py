"""What the line does about risk: an assessment plus the conversation's state gives the actions.

Peer volunteers are not clinicians. Imminent danger brings in professionals at once, every
time: the crisis line's text goes back inline (it reaches the texter even when every worker
is down), the supervisor on call is alerted, the volunteer is guided, and a waiting texter
goes to the head of the queue. Elevated risk flags the conversation and alerts the volunteer
with resources. Repeats are damped so that a texter in crisis is not flooded with the same
text and supervisors are not paged twice for what they already know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from escalation.assessment import Assessment, Level


class Action(Enum):
    SAFETY_REPLY = "safety_reply"
    OPEN_ESCALATION = "open_escalation"
    GUIDE_VOLUNTEER = "guide_volunteer"
    ALERT_VOLUNTEER = "alert_volunteer"
    JUMP_QUEUE = "jump_queue"
    FLAG = "flag"


@dataclass(frozen=True)
class ConversationRisk:
    """What the policy needs to know about the conversation before this message."""

    status: str  # "queued" or "active"
    flagged: Level  # the conversation's risk level so far
    open_escalation: Level | None  # the highest escalation not yet acknowledged
    safety_sent_at: datetime | None


@dataclass(frozen=True)
class Policy:
    """Operator settings, from `[escalation]` in config."""

    safety_repeat_minutes: float = 10


def respond(assessment: Assessment, conversation: ConversationRisk, now: datetime, policy: Policy) -> frozenset[Action]:
    """The actions for a conversation whose whole-conversation assessment is `assessment`."""
    actions: set[Action] = set()
    level = assessment.level
    if level > conversation.flagged:
        actions.add(Action.FLAG)
    if level is Level.IMMINENT:
        repeat = timedelta(minutes=policy.safety_repeat_minutes)
        if conversation.safety_sent_at is None or now - conversation.safety_sent_at >= repeat:
            actions.add(Action.SAFETY_REPLY)
        if conversation.open_escalation is not Level.IMMINENT:
            actions.add(Action.OPEN_ESCALATION)
        if conversation.status == "queued":
            actions.add(Action.JUMP_QUEUE)
        elif conversation.flagged is not Level.IMMINENT:
            actions.add(Action.GUIDE_VOLUNTEER)
    elif level is Level.ELEVATED and conversation.status == "active" and conversation.flagged < Level.ELEVATED:
        actions.add(Action.ALERT_VOLUNTEER)
    return frozenset(actions)


# Queue priority by risk: imminent goes to the head, elevated ahead of the rest.
PRIORITY = {Level.NONE: 0, Level.ELEVATED: 1, Level.IMMINENT: 2}
