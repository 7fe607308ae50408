"""How operators see the line run: log lines, metrics, health, error reports and alerts."""

from __future__ import annotations

from service.operations.error_reports import start_error_reports
from service.operations.logs import configure_logging
from service.settings import Settings


def observe_process(settings: Settings) -> None:
    """What every process (web, worker, CLI) does first: its log lines, and error reports
    when `SENTRY_DSN` is set."""
    configure_logging(settings.log_format)
    start_error_reports(settings.sentry_dsn)
