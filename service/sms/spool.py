"""The spool: verified inbound texts kept while PostgreSQL is down, replayed when it is back.

A message Twilio delivered must never be lost, and Twilio waits at most 15 seconds. When
the database cannot take a webhook, the verified request goes to a Redis list (or, when
Redis is down too, an append-only file on local disk, fsynced), the sender gets a safe
reply at once, and the sweeper replays the spool in arrival order once the database
answers again. Replays are deduplicated by MessageSid like every webhook.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SPOOL_KEY = "warmline:spool"


@dataclass(frozen=True)
class SpooledSms:
    sid: str
    sender: str
    to: str
    body: str
    received_at: float


class Spool:
    def __init__(self, redis: Redis, folder: Path) -> None:
        self._redis = redis
        self._folder = folder

    def keep(self, message: SpooledSms) -> str:
        """Store the message durably; returns where ("redis" or "file"). Raises OSError only
        when neither Redis nor the local disk can take it."""
        record = json.dumps(asdict(message))
        try:
            self._redis.rpush(SPOOL_KEY, record)
            return "redis"
        except RedisError:
            self._folder.mkdir(parents=True, exist_ok=True)
            with (self._folder / "inbound.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(record + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            return "file"

    def replay_redis(self, ingest: Callable[[SpooledSms], None]) -> int:
        """Replay the Redis list oldest first (the sweeper does this); a failure stops the
        replay and keeps that message at the head for the next sweep."""
        replayed = 0
        try:
            while (record := self._redis.lindex(SPOOL_KEY, 0)) is not None:
                ingest(SpooledSms(**json.loads(record)))
                # This record, not whatever is first now: another worker replaying at the same
                # time (the sweeper, `resume_after_outage`) may have taken it already, and
                # popping the head would then drop a message nobody replayed.
                self._redis.lrem(SPOOL_KEY, 1, record.decode() if isinstance(record, bytes) else record)
                replayed += 1
        except RedisError as error:
            log.warning("spool.redis_unavailable error=%s", type(error).__name__)
        return replayed

    def has_file(self) -> bool:
        return (self._folder / "inbound.jsonl").exists() or (self._folder / "inbound.replaying").exists()

    def replay_file(self, ingest: Callable[[SpooledSms], None]) -> int:
        """Replay this host's file spool oldest first (the web process that wrote it does
        this, as other hosts cannot see its disk); on failure the rest stays for next time."""
        path = self._folder / "inbound.jsonl"
        working = path.with_suffix(".replaying")
        if path.exists() and not working.exists():
            path.rename(working)  # a webhook spooling meanwhile starts a new file
        if not working.exists():
            return 0
        records = [line for line in working.read_text("utf-8").splitlines() if line.strip()]
        for index, record in enumerate(records):
            try:
                ingest(SpooledSms(**json.loads(record)))
            except BaseException:
                working.write_text("".join(line + "\n" for line in records[index:]), "utf-8")
                raise
        working.unlink()
        return len(records)
