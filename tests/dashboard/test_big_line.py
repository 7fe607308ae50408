"""A big line's dashboard shows all of it: 500 volunteers on shift and 2,000 conversations in
the period, seeded straight into the database, in Chromium. How long its pages take to load is
measured by the benchmark (`scripts/bench_dashboard.py`), not here: a timed test fails on a slow
or busy machine without the line being any slower."""

from __future__ import annotations

from datetime import UTC, datetime

from scripts.harness.big_line import ACTIVE, CONVERSATIONS, OPEN_ESCALATIONS, QUEUED, VOLUNTEERS, seed_big_line
from tests.dashboard.conftest import Dashboard
from tests.support.stack import Stack


def test_the_pages_of_a_big_line_show_all_of_it(dashboard: Dashboard, stack: Stack) -> None:
    seed_big_line(stack.runtime, datetime.now(UTC))
    page = dashboard.page
    dashboard.goto("/dashboard/")
    assert page.locator('[data-section="volunteers"] tbody tr').count() == VOLUNTEERS
    assert page.locator('[data-section="active"] tbody tr').count() == ACTIVE
    assert page.locator('[data-section="waiting"] tbody tr').count() == QUEUED
    assert page.locator('[data-section="escalations"] li.escalation').count() == OPEN_ESCALATIONS
    dashboard.page.screenshot(path=str(dashboard.screenshots / "dashboard-big-line-live.png"))
    dashboard.goto("/dashboard/reports")
    assert str(CONVERSATIONS) in page.locator(".figures").inner_text().replace(",", "")
    dashboard.page.screenshot(path=str(dashboard.screenshots / "dashboard-big-line-reports.png"), full_page=True)
    dashboard.goto("/dashboard/people")
    assert page.locator("table").first.locator("tbody tr").count() >= VOLUNTEERS
    dashboard.goto("/dashboard/history")
    assert page.locator("h1").inner_text() == "History"
