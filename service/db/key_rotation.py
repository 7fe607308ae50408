"""Rotating the data key: every texter's number re-hashed and every stored ciphertext
re-encrypted under the newest key, so that the old key can then be dropped.

The rotation runs while the line takes texts (WARMLINE_DATA_KEY="new,old" everywhere: lookups
try both keys), in batches of rows that each commit on their own, so that no lock is held for
long and a rotation stopped half-way (a deploy, Ctrl-C, a lost connection) keeps what it did.
Running it again finishes it: a row already under the newest key is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from service.db import InboundReceipt, Message, OutboxMessage, Texter
from service.db.engine import transaction
from service.db.vault import PURGED, Vault

BATCH = 500
# The hash of a texter's second record, kept for its conversations but no longer found by number.
SUPERSEDED = "superseded"
# The encrypted columns besides texters' numbers, each walked by its table's primary key.
CIPHERTEXTS: tuple[tuple[str, InstrumentedAttribute[Any], InstrumentedAttribute[Any]], ...] = (
    ("messages", Message.id, Message.body_encrypted),
    ("outbox", OutboxMessage.id, OutboxMessage.body_encrypted),
    ("inbound_receipts", InboundReceipt.sid, InboundReceipt.sender_encrypted),
    ("inbound_receipts", InboundReceipt.sid, InboundReceipt.body_encrypted),
)
# Told after each committed batch: the table, rows read, rows rewritten.
Progress = Callable[[str, int, int], None]


def rotate(sessions: sessionmaker[Session], vault: Vault, batch: int = BATCH, progress: Progress | None = None) -> int:
    """Bring every row under the newest key, a batch per transaction; the rows rewritten."""
    rewritten = _walk(sessions, "texters", partial(_texters, vault=vault, batch=batch), progress)
    for table, key, column in CIPHERTEXTS:
        one_batch = partial(_ciphertexts, vault=vault, key=key, column=column, batch=batch)
        rewritten += _walk(sessions, table, one_batch, progress)
    return rewritten


# One batch: given the session and the key the last batch ended at (None: the start), the
# key this one ended at, the rows it read and the rows it rewrote.
Batch = Callable[[Session, Any], tuple[Any, int, int]]


def _walk(sessions: sessionmaker[Session], table: str, one_batch: Batch, progress: Progress | None) -> int:
    """Batches until one reads no row, each committed before the next starts."""
    rewritten, after = 0, None
    while True:
        with transaction(sessions) as session:
            after, read, changed = one_batch(session, after)
        rewritten += changed
        if read == 0:
            return rewritten
        if progress is not None:
            progress(table, read, changed)


def _texters(session: Session, after: int | None, vault: Vault, batch: int) -> tuple[int | None, int, int]:
    """One batch of texters: each number re-hashed and re-encrypted, unless it already is.

    A number with a second record under the newest hash (a process that knew only the new
    key created it) keeps that record as the one it is found by; this one keeps its
    conversations, re-encrypted, under a hash no number has, so the unique index holds."""
    query = select(Texter).where(Texter.phone_encrypted != PURGED).order_by(Texter.id).limit(batch).with_for_update()
    texters = session.scalars(query if after is None else query.where(Texter.id > after)).all()
    changed = 0
    for texter in texters:
        number = vault.decrypt(texter.phone_encrypted)
        newest = vault.lookup_hash(number)
        superseded = f"{SUPERSEDED}:{texter.id}"
        if texter.phone_hash in (newest, superseded) and vault.is_current(texter.phone_encrypted):
            continue
        if texter.phone_hash not in (newest, superseded):
            holder = session.scalar(select(Texter.id).where(Texter.phone_hash == newest))
            texter.phone_hash = newest if holder is None else superseded
        texter.phone_encrypted = vault.encrypt(number)
        changed += 1
    session.flush()
    return (texters[-1].id if texters else after), len(texters), changed


def _ciphertexts(
    session: Session,
    after: Any,
    vault: Vault,
    key: InstrumentedAttribute[Any],
    column: InstrumentedAttribute[Any],
    batch: int,
) -> tuple[Any, int, int]:
    """One batch of a column's ciphertexts, each re-encrypted unless it already is."""
    query = (
        select(key, column).where(column.is_not(None), column != PURGED).order_by(key).limit(batch).with_for_update()
    )
    rows = session.execute(query if after is None else query.where(key > after)).all()
    stale = [(row_key, token) for row_key, token in rows if not vault.is_current(token)]
    if stale:
        session.execute(
            update(key.class_), [{key.key: row_key, column.key: vault.reencrypt(token)} for row_key, token in stale]
        )
    return (rows[-1][0] if rows else after), len(rows), len(stale)
