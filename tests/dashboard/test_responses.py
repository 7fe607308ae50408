"""What every dashboard response promises a shared or lost computer: nothing kept in a cache
(`Cache-Control: no-store`, on every route, signed in or not); and a `next=` target that is
not a plain dashboard path sends the supervisor to the live view, never elsewhere and never
to an error page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.dashboard import dashboard_blueprint
from tests.dashboard.conftest import PASSWORD, Account, csrf_token
from tests.support.routes import blueprint_rules

PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
ROUTES = [
    (method, rule.rule)
    for rule in blueprint_rules(dashboard_blueprint)
    if rule.endpoint != "dashboard.static"
    for method in sorted((rule.methods or set()) & {"GET", "POST"})
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_every_dashboard_response_says_no_store(
    app: Flask, admin_client: FlaskClient, accounts: dict[str, Account], method: str, route: str
) -> None:
    path = PATH_ARGUMENT.sub(str(accounts["supervisor"].id), route)
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    signed_in = admin_client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
    signed_out = app.test_client().open(path, method=method)
    for response in (signed_in, signed_out):
        assert response.status_code < 500
        assert response.headers.get("Cache-Control") == "no-store", (method, path, response.status_code)


UNSAFE_NEXT = [
    "/dashboard/\r\nSet-Cookie: stolen=1",
    "/dashboard/history\r\n",
    "\r\n",
    "/dashboard/\n",
    "/dashboard/\t",
    "https://evil.example/",
    "//evil.example/dashboard",
    "/dashboard\\..\\..\\evil",
    "/\\evil.example",
    "/dashboard/\u2028",
    "/dashboard/caf\u00e9",
    "javascript:alert(1)",
    " /dashboard/",
    "/dashboardx",
]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_sign_in_with_an_unsafe_next_goes_to_the_live_view(
    app: Flask, accounts: dict[str, Account], target: str
) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/dashboard/login", query_string={"next": target}).get_data(as_text=True))
    response = client.post(
        "/dashboard/login",
        data={"email": accounts["admin"].email, "password": PASSWORD, "csrf_token": token, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_an_action_with_an_unsafe_next_goes_to_the_live_view(admin_client: FlaskClient, target: str) -> None:
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    response = admin_client.post("/dashboard/line/resume", data={"csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"


def test_a_safe_next_is_followed(app: Flask, accounts: dict[str, Account]) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post(
        "/dashboard/login",
        data={
            "email": accounts["admin"].email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/dashboard/history?page=2",
        },
    )
    assert response.headers["Location"] == "/dashboard/history?page=2"


def test_a_page_address_with_a_line_break_is_refused_politely(admin_client: FlaskClient) -> None:
    response = admin_client.get("/dashboard/%0d%0aSet-Cookie:%20stolen=1")
    assert response.status_code == 404
    assert not any("stolen" in value for _, value in response.headers.items())
