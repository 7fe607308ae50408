"""The dashboard's test world: the app (for route-by-route checks with Flask's test client),
accounts with known passwords, and, for the browser tests, the scenario tests' live stack
(web server, rq worker, fake Twilio) with a signed-in Chromium page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, Page

from scripts.harness import seed
from scripts.harness.database import empty_database
from service.app import create_app
from service.db import Supervisor
from service.runtime import Runtime
from tests.support.line import Line
from tests.support.privacy import leaks
from tests.support.stack import Stack

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    email: str
    phone: str
    role: str


def add_account(runtime: Runtime, name: str, role: str, phone: str, on_call: bool = False) -> Account:
    email = f"{name.lower()}@example.org"
    with runtime.sessions() as session, session.begin():
        password_hash = PasswordHasher().hash(PASSWORD)
        row = seed.supervisor(name, phone, datetime.now(UTC), password_hash=password_hash, role=role, on_call=on_call)
        account = Supervisor(**row)
        session.add(account)
        session.flush()
        return Account(account.id, name, email, phone, role)


@pytest.fixture(scope="session")
def app(runtime: Runtime) -> Flask:
    return create_app(runtime)


@pytest.fixture
def accounts(runtime: Runtime) -> dict[str, Account]:
    """A clean database with one admin (on call) and one supervisor."""
    empty_database(runtime.engine)
    return {
        "admin": add_account(runtime, "Alex", "admin", "+12025550101", on_call=True),
        "supervisor": add_account(runtime, "Sam", "supervisor", "+12025550102"),
    }


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client: FlaskClient, account: Account) -> None:
    token = csrf_token(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post("/dashboard/login", data={"email": account.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def admin_client(app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    client = app.test_client()
    sign_in(client, accounts["admin"])
    return client


@pytest.fixture
def supervisor_client(app: Flask, accounts: dict[str, Account]) -> FlaskClient:
    client = app.test_client()
    sign_in(client, accounts["supervisor"])
    return client


@dataclass
class Dashboard:
    """A signed-in Chromium page on the live stack, which remembers every page it rendered so
    that the test can check none of them shows a texter's number."""

    page: Page
    base_url: str
    screenshots: Path
    rendered: list[tuple[str, str]]

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.keep()

    def keep(self) -> None:
        self.rendered.append((self.page.url, self.page.content()))

    def shot(self, name: str) -> None:
        self.keep()
        self.page.screenshot(path=str(self.screenshots / f"dashboard-{name}.png"), full_page=True)

    def assert_no_texter_number(self, numbers: set[str]) -> None:
        for url, html in self.rendered:
            for number in numbers:
                found = leaks(html, number)
                assert not found, f"texter number {found} on {url}"


@pytest.fixture
def dashboard_account(line: Line, stack: Stack) -> Account:
    """An on-call admin, created after the line fixture has emptied the database."""
    return add_account(stack.runtime, "Robin", "admin", "+12025550199", on_call=True)


@pytest.fixture
def dashboard(
    browser: Browser, stack: Stack, line: Line, dashboard_account: Account, screenshots: Path
) -> Iterator[Dashboard]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    board = Dashboard(page, stack.server_url, screenshots, [])
    board.goto("/dashboard/")  # signed out: the sign-in page
    board.shot("login")
    page.fill("input[name=email]", dashboard_account.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    board.keep()
    yield board
    board.assert_no_texter_number(line.texter_numbers)
    context.close()
