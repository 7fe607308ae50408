"""Four processes routing at once against PostgreSQL: 1,000 texters, 20 volunteers. Locks
live in the database, so no texter is assigned twice and no volunteer ever holds more
conversations than their limit."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from scripts.harness import seed
from service.db import Conversation, Offer, Volunteer
from service.db.migrate import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, TEST_DATABASE
from tests.support import routing_load

TEXTERS = 1000
VOLUNTEERS = 20
PROCESSES = 4
LIMITS = """
[shifts]
max_conversations_per_shift = 1000
long_conversation_minutes = 600
"""


@pytest.fixture
def load_environment(environment: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """A database of its own, so that no worker from other tests touches it."""
    name = f"{TEST_DATABASE}_load"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = environment["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    config = tmp_path / "load.toml"
    config.write_text(Path(environment["WARMLINE_CONFIG"]).read_text() + LIMITS)
    return {**environment, "DATABASE_URL": url, "WARMLINE_CONFIG": str(config)}


def test_four_processes_never_assign_a_texter_twice_nor_overload_a_volunteer(load_environment: dict[str, str]) -> None:
    engine = create_engine(load_environment["DATABASE_URL"])
    volunteers = [f"+1303555{index:04d}" for index in range(VOLUNTEERS)]
    with engine.begin() as connection:
        for index, phone in enumerate(volunteers):
            connection.execute(
                insert(Volunteer).values(
                    **seed.volunteer(f"V{index}", phone, datetime.now(UTC), name=f"Volunteer {index}")
                )
            )
    texters = [f"+1404555{index:04d}" for index in range(TEXTERS)]

    peak: dict[int | None, int] = defaultdict(int)
    stop = threading.Event()

    def sample() -> None:
        """Every committed state, sampled: nobody is ever above their limit."""
        with engine.connect() as connection:
            while not stop.is_set():
                for volunteer_id, count in connection.execute(
                    select(Conversation.volunteer_id, func.count())
                    .where(Conversation.status == "active")
                    .group_by(Conversation.volunteer_id)
                ):
                    peak[volunteer_id] = max(peak[volunteer_id], count)
                connection.rollback()
                time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    context = multiprocessing.get_context("spawn")
    started = time.monotonic()
    with context.Pool(PROCESSES) as pool:
        turns = pool.starmap(
            routing_load.run,
            [
                (index, load_environment, texters[index::PROCESSES], volunteers[index::PROCESSES], TEXTERS, 240.0)
                for index in range(PROCESSES)
            ],
        )
    elapsed = time.monotonic() - started
    stop.set()
    sampler.join()

    limit = 2
    with engine.connect() as connection:
        conversations = connection.execute(
            select(
                Conversation.id,
                Conversation.texter_id,
                Conversation.status,
                Conversation.volunteer_id,
                Conversation.assigned_at,
                Conversation.closed_at,
            )
        ).all()
        accepted = dict(
            connection.execute(
                select(Offer.conversation_id, func.count())
                .where(Offer.status == "accepted")
                .group_by(Offer.conversation_id)
            ).all()
        )
    print(
        f"\n{TEXTERS} texters, {VOLUNTEERS} volunteers, {PROCESSES} processes: {sum(turns)} turns in {elapsed:.1f} s; "
        f"peak load {max(peak.values())}"
    )
    assert len(conversations) == TEXTERS, "every texter has exactly one conversation: nobody lost"
    assert all(c.status == "closed" and c.volunteer_id is not None for c in conversations), "every texter was served"
    assert all(accepted.get(c.id) == 1 for c in conversations), "no texter assigned twice"
    assert max(peak.values()) <= limit
    by_volunteer: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for c in conversations:
        by_volunteer[c.volunteer_id] += [(c.assigned_at, 1), (c.closed_at, -1)]
    for events in by_volunteer.values():
        load = 0
        for _, step in sorted(events, key=lambda event: (event[0], event[1])):
            load += step
            assert load <= limit, "over the concurrency limit at some moment"
    engine.dispose()
