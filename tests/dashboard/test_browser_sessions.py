"""Sessions in real headless Chromium on the live stack: a supervisor signed in on two
browsers ends one from the other, and the live view left open there goes to the sign-in page
by itself; a password changed on one browser signs the other out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.dashboard.conftest import PASSWORD, Account, Dashboard
from tests.support.stack import Stack

PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"


@pytest.fixture
def phone(browser: Browser, stack: Stack, dashboard: Dashboard, dashboard_account: Account) -> Iterator[Page]:
    """The same supervisor signed in on a second browser (their phone), showing the live view."""
    context = browser.new_context(viewport={"width": 412, "height": 900}, user_agent=PHONE)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(stack.server_url + "/dashboard/")
    page.fill("input[name=email]", dashboard_account.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    yield page
    context.close()


def test_a_session_ended_from_another_browser_signs_that_browser_out(dashboard: Dashboard, phone: Page) -> None:
    page = dashboard.page
    page.get_by_role("link", name="Robin").click()
    sessions = page.locator("table").first
    expect(sessions.locator("tbody tr")).to_have_count(2)
    expect(sessions.locator("tr", has_text="this browser")).not_to_contain_text("Android")
    dashboard.shot("account-sessions")
    sessions.locator("tr", has_text="Android").get_by_role("button", name="End session").click()
    expect(page.locator(".notice-done")).to_contain_text("Session ended")
    expect(sessions.locator("tbody tr")).to_have_count(1)
    # The phone's open live view notices on its next refresh and shows the sign-in page.
    phone.wait_for_url("**/dashboard/login**", timeout=5_000)
    expect(phone.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(dashboard.base_url + "/dashboard/")
    expect(page.locator('[data-section="volunteers"]')).to_be_visible()


def test_a_password_changed_on_one_browser_signs_the_other_out(dashboard: Dashboard, phone: Page) -> None:
    page = dashboard.page
    dashboard.goto("/dashboard/account")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "a much longer new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".notice-done")).to_contain_text("signed out everywhere else")
    dashboard.shot("account-password-changed")
    expect(page.locator("table").first.locator("tbody tr")).to_have_count(1)
    phone.wait_for_url("**/dashboard/login**", timeout=5_000)
