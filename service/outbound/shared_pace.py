"""The delivery pace (`routing.delivery_pace`) shared by every worker, kept in Redis.

Read and written in a WATCH transaction, so two workers never hand out one slot twice. While
the pace is calm (nothing throttled or failed lately), a worker reads it at most every
`CALM_READ_SECONDS` and writes nothing: sending at full speed costs no round trip to Redis.
Redis being unreachable never holds a text back: the pace is then unlimited.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict

from redis import Redis
from redis.exceptions import RedisError, WatchError

from routing import delivery_pace as rules
from routing.delivery_pace import Answer, Pace, PaceLimits
from service.settings import DeliverySettings

log = logging.getLogger(__name__)

PACE_KEY = "warmline:twilio-pace"
# A calm pace read this long ago is taken as still calm (another worker's 429 is seen that late).
CALM_READ_SECONDS = 0.25
# A slot further away than this is not waited for: the text is put back until then.
LONGEST_WAIT_SECONDS = 1.0
# Kept this long after its last change: a pace nobody touched for a day is calm again.
PACE_TTL_SECONDS = 86400


class SharedPace:
    def __init__(self, redis: Redis, delivery: DeliverySettings) -> None:
        self._redis = redis
        self._limits = PaceLimits(ceiling=delivery.max_sends_per_second, floor=delivery.min_sends_per_second)
        self._calm_until = float("-inf")

    def slot(self, now: float) -> float:
        """`now` is wall-clock seconds (every worker on every host shares the pace).
        Seconds to wait before sending one text (reserving the slot when it is near)."""
        if now < self._calm_until:
            return 0.0
        wait = 0.0

        def change(pace: Pace) -> Pace:
            nonlocal wait
            slot = rules.take(pace, now, LONGEST_WAIT_SECONDS)
            wait = slot.wait
            return slot.pace

        self._update(change, now)
        return wait

    def answered(self, answer: Answer, now: float) -> bool:
        """Record Twilio's answer; True when texts held back by backoff should go now."""
        if answer is Answer.TAKEN and now < self._calm_until:
            return False
        release = False

        def change(pace: Pace) -> Pace:
            nonlocal release
            outcome = rules.after(pace, self._limits, answer, now)
            release = outcome.release_held
            return outcome.pace

        self._update(change, now)
        return release

    def _update(self, change: Callable[[Pace], Pace], now: float) -> None:
        try:
            with self._redis.pipeline() as pipe:
                for _ in range(5):
                    try:
                        pipe.watch(PACE_KEY)
                        raw = pipe.get(PACE_KEY)
                        pace = Pace(**json.loads(raw)) if raw else Pace()
                        changed = change(pace)
                        if changed.calm:
                            self._calm_until = now + CALM_READ_SECONDS
                        if changed == pace:
                            pipe.unwatch()
                            return
                        pipe.multi()
                        pipe.set(PACE_KEY, json.dumps(asdict(changed)), ex=PACE_TTL_SECONDS)
                        pipe.execute()
                        if not changed.calm:
                            self._calm_until = float("-inf")
                        return
                    except WatchError:
                        continue
        except RedisError as error:
            log.warning("pace.redis_unavailable error=%s", type(error).__name__)
