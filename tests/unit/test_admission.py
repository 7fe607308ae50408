"""Letting texters in, as pure rules: one paused reply per texter per period, and a line-wide
limit on new senders that queues them with a notice instead of the welcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from routing.admission import AdmissionRules, Arrival, Knock, arrival

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
RULES = AdmissionRules(paused_reply_every=timedelta(minutes=60), new_senders_per_minute=10)


def knock(**changes: object) -> Knock:
    values: dict[str, object] = dict(paused=False, new_sender=True, paused_told_at=None, new_senders_last_minute=1)
    values.update(changes)
    return Knock(**values)  # type: ignore[arg-type]


def test_a_paused_line_tells_a_texter_once_per_period() -> None:
    assert arrival(knock(paused=True), RULES, NOW) is Arrival.PAUSED
    assert arrival(knock(paused=True, paused_told_at=NOW - timedelta(minutes=59)), RULES, NOW) is Arrival.PAUSED_TOLD
    assert arrival(knock(paused=True, paused_told_at=NOW - timedelta(minutes=60)), RULES, NOW) is Arrival.PAUSED


def test_new_senders_past_the_line_wide_limit_are_queued_with_the_busy_notice() -> None:
    assert arrival(knock(new_senders_last_minute=10), RULES, NOW) is Arrival.WELCOME
    assert arrival(knock(new_senders_last_minute=11), RULES, NOW) is Arrival.BUSY


def test_the_limit_counts_only_texters_new_to_the_line() -> None:
    assert arrival(knock(new_sender=False, new_senders_last_minute=50), RULES, NOW) is Arrival.WELCOME


def test_a_paused_line_queues_nobody_however_busy() -> None:
    assert arrival(knock(paused=True, new_senders_last_minute=50), RULES, NOW) is Arrival.PAUSED
