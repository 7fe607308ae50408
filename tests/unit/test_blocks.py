"""Blocks: when one holds, what a blocked texter's text brings, what `#block` asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing.blocks import Block, block_request, blocked_text, in_force

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)


def test_a_block_holds_until_its_end_or_until_lifted() -> None:
    block = Block(until=NOW + timedelta(days=1), lifted_at=None, told_at=None)
    assert in_force(block, NOW)
    assert not in_force(block, NOW + timedelta(days=1))
    assert not in_force(Block(until=block.until, lifted_at=NOW, told_at=None), NOW)


def test_a_blocked_texter_is_told_once_and_every_text_at_risk_alerts() -> None:
    fresh = Block(until=NOW + timedelta(days=1), lifted_at=None, told_at=None)
    told = Block(until=fresh.until, lifted_at=None, told_at=NOW)
    assert blocked_text(fresh, "none").tell_texter and not blocked_text(told, "none").tell_texter
    assert not blocked_text(fresh, "none").alert_supervisors
    assert blocked_text(told, "elevated").alert_supervisors and blocked_text(told, "imminent").alert_supervisors


def test_block_needs_a_reason_and_lasts_the_default_period() -> None:
    assert block_request("   ", NOW, 30) is None
    request = block_request("  threats   to volunteers ", NOW, 30)
    assert request is not None and request.reason == "threats to volunteers"
    assert request.until == NOW + timedelta(days=30)
    assert len(block_request("x" * 900, NOW, 1).reason) == 500
