"""Weak secrets are refused at start-up, with an error that says which and how to make one:
the web app and the worker do not start, so no text ever meets a key that cannot protect it."""

from __future__ import annotations

import secrets

import pytest

from service.app import create_app
from service.operations.key_strength import secret_problems
from service.runtime import Runtime
from service.settings import Settings, SettingsError
from tests.support.installed_commands import run_command

STRONG = secrets.token_urlsafe(32)
OTHER_STRONG = secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "weak", ["x", "changeme", "changeme" * 4, "a" * 40, "0123456789" * 4, "my-warmline-secret-key-for-production!"]
)
def test_the_web_app_refuses_a_weak_secret_key(environment: dict[str, str], weak: str) -> None:
    settings = Settings.from_environment({**environment, "WARMLINE_SECRET_KEY": weak})
    with pytest.raises(SettingsError, match="WARMLINE_SECRET_KEY"):
        create_app(Runtime(settings))


@pytest.mark.parametrize("data_key", ["short", "fifteen-chars!!", f"{STRONG},", f"{STRONG},old-but-short", "x" * 40])
def test_the_web_app_refuses_a_data_key_that_would_fail_texts(environment: dict[str, str], data_key: str) -> None:
    # The settings refuse a key too short to be one; create_app refuses any other unusable key.
    with pytest.raises(SettingsError, match="WARMLINE_DATA_KEY"):
        create_app(Runtime(Settings.from_environment({**environment, "WARMLINE_DATA_KEY": data_key})))


def test_strong_keys_and_a_rotation_from_an_older_shorter_key_are_accepted() -> None:
    assert secret_problems(STRONG, OTHER_STRONG) == []
    assert secret_problems(secrets.token_hex(16), secrets.token_hex(32)) == []
    # The key being rotated away from needs only to still open the rows it encrypted.
    assert secret_problems(STRONG, f"{OTHER_STRONG},sixteen-chars-ok") == []


def test_one_key_for_both_secrets_is_refused() -> None:
    [problem] = secret_problems(STRONG, STRONG)
    assert "must differ" in problem


def test_every_problem_is_named_at_once() -> None:
    problems = secret_problems("x", "short")
    assert [problem.split(" ", 1)[0] for problem in problems] == ["WARMLINE_SECRET_KEY", "WARMLINE_DATA_KEY's"]
    assert all("secrets.token_urlsafe(32)" in problem for problem in problems)


def test_the_worker_refuses_to_start_on_a_weak_secret_key(environment: dict[str, str]) -> None:
    started = run_command(
        "rq",
        "worker",
        "--burst",
        "--worker-class",
        "service.jobs.worker.Worker",
        "--url",
        environment["REDIS_URL"],
        "--serializer",
        "rq.serializers.JSONSerializer",
        "warmline-weak-key-test",
        environment={**environment, "WARMLINE_SECRET_KEY": "changeme"},
    )
    assert started.returncode != 0
    assert "WARMLINE_SECRET_KEY is 8 characters long" in started.stderr + started.stdout
