"""Wrong passwords slow an account and an address down with growing delays instead of locking
them: after the delay the right password signs in, so nobody can lock a named supervisor out.
Behind a proxy, the trusted-proxy setting makes each visitor's own address count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Interval, literal, update

from service.app import create_app
from service.dashboard.auth import growing_delay
from service.db import LoginFailure
from service.runtime import Runtime
from service.settings import Settings
from tests.dashboard.conftest import PASSWORD, Account, csrf_token


def _attempt(
    client: FlaskClient, email: str, password: str, address: str = "127.0.0.1", forwarded_for: str | None = None
) -> int:
    environ = {"REMOTE_ADDR": address}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    token = csrf_token(client.get("/dashboard/login", environ_base=environ, headers=headers).get_data(as_text=True))
    return client.post(
        "/dashboard/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
        headers=headers,
    ).status_code


def _flood(
    client: FlaskClient, runtime: Runtime, address: str, forwarded_for: Callable[[int], str] | None = None
) -> list[int]:
    """Wrong guesses at made-up accounts from `address`, as many as one address may make before
    it is slowed (`forwarded_for(n)`: the X-Forwarded-For header of the n-th); their statuses."""
    return [
        _attempt(client, f"guess{n}@example.org", "x", address, forwarded_for(n) if forwarded_for else None)
        for n in range(runtime.settings.dashboard.login_failures_per_address)
    ]


def _let_time_pass(runtime: Runtime, span: timedelta) -> None:
    """As if `span` had passed since every refused attempt (the delays are counted from them)."""
    with runtime.engine.begin() as connection:
        connection.execute(update(LoginFailure).values(at=LoginFailure.at - literal(span, Interval())))


def test_the_delay_doubles_from_a_few_seconds_up_to_its_cap() -> None:
    delays = [
        growing_delay(failures, free=5, base_seconds=5, cap_seconds=600).total_seconds() for failures in range(3, 16)
    ]
    assert delays == [0, 0, 5, 10, 20, 40, 80, 160, 320, 600, 600, 600, 600]
    assert growing_delay(10**6, free=5, base_seconds=5, cap_seconds=600) == timedelta(seconds=600)


def test_a_locked_account_signs_in_with_the_right_password_after_the_delay(
    app: Flask, runtime: Runtime, accounts: dict[str, Account]
) -> None:
    limits = runtime.settings.dashboard
    alex = accounts["admin"].email
    client = app.test_client()
    for _ in range(limits.login_failures_per_account):
        assert _attempt(client, alex, "wrong guess") == 401
    # Now even the right password waits ...
    assert _attempt(client, alex, PASSWORD) == 429
    _let_time_pass(runtime, timedelta(seconds=limits.login_delay_seconds))
    # ... one more wrong guess after the delay doubles it ...
    assert _attempt(client, alex, "wrong again") == 401
    page = client.get("/dashboard/login").get_data(as_text=True)
    refused = client.post(
        "/dashboard/login", data={"email": alex, "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    assert limits.login_delay_seconds < wait <= 2 * limits.login_delay_seconds
    assert f"Wait {wait} seconds" in refused.get_data(as_text=True)
    # ... an attempt during the delay is not even checked, so it cannot make the wait longer ...
    _let_time_pass(runtime, timedelta(seconds=wait // 2))
    assert _attempt(client, alex, "another guess") == 429
    # ... and once the delay has passed, the right password signs in.
    _let_time_pass(runtime, timedelta(seconds=wait - wait // 2))
    assert _attempt(client, alex, PASSWORD) == 302


def test_a_flood_from_one_address_slows_that_address_not_others(
    app: Flask, runtime: Runtime, accounts: dict[str, Account]
) -> None:
    client = app.test_client()
    assert set(_flood(client, runtime, "10.0.0.66")) == {401}
    assert _attempt(client, accounts["supervisor"].email, PASSWORD, address="10.0.0.66") == 429
    assert _attempt(app.test_client(), accounts["supervisor"].email, PASSWORD, address="10.0.0.9") == 302


@pytest.fixture
def behind_a_proxy(environment: dict[str, str]) -> Flask:
    return create_app(Runtime(Settings.from_environment(environment, overrides={"dashboard": {"trusted_proxies": 1}})))


def test_behind_a_trusted_proxy_each_visitor_counts_for_their_own_address(
    behind_a_proxy: Flask, runtime: Runtime, accounts: dict[str, Account]
) -> None:
    client = behind_a_proxy.test_client()
    _flood(client, runtime, "10.0.0.1", forwarded_for=lambda _: "198.51.100.7")
    assert (
        _attempt(client, accounts["supervisor"].email, PASSWORD, address="10.0.0.1", forwarded_for="198.51.100.7")
        == 429
    )
    # Another visitor through the same proxy is not held back by the flood.
    assert (
        _attempt(client, accounts["supervisor"].email, PASSWORD, address="10.0.0.1", forwarded_for="203.0.113.5") == 302
    )


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_delay(
    app: Flask, runtime: Runtime, accounts: dict[str, Account]
) -> None:
    client = app.test_client()
    _flood(client, runtime, "10.0.0.66", forwarded_for=lambda number: f"203.0.113.{number}")
    assert (
        _attempt(client, accounts["supervisor"].email, PASSWORD, address="10.0.0.66", forwarded_for="198.51.100.99")
        == 429
    )
