"""The spool: verified inbound texts kept while PostgreSQL is down, replayed when it is back.

A message Twilio delivered must never be lost, and Twilio waits at most 15 seconds. When
the database cannot take a webhook, the verified request goes to a Redis list (or, when
Redis is down too, an append-only file on local disk, fsynced), the sender gets a safe
reply at once, and the sweeper replays the spool in arrival order once the database
answers again. Replays are deduplicated by MessageSid like every webhook.

Each entry holds a texter's number and words, so it is encrypted with the data key like the
database's columns (in Redis, in its snapshots and in the file alike), and the file is the
service's alone (0600, in a folder of its own outside the code). Encryption also
authenticates: whoever can write to Redis cannot slip in a text Twilio never signed. An entry
no configured key opens (its key was dropped too early) is set aside, not replayed or lost.
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

from service.db.vault import Vault

log = logging.getLogger(__name__)

SPOOL_KEY = "warmline:spool"
# Entries no configured key could open, kept for an operator who still has the old key.
UNREADABLE_KEY = "warmline:spool:unreadable"
# The file's names date from when entries were plain JSON: a file an older release left
# behind is still found, and its entries set aside as unreadable.
FILE = "inbound.jsonl"
REPLAYING = "inbound.replaying"
UNREADABLE_FILE = "inbound.unreadable"


@dataclass(frozen=True)
class SpooledSms:
    sid: str
    sender: str
    to: str
    body: str
    received_at: float
    # Twilio's `OptOutType`, when it sent one (records spooled before it was kept have none).
    opt_out_type: str = ""


class Spool:
    def __init__(self, redis: Redis, folder: Path, vault: Vault) -> None:
        self._redis = redis
        self._folder = folder
        self._vault = vault

    def keep(self, message: SpooledSms) -> str:
        """Store the message durably; returns where ("redis" or "file"). Raises OSError only
        when neither Redis nor the local disk can take it."""
        record = self._vault.encrypt(json.dumps(asdict(message)))
        try:
            self._redis.rpush(SPOOL_KEY, record)
            return "redis"
        except RedisError:
            self._append(FILE, record)
            return "file"

    def replay_redis(self, ingest: Callable[[SpooledSms], None]) -> int:
        """Replay the Redis list oldest first (the sweeper does this); a failure stops the
        replay and keeps that message at the head for the next sweep."""
        replayed = 0
        try:
            while (record := self._redis.lindex(SPOOL_KEY, 0)) is not None:
                message = self._open(record.decode("latin-1") if isinstance(record, bytes) else str(record))
                # Remove this record, not whatever is first now: another worker replaying at the
                # same time (the sweeper, `resume_after_outage`) may have taken it already, and
                # popping the head would then drop a message nobody replayed. The record goes back
                # as the bytes it came as (redis-py takes bytes; its stubs say str only).
                if message is None:
                    if self._redis.lrem(SPOOL_KEY, 1, record):  # type: ignore[arg-type]
                        self._redis.rpush(UNREADABLE_KEY, record)
                    log.error("spool.unreadable where=redis kept=%s", UNREADABLE_KEY)
                    continue
                ingest(message)
                self._redis.lrem(SPOOL_KEY, 1, record)  # type: ignore[arg-type]
                replayed += 1
        except RedisError as error:
            log.warning("spool.redis_unavailable error=%s", type(error).__name__)
        return replayed

    def has_file(self) -> bool:
        return (self._folder / FILE).exists() or (self._folder / REPLAYING).exists()

    def replay_file(self, ingest: Callable[[SpooledSms], None]) -> int:
        """Replay this host's file spool oldest first (the web process that wrote it does
        this, as other hosts cannot see its disk); on failure the rest stays for next time."""
        path, working = self._folder / FILE, self._folder / REPLAYING
        if path.exists() and not working.exists():
            path.rename(working)  # a webhook spooling meanwhile starts a new file
        if not working.exists():
            return 0
        records = [line for line in working.read_text("utf-8").splitlines() if line.strip()]
        replayed = 0
        for index, record in enumerate(records):
            message = self._open(record)
            if message is None:
                self._append(UNREADABLE_FILE, record)
                log.error("spool.unreadable where=file kept=%s", UNREADABLE_FILE)
                continue
            try:
                ingest(message)
            except BaseException:
                working.write_text("".join(line + "\n" for line in records[index:]), "utf-8")
                raise
            replayed += 1
        working.unlink()
        return replayed

    def _open(self, record: str) -> SpooledSms | None:
        """The message in an entry; None when no configured key opens it."""
        try:
            return SpooledSms(**json.loads(self._vault.decrypt(record)))
        except (ValueError, TypeError):  # VaultError, or not an entry at all
            return None

    def _append(self, name: str, record: str) -> None:
        """Append a line to a spool file, created readable by this service's user only, and
        on disk before returning."""
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(self._folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(descriptor, 0o600)  # a file an older release left 0644 is closed too
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(record + "\n")
            handle.flush()
            os.fsync(handle.fileno())
