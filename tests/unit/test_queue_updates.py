"""A waiting texter kept informed: places as they improve, never more often than configured;
an estimate only when the pace allows one; the long-wait question once; numbered replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from routing.queue_updates import (
    QueueRules,
    ReplyKind,
    Waiting,
    due,
    estimate_minutes,
    queue_news,
    read_queued_reply,
)

NOW = datetime(2026, 12, 7, 22, 0, tzinfo=UTC)
RULES = QueueRules(every=timedelta(minutes=3), long_wait=timedelta(minutes=20))


def waiting(
    place: int, told: int | None, checked_ago: float | None, queued_ago: float = 5, asked: bool = False
) -> Waiting:
    return Waiting(
        place=place,
        told_place=told,
        checked_at=None if checked_ago is None else NOW - timedelta(minutes=checked_ago),
        queued_at=NOW - timedelta(minutes=queued_ago),
        long_wait_told=asked,
    )


def test_a_better_place_is_told_once_the_interval_has_passed() -> None:
    assert queue_news(waiting(2, 3, 3), RULES, NOW).place == 2
    assert queue_news(waiting(2, 3, 1), RULES, NOW).place is None, "not more often than configured"
    assert queue_news(waiting(3, 3, 10), RULES, NOW).place is None, "no news is not news"
    assert queue_news(waiting(4, 3, 10), RULES, NOW).place is None, "a worse place (someone at risk ahead) is not told"


def test_the_long_wait_question_comes_once_after_the_long_wait() -> None:
    assert not queue_news(waiting(2, 2, 1, queued_ago=19), RULES, NOW).ask_long_wait
    assert queue_news(waiting(2, 2, 1, queued_ago=20), RULES, NOW).ask_long_wait
    assert not queue_news(waiting(2, 2, 1, queued_ago=40, asked=True), RULES, NOW).ask_long_wait
    assert due(waiting(2, 2, 1, queued_ago=20), RULES, NOW) and not due(waiting(2, 2, 1), RULES, NOW)


def test_an_estimate_only_when_enough_texters_were_taken_lately() -> None:
    assert estimate_minutes(3, 2, RULES) is None
    assert estimate_minutes(3, 6, RULES) == 15  # one taken every 5 minutes, third in line
    assert estimate_minutes(1, 30, RULES) == 5  # never "1 minute": rounded up to 5


def test_numbered_replies_answer_the_latest_question_only() -> None:
    topics = ("grief", "recovery", "veterans")
    assert read_queued_reply("2", long_wait_asked=False, topics=topics, topic_chosen=False).topic == "recovery"
    assert (
        read_queued_reply("2", long_wait_asked=True, topics=topics, topic_chosen=False).kind is ReplyKind.CRISIS_OPTIONS
    )
    assert read_queued_reply("1", long_wait_asked=True, topics=topics, topic_chosen=True).kind is ReplyKind.KEEP_WAITING
    assert read_queued_reply("3", long_wait_asked=False, topics=topics, topic_chosen=True) is None, "one topic only"
    assert read_queued_reply("4", long_wait_asked=False, topics=topics, topic_chosen=False) is None
    assert read_queued_reply("I lost my dad", long_wait_asked=True, topics=topics, topic_chosen=False) is None
    assert read_queued_reply("٣", long_wait_asked=False, topics=topics, topic_chosen=False) is None


@given(
    told=st.integers(1, 20),
    place=st.integers(1, 20),
    checked_ago=st.floats(0, 30),
)
def test_never_told_twice_within_the_interval_and_never_a_worse_place(
    told: int, place: int, checked_ago: float
) -> None:
    news = queue_news(waiting(place, told, checked_ago), RULES, NOW)
    if news.place is not None:
        assert news.place < told and checked_ago >= 3
