"""Running the line as an operator: putting it into service (`warmline check`, `warmline twilio
setup`) and seeing it run (log lines, metrics, health, error reports and alerts)."""

from __future__ import annotations

from service.operations import log_redaction
from service.operations.error_reports import start_error_reports
from service.operations.logs import configure_logging
from service.settings import Settings

# The parts of `warmline check` besides the configuration, which is always read (here, so the
# command line names them without importing the checks); the restore drill skips the ones
# that reach outside the database.
PARTS = ("database", "redis", "twilio", "public-url")


def observe_process(settings: Settings) -> None:
    """What every process (web, worker, CLI) does first: its log lines, with phone numbers
    redacted, and error reports when `SENTRY_DSN` is set."""
    # First: every log record this process makes, RQ's and gunicorn's included, is redacted.
    log_redaction.install()
    configure_logging(settings.log_format)
    start_error_reports(settings.sentry_dsn)
