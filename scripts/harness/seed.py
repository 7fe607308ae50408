"""Rows for seeding a line straight into the database (tests, benchmarks, the staffing
simulator), as `warmline volunteer add` and `warmline supervisor add` would leave them: the
columns each row needs, so that a caller names only what matters to it."""

from __future__ import annotations

from typing import Any


def volunteer(alias: str, phone: str, created_at: Any, **columns: Any) -> dict[str, Any]:
    """A volunteer on the roster, not on shift, speaking English unless `languages` says."""
    row = dict(name=f"{alias} Example", alias=alias, phone=phone, languages="en", active=True, awaiting_ok=False)
    return row | {"created_at": created_at} | columns


def supervisor(name: str, phone: str, created_at: Any, **columns: Any) -> dict[str, Any]:
    """A supervisor on call, who cannot sign in (no password) unless `password_hash` says."""
    row = dict(name=name, email=f"{name.lower()}@example.org", phone=phone, password_hash="!", role="supervisor")
    return row | dict(on_call=True, backup=False, active=True, created_at=created_at) | columns


def texter(pseudonym: str, created_at: Any, **columns: Any) -> dict[str, Any]:
    """A texter who wrote in English, with a stand-in for their number (nobody texts them)."""
    row = dict(pseudonym=pseudonym, phone_hash=pseudonym, phone_encrypted="-", language="en", language_chosen=False)
    return row | {"opted_out": False, "created_at": created_at} | columns


def queued_conversation(queued_at: Any, **columns: Any) -> dict[str, Any]:
    """A texter's conversation waiting since `queued_at` for a volunteer, at no risk."""
    row = dict(channel="sms", status="queued", language="en", priority=0, risk_level="none")
    return row | dict(created_at=queued_at, queued_at=queued_at, last_texter_at=queued_at) | columns
