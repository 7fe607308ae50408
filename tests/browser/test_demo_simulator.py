"""`warmline demo` from scratch, driven in Chromium: one whole conversation in the simulator."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from service.dashboard.simulator.demo import TEXTER_PHONE
from tests.support.privacy import leaks

WARMLINE = Path(sys.executable).parent / "warmline"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    """The demo as the README starts it, with a clean environment: no database, Redis or Twilio settings."""
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "TWILIO_", "WARMLINE_"))
    }
    log = (tmp_path / "demo.log").open("wb")
    process = subprocess.Popen(
        [str(WARMLINE), "demo", "--port", str(port), "--data-dir", str(tmp_path / "data")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/simulator"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "demo.log").read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def _pane(page: Page, name: str) -> Locator:
    return page.locator(f'section.phone[data-pane="{name}"]')


def _send(page: Page, pane: str, text: str) -> None:
    box = _pane(page, pane).locator("input[name=body]")
    box.fill(text)
    box.press("Enter")


def test_one_full_conversation_in_the_simulator(browser: Browser, demo_url: str, screenshots: Path) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(demo_url)
    texter, ana = _pane(page, "texter"), _pane(page, "ana")

    _pane(page, "ana").locator("button.chip", has_text="#on").click()
    expect(ana.locator(".messages")).to_contain_text("Your shift has started", timeout=15_000)

    _send(page, "texter", "I feel so alone tonight")
    expect(texter.locator(".messages")).to_contain_text("trained peer volunteer", timeout=15_000)
    expect(ana.locator(".messages")).to_contain_text("I feel so alone tonight", timeout=15_000)

    ana.locator("button.chip", has_text="#yes").click()
    expect(texter.locator(".messages")).to_contain_text("You're now texting with Ana", timeout=15_000)

    _send(page, "ana", "I'm here. Do you want to tell me what's going on?")
    expect(texter.locator(".messages")).to_contain_text("Do you want to tell me", timeout=15_000)
    _send(page, "texter", "thank you, it helps to talk")
    expect(ana.locator(".messages")).to_contain_text("it helps to talk", timeout=15_000)
    page.screenshot(path=str(screenshots / "simulator-conversation.png"), full_page=True)

    ana.locator("button.chip", has_text="#done").click()
    expect(texter.locator(".messages")).to_contain_text("This conversation has ended", timeout=15_000)
    expect(ana.locator(".messages")).to_contain_text("closed. Thank you", timeout=15_000)
    page.screenshot(path=str(screenshots / "simulator-closed.png"), full_page=True)
    assert not leaks(page.content(), TEXTER_PHONE), "not even the texter's own pane shows their number"
    page.close()


def _demo_sign_in(log: Path) -> tuple[str, str, str]:
    """The dashboard's address, email and password, as `warmline demo` printed them."""
    deadline = time.monotonic() + 15
    while True:
        printed = re.search(r"(http://\S+/dashboard)\s+sign in as (\S+) with password (\S+)", log.read_text())
        if printed:
            return printed.group(1), printed.group(2), printed.group(3)
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


def test_a_texter_in_danger_sees_the_crisis_text_and_the_dashboard_shows_the_escalation(
    browser: Browser, demo_url: str, tmp_path: Path, screenshots: Path
) -> None:
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(demo_url)
    texter = _pane(page, "texter")
    _send(page, "texter", "I have the pills in front of me and I'm going to take them all tonight")
    messages = texter.locator(".messages")
    expect(messages).to_contain_text("Your safety matters most", timeout=15_000)
    expect(messages).to_contain_text("988", timeout=15_000)
    page.screenshot(path=str(screenshots / "simulator-crisis-text.png"), full_page=True)

    address, email, password = _demo_sign_in(tmp_path / "demo.log")
    dashboard = browser.new_page(viewport={"width": 1200, "height": 800})
    dashboard.goto(address)
    dashboard.locator("input[name=email]").fill(email)
    dashboard.locator("input[name=password]").fill(password)
    dashboard.locator("button[type=submit]").click()
    escalation = dashboard.locator("li.escalation-imminent")
    expect(escalation).to_contain_text("Risk detected", timeout=15_000)
    expect(escalation).to_contain_text("Alerted: Sam Demo")
    dashboard.screenshot(path=str(screenshots / "demo-dashboard-escalation.png"), full_page=True)
    assert not leaks(dashboard.content(), TEXTER_PHONE)
    dashboard.close()
    page.close()
