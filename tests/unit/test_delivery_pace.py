"""The shared delivery pace: 429s slow every sender down, texts Twilio takes speed it back up,
and Twilio answering after failures releases the texts held back by their backoff."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from routing.delivery_pace import Answer, Pace, PaceLimits, after, retry_delay, take

LIMITS = PaceLimits(ceiling=50.0, floor=1.0)


def _sent_in(pace: Pace, seconds: float) -> int:
    """How many texts senders that always have one to send get out in `seconds` (each takes
    a slot, waits for it, sends; a slot over a second away is asked for again a moment later)."""
    sent, now, end = 0, pace.at, pace.at + seconds
    while True:
        slot = take(pace, now, longest_wait=1.0)
        if slot.wait > 1.0:
            now += 0.01
            continue
        pace = slot.pace
        if now + slot.wait >= end:
            return sent
        sent += 1


def test_texts_go_unpaced_while_nothing_throttled_them() -> None:
    slot = take(Pace(), now=100.0, longest_wait=1.0)
    assert slot.wait == 0 and slot.pace == Pace()


def test_a_429_halves_the_shared_rate_from_the_ceiling() -> None:
    throttled = after(Pace(), LIMITS, Answer.THROTTLED, now=10.0).pace
    assert throttled.rate == 25.0
    assert 20 <= _sent_in(throttled, 1.0) <= 26


def test_a_burst_of_429s_halves_the_rate_once_a_second() -> None:
    pace = Pace()
    for tenth in range(30):  # 429s for three seconds
        pace = after(pace, LIMITS, Answer.THROTTLED, now=tenth / 10).pace
    assert pace.rate == 50.0 / 2**3


def test_the_rate_never_falls_below_the_floor() -> None:
    pace = Pace()
    for second in range(20):
        pace = after(pace, LIMITS, Answer.THROTTLED, now=float(second)).pace
    assert pace.rate == LIMITS.floor


def test_texts_twilio_takes_bring_the_rate_back_to_unlimited() -> None:
    pace = after(Pace(), LIMITS, Answer.THROTTLED, now=0.0).pace
    pace = after(pace, LIMITS, Answer.THROTTLED, now=2.0).pace
    assert pace.rate == 12.5
    taken = 0
    while pace.rate is not None:
        pace = after(pace, LIMITS, Answer.TAKEN, now=3.0).pace
        taken += 1
    assert taken <= 10
    assert take(pace, now=3.0, longest_wait=1.0).wait == 0


def test_waiting_senders_get_successive_slots_not_the_same_one() -> None:
    pace = Pace(rate=2.0, tokens=0.0, at=0.0)
    waits: list[float] = []
    for _ in range(2):
        slot = take(pace, now=0.0, longest_wait=5.0)
        pace, waits = slot.pace, [*waits, slot.wait]
    assert waits == [0.5, 1.0]


def test_a_slot_further_than_the_sender_waits_is_not_reserved() -> None:
    pace = Pace(rate=1.0, tokens=-3.0, at=0.0)
    slot = take(pace, now=0.0, longest_wait=1.0)
    assert slot.wait == 4.0
    assert take(slot.pace, now=0.0, longest_wait=10.0).wait == 4.0, "the next sender gets that slot"


def test_twilio_answering_after_failures_releases_the_held_texts_once() -> None:
    pace = after(Pace(), LIMITS, Answer.FAILING, now=0.0).pace
    assert pace.rate is None, "a 500 is Twilio failing, not us sending too fast"
    first = after(pace, LIMITS, Answer.TAKEN, now=5.0)
    assert first.release_held
    assert not after(first.pace, LIMITS, Answer.TAKEN, now=5.1).release_held


def test_a_permanent_error_is_twilio_answering() -> None:
    """21610 or 21211 is about one text; Twilio itself is up."""
    failing = after(Pace(), LIMITS, Answer.FAILING, now=0.0).pace
    assert after(failing, LIMITS, Answer.TAKEN, now=1.0).release_held


def test_nothing_is_released_while_twilio_still_fails_or_throttles() -> None:
    pace = Pace()
    for answer in (Answer.FAILING, Answer.THROTTLED, Answer.FAILING):
        outcome = after(pace, LIMITS, answer, now=0.0)
        assert not outcome.release_held
        pace = outcome.pace
    assert after(pace, LIMITS, Answer.TAKEN, now=1.0).release_held


def test_a_calm_pace_costs_no_bookkeeping() -> None:
    assert Pace().calm
    assert after(Pace(), LIMITS, Answer.TAKEN, now=1.0).pace == Pace()
    assert not after(Pace(), LIMITS, Answer.FAILING, now=1.0).pace.calm


def test_retries_back_off_doubling() -> None:
    assert [retry_delay(attempt, 2.0) for attempt in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]


@given(
    st.lists(
        st.tuples(st.sampled_from(list(Answer)), st.floats(min_value=0, max_value=5, allow_nan=False)),
        max_size=60,
    )
)
def test_the_rate_stays_between_floor_and_ceiling_whatever_twilio_answers(
    answers: list[tuple[Answer, float]],
) -> None:
    pace, now = Pace(), 0.0
    for answer, gap in answers:
        now += gap
        pace = after(pace, LIMITS, answer, now).pace
        assert pace.rate is None or LIMITS.floor <= pace.rate < LIMITS.ceiling
        slot = take(pace, now, longest_wait=1.0)
        assert slot.wait >= 0
        assert pace.rate is None or slot.wait <= 1.0 / LIMITS.floor + 1e-9 or slot.pace == pace
