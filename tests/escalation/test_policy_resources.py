"""Which crisis resources each danger needs, and who hears of harm to others."""

from __future__ import annotations

from datetime import UTC, datetime

from escalation.assessment import Assessment, Category, Level
from escalation.policy import (
    Action,
    ConversationRisk,
    Policy,
    Resource,
    crisis_resources,
    respond,
    weighs_open_escalation,
)

NOW = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)
ACTIVE = ConversationRisk(status="active", flagged=Level.NONE, open_escalation=None, safety_sent_at=None)


def test_danger_from_another_person_gets_the_emergency_number_and_a_domestic_violence_line() -> None:
    resources = crisis_resources(Assessment(Level.IMMINENT, (Category.ABUSE,)))
    assert resources == (Resource.EMERGENCY, Resource.DOMESTIC_VIOLENCE)
    assert Resource.SUICIDE_LINE not in resources


def test_suicide_risk_gets_the_suicide_line_and_imminent_danger_leads_with_the_emergency_number() -> None:
    assert crisis_resources(Assessment(Level.ELEVATED, (Category.SUICIDE,))) == (Resource.SUICIDE_LINE,)
    assert crisis_resources(Assessment(Level.IMMINENT, (Category.SUICIDE,)))[0] is Resource.EMERGENCY


def test_an_overdose_gets_poison_control() -> None:
    assert Resource.POISON_CONTROL in crisis_resources(Assessment(Level.IMMINENT, (Category.OVERDOSE,)))


def test_harm_to_others_alerts_the_supervisor_already_when_elevated() -> None:
    harm = Assessment(Level.ELEVATED, (Category.HARM_TO_OTHERS,))
    assert weighs_open_escalation(harm)
    assert Action.OPEN_ESCALATION in respond(harm, ACTIVE, NOW, Policy())
    already = ConversationRisk(
        status="active", flagged=Level.ELEVATED, open_escalation=Level.ELEVATED, safety_sent_at=None
    )
    assert Action.OPEN_ESCALATION not in respond(harm, already, NOW, Policy())


def test_elevated_suicide_risk_does_not_page_the_supervisor() -> None:
    ideation = Assessment(Level.ELEVATED, (Category.SUICIDE,))
    assert not weighs_open_escalation(ideation)
    assert Action.OPEN_ESCALATION not in respond(ideation, ACTIVE, NOW, Policy())
