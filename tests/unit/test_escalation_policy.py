"""The escalation policy: which actions each assessment brings, and which repeats are damped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from escalation.assessment import Assessment, Category, Level
from escalation.policy import Action, ConversationRisk, Policy, respond

NOW = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
IMMINENT = Assessment(Level.IMMINENT, (Category.SUICIDE,), ("plan",))
ELEVATED = Assessment(Level.ELEVATED, (Category.SUICIDE,), ("want to die",))


def state(
    status: str = "active",
    flagged: Level = Level.NONE,
    open_escalation: Level | None = None,
    safety_sent_at: datetime | None = None,
) -> ConversationRisk:
    return ConversationRisk(
        status=status, flagged=flagged, open_escalation=open_escalation, safety_sent_at=safety_sent_at
    )


def test_imminent_in_an_active_conversation_brings_everything_at_once() -> None:
    assert respond(IMMINENT, state(), NOW, Policy()) == {
        Action.FLAG,
        Action.SAFETY_REPLY,
        Action.OPEN_ESCALATION,
        Action.GUIDE_VOLUNTEER,
    }


def test_imminent_while_waiting_jumps_the_queue() -> None:
    actions = respond(IMMINENT, state("queued"), NOW, Policy())
    assert Action.JUMP_QUEUE in actions and Action.SAFETY_REPLY in actions and Action.GUIDE_VOLUNTEER not in actions


def test_repeats_are_damped_but_the_safety_text_comes_back_after_a_while() -> None:
    again = state(flagged=Level.IMMINENT, open_escalation=Level.IMMINENT, safety_sent_at=NOW - timedelta(minutes=3))
    assert respond(IMMINENT, again, NOW, Policy()) == frozenset()
    later = state(flagged=Level.IMMINENT, open_escalation=Level.IMMINENT, safety_sent_at=NOW - timedelta(minutes=11))
    assert respond(IMMINENT, later, NOW, Policy()) == {Action.SAFETY_REPLY}


def test_an_acknowledged_escalation_is_opened_again_on_new_imminent_danger() -> None:
    acknowledged = state(flagged=Level.IMMINENT, open_escalation=None, safety_sent_at=NOW)
    assert Action.OPEN_ESCALATION in respond(IMMINENT, acknowledged, NOW, Policy())


def test_elevated_flags_and_alerts_the_volunteer_once() -> None:
    assert respond(ELEVATED, state(), NOW, Policy()) == {Action.FLAG, Action.ALERT_VOLUNTEER}
    assert respond(ELEVATED, state(flagged=Level.ELEVATED), NOW, Policy()) == frozenset()
    assert respond(ELEVATED, state("queued"), NOW, Policy()) == {Action.FLAG}


def test_nothing_happens_without_risk() -> None:
    assert respond(Assessment(Level.NONE), state(), NOW, Policy()) == frozenset()
