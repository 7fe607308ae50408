"""Schema migrations (Alembic), run by `warmline db upgrade`; never `create_all` in production."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def pending(connection: Connection) -> tuple[set[str], set[str]]:
    """The database's revisions and the code's heads: equal when nothing is left to apply."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(ScriptDirectory.from_config(_config(connection)).get_heads())
    return current, heads


def new_revision(engine: Engine, message: str) -> None:
    """Autogenerate a migration from the models (developers: `python -m service.db.migrate "message"`)."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


if __name__ == "__main__":
    import os
    import sys

    from service.db.engine import make_engine

    new_revision(make_engine(os.environ["DATABASE_URL"]), sys.argv[1])
