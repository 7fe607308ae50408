"""What the line does about risk: an assessment plus the conversation's state gives the actions.

Peer volunteers are not clinicians. Imminent danger brings in professionals at once, every
time: the crisis line's text goes back inline (it reaches the texter even when every worker
is down), the supervisor on call is alerted, the volunteer is guided, and a waiting texter
goes to the head of the queue. Elevated risk flags the conversation and alerts the volunteer
with resources; wanting to hurt someone else also brings in the supervisor, with a text of its
own to the texter, whatever its level: a peer volunteer does not weigh a threat to a third
person alone. The crisis text names the resources the danger calls for: danger from another
person needs the emergency number and a domestic-violence line more than a suicide line.
Repeats are damped so that a texter in crisis is not flooded with the same text and
supervisors are not paged twice for what they already know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from escalation.assessment import Assessment, Category, Level


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
    # The kinds of danger the conversation showed before this message: a new kind may call
    # for other resources, or for the supervisor.
    earlier_categories: tuple[Category, ...] = ()


class CrisisText(Enum):
    """Which crisis text a danger calls for; each names its resources. Values are the texts'
    keys in config/messages (`[texter]`)."""

    # Suicide, self-harm, overdose: the suicide and crisis line, the emergency number.
    SELF = "safety"
    # Someone else threatens or hurts the texter: the emergency number first, a domestic-violence line.
    DANGER_FROM_OTHERS = "safety_danger_from_others"
    # Both at once: every one of those resources.
    DANGER_FROM_OTHERS_AND_SELF = "safety_danger_from_others_and_self"
    # The texter may hurt someone else: step away, the crisis line (it helps with this too), the emergency number.
    HARM_TO_OTHERS = "safety_harm_to_others"


_TO_SELF = frozenset({Category.SUICIDE, Category.SELF_HARM, Category.OVERDOSE})


def crisis_text(categories: tuple[Category, ...]) -> CrisisText:
    """The crisis text for a conversation whose danger is of these kinds. Danger from another
    person comes first (the emergency number matters most when someone is at the door); a
    danger with no named kind (a conversation raised by its signals) is treated as to oneself."""
    kinds = frozenset(categories)
    to_self = bool(kinds & _TO_SELF)
    if Category.ABUSE in kinds:
        return CrisisText.DANGER_FROM_OTHERS_AND_SELF if to_self else CrisisText.DANGER_FROM_OTHERS
    if Category.HARM_TO_OTHERS in kinds and not to_self:
        return CrisisText.HARM_TO_OTHERS
    return CrisisText.SELF


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
        if _crisis_text_due(assessment, conversation, now, policy):
            actions.add(Action.SAFETY_REPLY)
        if conversation.open_escalation is not Level.IMMINENT:
            actions.add(Action.OPEN_ESCALATION)
        if conversation.status == "queued":
            actions.add(Action.JUMP_QUEUE)
        elif conversation.flagged is not Level.IMMINENT:
            actions.add(Action.GUIDE_VOLUNTEER)
        return frozenset(actions)
    if level is Level.ELEVATED and conversation.status == "active" and conversation.flagged < Level.ELEVATED:
        actions.add(Action.ALERT_VOLUNTEER)
    if level is Level.ELEVATED and _newly_harm_to_others(assessment, conversation):
        actions.add(Action.SAFETY_REPLY)
        if conversation.open_escalation is None:
            actions.add(Action.OPEN_ESCALATION)
    return frozenset(actions)


def _crisis_text_due(assessment: Assessment, conversation: ConversationRisk, now: datetime, policy: Policy) -> bool:
    """Not sent yet, or long enough ago, or the danger now calls for other resources (a texter
    who spoke of suicide and now says someone is at the door needs the emergency number now)."""
    if conversation.safety_sent_at is None or now - conversation.safety_sent_at >= timedelta(
        minutes=policy.safety_repeat_minutes
    ):
        return True
    return crisis_text(assessment.categories) is not crisis_text(conversation.earlier_categories)


def _newly_harm_to_others(assessment: Assessment, conversation: ConversationRisk) -> bool:
    return (
        Category.HARM_TO_OTHERS in assessment.categories
        and Category.HARM_TO_OTHERS not in conversation.earlier_categories
    )


# Queue priority by risk: imminent goes to the head, elevated ahead of the rest.
PRIORITY = {Level.NONE: 0, Level.ELEVATED: 1, Level.IMMINENT: 2}
