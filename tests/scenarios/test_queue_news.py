"""A texter in line kept informed: their new place as it improves, never more often than
configured, and after a long wait the choice to keep their place or get the crisis line's
options. Time is moved by moving the stored moments back, as the other scenarios do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Interval, literal, update

from service.db import Conversation
from tests.support.line import Line
from tests.support.stack import People, Stack


def _minutes_pass(stack: Stack, minutes: float, **columns_back: bool) -> None:
    """Move the waiting texters' `columns_back` (place_checked_at, queued_at) back by `minutes`,
    then let the worker's sweeps see it."""
    back = literal(timedelta(minutes=minutes), Interval())
    values = {name: getattr(Conversation, name) - back for name in columns_back}
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Conversation).where(Conversation.status == "queued").values(**values))
    stack.wait_for_sweeps(2)


def _places(line: Line, texter: str) -> list[str]:
    return [m["Body"] for m in line.inbox(texter) if "You're now number" in m["Body"]]


def test_places_are_told_as_they_improve_and_no_more_often_than_configured(
    line: Line, people: People, stack: Stack
) -> None:
    people.talking(line, "Ana", max_concurrent=1)
    first, second, third = people.texter(), people.texter(), people.texter()
    for number, texter in enumerate((first, second, third), 1):
        line.text(texter, "hello, is anyone there")
        line.wait_for(texter, f"number {number} in line")
    line.text(first, "STOP")
    stack.wait_for_sweeps(2)
    assert not _places(line, second) and not _places(line, third), "told at most every 3 minutes"
    _minutes_pass(stack, 3, place_checked_at=True)
    line.wait_for(second, "You're now number 1 in line")
    line.wait_for(third, "You're now number 2 in line")
    line.text(second, "STOP")
    stack.wait_for_sweeps(2)
    assert _places(line, third) == [line.wait_for(third, "now number 2")["Body"]], "not again within 3 minutes"
    _minutes_pass(stack, 3, place_checked_at=True)
    update_ = line.wait_for(third, "You're now number 1 in line")
    assert "minutes" not in update_["Body"], "no estimate when the line's pace says nothing yet"
    _minutes_pass(stack, 1, place_checked_at=True)
    assert len(_places(line, third)) == 2, "no news is not news"


def test_after_a_long_wait_the_texter_may_keep_waiting_or_get_the_crisis_line_s_options(
    line: Line, people: People, stack: Stack
) -> None:
    people.talking(line, "Ana", max_concurrent=1)
    texter = people.texter()
    line.text(texter, "hi, I need someone")
    line.wait_for(texter, "number 1 in line")
    _minutes_pass(stack, 21, queued_at=True)
    line.wait_for(texter, "Reply 1 to keep your place")
    line.text(texter, "2")
    options = line.wait_for(texter, "crisis counselor")
    assert "988" in options["Body"]
    line.text(texter, "1")
    line.wait_for(texter, "You're still in line, number 1")
    _minutes_pass(stack, 21, queued_at=True)
    asked = [m for m in line.inbox(texter) if "Reply 1 to keep your place" in m["Body"]]
    assert len(asked) == 1, "asked once"
