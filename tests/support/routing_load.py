"""One process of the concurrent routing test: texters arrive, this process's volunteers
accept offers and end conversations, all through the real inbound path on PostgreSQL."""

from __future__ import annotations

import random
import secrets
import time
from datetime import UTC, datetime

from sqlalchemy import select

from service.db import Conversation, Offer, Volunteer
from service.runtime import Runtime
from service.settings import Settings
from service.sms.inbound import InboundSms, receive_sms


def _text(runtime: Runtime, sender: str, body: str, to: str) -> None:
    receive_sms(
        runtime,
        InboundSms(sid="SM" + secrets.token_hex(16), sender=sender, line_number=to, body=body),
        datetime.now(UTC),
    )


def run(
    index: int, environment: dict[str, str], texters: list[str], volunteers: list[str], total: int, seconds: float
) -> int:
    """Returns how many turns this process ran."""
    runtime = Runtime(Settings.from_environment(environment))
    main = runtime.settings.line.main_number
    rng = random.Random(index)
    turns = 0
    for phone in volunteers:
        _text(runtime, phone, "#on", main)
        turns += 1
    waiting = list(texters)
    deadline = time.monotonic() + seconds
    with runtime.sessions() as session:
        ids = dict(session.execute(select(Volunteer.phone, Volunteer.id).where(Volunteer.phone.in_(volunteers))).all())
    mine = {volunteer_id: phone for phone, volunteer_id in ids.items()}
    while time.monotonic() < deadline:
        arrivals = rng.randint(1, 4)
        for phone in waiting[:arrivals]:
            _text(runtime, phone, "hello, is anyone there?", main)
            turns += 1
        del waiting[:arrivals]
        with runtime.sessions() as session:
            offers = session.execute(
                select(Offer.volunteer_id, Offer.line_number).where(
                    Offer.status == "pending", Offer.volunteer_id.in_(mine)
                )
            ).all()
            active = session.execute(
                select(Conversation.volunteer_id, Conversation.line_number).where(
                    Conversation.status == "active", Conversation.volunteer_id.in_(mine)
                )
            ).all()
            closed = session.scalar(
                select(Conversation.id)
                .where(Conversation.status == "closed")
                .order_by(Conversation.id.desc())
                .offset(total - 1)
                .limit(1)
            )
        if closed is not None and not waiting:
            break
        for volunteer_id, line_number in offers:
            _text(runtime, mine[volunteer_id], "#yes", line_number)
            turns += 1
        for holder_id, thread_number in active:
            if rng.random() < 0.6 and holder_id is not None and thread_number is not None:
                _text(runtime, mine[holder_id], "#done", thread_number)
                turns += 1
    runtime.engine.dispose()
    return turns
