"""A big line, seeded straight into the database the way a busy week would leave the tables:
500 volunteers on shift and 2,000 conversations in the reporting period. The dashboard test
checks that its pages show all of it; the benchmark (`scripts/bench_dashboard.py`) times them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from service.db import Conversation, Escalation, Shift, Texter, Volunteer
from service.runtime import Runtime

VOLUNTEERS = 500
CONVERSATIONS = 2_000
ACTIVE = 600
QUEUED = 150
OPEN_ESCALATIONS = 60


def seed_big_line(runtime: Runtime, now: datetime) -> None:
    """Set-based inserts, the way a busy week would leave the tables."""
    numbers = runtime.settings.line.numbers
    with runtime.engine.begin() as connection:
        connection.execute(
            insert(Volunteer),
            [
                {
                    "id": 10_000 + n,
                    "name": f"Volunteer {n}",
                    "alias": f"V{n}",
                    "phone": f"+1303555{n:04d}",
                    "languages": "en,es" if n % 4 == 0 else "en",
                    "max_concurrent": None,
                    "active": True,
                    "awaiting_ok": False,
                    "created_at": now - timedelta(days=30),
                    "break_until": now + timedelta(minutes=10) if n % 25 == 0 else None,
                    "last_assigned_at": None,
                    "cooldown_until": None,
                }
                for n in range(VOLUNTEERS)
            ],
        )
        connection.execute(
            insert(Shift),
            [
                {
                    "volunteer_id": 10_000 + n,
                    "started_at": now - timedelta(minutes=30 + n % 180),
                    "planned_end_at": now + timedelta(minutes=60 + n % 180),
                    "conversations_taken": n % 7,
                    "wrap_up_told": False,
                    "ended_at": None,
                    "end_reason": None,
                }
                for n in range(VOLUNTEERS)
            ]
            + [
                {
                    "volunteer_id": 10_000 + n,
                    "started_at": now - timedelta(days=1 + n % 6, hours=4),
                    "planned_end_at": now - timedelta(days=1 + n % 6),
                    "conversations_taken": n % 12,
                    "wrap_up_told": True,
                    "ended_at": now - timedelta(days=1 + n % 6),
                    "end_reason": "max_shift" if n % 5 == 0 else "volunteer",
                }
                for n in range(VOLUNTEERS)
            ],
        )
        connection.execute(
            insert(Texter),
            [
                {
                    "id": 50_000 + n,
                    "pseudonym": f"T-{n:06d}",
                    "phone_hash": f"seed:{n}",
                    "phone_encrypted": "seed",
                    "language": "en",
                    "language_chosen": False,
                    "opted_out": False,
                    "last_volunteer_id": None,
                    "created_at": now - timedelta(days=6),
                }
                for n in range(CONVERSATIONS)
            ],
        )
        rows = []
        for n in range(CONVERSATIONS):
            # Spread over less than six days, so all fall in the reports' default last seven local
            # days whatever the time of day (six days and a few minutes back crosses a midnight).
            queued_at = now - timedelta(minutes=5 + (n * 37) % (6 * 24 * 60 - 10))
            row: dict[str, Any] = {
                "id": 50_000 + n,
                "texter_id": 50_000 + n,
                "channel": "sms",
                "language": "en",
                "priority": 0,
                "risk_level": "none",
                "volunteer_id": None,
                "line_number": None,
                "created_at": queued_at,
                "queued_at": queued_at,
                "assigned_at": None,
                "last_texter_at": now,
                "closed_at": None,
                "close_reason": None,
                "feedback_score": None,
                "language_fallback_told": False,
                "safety_sent_at": None,
            }
            if n < ACTIVE:
                row.update(
                    status="active",
                    volunteer_id=10_000 + n // 2,
                    line_number=numbers[n % 2],
                    assigned_at=queued_at + timedelta(seconds=20 + n % 300),
                    risk_level="elevated" if n % 10 == 0 else "none",
                    queued_at=now - timedelta(minutes=5 + n % 50),
                )
                row["assigned_at"] = row["queued_at"] + timedelta(seconds=20 + n % 300)
            elif n < ACTIVE + QUEUED:
                row.update(
                    status="queued",
                    queued_at=now - timedelta(seconds=30 * (n - ACTIVE)),
                    risk_level="imminent" if n % 30 == 0 else "none",
                    priority=2 if n % 30 == 0 else 0,
                )
            else:
                answered = n % 9 != 0
                row.update(
                    status="closed",
                    closed_at=queued_at + timedelta(minutes=25),
                    assigned_at=queued_at + timedelta(seconds=15 + n % 600) if answered else None,
                    volunteer_id=10_000 + n % VOLUNTEERS if answered else None,
                    close_reason="volunteer_done" if answered else "texter_stop",
                    feedback_score=1 + n % 5 if answered and n % 3 == 0 else None,
                )
            rows.append(row)
        connection.execute(insert(Conversation), rows)
        connection.execute(
            insert(Escalation),
            [
                {
                    "conversation_id": 50_000 + n * 7,
                    "level": "imminent" if n % 3 == 0 else "elevated",
                    "source": "detector",
                    "reason": "Risk detected: suicide.",
                    "categories": "suicide",
                    "rules": "",
                    "alerted": "Robin",
                    "opened_at": now - timedelta(minutes=n),
                    "realerted_at": None,
                    "acknowledged_at": None if n < OPEN_ESCALATIONS else now,
                    "acknowledged_by": None,
                }
                for n in range(OPEN_ESCALATIONS + 100)
            ],
        )
