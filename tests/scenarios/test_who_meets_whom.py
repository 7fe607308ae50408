"""Who meets whom, as texters and volunteers live it: a texter at risk goes to an experienced
volunteer first and to anyone after a short wait; a trainee set to texters without risk never
gets one at risk. Time is moved the way the other scenarios move it: by moving the stored
moments back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Interval, literal, select, update

from service.db import Conversation, Texter, Volunteer
from tests.support.line import Line
from tests.support.stack import People, Stack

IN_DANGER = "I'm going to kill myself tonight"


def _set(stack: Stack, phone: str, **columns: Any) -> None:
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Volunteer).where(Volunteer.phone == phone).values(**columns))


def _offers(line: Line, phone: str) -> list[str]:
    return [message["Body"] for message in line.inbox(phone) if "is waiting" in message.get("Body", "")]


def _wait_passes(stack: Stack, seconds: float) -> None:
    """Move every waiting texter's time in line (and any hold on them) back by `seconds`,
    then let the worker's sweeps see it."""
    back = literal(timedelta(seconds=seconds), Interval())
    with stack.runtime.sessions() as session, session.begin():
        session.execute(
            update(Conversation)
            .where(Conversation.status == "queued")
            .values(queued_at=Conversation.queued_at - back, held_until=Conversation.held_until - back)
        )
    stack.wait_for_sweeps(2)


def _pseudonym(stack: Stack, texter: str) -> str:
    with stack.runtime.sessions() as session:
        return session.scalars(
            select(Texter.pseudonym).where(Texter.phone_hash.in_(stack.runtime.vault.lookup_hashes(texter)))
        ).one()


def test_a_texter_in_danger_is_offered_to_the_experienced_volunteer_before_a_new_one(
    line: Line, people: People, stack: Stack
) -> None:
    new = people.on_shift(line, "Nia")
    experienced = people.on_shift(line, "Eve")
    _set(stack, experienced, level="experienced")
    texter = people.texter()
    reply = line.text(texter, IN_DANGER)
    assert "988" in reply.text, "the crisis text goes back at once"
    offer = line.wait_for(experienced, "is waiting")
    assert "RISK IMMINENT" in offer["Body"]
    line.settle(quiet=1.0)
    assert not _offers(line, new), "the new volunteer is not offered a texter in danger an experienced one is free for"
    calm = people.texter()
    line.text(calm, "hi, rough day")
    line.wait_for(new, "rough day")


def test_with_the_experienced_volunteer_busy_the_new_one_is_offered_after_the_wait(
    line: Line, people: People, stack: Stack
) -> None:
    new = people.on_shift(line, "Nia")
    experienced = people.on_shift(line, "Eve", max_concurrent=1)
    _set(stack, experienced, level="experienced")
    first = people.texter()
    line.text(first, "hello there")
    offer = line.wait_for(new, "hello there")
    line.text(new, "#pass", to=offer["From"], texter=False)
    taken = line.wait_for(experienced, "hello there")
    line.text(experienced, "#yes", to=taken["From"], texter=False)
    line.wait_for(first, "You're now texting with")
    texter = people.texter()
    line.text(texter, IN_DANGER)
    line.settle(quiet=1.5)
    pseudonym = _pseudonym(stack, texter)
    assert not any(pseudonym in body for body in _offers(line, new)), "held for the experienced volunteer"
    _wait_passes(stack, 61)
    offer = line.wait_for(new, pseudonym)
    assert "RISK IMMINENT" in offer["Body"]


def test_a_trainee_set_to_texters_without_risk_never_gets_one_at_risk(line: Line, people: People, stack: Stack) -> None:
    trainee = people.on_shift(line, "Tia")
    _set(stack, trainee, level="training", trainee_scope="risk_free")
    texter = people.texter()
    line.text(texter, IN_DANGER)
    line.settle(quiet=1.5)
    _wait_passes(stack, 600)
    line.settle(quiet=1.0)
    assert not _offers(line, trainee), "no texter at risk for a trainee set to texters without risk"
    calm = people.texter()
    line.text(calm, "hi, can we talk")
    line.wait_for(trainee, "can we talk")


def test_a_spanish_speaking_volunteer_receives_their_offer_in_spanish(line: Line, people: People, stack: Stack) -> None:
    lucia = people.on_shift(line, "Lucía", languages="es,en")
    _set(stack, lucia, staff_language="es")
    texter = people.texter()
    line.text(texter, "hi, can someone talk with me")
    offer = line.wait_for(lucia, "espera")
    assert "Responde #yes para aceptar" in offer["Body"] and "can someone talk" in offer["Body"]
    line.text(lucia, "#yes", to=offer["From"], texter=False)
    line.wait_for(lucia, "Estás conectado con")
    line.wait_for(texter, "You're now texting with Lucía")  # the texter still reads their own language
