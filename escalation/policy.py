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

from escalation.assessment import Assessment, Category, Level


class Action(Enum):
    SAFETY_REPLY = "safety_reply"
    OPEN_ESCALATION = "open_escalation"
    GUIDE_VOLUNTEER = "guide_volunteer"
    ALERT_VOLUNTEER = "alert_volunteer"
    JUMP_QUEUE = "jump_queue"
    FLAG = "flag"


class Resource(Enum):
    """A kind of crisis resource the texter is given; the service holds each one's number per language and region."""

    SUICIDE_LINE = "suicide_line"  # a suicide and crisis line (988 in the US)
    EMERGENCY = "emergency"  # the emergency number (911, 112)
    DOMESTIC_VIOLENCE = "domestic_violence"  # a domestic-violence line
    POISON_CONTROL = "poison_control"  # poison control, for an overdose or a poison taken


# Which resources each danger needs, most urgent first. Danger from another person needs the emergency
# number and a domestic-violence line, not only the suicide line; harm to others needs the emergency number.
RESOURCES: dict[Category, tuple[Resource, ...]] = {
    Category.SUICIDE: (Resource.SUICIDE_LINE,),
    Category.SELF_HARM: (Resource.SUICIDE_LINE,),
    Category.OVERDOSE: (Resource.EMERGENCY, Resource.POISON_CONTROL, Resource.SUICIDE_LINE),
    Category.ABUSE: (Resource.EMERGENCY, Resource.DOMESTIC_VIOLENCE),
    Category.HARM_TO_OTHERS: (Resource.EMERGENCY, Resource.SUICIDE_LINE),
}
# Dangers a supervisor must hear of already when elevated, not only when imminent.
SUPERVISOR_WHEN_ELEVATED = frozenset({Category.HARM_TO_OTHERS})


def crisis_resources(assessment: Assessment) -> tuple[Resource, ...]:
    """The resources the crisis text should give for an assessment, each once, most urgent first.

    Imminent danger always leads with the emergency number; a risk with no category gets the suicide line.
    """
    wanted: list[Resource] = [Resource.EMERGENCY] if assessment.level is Level.IMMINENT else []
    for category in assessment.categories or (Category.SUICIDE,):
        wanted.extend(RESOURCES[category])
    return tuple(dict.fromkeys(wanted))


def weighs_open_escalation(assessment: Assessment) -> bool:
    """Whether respond() needs ConversationRisk.open_escalation filled in (the service loads it only then)."""
    return assessment.level is Level.IMMINENT or _alerts_supervisor_when_elevated(assessment)


def _alerts_supervisor_when_elevated(assessment: Assessment) -> bool:
    return assessment.level is Level.ELEVATED and not SUPERVISOR_WHEN_ELEVATED.isdisjoint(assessment.categories)


@dataclass(frozen=True)
class ConversationRisk:
    """What the policy needs to know about the conversation before this message."""

    status: str  # "queued" or "active"
    flagged: Level  # the conversation's risk level so far
    open_escalation: Level | None  # the highest escalation not yet acknowledged
    safety_sent_at: datetime | None
    # The kinds of danger the conversation showed before this message: a new kind may call
    # for other resources at once, or for the supervisor.
    earlier_categories: tuple[Category, ...] = ()


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
        elif _needs_new_resources(assessment, conversation):
            actions.add(Action.SAFETY_REPLY)
        if conversation.open_escalation is not Level.IMMINENT:
            actions.add(Action.OPEN_ESCALATION)
        if conversation.status == "queued":
            actions.add(Action.JUMP_QUEUE)
        elif conversation.flagged is not Level.IMMINENT:
            actions.add(Action.GUIDE_VOLUNTEER)
    elif level is Level.ELEVATED:
        if conversation.status == "active" and conversation.flagged < Level.ELEVATED:
            actions.add(Action.ALERT_VOLUNTEER)
        if _alerts_supervisor_when_elevated(assessment) and conversation.open_escalation is None:
            actions.add(Action.OPEN_ESCALATION)  # harm to others: a supervisor decides whom to warn
        if _alerts_supervisor_when_elevated(assessment) and not _seen_before(assessment, conversation):
            actions.add(Action.SAFETY_REPLY)  # and the texter gets its resources, once
    return frozenset(actions)


def _needs_new_resources(assessment: Assessment, conversation: ConversationRisk) -> bool:
    """The danger changed kind since the last crisis text and calls for a resource it did not
    give (a texter who spoke of suicide now says someone is at the door): not damped."""
    before = crisis_resources(Assessment(assessment.level, conversation.earlier_categories))
    return not set(crisis_resources(assessment)) <= set(before)


def _seen_before(assessment: Assessment, conversation: ConversationRisk) -> bool:
    return set(assessment.categories) <= set(conversation.earlier_categories)


# Queue priority by risk: imminent goes to the head, elevated ahead of the rest.
PRIORITY = {Level.NONE: 0, Level.ELEVATED: 1, Level.IMMINENT: 2}
