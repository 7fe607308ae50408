"""How routing one new texter costs as the volunteers on shift grow: 10, 100, 1,000, 10,000.

In the benchmark's process, on PostgreSQL, through `receive_sms` itself (what the webhook's
worker runs for a new texter's first text: the texter, the conversation, the welcome, the
queue position and the offer). The volunteers on shift are a realistic mix: a quarter hold
two conversations (full), a quarter one, half none; one in five also speaks Spanish; they
were last assigned at different times. After each timed turn the offer is withdrawn and the
conversation closed, untimed, so every sample routes against the same roster.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, insert, select, text, update

from scripts.harness.database import empty_database
from service.db import Conversation, Offer, Shift, Texter, Volunteer
from service.runtime import Runtime
from service.sms.inbound import InboundSms, receive_sms

ROSTERS = (10, 100, 1_000, 10_000)


def seed_roster(runtime: Runtime, volunteers: int, now: datetime) -> None:
    """`volunteers` on shift, in bulk (Core inserts: the ORM would take longer than the measurement)."""
    vault, numbers = runtime.vault, runtime.settings.line.numbers
    with runtime.engine.begin() as connection:
        connection.execute(
            insert(Volunteer),
            [
                {
                    "id": index + 1,
                    "name": f"Volunteer {index}",
                    "alias": f"V{index}",
                    "phone": f"+130355{index:05d}",
                    "languages": "en,es" if index % 5 == 0 else "en",
                    "active": True,
                    "awaiting_ok": False,
                    "last_assigned_at": None if index % 7 == 0 else now - timedelta(minutes=5 + index % 113),
                    "created_at": now - timedelta(days=30),
                }
                for index in range(volunteers)
            ],
        )
        connection.execute(
            insert(Shift),
            [
                {
                    "volunteer_id": index + 1,
                    "started_at": now - timedelta(minutes=40),
                    "planned_end_at": now + timedelta(hours=3),
                    "conversations_taken": 2,
                    "wrap_up_told": False,
                }
                for index in range(volunteers)
            ],
        )
        held = [(index + 1, thread) for index in range(volunteers) for thread in range({0: 2, 1: 1}.get(index % 4, 0))]
        connection.execute(
            insert(Texter),
            [
                {
                    "id": number + 1,
                    "pseudonym": f"T-{number:06d}",
                    "phone_hash": vault.lookup_hash(f"+140455{number:05d}"),
                    "phone_encrypted": vault.encrypt(f"+140455{number:05d}"),
                    "language": "en",
                    "language_chosen": False,
                    "opted_out": False,
                    "created_at": now - timedelta(minutes=30),
                }
                for number in range(len(held))
            ],
        )
        if held:
            connection.execute(
                insert(Conversation),
                [
                    {
                        "texter_id": number + 1,
                        "channel": "sms",
                        "status": "active",
                        "language": "en",
                        "priority": 0,
                        "risk_level": "none",
                        "volunteer_id": volunteer_id,
                        "line_number": numbers[thread],
                        "created_at": now - timedelta(minutes=30),
                        "queued_at": now - timedelta(minutes=30),
                        "assigned_at": now - timedelta(minutes=29),
                        "last_texter_at": now,
                        "language_fallback_told": False,
                    }
                    for number, (volunteer_id, thread) in enumerate(held)
                ],
            )
        for table in ("volunteers", "texters"):
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        connection.execute(text("ANALYZE"))


def _route_one(runtime: Runtime, index: int) -> float:
    """Seconds to handle one new texter's first text; then puts the roster back as it was."""
    phone = f"+140456{index:05d}"
    sms = InboundSms(
        sid=f"SM{index:032x}", sender=phone, line_number=runtime.settings.line.main_number, body="hi, is anyone there?"
    )
    started = time.perf_counter()
    receive_sms(runtime, sms, datetime.now(UTC))
    elapsed = time.perf_counter() - started
    with runtime.sessions() as session, session.begin():
        texter_id = session.scalar(select(Texter.id).where(Texter.phone_hash == runtime.vault.lookup_hash(phone)))
        conversation = session.scalars(select(Conversation).where(Conversation.texter_id == texter_id)).one()
        # An UPDATE's result is a CursorResult, which has the row count; execute() is typed Result.
        offered = cast(
            "CursorResult[Any]",
            session.execute(
                update(Offer)
                .where(Offer.conversation_id == conversation.id, Offer.status == "pending")
                .values(status="withdrawn")
            ),
        ).rowcount
        conversation.status, conversation.closed_at, conversation.close_reason = (
            "closed",
            datetime.now(UTC),
            "texter_inactive",
        )
    if not offered:
        raise RuntimeError(
            "the new texter was not offered to anyone: the roster is not what the benchmark means to measure"
        )
    return elapsed


def measure(runtime: Runtime, rosters: tuple[int, ...], samples: int) -> dict[str, float]:
    """Median milliseconds to route one new texter, per roster size (after two untimed warm-ups)."""
    figures: dict[str, float] = {}
    for volunteers in rosters:
        empty_database(runtime.engine, restart_ids=True)
        seed_roster(runtime, volunteers, datetime.now(UTC))
        timings = [_route_one(runtime, index) for index in range(samples + 2)][2:]
        figures[str(volunteers)] = round(statistics.median(timings) * 1000, 2)
    empty_database(runtime.engine, restart_ids=True)
    return figures
