"""Alembic environment: migrations run against the engine of the current Settings."""

from __future__ import annotations

from alembic import context

from service.db import Base

config = context.config
connectable = config.attributes.get("connection")


def run() -> None:
    if connectable is None:
        raise RuntimeError("run migrations through `warmline db upgrade`")
    context.configure(connection=connectable, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
