"""Debian's Chromium, as the browser tests and the dashboard benchmark launch it (headless,
through Playwright's executable_path): never a downloaded browser."""

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps dialling out to a network this
# machine does not have.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
