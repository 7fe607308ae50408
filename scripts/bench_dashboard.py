"""The supervisors' dashboard of a big line, timed in Chromium (issue #6: with 500 volunteers on
shift and 2,000 conversations in the period, each page renders in under a second).

On the benchmark's own gunicorn, each page is loaded with an empty line (one supervisor and
nothing else), then again with the big line of `scripts/harness/big_line.py`: the best of a few
loads each, from navigation start to the load event as Chromium measures it. The big line's
figure is the issue's target; its ratio to the empty line's says how the page's cost grows
with the line on any machine. The rq workers are paused meanwhile: the big line's waiting
texters would otherwise be routed while the pages are timed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from playwright.sync_api import Page, sync_playwright

from scripts import bench_world
from scripts.harness import seed
from scripts.harness.big_line import seed_big_line
from scripts.harness.chromium import CHROMIUM, FLAGS
from scripts.harness.database import empty_database
from service.db import Supervisor

PAGES = ("/dashboard/", "/dashboard/reports", "/dashboard/people", "/dashboard/history")
EMAIL = "bench@example.org"
PASSWORD = "the benchmark's supervisor"


def measure(stack: bench_world.Stack, loads: int) -> dict[str, dict[str, float]]:
    """Per page: the best load in ms with an empty line and with the big line, and their ratio."""
    empty_database(stack.runtime.engine)
    _add_supervisor(stack)
    stack.pause_workers()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
            _sign_in(page, stack.web_url)
            empty = {path: _best_load_ms(page, stack.web_url + path, loads) for path in PAGES}
            seed_big_line(stack.runtime, datetime.now(UTC))
            big = {path: _best_load_ms(page, stack.web_url + path, loads) for path in PAGES}
            browser.close()
    finally:
        stack.resume_workers()
    return {
        path: {"empty_ms": empty[path], "big_line_ms": big[path], "ratio": round(big[path] / empty[path], 2)}
        for path in PAGES
    }


def _add_supervisor(stack: bench_world.Stack) -> None:
    with stack.runtime.sessions() as session, session.begin():
        password_hash = PasswordHasher().hash(PASSWORD)
        row = seed.supervisor(
            "Bench", "+13035559998", datetime.now(UTC), email=EMAIL, password_hash=password_hash, role="admin"
        )
        session.add(Supervisor(**row))


def _sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/dashboard/login")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")


def _best_load_ms(page: Page, url: str, loads: int) -> float:
    """The fastest of `loads` loads after one to warm up (templates compiled, connections pooled)."""
    timings = []
    for _ in range(loads + 1):
        response = page.goto(url)
        if response is None or response.status != 200:
            raise RuntimeError(f"{url} answered {response.status if response else 'nothing'}")
        timing: dict[str, Any] = page.evaluate("() => performance.getEntriesByType('navigation')[0].toJSON()")
        timings.append(float(timing["loadEventEnd"]))
    return round(min(timings[1:]), 1)
