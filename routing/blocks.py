"""Blocking a texter: whether a block holds, what a blocked texter's text brings, and what a
`#block` from a volunteer's thread asks for.

A block keeps a texter from volunteers, never from safety: their texts are kept and assessed,
the crisis text still goes back inline, and a text at risk alerts the supervisors, who can
lift the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# The longest reason kept with a block (the audit trail keeps the same).
MAX_REASON = 500


@dataclass(frozen=True)
class Block:
    until: datetime
    lifted_at: datetime | None
    # When the texter was told the line cannot take their texts (once per block).
    told_at: datetime | None


@dataclass(frozen=True)
class BlockedText:
    """What a blocked texter's text brings, besides being kept and assessed."""

    tell_texter: bool
    alert_supervisors: bool


def in_force(block: Block, now: datetime) -> bool:
    return block.lifted_at is None and now < block.until


def blocked_text(block: Block, risk_level: str) -> BlockedText:
    """Told once per block; every text at risk alerts the supervisors."""
    return BlockedText(tell_texter=block.told_at is None, alert_supervisors=risk_level != "none")


@dataclass(frozen=True)
class BlockRequest:
    reason: str
    until: datetime


def block_request(argument: str, now: datetime, days: float) -> BlockRequest | None:
    """`#block <reason>`: a block for the line's default period; None without a reason (a
    block must say why, for the supervisor who reviews it)."""
    reason = " ".join(argument.split())[:MAX_REASON]
    if not reason:
        return None
    return BlockRequest(reason=reason, until=now + timedelta(days=days))
