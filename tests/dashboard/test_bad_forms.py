"""Input no dashboard page would send (found by tests/fuzz/test_dashboard_fuzz.py) is refused,
never a 500: ids past the database's range, numbers that are not numbers, a NUL character,
report periods at the calendar's ends."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from service.db import MAX_ID, AuditEntry, Conversation, LoginFailure, Volunteer
from service.runtime import Runtime
from tests.dashboard.conftest import Account, add_account, csrf_token, sign_in
from tests.support.world import build_line


def _count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_id_past_the_databases_range_names_no_page(admin_client: FlaskClient) -> None:
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    assert admin_client.get(f"/dashboard/volunteers/{MAX_ID + 1}/shift").status_code == 404
    assert (
        admin_client.post(f"/dashboard/conversations/{MAX_ID + 1}/reassign", data={"csrf_token": token}).status_code
        == 404
    )
    assert admin_client.get(f"/dashboard/volunteers/{MAX_ID}/shift").status_code == 404, (
        "the largest id names no row yet"
    )


def test_a_number_no_one_could_mean_is_refused(app: Flask, runtime: Runtime) -> None:
    build_line(app.test_client(), runtime)
    admin = app.test_client()
    sign_in(admin, add_account(runtime, "Alex", "admin", "+12025550111"))
    token = csrf_token(admin.get("/dashboard/").get_data(as_text=True))
    with runtime.sessions() as session:
        conversation_id = session.scalar(
            select(Conversation.id).where(Conversation.status == "active", Conversation.channel == "sms")
        )
    volunteers = _count(runtime, Volunteer)
    for typed in (str(MAX_ID + 1), "²", "9" * 5000, "abc"):
        reassigned = admin.post(
            f"/dashboard/conversations/{conversation_id}/reassign",
            data={"volunteer_id": typed, "csrf_token": token},
            follow_redirects=True,
        )
        assert reassigned.status_code == 200 and "Not found." in reassigned.get_data(as_text=True), typed[:12]
        added = admin.post(
            "/dashboard/people/volunteers/new",
            data={
                "name": "Ana Rivera",
                "alias": "Ana",
                "phone": "+12025550177",
                "languages": "en",
                "max_concurrent": typed,
                "csrf_token": token,
            },
        )
        assert added.status_code == 400 and "At most 1 to 10 conversations at once." in added.get_data(as_text=True), (
            typed[:12]
        )
    assert _count(runtime, Volunteer) == volunteers


def test_a_form_with_a_nul_character_is_refused_and_nothing_is_stored(
    app: Flask, admin_client: FlaskClient, runtime: Runtime, accounts: dict[str, Account]
) -> None:
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    refused = admin_client.post(
        "/dashboard/people/volunteers/new",
        data={"name": "Ana\x00", "alias": "Ana", "phone": "+12025550177", "languages": "en", "csrf_token": token},
    )
    assert refused.status_code == 400 and "cannot be saved" in refused.get_data(as_text=True)
    visitor = app.test_client()
    token = csrf_token(visitor.get("/dashboard/login").get_data(as_text=True))
    assert (
        visitor.post("/dashboard/login", data={"email": "\x00", "password": "x", "csrf_token": token}).status_code
        == 400
    )
    assert _count(runtime, Volunteer) == _count(runtime, AuditEntry) == _count(runtime, LoginFailure) == 0


def test_a_report_period_at_the_calendars_ends_shows_the_last_seven_days(supervisor_client: FlaskClient) -> None:
    periods = [
        {"from": "9999-12-31", "to": "2026-01-01"},
        {"from": "0001-01-01", "to": "0001-01-02"},
        {"from": "0001-01-01", "to": "9999-12-31"},
    ]
    for period in periods:
        assert supervisor_client.get("/dashboard/reports", query_string=period).status_code == 200, period
        download = supervisor_client.get("/dashboard/reports.csv", query_string=period)
        assert download.status_code == 200, period
        zone = ZoneInfo(supervisor_client.application.extensions["warmline"].settings.line.timezone)
        today = datetime.now(zone).date()
        seven_days = f"warmline-report-{today - timedelta(days=6)}-{today}.csv"
        assert seven_days in download.headers["Content-Disposition"], (period, download.headers["Content-Disposition"])
