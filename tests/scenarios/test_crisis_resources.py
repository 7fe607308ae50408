"""The crisis text fits the danger, and the supervisor is brought in: each class of risk a
crisis line sees every night gets the crisis text inline in the webhook's reply (it reaches
the texter even with every worker down) and alerts the supervisor on call; danger from
another person gets the emergency number and a domestic-violence line; wanting to hurt
someone else alerts the supervisor even without immediacy.

The messages are written for these tests, in the classes of issue 19; the detector's own
evaluation sets are not read here."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.db import Escalation
from tests.support.line import Line
from tests.support.stack import People, Stack
from tests.support.twiml import inline_reply

US = {"emergency": "911", "suicide_line": "988", "domestic_violence_line": "1-800-799-7233"}


def _escalations(stack: Stack) -> list[Escalation]:
    with stack.runtime.sessions() as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)))


# (class, the texter's messages in order, the resources the crisis text must name)
CLASSES = [
    (
        "act_done",
        ["swallowed every one of my sleeping pills about twenty min ago, getting really drowsy"],
        ("988", "911"),
    ),
    ("means_at_hand", ["my dads revolver is loaded and sitting on my lap right now. im so done"], ("988", "911")),
    (
        "danger_from_another_person",
        ["my boyfriend just said he is going to kill me and he is outside banging on the door"],
        ("911", US["domestic_violence_line"]),
    ),
    ("spanish_decision_with_weapon", ["ya lo decidi, esta noche me mato con la escopeta de mi abuelo"], ("988", "911")),
    ("emoji_with_farewell", ["💊💊💊💊 goodbye everyone, this is my last text. love you mom"], ("988", "911")),
    (
        "passive_wish_then_means",
        [
            "honestly nobody would even notice if i just disappeared",
            "i have the whole bottle of pills right next to me",
        ],
        ("988", "911"),
    ),
    ("self_harm", ["i cut way too deep this time and the bleeding wont stop"], ("988", "911")),
    ("harm_to_others", ["im going to stab my stepdad tonight when he gets home, the knife is in my room"], ("911",)),
]


@pytest.mark.parametrize("messages, resources", [(m, r) for _, m, r in CLASSES], ids=[c for c, _, _ in CLASSES])
def test_each_class_of_danger_gets_the_crisis_text_inline_and_alerts_the_supervisor(
    line: Line, people: People, stack: Stack, messages: list[str], resources: tuple[str, ...]
) -> None:
    sam = people.supervisor("Sam", on_call=True)
    _, texter = people.talking(line, first_words="hey, can i talk to someone", languages="en,es")
    inline = ""
    for message in messages:
        inline = inline_reply(line.text(texter, message).text)
    assert inline, "the crisis text goes back in the webhook's own reply"
    for resource in resources:
        assert resource in inline, f"{resource} is missing from the crisis text: {inline}"
    alert = line.wait_for(sam, "escalation #")
    assert "/dashboard/escalations/" in alert["Body"]
    assert [escalation.source for escalation in _escalations(stack)] == ["detector"]


def test_danger_from_another_person_gets_the_emergency_and_domestic_violence_numbers(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam", on_call=True)
    ana, texter = people.talking(line, first_words="i need help")
    response = line.text(texter, "my ex is outside my apartment with a knife and says hes going to kill me")
    inline = inline_reply(response.text)
    assert US["emergency"] in inline and US["domestic_violence_line"] in inline
    assert inline == stack.runtime.texts.crisis_text("en", ("emergency", "domestic_violence")), "not the suicide line"
    alert = line.wait_for(sam, "escalation #")
    assert "abuse" in alert["Body"] and "imminent" in alert["Body"]
    guidance = line.wait_for(ana, "URGENT")
    assert US["domestic_violence_line"] in guidance["Body"], "the volunteer is given the same resources"
    assert "abuse" in _escalations(stack)[0].categories


def test_a_new_kind_of_danger_brings_its_resources_at_once(line: Line, people: People, stack: Stack) -> None:
    """The crisis text is damped for a while once sent, except when the danger changes kind."""
    people.supervisor("Sam", on_call=True)
    texter = people.texter()
    first = inline_reply(line.text(texter, "i have the pills in my hand and im taking all of them tonight").text)
    assert "988" in first and US["domestic_violence_line"] not in first
    then = inline_reply(
        line.text(texter, "and now my husband is kicking the door in, he said hes going to kill me").text
    )
    assert US["domestic_violence_line"] in then and US["emergency"] in then
    assert inline_reply(line.text(texter, "please").text) == "", "the same danger is not texted again at once"


def test_wanting_to_hurt_someone_else_alerts_the_supervisor_even_without_immediacy(
    line: Line, people: People, stack: Stack
) -> None:
    sam = people.supervisor("Sam", on_call=True)
    ana, texter = people.talking(line)
    inline = inline_reply(line.text(texter, "sometimes i really want to hurt my brother, like badly hurt him").text)
    assert inline == stack.runtime.texts.crisis_text("en", ("emergency", "suicide_line"))
    assert "hurt someone" in inline
    alert = line.wait_for(sam, "escalation #")
    assert "harm to others" in alert["Body"]
    line.wait_for(ana, "messages show risk")
    line.text(texter, "i mean it, i want to hurt him")
    line.settle(quiet=1.0)
    assert len([m for m in line.inbox(sam) if "escalation #" in m["Body"]]) == 1, "one page, not one per message"
