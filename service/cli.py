"""The `warmline` command: database, people, the demo and risk assessment."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

import click
from sqlalchemy import select

from escalation.assessment import Assessment
from routing import matching
from routing.limits import LIFTABLE
from service.db import Supervisor, Volunteer, key_rotation
from service.db.turn import Turn, run_turn
from service.jobs.job_queue import JobQueue
from service.operations import PARTS, log_redaction, observe_process
from service.operations.key_strength import secret_problems
from service.phones import is_e164, normalise
from service.runtime import Runtime
from service.settings import Settings, SettingsError
from service.staff import roster, supervision
from service.staff.roster import SupervisorDetails, VolunteerDetails

# Who the audit log names for changes made from the command line.
CLI_ACTOR = "cli"
# The roster's refusals in the command line's words.
REFUSED = {
    "phone_taken": "someone already exists with that phone",
    "email_taken": "a supervisor with that email already exists",
    "password_short": "the password needs at least 12 characters",
    "phone_is_line_number": "that phone is one of the line's own numbers",
    "on_a_call": "they are on a call: try again when it has ended",
    "topics_invalid": "topics must be among the line's [matching] topics",
    "languages_invalid": "languages must be among the line's languages",
}


def _runtime() -> Runtime:
    try:
        settings = Settings.from_environment()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    observe_process(settings)
    return Runtime(settings)


def _runtime_for_config() -> Runtime:
    """Commands that only read config (no database) work without the service's secrets."""
    environ = {
        "DATABASE_URL": "sqlite://",
        "WARMLINE_PUBLIC_URL": "http://localhost",
        "WARMLINE_SECRET_KEY": "-",
        "WARMLINE_DATA_KEY": "-" * 16,
    }
    environ.update(os.environ)
    try:
        settings = Settings.from_environment(environ)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    observe_process(settings)
    return Runtime(settings)


def _phone(runtime: Runtime, raw: str) -> str:
    number = normalise(raw, runtime.settings.line.default_region)
    if not is_e164(number):
        raise click.BadParameter(f"{raw!r} is not a phone number", param_hint="--phone")
    return number


@click.group()
@click.version_option(package_name="warmline", prog_name="warmline")
def main() -> None:
    """Warmline: SMS and voice peer-support line routing."""
    log_redaction.install()  # a library's log line (a failed statement, a Twilio request) may quote a number


@main.command()
@click.option(
    "--skip",
    multiple=True,
    type=click.Choice(PARTS),
    help="A part not to test (repeatable); the configuration is always read.",
)
def check(skip: tuple[str, ...]) -> None:
    """Test everything the line needs, report every problem with what to do, and exit 0 only
    when the line can take texts."""
    from service.operations.setup_check import check_setup

    found = check_setup(parts=[part for part in PARTS if part not in skip], judge_secrets=secret_problems)
    for passed in found.passed:
        click.echo(f"ok       {passed}")
    for note in found.notes:
        click.echo(f"note     {note}")
    for problem in found.problems:
        click.echo(f"PROBLEM  {problem}")
    if not found.line_can_take_texts:
        count = len(found.problems)
        click.echo(f"{count} problem{'s' if count > 1 else ''}: the line cannot take texts until they are fixed.")
        sys.exit(1)
    click.echo("The line can take texts.")


@main.group()
def twilio() -> None:
    """The Twilio account: its line numbers and Messaging Service."""


@twilio.command("setup")
@click.option("--dry-run", is_flag=True, help="Say what would change, and change nothing.")
def twilio_setup(dry_run: bool) -> None:
    """Point every line number's SMS, voice and status URLs at this service and put them in one
    Messaging Service; a second run changes nothing."""
    from twilio.base.exceptions import TwilioRestException

    from service.operations.twilio_setup import console_steps, survey
    from service.outbound.twilio_gateway import twilio_client

    settings = _runtime().settings
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise click.ClickException("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first")
    client = twilio_client(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_api_base_url,
        settings.delivery.twilio_timeout_seconds,
    )
    try:
        found = survey(client, settings, apply=not dry_run)
    except TwilioRestException as error:
        raise click.ClickException(f"Twilio answered {error.status} ({error.code}): {error.msg}") from error
    if found.changes:
        click.echo("Would change (dry run, nothing changed):" if dry_run else "Changed:")
        for change in found.changes:
            click.echo(f"  {change}")
    else:
        click.echo("No change: Twilio already points at this service.")
    for problem in found.problems:
        click.echo(f"PROBLEM  {problem}")
    click.echo("Still to do once in the Twilio console (its API cannot):")
    for number, step in enumerate(console_steps(settings), start=1):
        click.echo(f"  {number}. {step}")
    if found.problems:
        sys.exit(1)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration not yet applied."""
    from service.db.migrate import upgrade

    upgrade(_runtime().engine)
    click.echo("database is up to date")


@main.group()
def volunteer() -> None:
    """Peer volunteers."""


@volunteer.command("add")
@click.option("--name", required=True, help="Full name (seen by supervisors only).")
@click.option("--phone", required=True, help="The volunteer's own phone (seen by admins only).")
@click.option("--alias", default=None, help="Name texters see; default: the first name.")
@click.option("--languages", default="en", show_default=True, help="Comma-separated language codes.")
@click.option("--max-concurrent", type=click.IntRange(1, 10), default=None, help="Personal limit under the line's.")
@click.option("--level", type=click.Choice(matching.LEVELS), default=matching.PEER, show_default=True)
@click.option(
    "--trainee-scope",
    type=click.Choice(matching.TRAINEE_SCOPES),
    default=matching.ANY,
    show_default=True,
    help="What a volunteer in training may take.",
)
@click.option("--topics", default="", help="Lived experience they opted in to share, from [matching] topics.")
@click.option("--staff-language", default=None, help="The language the line texts them in.")
def volunteer_add(
    name: str,
    phone: str,
    alias: str | None,
    languages: str,
    max_concurrent: int | None,
    level: str,
    trainee_scope: str,
    topics: str,
    staff_language: str | None,
) -> None:
    """Register a volunteer who can then text #on to a line number."""
    runtime = _runtime()
    codes = tuple(code.strip().lower() for code in languages.split(",") if code.strip())
    unknown = set(codes) - set(runtime.settings.line.languages)
    if unknown or not codes:
        raise click.BadParameter(
            f"languages must be among {', '.join(runtime.settings.line.languages)}", param_hint="--languages"
        )
    details = VolunteerDetails(
        name=name,
        alias=alias or name.split()[0],
        phone=_phone(runtime, phone),
        languages=codes,
        max_concurrent=max_concurrent,
        level=level,
        trainee_scope=trainee_scope,
        topics=tuple(topic.strip() for topic in topics.split(",") if topic.strip()),
        staff_language=staff_language,
    )
    _roster_change(runtime, lambda turn: roster.save_volunteer(turn, None, details, CLI_ACTOR))
    click.echo(f"volunteer {name} added")


@volunteer.command("remove")
@click.option("--phone", required=True, help="The volunteer's own phone.")
def volunteer_remove(phone: str) -> None:
    """Take a volunteer off the roster at once: their shift ends, their texters go back to the
    front of the queue, and nothing more is sent to them."""
    runtime = _runtime()
    number = _phone(runtime, phone)
    with runtime.sessions() as session:
        volunteer_id = session.scalar(select(Volunteer.id).where(Volunteer.phone == number))
    if volunteer_id is None:
        raise click.ClickException("no volunteer with that phone")
    turn = _roster_change(runtime, lambda turn: roster.set_volunteer_active(turn, volunteer_id, False, CLI_ACTOR))
    JobQueue(runtime).submit(turn)
    click.echo("volunteer removed")


def _roster_change(runtime: Runtime, change: Callable[[Turn], object]) -> Turn:
    """The same checks and audit as the dashboard's People page."""
    try:
        return run_turn(runtime, datetime.now(UTC), change)[1]
    except roster.RosterRefused as refused:
        raise click.ClickException(REFUSED.get(refused.reason, refused.reason.replace("_", " "))) from refused


@main.group()
def supervisor() -> None:
    """Supervisors and admins."""


@supervisor.command("add")
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--phone", required=True, help="Escalation alerts are texted here.")
@click.option("--on-call", is_flag=True, help="Receives escalation alerts now.")
@click.option("--backup", is_flag=True, help="Receives escalations nobody acknowledged in time.")
@click.option("--admin", is_flag=True, help="May manage accounts and settings.")
def supervisor_add(name: str, email: str, phone: str, on_call: bool, backup: bool, admin: bool) -> None:
    """Create a supervisor; the password is asked for (or read from standard input)."""
    runtime = _runtime()
    number = _phone(runtime, phone)
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise click.ClickException("passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    details = SupervisorDetails(
        name=name, email=email, phone=number, role="admin" if admin else "supervisor", password=password
    )

    def add(turn: Turn) -> None:
        account = roster.save_supervisor(turn, None, details, CLI_ACTOR)
        if on_call or backup:
            supervision.set_on_call(turn, account.id, on_call, backup, CLI_ACTOR)

    _roster_change(runtime, add)
    click.echo(f"supervisor {name} added" + (" (on call)" if on_call else ""))


@main.command()
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--data-dir", default=None, help="Where the demo keeps its SQLite file (default: a new temporary folder)."
)
def demo(port: int, data_dir: str | None) -> None:
    """Run the whole line on this machine, no Twilio account or services needed."""
    from service.dashboard.simulator.demo import run_demo

    run_demo(port=port, data_dir=data_dir)


@main.group()
def shift() -> None:
    """Shifts and their limits."""


@shift.command("override")
@click.option("--volunteer", "phone", required=True, help="The volunteer's phone number.")
@click.option("--limit", required=True, type=click.Choice(sorted(LIFTABLE)), help="The limit to lift.")
@click.option("--minutes", required=True, type=click.IntRange(1, 24 * 60), help="How long it stays lifted.")
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@click.option("--by", "actor", required=True, help="The supervisor's email.")
def shift_override(phone: str, limit: str, minutes: int, reason: str, actor: str) -> None:
    """Lift one limit for one volunteer for a bounded time (audited); the volunteer is told."""
    runtime = _runtime()
    number = _phone(runtime, phone)
    with runtime.sessions() as session:
        supervisor = session.scalars(
            select(Supervisor).where(Supervisor.email == actor.lower(), Supervisor.active)
        ).first()
        person = session.scalars(select(Volunteer).where(Volunteer.phone == number)).first()
    if supervisor is None:
        raise click.ClickException(f"no active supervisor with email {actor}")
    if person is None:
        raise click.ClickException("no volunteer with that phone")
    try:
        _, turn = run_turn(
            runtime,
            datetime.now(UTC),
            lambda turn: supervision.lift_limit(turn, person.id, limit, minutes, reason, supervisor.email),
        )
    except supervision.ActionRefused as refused:
        raise click.ClickException(refused.reason.replace("_", " ")) from refused
    JobQueue(runtime).submit(turn)
    click.echo(f"{limit} lifted for {person.alias} for {minutes} minutes")


@main.command()
def assess() -> None:
    """Read JSON lines {"id": ..., "text": ..., "language": ...} on stdin (language optional:
    without it every lexicon reads the text); write one JSON line of risk per input."""
    runtime = _runtime_for_config()
    assess_text = runtime.detector.assess
    verdict_json = _VerdictLines()
    # Written through Python's own buffering (line by line on a terminal, in blocks into a
    # pipe or a file): click.echo flushes every line, a system call per message.
    write = sys.stdout.write
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = _parse_line(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text must be a string")
        except (ValueError, KeyError, TypeError) as error:
            # One output line per input line, so results stay aligned with what was sent.
            write(
                json.dumps({"id": None, "line": number, "error": f"not a JSON object with a text field: {error}"})
                + "\n"
            )
            continue
        verdict = assess_text(text, item.get("language"))
        write('{"id": ' + _json_id(item.get("id")) + ", " + verdict_json(verdict))
    sys.stdout.flush()


# The scanner json.loads runs after skipping whitespace, called directly for the usual line.
# typeshed leaves scan_once out (JSONDecoder.__init__ sets it), hence the ignore.
_SCAN_VALUE = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _parse_line(line: str) -> Any:
    """json.loads(line), without its two whitespace scans when the line is one object and its newline;
    any other line, and every error, goes through json.loads so its error message stays the same."""
    if line[:1] == "{":
        try:
            item, end = _SCAN_VALUE(line, 0)
        except (StopIteration, ValueError):
            return json.loads(line)
        if end == len(line) or line[end:] == "\n":
            return item
    return json.loads(line)


# What json.dumps(..., ensure_ascii=False) writes, built once instead of per line.
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def _json_id(value: object) -> str:
    """An input's id as json.dumps writes it; ids are mostly plain numbers or strings."""
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return encode_basestring(value)
    return _ENCODE(value)


class _VerdictLines:
    """The JSON of a verdict after its id, up to the newline, made once per distinct verdict:
    most messages share a handful of verdicts, and json.dumps costs as much as half an assessment."""

    def __init__(self, limit: int = 10_000) -> None:
        self._lines: dict[tuple[object, ...], str] = {}
        self._limit = limit

    def __call__(self, verdict: Assessment) -> str:
        key = (verdict.level, verdict.categories, verdict.rules)
        line = self._lines.get(key)
        if line is None:
            line = (
                _ENCODE(
                    {
                        "level": verdict.level.value,
                        "categories": [c.value for c in verdict.categories],
                        "rules": list(verdict.rules),
                    }
                )[1:]
                + "\n"
            )
            if len(self._lines) < self._limit:
                self._lines[key] = line
        return line


@main.group()
def keys() -> None:
    """The data key that protects texters' numbers and messages."""


@keys.command("rotate")
@click.option(
    "--batch-size",
    default=key_rotation.BATCH,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows per transaction.",
)
def keys_rotate(batch_size: int) -> None:
    """Re-hash and re-encrypt everything under the newest key, while the line runs. Restart
    every process with WARMLINE_DATA_KEY="new,old" first, then run this to the end (stopped, it
    keeps what it did: run it again; a run that rewrites 0 rows confirms it); then, with the
    spool empty, the old key can be removed."""
    runtime = _runtime()

    def progress(table: str, read: int, rewritten: int) -> None:
        click.echo(f"{table}: {read} rows read, {rewritten} rewritten")

    count = key_rotation.rotate(runtime.sessions, runtime.vault, batch=batch_size, progress=progress)
    click.echo(f"done: {count} rows rewritten under the newest key")


@main.group()
def retention() -> None:
    """Deleting what the retention period no longer allows us to keep."""


@retention.command("purge")
def retention_purge() -> None:
    """Run the retention purge now (the worker also runs it every hour)."""
    from service.conversations.retention import apply_retention

    runtime = _runtime()
    with runtime.sessions() as session, session.begin():
        forgotten = apply_retention(session, datetime.now(UTC), runtime.settings.retention.days)
    click.echo(f"purged; {forgotten} texters forgotten")
