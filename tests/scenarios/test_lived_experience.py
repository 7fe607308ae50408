"""Lived-experience matching as texters and volunteers live it: the welcome's optional topic
question; a texter who names a topic is offered to the volunteer who shares it, and to
another once the configured limit has passed; the reports count the matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Interval, literal, update

from service.db import Conversation, Volunteer
from service.staff.reports import build_report
from tests.support.line import Line
from tests.support.stack import People, Stack, private_line_fixtures

topics_stack, topics_line = private_line_fixtures("topics", config='[matching]\ntopics = ["grief", "veterans"]\n')


def _shares(stack: Stack, phone: str, topics: str) -> None:
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Volunteer).where(Volunteer.phone == phone).values(topics=topics))


def _waiting_texter_names_grief(line: Line, people: People, stack: Stack) -> tuple[str, str, str]:
    """Gus shares grief and is busy; a texter waits, names grief (1); Nia comes on shift, free."""
    gus = people.volunteer("Gus", max_concurrent=1)
    _shares(stack, gus, "grief")
    line.start_shift(gus)
    line.connect(gus, people.texter(), "hi")
    texter = people.texter()
    line.text(texter, "hello, it's been a hard month")
    question = line.wait_for(texter, "Reply with the number")
    assert "1 grief or loss" in question["Body"] and "2 military service" in question["Body"]
    line.text(texter, "1")
    line.wait_for(texter, "look for a volunteer who has been through that too")
    nia = people.on_shift(line, "Nia")
    return gus, nia, texter


def test_a_texter_who_names_a_topic_is_offered_to_the_volunteer_who_shares_it(
    topics_line: Line, topics_stack: Stack
) -> None:
    line, people = topics_line, People(topics_stack.runtime)
    gus, nia, texter = _waiting_texter_names_grief(line, people, topics_stack)
    line.settle(quiet=1.5)
    assert not any("hard month" in m["Body"] for m in line.inbox(nia)), "held for Gus, within the limit"
    line.text(gus, "#done", to=line.inbox(gus)[-1]["From"], texter=False)
    offer = line.wait_for(gus, "hard month")
    assert "been through grief" in offer["Body"]
    line.text(gus, "#yes", to=offer["From"], texter=False)
    line.wait_for(texter, "You're now texting with Gus")
    zone = ZoneInfo(topics_stack.runtime.settings.line.timezone)
    today = datetime.now(zone).date()
    with topics_stack.runtime.sessions() as session:
        report = build_report(session, today, today, zone, topics_stack.runtime.shift_limits, datetime.now(UTC))
    assert (report.topic_matched, report.topic_named) == (1, 1)


def test_after_the_limit_the_texter_is_offered_to_another_volunteer(topics_line: Line, topics_stack: Stack) -> None:
    line, people = topics_line, People(topics_stack.runtime)
    _, nia, texter = _waiting_texter_names_grief(line, people, topics_stack)
    back = literal(timedelta(seconds=121), Interval())
    with topics_stack.runtime.sessions() as session, session.begin():
        session.execute(
            update(Conversation)
            .where(Conversation.status == "queued")
            .values(queued_at=Conversation.queued_at - back, held_until=Conversation.held_until - back)
        )
    offer = line.wait_for(nia, "hard month")
    assert "been through" not in offer["Body"]
    line.text(nia, "#yes", to=offer["From"], texter=False)
    line.wait_for(texter, "You're now texting with Nia")
