"""`warmline check`: everything a line needs before it can take texts, tested at once.

Each part returns the problems it found, each saying what to do, so that an operator fixes a
whole setup in one pass; the line can take texts only when none is found. A part that needs
a setting the configuration got wrong is skipped (the settings' problem is reported).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from redis import Redis
from redis.exceptions import RedisError, ResponseError
from sqlalchemy import create_engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from twilio.base.exceptions import TwilioRestException

from service.db.migrate import pending
from service.operations import PARTS
from service.operations.twilio_setup import survey
from service.outbound.twilio_gateway import twilio_client
from service.settings import Problem, Settings, SettingsError

TIMEOUT_SECONDS = 10
# Judges WARMLINE_SECRET_KEY and WARMLINE_DATA_KEY: (secret key, data key) -> what is weak.
SecretJudge = Callable[[str, str], list[str]]


@dataclass
class Findings:
    """What passed (for the operator's confidence), what must be fixed, and what to look at."""

    passed: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def line_can_take_texts(self) -> bool:
        return not self.problems


def check_setup(
    environ: Mapping[str, str] | None = None,
    parts: Collection[str] = PARTS,
    judge_secrets: SecretJudge | None = None,
) -> Findings:
    """Read the settings, then test each part that the settings read correctly allow."""
    found = Findings()
    settings: Settings | None = None
    try:
        settings = Settings.from_environment(environ)
        values: Mapping[str, Any] = vars(settings)
        found.passed.append("configuration and environment")
    except SettingsError as error:
        values = error.partial
        found.problems += error.problems
    if judge_secrets is not None and "secret_key" in values and "data_key" in values:
        fix = "Make a new one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        found.problems += [
            Problem("secrets", weakness, fix) for weakness in judge_secrets(values["secret_key"], values["data_key"])
        ]
    if "database" in parts and "database_url" in values:
        _database(values["database_url"], found)
    if "redis" in parts and "redis_url" in values:
        _redis(values["redis_url"], found)
    if "twilio" in parts and "twilio_api_base_url" in values:
        _twilio(values, settings, found)
    if "public-url" in parts and "public_url" in values:
        _public_url(values["public_url"], found)
    return found


def _database(url: str, found: Findings) -> None:
    connect_args = {"connect_timeout": TIMEOUT_SECONDS} if url.startswith("postgresql") else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            current, heads = pending(connection)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        found.problems.append(
            Problem(
                "DATABASE_URL",
                f"cannot be reached ({reason})",
                "Check the host, database, user and password in DATABASE_URL, and that PostgreSQL is running",
            )
        )
        return
    finally:
        engine.dispose()
    if current == heads:
        found.passed.append(f"database reachable, migrated to {', '.join(sorted(heads))}")
    elif not current:
        found.problems.append(Problem("database", "has no tables yet", "Run `warmline db upgrade`"))
    else:
        found.problems.append(
            Problem(
                "database",
                f"is at revision {', '.join(sorted(current))}, and this code needs {', '.join(sorted(heads))}",
                "Back it up, then run `warmline db upgrade` (docs/operations.md, Upgrades)",
            )
        )


def _redis(url: str, found: Findings) -> None:
    client = Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    try:
        policy = client.config_get("maxmemory-policy").get("maxmemory-policy")
    except ResponseError:
        # Managed Redis services often refuse CONFIG; the policy is then the operator's to confirm.
        found.notes.append("Redis does not say its maxmemory-policy (CONFIG is refused): make sure it is noeviction")
        return
    except RedisError as error:
        found.problems.append(
            Problem("REDIS_URL", f"cannot be reached ({error})", "Check REDIS_URL and that Redis is running")
        )
        return
    finally:
        client.close()
    if policy != "noeviction":
        found.problems.append(
            Problem(
                "Redis",
                f"has maxmemory-policy {policy}, which may evict queued jobs",
                "Set `maxmemory-policy noeviction` in redis.conf (deploy/compose.yaml does)",
            )
        )
    else:
        found.passed.append("Redis reachable, maxmemory-policy noeviction")


def _twilio(values: Mapping[str, Any], settings: Settings | None, found: Findings) -> None:
    sid, token = values.get("twilio_account_sid", ""), values.get("twilio_auth_token", "")
    for variable, value in (("TWILIO_ACCOUNT_SID", sid), ("TWILIO_AUTH_TOKEN", token)):
        if not value:
            found.problems.append(
                Problem(variable, "is not set", f"Copy it from the Twilio console's Account Info into {variable}")
            )
    if not (sid and token):
        return
    client = twilio_client(sid, token, values["twilio_api_base_url"], TIMEOUT_SECONDS)
    try:
        account = client.api.v2010.accounts(sid).fetch()
        if account.status != "active":
            found.problems.append(
                Problem("Twilio account", f"is {account.status}", "Reactivate it in the Twilio console (Billing)")
            )
            return
        found.passed.append("Twilio credentials")
        if settings is None:
            return
        differences = survey(client, settings, apply=False)
    except TwilioRestException as error:
        if error.status == 401:
            found.problems.append(
                Problem(
                    "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN",
                    "are refused by Twilio",
                    "Copy both again from the Twilio console's Account Info",
                )
            )
        else:
            found.problems.append(
                Problem(
                    "Twilio",
                    f"answered {error.status} ({error.code}: {error.msg})",
                    "Check TWILIO_ACCOUNT_SID, then status.twilio.com, and run the check again",
                )
            )
        return
    except requests.RequestException as error:
        found.problems.append(
            Problem(
                "TWILIO_API_BASE_URL",
                f"cannot be reached ({error.__class__.__name__})",
                "Check this host's internet access (and TWILIO_API_BASE_URL, which production leaves unset)",
            )
        )
        return
    found.problems += differences.problems
    found.problems += [Problem("Twilio", change, "Run `warmline twilio setup`") for change in differences.changes]
    if not differences.changes and not differences.problems:
        found.passed.append(f"{len(settings.line.numbers)} line numbers and the Messaging Service point here")


def _public_url(url: str, found: Findings) -> None:
    if not url.startswith("https://"):
        found.problems.append(
            Problem(
                "WARMLINE_PUBLIC_URL",
                "is not an https:// URL",
                "Serve the line over https (deploy/Caddyfile gets a certificate): Twilio's requests and the "
                "dashboard's cookies must not travel in the clear",
            )
        )
        return
    try:
        answer = requests.get(f"{url}/healthz", timeout=TIMEOUT_SECONDS)
    except requests.RequestException as error:
        found.problems.append(
            Problem(
                "WARMLINE_PUBLIC_URL",
                f"cannot be reached at {url}/healthz ({error.__class__.__name__})",
                "Check DNS, the certificate and the reverse proxy (docs/operations.md)",
            )
        )
        return
    if answer.status_code != 200:
        found.problems.append(
            Problem(
                "WARMLINE_PUBLIC_URL",
                f"answers {answer.status_code} at {url}/healthz",
                "Look at /healthz's checks and the web process's log",
            )
        )
    else:
        found.passed.append(f"{url} reachable over https")
