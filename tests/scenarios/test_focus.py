"""Focus: a volunteer whose texter is in imminent danger is offered nobody new until the
supervisor acknowledges the escalation (or the conversation ends), and the offer pending to
them goes on to the next volunteer at once, not after its timeout."""

from __future__ import annotations

from sqlalchemy import select

from service.db import Offer
from tests.support.line import Line
from tests.support.stack import People, Stack

IMMINENT = "i have the pills in front of me and i'm going to take them all tonight"


def test_a_volunteer_with_a_texter_in_danger_gets_no_offer_and_their_pending_offer_moves_on(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.volunteer("Ana", max_concurrent=2)
    sam = people.supervisor("Sam", on_call=True)
    line.start_shift(ana)
    first = people.texter()
    line.connect(ana, first, "hi, bad day")
    second = people.texter()
    line.text(second, "hello, is anyone there")
    line.wait_for(ana, "hello, is anyone there")  # Ana has room for a second texter: offered to her
    ben = people.volunteer("Ben")
    line.start_shift(ben)  # the offer is Ana's: Ben waits

    line.text(first, IMMINENT)
    line.wait_for(ana, "URGENT")
    moved = line.wait_for(ana, "has gone to another volunteer")
    offer = line.wait_for(ben, "hello, is anyone there", timeout=5)  # at once: the offer's timeout is 4 s
    assert "is waiting" in offer["Body"] and "Ben" not in moved["Body"]
    with stack.runtime.sessions() as session:
        assert session.scalars(select(Offer.status).order_by(Offer.id)).all()[-2:] == ["withdrawn", "pending"]

    third = people.texter()
    line.text(third, "can i talk to someone")
    line.settle(quiet=2.0)  # Ben has an offer pending, Ana is with the texter in danger
    assert not [m for m in line.inbox(ana) if "can i talk to someone" in m["Body"]]

    alert = line.wait_for(sam, "escalation #")
    number = alert["Body"].split("escalation #")[1].split(":")[0]
    line.text(sam, f"#ack {number}", texter=False)
    line.wait_for(ana, "can i talk to someone")  # acknowledged: Ana may take a texter again
