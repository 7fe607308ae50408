"""The test world: real PostgreSQL and Redis (never skipped: a missing service fails the run),
a fake Twilio REST server that checks requests against Twilio's own OpenAPI spec, and
settings that point the service at them."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from scripts.harness.fake_twilio import FakeTwilio
from service.db.migrate import upgrade
from service.runtime import Runtime
from service.settings import Settings

# Fixtures used by more than one folder are defined once, here, so that each session-wide
# resource (the live stack, the browser) starts once per run.
pytest_plugins = ["tests.support.stack", "tests.support.headless_browser"]

REPO = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# Two test runs on one machine (two developers' checkouts) each set their own names.
TEST_DATABASE = os.environ.get("WARMLINE_TEST_DATABASE", "warmline_test")
TEST_DATABASE_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{TEST_DATABASE}"
TEST_REDIS_DB = int(os.environ.get("WARMLINE_TEST_REDIS_DB", "14"))
TEST_REDIS_URL = f"redis://127.0.0.1:6379/{TEST_REDIS_DB}"
PUBLIC_URL = "https://warmline.example.org"

# Short timers so that scenario tests exercise the real scheduler in seconds, not minutes.
TEST_CONFIG = """
[routing]
offer_timeout_seconds = 4

[delivery]
twilio_timeout_seconds = 2
retry_base_seconds = 0.5
stuck_after_seconds = 3
sweep_interval_seconds = 1

[escalation]
realert_after_minutes = 0.05

[supervision]
transfer_offer_seconds = 10

# Operator alerts would text the supervisors of every scenario at random hours; the tests of
# alerts (tests/operations/) switch them on with hours of their own.
[alerts]
enabled = false
"""


@pytest.fixture(scope="session")
def database_url() -> str:
    """A fresh database for the run, migrated with the real Alembic migrations."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEST_DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {TEST_DATABASE}"))
    admin.dispose()
    engine = create_engine(TEST_DATABASE_URL)
    upgrade(engine)
    engine.dispose()
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    redis.Redis.from_url(TEST_REDIS_URL).flushdb()
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as server:
        yield server


@pytest.fixture(scope="session")
def environment(
    database_url: str, redis_url: str, fake_twilio: FakeTwilio, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("config")
    config = folder / "test.toml"
    # The spool file goes to this run's own folder, not /var/lib/warmline.
    config.write_text(TEST_CONFIG + f'\n[inbound]\nspool_dir = "{folder / "spool"}"\n')
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "WARMLINE_PUBLIC_URL": PUBLIC_URL,
        "WARMLINE_SECRET_KEY": secrets.token_urlsafe(32),
        "WARMLINE_DATA_KEY": secrets.token_urlsafe(32),
        "WARMLINE_CONFIG": str(config),
    }


@pytest.fixture(scope="session")
def runtime(environment: dict[str, str]) -> Runtime:
    return Runtime(Settings.from_environment(environment))
