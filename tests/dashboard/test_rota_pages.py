"""The rota's dashboard pages beyond the browser test: reports gain its coverage (per weekly
slot the volunteer-hours scheduled, signed up for and actually staffed, with no-shows and
fallback calls, on the page and in the CSV), and a volunteer's form sets their time zone and
whether they are in the fallback group."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import select

from scripts.harness import seed
from service.db import FallbackCall, RotaSignup, RotaSlot, Shift, Volunteer
from service.runtime import Runtime
from tests.dashboard.conftest import csrf_token


def test_coverage_sets_scheduled_against_staffed_hours_with_no_shows_and_fallback_calls(
    supervisor_client: FlaskClient, runtime: Runtime
) -> None:
    zone = ZoneInfo(runtime.settings.line.timezone)
    today = datetime.now(zone).date()
    monday = today - timedelta(days=today.weekday() + 7)  # last week's Monday: wholly past
    starts = datetime.combine(monday, time(10), zone)
    with runtime.sessions() as session, session.begin():
        slot = RotaSlot(weekday=0, starts=time(10), ends=time(14), needed=2, created_at=datetime.now(UTC))
        ana = Volunteer(**seed.volunteer("Ana", "+12025550141", datetime.now(UTC)))
        ben = Volunteer(**seed.volunteer("Ben", "+12025550142", datetime.now(UTC)))
        session.add_all([slot, ana, ben])
        session.flush()
        for volunteer, no_show in ((ana, None), (ben, starts + timedelta(minutes=15))):
            session.add(
                RotaSignup(
                    slot_id=slot.id,
                    day=monday,
                    volunteer_id=volunteer.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=4),
                    created_at=starts - timedelta(days=3),
                    created_by="volunteer",
                    reminders_sent="",
                    no_show_at=no_show,
                )
            )
        session.add(
            Shift(volunteer_id=ana.id, started_at=starts - timedelta(minutes=5), ended_at=starts + timedelta(hours=3))
        )
        session.add(FallbackCall(at=starts + timedelta(minutes=20), reason="nobody", waiting=1, texted=3))
    period = {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}

    page = supervisor_client.get("/dashboard/reports", query_string=period).get_data(as_text=True)
    assert "Rota coverage" in page and "Monday 10:00-14:00" in page
    assert "1 no-show(s)" in page and "called 1 time(s)" in page

    rows = list(
        csv.reader(
            io.StringIO(supervisor_client.get("/dashboard/reports.csv", query_string=period).get_data(as_text=True))
        )
    )
    figures = {(section, key): value for section, key, value in rows[1:]}
    slot_section = f"rota_slot:{slot.id}:0:10:00-14:00"
    assert figures[(slot_section, "scheduled_hours")] == "8.0"
    assert figures[(slot_section, "signed_up_hours")] == "8.0"
    assert figures[(slot_section, "staffed_hours")] == "3.0"
    assert figures[("rota", "no_shows")] == "1" and figures[("rota", "fallback_calls")] == "1"
    assert date.fromisoformat(period["from"]).weekday() == 0


def test_a_volunteers_time_zone_and_fallback_group_are_set_on_their_form(
    admin_client: FlaskClient, runtime: Runtime
) -> None:
    token = csrf_token(admin_client.get("/dashboard/").get_data(as_text=True))
    form = {"name": "Bea Ruiz", "alias": "Bea", "phone": "+12025550178", "languages": "en", "csrf_token": token}
    refused = admin_client.post("/dashboard/people/volunteers/new", data={**form, "timezone": "Mars/Olympus"})
    assert "That is not a time zone" in refused.get_data(as_text=True)
    saved = admin_client.post(
        "/dashboard/people/volunteers/new", data={**form, "timezone": "Europe/Madrid", "fallback": "1"}
    )
    assert saved.status_code == 302
    with runtime.sessions() as session:
        bea = session.scalars(select(Volunteer).where(Volunteer.alias == "Bea")).one()
        assert (bea.timezone, bea.fallback) == ("Europe/Madrid", True)
