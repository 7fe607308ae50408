"""Supervisors' sessions are server-side records that can be ended: a copied cookie stops
working at sign-out, at a password change and when the session is ended from the sessions
page; a session expires when idle and at its absolute lifetime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from service.db import StaffSession, Supervisor
from service.runtime import Runtime
from tests.dashboard.conftest import PASSWORD, Account, csrf_token, sign_in

NEW_PASSWORD = "a new and longer passphrase"


def _copy(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same cookie (copied from the first, as a thief would)."""
    thief = app.test_client()
    cookie = client.get_cookie("warmline_session")
    assert cookie is not None
    thief.set_cookie("warmline_session", cookie.value)
    return thief


def _token(client: FlaskClient, path: str = "/dashboard/account") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def test_a_copied_cookie_is_refused_after_sign_out(app: Flask, supervisor_client: FlaskClient) -> None:
    thief = _copy(app, supervisor_client)
    assert thief.get("/dashboard/").status_code == 200, "the copy works while the session is open"
    assert (
        supervisor_client.post("/dashboard/logout", data={"csrf_token": _token(supervisor_client)}).status_code == 302
    )
    refused = thief.get("/dashboard/people")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/dashboard/login")


def test_a_password_change_ends_every_other_session_and_signs_this_browser_in_afresh(
    app: Flask, accounts: dict[str, Account], supervisor_client: FlaskClient
) -> None:
    other_browser = app.test_client()
    sign_in(other_browser, accounts["supervisor"])
    thief = _copy(app, supervisor_client)
    changed = supervisor_client.post(
        "/dashboard/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "csrf_token": _token(supervisor_client)},
    )
    assert changed.status_code == 302
    assert supervisor_client.get("/dashboard/").status_code == 200, "the browser that changed it stays signed in"
    # Every other session ended, even the one a thief copied from this very browser.
    for refused in (thief, other_browser):
        assert refused.get("/dashboard/").status_code == 302
    # The copied cookie does not come back to life with the new password either.
    sign_in(other_browser, Account(0, "Sam", accounts["supervisor"].email, "", "supervisor"), password=NEW_PASSWORD)
    assert thief.get("/dashboard/").status_code == 302


def test_a_password_change_needs_the_current_password_and_guessing_it_is_slowed(
    runtime: Runtime, supervisor_client: FlaskClient
) -> None:
    def change(current: str) -> TestResponse:
        data = {"current_password": current, "new_password": NEW_PASSWORD, "csrf_token": _token(supervisor_client)}
        return supervisor_client.post("/dashboard/account/password", data=data)

    for _ in range(runtime.settings.dashboard.login_failures_per_account):
        refused = change("not it")
        assert refused.status_code == 400
        assert "current password is not right" in refused.get_data(as_text=True)
    # A stolen session cannot try passwords faster than sign-in allows: even the right one waits.
    waiting = change(PASSWORD)
    assert waiting.status_code == 429
    assert "wait a little" in waiting.get_data(as_text=True)


def test_an_admin_changing_a_password_ends_that_supervisors_sessions(
    app: Flask, accounts: dict[str, Account], admin_client: FlaskClient, supervisor_client: FlaskClient
) -> None:
    sam = accounts["supervisor"]
    path = f"/dashboard/people/supervisors/{sam.id}"
    done = admin_client.post(
        path,
        data={
            "name": sam.name,
            "email": sam.email,
            "phone": sam.phone,
            "role": "supervisor",
            "password": NEW_PASSWORD,
            "csrf_token": _token(admin_client, path),
        },
    )
    assert done.status_code == 302
    assert supervisor_client.get("/dashboard/").status_code == 302
    assert admin_client.get("/dashboard/").status_code == 200


def test_a_supervisor_ends_another_session_of_theirs_from_the_sessions_page(
    app: Flask, accounts: dict[str, Account], supervisor_client: FlaskClient
) -> None:
    phone = app.test_client()
    sign_in(phone, accounts["supervisor"], user_agent="Phone browser")
    page = supervisor_client.get("/dashboard/account").get_data(as_text=True)
    assert "Phone browser" in page and "this browser" in page
    with app.extensions["warmline"].sessions() as db:
        phone_session = db.scalars(select(StaffSession.id).where(StaffSession.user_agent == "Phone browser")).one()
    ended = supervisor_client.post(
        f"/dashboard/account/sessions/{phone_session}/end", data={"csrf_token": _token(supervisor_client)}
    )
    assert ended.status_code == 302
    assert phone.get("/dashboard/").status_code == 302
    assert supervisor_client.get("/dashboard/").status_code == 200
    assert "Phone browser" not in supervisor_client.get("/dashboard/account").get_data(as_text=True)


def test_only_admins_end_someone_elses_session(
    app: Flask, runtime: Runtime, admin_client: FlaskClient, supervisor_client: FlaskClient
) -> None:
    with runtime.sessions() as db:
        admin_session, supervisor_session = (
            db.scalars(select(StaffSession.id).join(Supervisor).where(Supervisor.role == role)).one()
            for role in ("admin", "supervisor")
        )
    refused = supervisor_client.post(
        f"/dashboard/account/sessions/{admin_session}/end", data={"csrf_token": _token(supervisor_client)}
    )
    assert refused.status_code == 403
    assert admin_client.get("/dashboard/").status_code == 200
    assert "Sam" in admin_client.get("/dashboard/account").get_data(as_text=True), "admins see everyone's sessions"
    done = admin_client.post(
        f"/dashboard/account/sessions/{supervisor_session}/end", data={"csrf_token": _token(admin_client)}
    )
    assert done.status_code == 302
    assert supervisor_client.get("/dashboard/").status_code == 302


def test_a_session_ends_when_idle_and_at_its_absolute_lifetime(
    runtime: Runtime, supervisor_client: FlaskClient, admin_client: FlaskClient
) -> None:
    limits, now = runtime.settings.dashboard, datetime.now(UTC)
    supervisors, admins = (select(Supervisor.id).where(Supervisor.role == role) for role in ("supervisor", "admin"))
    with runtime.engine.begin() as connection:
        # Sam's browser was last used just over the idle time ago ...
        connection.execute(
            update(StaffSession)
            .where(StaffSession.supervisor_id.in_(supervisors))
            .values(last_seen_at=now - timedelta(hours=limits.session_idle_hours, minutes=1))
        )
        # ... Alex's a minute ago, but it was opened longer ago than a session may last.
        connection.execute(
            update(StaffSession)
            .where(StaffSession.supervisor_id.in_(admins))
            .values(
                created_at=now - timedelta(hours=limits.session_max_hours, minutes=1),
                last_seen_at=now - timedelta(minutes=1),
            )
        )
    assert supervisor_client.get("/dashboard/").status_code == 302
    assert admin_client.get("/dashboard/").status_code == 302
