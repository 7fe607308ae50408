"""Dispatch reads only a small window of volunteers, best first by SQL, on PostgreSQL; the
volunteer it offers a waiting texter to is still exactly the one the pure choice
(`routing.matching.choose_volunteer`) picks among everyone on shift, whatever the roster:
loads, languages, idle times, breaks, cooldowns, lifted limits, pending offers, a returning
texter's previous volunteer, and volunteers who passed on or let lapse this texter's offer."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, delete, insert, select, update

from routing.matching import choose_volunteer
from scripts.harness import seed
from scripts.harness.database import empty_database
from service.conversations import dispatch, shifts
from service.db import Conversation, LimitOverride, Offer, Shift, Texter, Volunteer
from service.db.turn import Turn, run_turn
from service.runtime import Runtime
from tests.support.stack import runtime_of_its_own

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def runtime(environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """A database of its own: no worker from other tests dispatches behind this test's back."""
    line = runtime_of_its_own(
        environment, "dispatch", tmp_path_factory.mktemp("dispatch"), "[shifts]\nmax_conversations_per_shift = 4\n"
    )
    yield line
    line.engine.dispose()


def _roster(runtime: Runtime, rng: random.Random, size: int) -> None:
    """Volunteers in every state dispatch must judge, all on shift except a few."""
    numbers = runtime.settings.line.numbers
    with runtime.engine.begin() as connection:
        for index in range(1, size + 1):
            connection.execute(
                insert(Volunteer).values(
                    **seed.volunteer(
                        f"V{index}",
                        f"+130355{index:05d}",
                        NOW - timedelta(days=9),
                        id=index,
                        languages=rng.choice(["en", "en", "es", "en,es"]),
                        max_concurrent=rng.choice([None, None, 1, 2]),
                        break_until=rng.choice([None] * 6 + [NOW + timedelta(minutes=5), NOW - timedelta(minutes=5)]),
                        cooldown_until=rng.choice([None] * 6 + [NOW + timedelta(minutes=5)]),
                        awaiting_ok=rng.random() < 0.1,
                        last_assigned_at=rng.choice([None, NOW - timedelta(minutes=rng.randint(1, 300))]),
                    )
                )
            )
            if rng.random() < 0.9:
                started = NOW - timedelta(minutes=rng.choice([30, 230]))  # 230: in the last quarter hour (wrap-up)
                connection.execute(
                    insert(Shift).values(
                        volunteer_id=index,
                        started_at=started,
                        planned_end_at=started + timedelta(hours=4),
                        conversations_taken=rng.choice([0, 1, 4]),
                        wrap_up_told=False,
                    )
                )
            if rng.random() < 0.1:
                connection.execute(
                    insert(LimitOverride).values(
                        volunteer_id=index,
                        limit=rng.choice(["cooldown", "max_concurrent", "awaiting_ok"]),
                        until=NOW + timedelta(minutes=30),
                        reason="test",
                        created_by="test",
                        created_at=NOW,
                    )
                )
            for thread in range(rng.choice([0, 0, 1, 1, 2])):
                texter = _texter(connection, f"held-{index}-{thread}", "en")
                connection.execute(
                    insert(Conversation).values(
                        texter_id=texter,
                        channel="sms",
                        status="active",
                        language="en",
                        priority=0,
                        risk_level="none",
                        volunteer_id=index,
                        line_number=numbers[thread],
                        created_at=NOW,
                        queued_at=NOW,
                        assigned_at=NOW,
                        last_texter_at=NOW,
                        language_fallback_told=False,
                    )
                )
            if rng.random() < 0.1:
                other = _queued(connection, _texter(connection, f"offered-{index}", "en"), "en")
                connection.execute(
                    insert(Offer).values(
                        conversation_id=other,
                        volunteer_id=index,
                        line_number=numbers[0],
                        kind="text",
                        status="pending",
                        created_at=NOW,
                        expires_at=NOW + timedelta(minutes=1),
                    )
                )


def _texter(connection: Connection, name: str, language: str, previous: int | None = None) -> int:
    return int(
        connection.execute(
            insert(Texter)
            .values(**seed.texter(name[:12], NOW, phone_hash=name, language=language, last_volunteer_id=previous))
            .returning(Texter.id)
        ).scalar_one()
    )


def _queued(connection: Connection, texter: int, language: str) -> int:
    return int(
        connection.execute(
            insert(Conversation)
            .values(**seed.queued_conversation(NOW, texter_id=texter, language=language, language_fallback_told=False))
            .returning(Conversation.id)
        ).scalar_one()
    )


def _waiting_texter(runtime: Runtime, rng: random.Random, size: int) -> int:
    """A texter waiting for a volunteer, maybe returning, maybe passed on or let lapse before."""
    numbers = runtime.settings.line.numbers
    with runtime.engine.begin() as connection:
        language = rng.choice(["en", "es"])
        conversation = _queued(
            connection, _texter(connection, "waiting", language, rng.choice([None, rng.randint(1, size)])), language
        )
        for status in rng.sample(["declined", "expired", "expired", "declined"], rng.randint(0, 4)):
            connection.execute(
                insert(Offer).values(
                    conversation_id=conversation,
                    volunteer_id=rng.randint(1, size),
                    line_number=numbers[0],
                    kind="text",
                    status=status,
                    created_at=NOW,
                    expires_at=NOW,
                    answered_at=NOW,
                )
            )
    return conversation


def _pure_choice(runtime: Runtime, conversation_id: int) -> int | None:
    """The pure choice over every volunteer on shift, as dispatch locked them all before."""
    with runtime.sessions() as session, session.begin():
        conversation = session.get_one(Conversation, conversation_id)
        seeker = dispatch._seeker(Turn(session=session, runtime=runtime, now=NOW), conversation)
        on_shift = session.scalars(select(Shift.volunteer_id).where(Shift.ended_at.is_(None))).all()
        states = shifts.volunteer_states(session, on_shift, NOW)
        match = choose_volunteer(seeker, list(states.values()), runtime.shift_limits, NOW)
        return None if match is None else match.volunteer_id


def _offered(runtime: Runtime, conversation_id: int) -> int | None:
    with runtime.sessions() as session:
        return session.scalar(
            select(Offer.volunteer_id).where(Offer.conversation_id == conversation_id, Offer.status == "pending")
        )


@pytest.mark.parametrize("seed", range(40))
def test_dispatch_offers_the_volunteer_the_pure_choice_picks_among_everyone(runtime: Runtime, seed: int) -> None:
    rng = random.Random(seed)
    size = rng.choice([3, 12, 40])
    empty_database(runtime.engine, restart_ids=True)
    _roster(runtime, rng, size)
    conversation = _waiting_texter(runtime, rng, size)
    expected = _pure_choice(runtime, conversation)
    run_turn(runtime, NOW, dispatch.offer_waiting)
    assert _offered(runtime, conversation) == expected


def test_the_best_volunteer_is_found_beyond_a_window_the_limits_refuse_whole(runtime: Runtime) -> None:
    """SQL ranks first those it cannot judge (here: pausing after a heavy conversation); the
    next window holds the one the limits allow."""
    empty_database(runtime.engine, restart_ids=True)
    pausing = dispatch.CANDIDATE_WINDOW + 3
    with runtime.engine.begin() as connection:
        for index in range(1, pausing + 2):
            connection.execute(
                insert(Volunteer).values(
                    **seed.volunteer(f"V{index}", f"+130355{index:05d}", NOW, id=index),
                    cooldown_until=NOW + timedelta(minutes=10) if index <= pausing else None,
                    last_assigned_at=None if index <= pausing else NOW - timedelta(minutes=1),
                )
            )
            connection.execute(
                insert(Shift).values(
                    volunteer_id=index,
                    started_at=NOW - timedelta(minutes=30),
                    planned_end_at=NOW + timedelta(hours=3),
                    conversations_taken=0,
                    wrap_up_told=False,
                )
            )
        conversation = _queued(connection, _texter(connection, "waiting", "en"), "en")
    run_turn(runtime, NOW, dispatch.offer_waiting)
    assert _offered(runtime, conversation) == pausing + 1


def test_the_load_dispatch_orders_by_follows_every_change_of_conversations_and_shifts(runtime: Runtime) -> None:
    """The triggers keep `active_conversations` and `on_shift` exact, whatever writes the rows."""
    empty_database(runtime.engine, restart_ids=True)
    with runtime.engine.begin() as connection:
        connection.execute(insert(Volunteer).values(**seed.volunteer("A", "+13035500001", NOW, id=1)))
        connection.execute(insert(Volunteer).values(**seed.volunteer("B", "+13035500002", NOW, id=2)))
        shift = connection.execute(
            insert(Shift)
            .values(volunteer_id=1, started_at=NOW, conversations_taken=0, wrap_up_told=False)
            .returning(Shift.id)
        ).scalar_one()
        first = _queued(connection, _texter(connection, "t1", "en"), "en")
        second = _queued(connection, _texter(connection, "t2", "en"), "en")

    def seen() -> list[tuple[int, ...]]:
        with runtime.engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    select(Volunteer.active_conversations, Volunteer.on_shift).order_by(Volunteer.id)
                )
            ]

    assert seen() == [(0, True), (0, False)]
    with runtime.engine.begin() as connection:
        connection.execute(
            update(Conversation).where(Conversation.id.in_([first, second])).values(status="active", volunteer_id=1)
        )
    assert seen() == [(2, True), (0, False)]
    with runtime.engine.begin() as connection:
        connection.execute(update(Conversation).where(Conversation.id == second).values(volunteer_id=2))
        connection.execute(update(Conversation).where(Conversation.id == first).values(last_texter_at=NOW))
    assert seen() == [(1, True), (1, False)]
    with runtime.engine.begin() as connection:
        connection.execute(update(Conversation).where(Conversation.id == first).values(status="closed"))
        connection.execute(update(Shift).where(Shift.id == shift).values(ended_at=NOW))
        connection.execute(delete(Conversation).where(Conversation.id == second))
    assert seen() == [(0, False), (0, False)]
