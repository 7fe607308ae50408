"""How fast texts may go to Twilio, and when a text held back by a failure goes again.

One pace is shared by every worker: a 429 says the account is sending too fast, whoever
sent, so the shared rate halves (at most once a second, so a burst of 429s answering one
burst of texts counts once) and each text Twilio takes raises it again, until it is
unlimited. A 5xx or a lost answer says Twilio is failing, not that we are too fast: the rate
stays, the pace only remembers the failure, so that the first answer after it releases every
text held back by its own backoff at once instead of each waiting out its clock. The per-text
backoff stays as the fallback for when nothing is sent that could notice Twilio is back.

Pure: times are seconds on one clock, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

# Each text Twilio takes while the rate is limited raises it by this factor: from the floor
# to a ceiling of 50 a second in about 25 texts.
RECOVERY_FACTOR = 1.2
# A 429 halves the rate at most this often (seconds): the 429s of one burst are one signal.
HALVING_INTERVAL = 1.0


class Answer(Enum):
    """What Twilio's answer to one request says about Twilio (not about the text)."""

    TAKEN = "taken"  # accepted, or refused for the text's own sake (21610, 21211): Twilio is up
    THROTTLED = "throttled"  # 429
    FAILING = "failing"  # 5xx, refused connection, or no answer at all


@dataclass(frozen=True)
class PaceLimits:
    """The operator's bounds on the shared rate (texts a second)."""

    ceiling: float
    floor: float


@dataclass(frozen=True)
class Pace:
    """The shared sending pace. `rate` None: unlimited (nothing throttled us lately)."""

    rate: float | None = None
    tokens: float = 0.0
    at: float = 0.0
    failing: bool = False
    halved_at: float = float("-inf")

    @property
    def calm(self) -> bool:
        """Nothing to check or record for a text Twilio takes: no limit and no failure."""
        return self.rate is None and not self.failing


@dataclass(frozen=True)
class Slot:
    """When a text may go: `wait` seconds from now. `pace` is the pace with the slot reserved
    (unchanged when the wait is longer than the caller would wait: it comes back later)."""

    pace: Pace
    wait: float


def take(pace: Pace, now: float, longest_wait: float) -> Slot:
    """Reserve the next slot at the shared rate (a token bucket one second deep). Slots are
    handed out in turn, so waiting senders go one after the other at the rate, not together."""
    if pace.rate is None:
        return Slot(pace, 0.0)
    # Workers' clocks differ a little: time never runs backwards for the bucket.
    tokens = min(pace.rate, pace.tokens + max(0.0, now - pace.at) * pace.rate)
    wait = max(0.0, (1.0 - tokens) / pace.rate)
    if wait > longest_wait:
        return Slot(replace(pace, tokens=tokens, at=max(now, pace.at)), wait)
    return Slot(replace(pace, tokens=tokens - 1.0, at=max(now, pace.at)), wait)


@dataclass(frozen=True)
class AfterAnswer:
    pace: Pace
    # Twilio answers again after failing: texts held back by backoff go now.
    release_held: bool


def after(pace: Pace, limits: PaceLimits, answer: Answer, now: float) -> AfterAnswer:
    """The pace once Twilio has answered one request."""
    if answer is Answer.FAILING:
        return AfterAnswer(replace(pace, failing=True), release_held=False)
    if answer is Answer.THROTTLED:
        if now - pace.halved_at < HALVING_INTERVAL:
            return AfterAnswer(replace(pace, failing=True), release_held=False)
        current = limits.ceiling if pace.rate is None else pace.rate
        halved = max(limits.floor, current / 2)
        tokens = min(pace.tokens, 0.0) if pace.rate is not None else 0.0
        return AfterAnswer(Pace(rate=halved, tokens=tokens, at=now, failing=True, halved_at=now), release_held=False)
    rate: float | None = None
    if pace.rate is not None and pace.rate * RECOVERY_FACTOR < limits.ceiling:
        rate = pace.rate * RECOVERY_FACTOR
    return AfterAnswer(replace(pace, rate=rate, failing=False), release_held=pace.failing)


def retry_delay(attempts: int, base_seconds: float) -> float:
    """A text or call Twilio could not take waits this long before its next attempt (doubling
    from `base_seconds`), unless Twilio's recovery releases it sooner (`after`)."""
    return float(base_seconds * 2 ** (attempts - 1))
