"""Shift limits as volunteers live them: refused starts, pauses after heavy conversations,
wrap-up and automatic shift ends, and supervisors' overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from service.db import AuditEntry, Shift, Volunteer
from tests.support.installed_commands import run_command
from tests.support.line import Line
from tests.support.stack import People, Stack


def _volunteer_id(stack: Stack, phone: str) -> int:
    with stack.runtime.sessions() as session:
        return session.scalars(select(Volunteer.id).where(Volunteer.phone == phone)).one()


def _past_shift(stack: Stack, phone: str, ended_ago: timedelta, length: timedelta = timedelta(hours=4)) -> None:
    now = datetime.now(UTC)
    with stack.runtime.sessions() as session, session.begin():
        session.add(
            Shift(
                volunteer_id=_volunteer_id(stack, phone),
                started_at=now - ended_ago - length,
                ended_at=now - ended_ago,
                end_reason="volunteer",
            )
        )


def test_on_is_refused_with_the_reason_during_rest_between_shifts(line: Line, people: People, stack: Stack) -> None:
    ana = people.volunteer("Ana")
    _past_shift(stack, ana, ended_ago=timedelta(hours=2))
    line.text(ana, "#on", texter=False)
    refused = line.wait_for(ana, "Rest first")
    assert "8 hours" in refused["Body"] and "You can start at" in refused["Body"]
    texter = people.texter()
    line.text(texter, "hello")
    line.wait_for(texter, "No volunteer is on shift")


def test_on_is_refused_past_the_weekly_hours(line: Line, people: People, stack: Stack) -> None:
    ana = people.volunteer("Ana")
    for days in range(1, 6):
        _past_shift(stack, ana, ended_ago=timedelta(days=days), length=timedelta(hours=4))
    line.text(ana, "#on", texter=False)
    line.wait_for(ana, "20 hours this week")


def test_escalated_conversation_brings_a_check_in_a_cooldown_and_a_debrief_on_request(
    line: Line, people: People
) -> None:
    sam = people.supervisor("Sam")
    ana, texter = people.talking(line)
    line.text(ana, "#escalate", texter=False)
    line.wait_for(sam, "escalation")
    line.text(ana, "#done", texter=False)
    checkin = line.wait_for(ana, "That was a heavy conversation")
    assert "#ok" in checkin["Body"] and "#debrief" in checkin["Body"]
    waiting = people.texter()
    line.text(waiting, "hi there")
    line.wait_for(waiting, "number 1 in line")
    line.text(ana, "#status", texter=False)
    line.wait_for(ana, "Pausing until")
    line.text(ana, "#ok", texter=False)
    line.wait_for(ana, "You'll get texters again from")
    line.text(ana, "#debrief", texter=False)
    line.wait_for(sam, "asks for a debrief")
    line.wait_for(ana, "asked to reach out to you")
    line.settle(quiet=1.0)
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana)[-6:]), "no offers during the cooldown"


def test_cooldown_end_resumes_offers_once_the_volunteer_said_ok(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    with stack.runtime.sessions() as session, session.begin():
        session.execute(
            update(Volunteer)
            .where(Volunteer.phone == ana)
            .values(cooldown_until=datetime.now(UTC) + timedelta(seconds=2), awaiting_ok=True)
        )
    texter = people.texter()
    line.text(texter, "hello")
    line.wait_for(ana, "Text #ok when you're ready", timeout=15)
    line.settle(quiet=0.5)
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana)), "still waiting for #ok"
    line.text(ana, "#ok", texter=False)
    line.wait_for(ana, "is waiting")


def test_wrap_up_reminder_and_no_new_texters_near_the_shift_end(line: Line, people: People, stack: Stack) -> None:
    ana = people.on_shift(line, "Ana")
    with stack.runtime.sessions() as session, session.begin():
        session.execute(
            update(Shift)
            .where(Shift.ended_at.is_(None))
            .values(planned_end_at=datetime.now(UTC) + timedelta(minutes=10))
        )
    line.wait_for(ana, "no new texters from now", timeout=15)
    texter = people.texter()
    line.text(texter, "hello")
    line.wait_for(texter, "number 1 in line")
    line.settle(quiet=1.0)
    assert not any("is waiting" in m["Body"] for m in line.inbox(ana))


def test_shift_at_its_maximum_ends_after_the_open_conversation(line: Line, people: People, stack: Stack) -> None:
    ana, texter = people.talking(line)
    with stack.runtime.sessions() as session, session.begin():
        session.execute(
            update(Shift)
            .where(Shift.ended_at.is_(None))
            .values(planned_end_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    line.settle(quiet=2.0)
    assert not any("maximum length" in m["Body"] for m in line.inbox(ana)), "the conversation is never cut off"
    line.text(ana, "take care", texter=False)
    line.wait_for(texter, "take care")
    line.text(ana, "#done", texter=False)
    line.wait_for(ana, "reached its maximum length and has ended")


def test_conversations_per_shift_cap_ends_the_shift_after_the_last_one(
    line: Line, people: People, stack: Stack
) -> None:
    ana = people.on_shift(line, "Ana")
    cap = stack.runtime.shift_limits.max_conversations_per_shift
    with stack.runtime.sessions() as session, session.begin():
        session.execute(update(Shift).where(Shift.ended_at.is_(None)).values(conversations_taken=cap - 1))
    first, second = people.texter(), people.texter()
    line.connect(ana, first, "the last one")
    line.text(second, "one more")
    line.wait_for(second, "number 1 in line")
    line.text(ana, "#done", texter=False)
    line.wait_for(ana, "most conversations one shift allows")
    line.settle()
    assert not any("one more" in m["Body"] for m in line.inbox(ana))


def test_supervisor_override_from_the_cli_is_audited_and_lets_the_volunteer_start(
    line: Line, people: People, stack: Stack, environment: dict[str, str]
) -> None:
    ana = people.volunteer("Ana")
    people.supervisor("Sam")
    _past_shift(stack, ana, ended_ago=timedelta(hours=1))
    result = run_command(
        "warmline",
        "shift",
        "override",
        "--volunteer",
        ana,
        "--limit",
        "min_rest",
        "--minutes",
        "60",
        "--reason",
        "two volunteers called in sick",
        "--by",
        "sam@example.org",
        environment=environment,
    )
    assert result.returncode == 0, result.stderr
    line.wait_for(ana, "lifted your min rest limit")
    with stack.runtime.sessions() as session:
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action) == ("sam@example.org", "limit_override")
        assert "two volunteers called in sick" in entry.detail
    line.start_shift(ana)


def test_override_cli_refuses_unknown_supervisors_and_limits(environment: dict[str, str], people: People) -> None:
    ana = people.volunteer("Ana")
    base = ["shift", "override", "--volunteer", ana, "--minutes", "60", "--reason", "x"]
    nobody = run_command(
        "warmline", *base, "--limit", "min_rest", "--by", "nobody@example.org", environment=environment
    )
    assert nobody.returncode != 0 and "no active supervisor" in nobody.stderr
    pool = run_command(
        "warmline", *base, "--limit", "no_free_line_number", "--by", "x@example.org", environment=environment
    )
    assert pool.returncode != 0 and "Invalid value for '--limit'" in pool.stderr
