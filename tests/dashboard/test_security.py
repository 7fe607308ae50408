"""The dashboard's locks: sign-in required everywhere, CSRF on every form, sign-in attempts
limited, sessions in hardened cookies, and people's own numbers shown to admins only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from scripts.harness import seed
from service.db import LineState, Supervisor, Volunteer
from service.runtime import Runtime
from tests.dashboard.conftest import PASSWORD, Account, csrf_token, sign_in

VOLUNTEER_PHONE = "+12025550177"


def _dashboard_routes(app: Flask) -> list[tuple[str, str]]:
    """Every dashboard URL and method, with 1 for each id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or rule.endpoint in ("dashboard.login", "dashboard.static"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule)
        routes += [(method, path) for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    return routes


def test_every_route_but_sign_in_redirects_to_sign_in_when_signed_out(app: Flask, accounts: dict[str, Account]) -> None:
    client = app.test_client()
    routes = _dashboard_routes(app)
    assert len(routes) >= 25
    for method, path in routes:
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path, response.status_code)
        assert response.headers["Location"].startswith("/dashboard/login"), (method, path)
    assert client.get("/dashboard/login").status_code == 200


def test_a_form_post_without_its_csrf_token_is_refused(app: Flask, admin_client: FlaskClient, runtime: Runtime) -> None:
    refused = admin_client.post("/dashboard/line/pause", data={"next": "/dashboard/"})
    assert refused.status_code == 400
    assert "did not come from this dashboard" in refused.get_data(as_text=True)
    wrong = admin_client.post("/dashboard/line/pause", data={"csrf_token": "forged"})
    assert wrong.status_code == 400
    with runtime.sessions() as session:
        assert not session.scalar(select(LineState.paused))
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    assert admin_client.post("/dashboard/line/pause", data={"csrf_token": token}).status_code == 302
    with runtime.sessions() as session:
        assert session.scalar(select(LineState.paused))
    # Signing in is a form too.
    assert (
        app.test_client().post("/dashboard/login", data={"email": "alex@example.org", "password": PASSWORD}).status_code
        == 400
    )


def test_sign_in_attempts_are_limited_per_account_and_per_address(
    app: Flask, accounts: dict[str, Account], runtime: Runtime
) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/dashboard/login").get_data(as_text=True))
    limit = runtime.settings.dashboard.login_failures_per_account
    for _ in range(limit):
        assert (
            client.post(
                "/dashboard/login", data={"email": "alex@example.org", "password": "wrong", "csrf_token": token}
            ).status_code
            == 401
        )
    locked = client.post(
        "/dashboard/login", data={"email": "alex@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 429, "the right password does not get past the limit"
    assert "Too many attempts" in locked.get_data(as_text=True)
    # Another account from another address is not held back by Alex's attempts ...
    other = app.test_client()
    other_token = csrf_token(
        other.get("/dashboard/login", environ_base={"REMOTE_ADDR": "10.0.0.9"}).get_data(as_text=True)
    )
    ok = other.post(
        "/dashboard/login",
        data={"email": "sam@example.org", "password": PASSWORD, "csrf_token": other_token},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert ok.status_code == 302
    # ... but one address trying many accounts is.
    per_address = runtime.settings.dashboard.login_failures_per_address
    for number in range(per_address):
        client.post(
            "/dashboard/login", data={"email": f"guess{number}@example.org", "password": "x", "csrf_token": token}
        )
    assert (
        client.post(
            "/dashboard/login", data={"email": "sam@example.org", "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 429
    )


def test_sessions_are_hardened_cookies_renewed_at_sign_in_and_ended_by_sign_out(
    app: Flask, accounts: dict[str, Account]
) -> None:
    client = app.test_client()
    client.get("/dashboard/login")
    before = client.get_cookie("warmline_session")
    token = csrf_token(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post(
        "/dashboard/login", data={"email": "alex@example.org", "password": PASSWORD, "csrf_token": token}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Expires=" in cookie
    assert before is None or client.get_cookie("warmline_session").value != before.value
    assert client.get("/dashboard/").status_code == 200
    token = csrf_token(client.get("/dashboard/").get_data(as_text=True))
    assert client.post("/dashboard/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/dashboard/").status_code == 302


def test_a_deactivated_supervisor_loses_access_at_once(
    app: Flask, accounts: dict[str, Account], admin_client: FlaskClient, supervisor_client: FlaskClient
) -> None:
    assert supervisor_client.get("/dashboard/").status_code == 200
    token = csrf_token(admin_client.get("/dashboard/people").get_data(as_text=True))
    sam = accounts["supervisor"]
    assert (
        admin_client.post(
            f"/dashboard/people/supervisors/{sam.id}/active", data={"active": "0", "csrf_token": token}
        ).status_code
        == 302
    )
    assert supervisor_client.get("/dashboard/").status_code == 302


def _add_volunteer(runtime: Runtime) -> int:
    with runtime.sessions() as session, session.begin():
        volunteer = Volunteer(**seed.volunteer("Ana", VOLUNTEER_PHONE, datetime.now(UTC), name="Ana Rivera"))
        session.add(volunteer)
        session.flush()
        return volunteer.id


def test_a_volunteers_phone_number_is_shown_only_to_admins(
    runtime: Runtime, admin_client: FlaskClient, supervisor_client: FlaskClient, accounts: dict[str, Account]
) -> None:
    volunteer_id = _add_volunteer(runtime)
    for path in ("/dashboard/people", f"/dashboard/people/volunteers/{volunteer_id}"):
        assert VOLUNTEER_PHONE in admin_client.get(path).get_data(as_text=True), path
        page = supervisor_client.get(path).get_data(as_text=True)
        assert VOLUNTEER_PHONE not in page and "2025550177" not in page, path
        assert accounts["admin"].phone not in page
    for path in (
        "/dashboard/",
        f"/dashboard/volunteers/{volunteer_id}/shift",
        "/dashboard/history",
        "/dashboard/reports",
    ):
        assert VOLUNTEER_PHONE not in supervisor_client.get(path).get_data(as_text=True), path
    # Supervisors' accounts are for admins only.
    assert supervisor_client.get(f"/dashboard/people/supervisors/{accounts['admin'].id}").status_code == 403
    assert supervisor_client.get("/dashboard/people/supervisors/new").status_code == 403


def test_a_supervisor_edit_keeps_the_phone_they_cannot_see(runtime: Runtime, supervisor_client: FlaskClient) -> None:
    volunteer_id = _add_volunteer(runtime)
    path = f"/dashboard/people/volunteers/{volunteer_id}"
    token = csrf_token(supervisor_client.get(path).get_data(as_text=True))
    response = supervisor_client.post(
        path,
        data={
            "name": "Ana Rivera",
            "alias": "Anita",
            "languages": ["en", "es"],
            "phone": "+12025550000",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    with runtime.sessions() as session:
        volunteer = session.get(Volunteer, volunteer_id)
        assert (volunteer.alias, volunteer.languages, volunteer.phone) == ("Anita", "en,es", VOLUNTEER_PHONE)


def _add_supervisor(admin_client: FlaskClient, email: str, password: str) -> TestResponse:
    """Kim, added as a supervisor through the dashboard's form by an admin."""
    token = csrf_token(admin_client.get("/dashboard/people/supervisors/new").get_data(as_text=True))
    form = {"name": "Kim", "email": email, "phone": "+12025550150", "role": "supervisor", "password": password}
    return admin_client.post("/dashboard/people/supervisors/new", data=form | {"csrf_token": token})


@pytest.mark.parametrize("password", ["", "short"])
def test_a_new_supervisor_needs_a_long_password(admin_client: FlaskClient, runtime: Runtime, password: str) -> None:
    response = _add_supervisor(admin_client, "kim@example.org", password)
    assert response.status_code == 400
    with runtime.sessions() as session:
        assert session.scalar(select(Supervisor.id).where(Supervisor.email == "kim@example.org")) is None


def test_a_supervisor_added_on_the_dashboard_can_sign_in(app: Flask, admin_client: FlaskClient) -> None:
    response = _add_supervisor(admin_client, "Kim@Example.org", PASSWORD)
    assert response.status_code == 302
    sign_in(app.test_client(), Account(0, "Kim", "kim@example.org", "", "supervisor"))


def test_only_admins_change_someone_elses_on_call(
    runtime: Runtime, supervisor_client: FlaskClient, accounts: dict[str, Account]
) -> None:
    token = csrf_token(supervisor_client.get("/dashboard/on-call").get_data(as_text=True))
    assert (
        supervisor_client.post(f"/dashboard/on-call/{accounts['admin'].id}", data={"csrf_token": token}).status_code
        == 403
    )
    assert (
        supervisor_client.post(
            f"/dashboard/on-call/{accounts['supervisor'].id}", data={"on_call": "1", "csrf_token": token}
        ).status_code
        == 302
    )
    with runtime.sessions() as session:
        assert session.get(Supervisor, accounts["supervisor"].id).on_call


def test_sign_in_never_redirects_off_the_dashboard(app: Flask, accounts: dict[str, Account]) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/dashboard/login").get_data(as_text=True))
    response = client.post(
        "/dashboard/login",
        data={"email": "alex@example.org", "password": PASSWORD, "csrf_token": token, "next": "https://evil.example/"},
    )
    assert response.headers["Location"] == "/dashboard/"
