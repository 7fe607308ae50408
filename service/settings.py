"""The one typed settings object, built once from the environment and the TOML config.

Nothing else in the project reads `os.environ` or the config files: everything that varies
between the demo, the tests and production arrives here, is checked against the types and
bounds declared beside each field, and is passed down from `create_app` or the worker. A bad
configuration is refused with every problem at once, each saying what to do, so an operator
fixes the file in one go instead of one restart per mistake.

Declaring a setting: a field in the section's dataclass with its type, and its bounds in
`Annotated[...]` (`Range`, `Pattern`, `Url`, `TimeZone`, `Language`), e.g.
`poll_seconds: Annotated[float, Positive]`; a default with an operator's comment in
config/warmline.toml. A field of `Settings` read from the environment carries `Env(variable,
default)`; a field whose type is a section dataclass is the TOML table of the same name, and
needs nothing else.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

# The defaults ship inside the package (service/config), so an installed service finds them
# without a checkout.
CONFIG_DIR = Path(str(resources.files("service") / "config"))
TWILIO_API_DEFAULT = "https://api.twilio.com"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the setup: where, what, and what the operator should do."""

    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}. {self.fix}."


class SettingsError(ValueError):
    """The configuration is unusable; `problems` lists every mistake found, not just the first.

    `partial` holds the settings that were read correctly (field name -> value), so that
    `warmline check` can still test the database, Redis and Twilio while the config is wrong.
    """

    def __init__(self, problems: list[Problem], partial: Mapping[str, Any] | None = None) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = tuple(problems)
        self.partial = dict(partial or {})


# --- Declaring bounds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """Bounds of a number: `low` and `high` inclusive, `above` exclusive (for "more than 0")."""

    low: float | None = None
    high: float | None = None
    above: float | None = None
    why: str = ""

    def fault(self, value: float) -> str | None:
        if self.above is not None and not value > self.above:
            return f"must be more than {self.above:g}"
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            if self.high is None:
                return f"must be at least {self.low:g}"
            if self.low is None:
                return f"must be at most {self.high:g}"
            return f"must be from {self.low:g} to {self.high:g}"
        return None


Positive = Range(above=0)


@dataclass(frozen=True)
class Pattern:
    """A text (or each text of a list) that must match `regex` in full; `means` says what that is."""

    regex: str
    means: str

    def fault(self, value: str) -> str | None:
        return None if re.fullmatch(self.regex, value) else f"must be {self.means}"


@dataclass(frozen=True)
class Url:
    """An absolute http(s) URL; its trailing slash is dropped so paths can be appended."""

    def fault(self, value: str) -> str | None:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            return "must be an http:// or https:// URL without a query, such as https://warmline.example.org"
        return None


@dataclass(frozen=True)
class TimeZone:
    """An IANA time zone name, such as America/New_York."""

    def fault(self, value: str) -> str | None:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return "must be an IANA time zone name, such as America/New_York"
        return None


@dataclass(frozen=True)
class Language:
    """A language code with its texts in config/messages/<code>.toml."""

    def fault(self, value: str) -> str | None:
        if re.fullmatch(r"[a-z]{2,3}", value) and (CONFIG_DIR / "messages" / f"{value}.toml").is_file():
            return None
        return f"must name languages with texts in {CONFIG_DIR / 'messages'} (such as en, es)"


@dataclass(frozen=True)
class Env:
    """A `Settings` field read from an environment variable; without a default it must be set."""

    variable: str
    default: str | None = None


E164 = Pattern(r"\+[1-9]\d{1,14}", "a number in E.164 form, such as +15551230001")
ACCOUNT_SID = Pattern(r"(AC[0-9a-fA-F]{32})?", "AC followed by 32 hex digits (the Twilio console's Account SID)")
CLOCK_TIME = Pattern(r"([01]\d|2[0-3]):[0-5]\d", 'a time of day such as "18:00"')
DATA_KEYS = Pattern(r"[^,]{16,}(,[^,]{16,})*", "secrets of 16 characters or more, newest first, comma-separated")


# --- The settings -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSettings:
    name: Annotated[str, Pattern(r".*\S.*", "a name")]
    default_region: Annotated[str, Pattern(r"[A-Z]{2}", "a two-letter ISO 3166 country code, such as US")]
    main_number: Annotated[str, E164]
    pool_numbers: Annotated[tuple[str, ...], E164]
    languages: Annotated[tuple[str, ...], Language()]
    timezone: Annotated[str, TimeZone()]
    messaging_service: Annotated[str, Pattern(r"\S.{0,63}", "a name of 1 to 64 characters")]

    @property
    def numbers(self) -> tuple[str, ...]:
        """Every line number a volunteer's conversation may use, main number first."""
        return (self.main_number, *self.pool_numbers)


@dataclass(frozen=True)
class RoutingSettings:
    offer_timeout_seconds: Annotated[int, Range(1, 3600)]
    texter_inactivity_minutes: Annotated[float, Positive]
    feedback_window_minutes: Annotated[int, Range(0)]
    offer_preview_chars: Annotated[int, Range(0, 1600)]


@dataclass(frozen=True)
class MatchingSettings:
    """Who meets whom (`routing.matching`) and a waiting texter kept informed (`routing.queue_updates`)."""

    experienced_first_seconds: Annotated[int, Range(0, 3600)]
    topic_first_seconds: Annotated[int, Range(0, 3600)]
    topics: Annotated[tuple[str, ...], Pattern(r"[a-z][a-z0-9_]{0,23}", "a short lower-case name")]
    place_update_minutes: Annotated[float, Positive]
    long_wait_minutes: Annotated[float, Positive]
    block_days: Annotated[float, Range(above=0, high=3650)]


@dataclass(frozen=True)
class ShiftSettings:
    max_concurrent: Annotated[int, Range(1, 50)]
    max_shift_minutes: Annotated[int, Range(1)]
    max_conversations_per_shift: Annotated[int, Range(1)]
    wrap_up_minutes: Annotated[int, Range(0)]
    cooldown_after_escalation_minutes: Annotated[int, Range(0)]
    long_conversation_minutes: Annotated[int, Range(1)]
    cooldown_after_long_minutes: Annotated[int, Range(0)]
    min_rest_minutes: Annotated[int, Range(0)]
    max_hours_per_week: Annotated[float, Range(above=0, high=168)]
    break_minutes: Annotated[int, Range(1)]


@dataclass(frozen=True)
class RetentionSettings:
    days: Annotated[float, Positive]


@dataclass(frozen=True)
class InboundSettings:
    spool_dir: Annotated[str, Pattern(r".*\S.*", "a folder")]
    max_texts_per_minute: Annotated[int, Range(1)]
    paused_reply_every_minutes: Annotated[float, Positive]
    new_senders_per_minute: Annotated[int, Range(1)]
    # The whole-message words the line's Twilio setup still blocks a texter for, when the
    # webhook carries no `OptOutType` (kept in upper case: Twilio reads keywords in any case).
    opt_out_keywords: Annotated[tuple[str, ...], Pattern(r"[A-Za-z]+", "a single word")]

    def __post_init__(self) -> None:
        object.__setattr__(self, "opt_out_keywords", tuple(word.upper() for word in self.opt_out_keywords))


@dataclass(frozen=True)
class CrisisResources:
    """Who a texter in danger is pointed to, in one language, for the line's region."""

    emergency: Annotated[str, Pattern(r".*\d.*", "a number to call")]
    suicide_line: Annotated[str, Pattern(r".*\d.*", "a number to call or text")]
    domestic_violence_line: Annotated[str, Pattern(r".*\d.*", "a number to call")]
    poison_control: Annotated[str, Pattern(r".*\d.*", "a number to call")]


@dataclass(frozen=True)
class EscalationSettings:
    realert_after_minutes: Annotated[float, Positive]
    safety_repeat_minutes: Annotated[float, Range(0)]


@dataclass(frozen=True)
class DashboardSettings:
    queue_wait_alert_minutes: Annotated[float, Positive]
    session_idle_hours: Annotated[float, Positive]
    session_max_hours: Annotated[float, Positive]
    login_window_minutes: Annotated[int, Range(1)]
    login_failures_per_account: Annotated[int, Range(1)]
    login_failures_per_address: Annotated[int, Range(1)]
    login_delay_seconds: Annotated[float, Positive]
    login_delay_max_seconds: Annotated[float, Positive]
    # 0 when the app is reached directly; else how many proxies (Caddy, a load balancer) stand in front.
    trusted_proxies: Annotated[int, Range(0, 10)]
    poll_seconds: Annotated[float, Positive]


@dataclass(frozen=True)
class VoiceSettings:
    ring_group_size: Annotated[int, Range(1, 10, why="Twilio dials at most 10 numbers at once")]
    ring_timeout_seconds: Annotated[int, Range(5, 600, why="Twilio's <Dial> timeout")]
    whisper_timeout_seconds: Annotated[int, Range(1)]
    menu_timeout_seconds: Annotated[int, Range(1)]
    ring_again_after_minutes: Annotated[float, Range(0)]
    max_hold_minutes: Annotated[float, Positive]
    hold_announce_seconds: Annotated[int, Range(1)]
    hold_music_url: Annotated[str, Pattern(r"(https?://\S+)?", "an http(s) URL of an MP3 or WAV, or empty for silence")]
    crisis_number: Annotated[str, Pattern(r"\+?\d+", "a number to dial (digits, or E.164)")]
    callbacks: bool

    @property
    def ring_seconds(self) -> int:
        """How long a volunteer stays reserved for a ringing call: the ring, the whisper, and
        a margin for Twilio's callbacks (the <Dial> action normally settles it sooner)."""
        return self.ring_timeout_seconds + self.whisper_timeout_seconds + 15


@dataclass(frozen=True)
class DeliverySettings:
    twilio_timeout_seconds: Annotated[float, Positive]
    max_attempts: Annotated[int, Range(1)]
    retry_base_seconds: Annotated[float, Positive]
    max_body_chars: Annotated[int, Range(1, 1600, why="Twilio's longest body")]
    max_parts: Annotated[int, Range(1)]
    stuck_after_seconds: Annotated[int, Range(1)]
    sweep_interval_seconds: Annotated[int, Range(1)]
    max_sends_per_second: Annotated[float, Positive]
    min_sends_per_second: Annotated[float, Positive]


@dataclass(frozen=True)
class AlertSettings:
    enabled: bool
    opens: Annotated[str, CLOCK_TIME]
    closes: Annotated[str, CLOCK_TIME]
    nobody_on_shift_after_minutes: Annotated[float, Range(0)]
    wait_minutes: Annotated[float, Positive]
    outbox_stuck_minutes: Annotated[float, Positive]
    no_worker_after_seconds: Annotated[float, Range(0)]
    repeat_minutes: Annotated[float, Positive]


@dataclass(frozen=True)
class RotaSettings:
    weeks_listed: Annotated[int, Range(1, 8)]
    remind_before_minutes: Annotated[int, Range(1, 24 * 60)]
    no_show_after_minutes: Annotated[int, Range(1, 24 * 60)]
    short_notice_hours: Annotated[float, Range(0)]
    fallback_after_minutes: Annotated[float, Range(0)]
    fallback_repeat_minutes: Annotated[float, Positive]
    partner_line: Annotated[str, Pattern(r"(\+?\d+)?", "a number to dial (digits, or E.164), or empty for none")]


@dataclass(frozen=True)
class ContinuitySettings:
    """Contact notes, referrals and consented follow-up (`routing.wrap_up_form`,
    `routing.referral_directory`, `routing.follow_up`)."""

    # The wrap-up form's questions, in order, each a [note_questions.<key>] table.
    note_questions: tuple[str, ...]
    # The question whose answers a later volunteer is shown and reports count as topics, and
    # the one reports count as outcomes (each one of note_questions, or empty for none).
    topics_question: str
    outcome_question: str
    wrap_up_answer_minutes: Annotated[float, Positive]
    # The referral directory `#res` searches, in order, each a [referrals.<key>] table.
    directory: tuple[str, ...]
    referrals_listed: Annotated[int, Range(1, 9)]
    follow_up_delay_hours: Annotated[float, Positive]
    follow_up_consent_minutes: Annotated[float, Positive]
    follow_up_answer_hours: Annotated[float, Positive]


@dataclass(frozen=True)
class NoteQuestionSettings:
    """One question of the wrap-up form: its label and numbered choices, as volunteers read them."""

    label: Annotated[str, Pattern(r".*\S.*", "a label")]
    choices: Annotated[tuple[str, ...], Pattern(r"[^\s+,]([^+,]*[^\s+,])?", "a choice without + or ,")]
    multiple: bool


@dataclass(frozen=True)
class ReferralSettings:
    """A service in the referral directory; empty `languages` or `regions` mean any."""

    name: Annotated[str, Pattern(r".*\S.*", "a name")]
    text: Annotated[str, Pattern(r"(?s).*\S.*", "the text sent to the texter")]
    topics: tuple[str, ...]
    languages: Annotated[tuple[str, ...], Language()]
    regions: tuple[str, ...]


@dataclass(frozen=True)
class SupervisionSettings:
    any_supervisor_may_listen: bool
    transfer_offer_seconds: Annotated[int, Range(10, 3600)]
    transfer_max_volunteers: Annotated[int, Range(1, 50)]
    transfer_recent_messages: Annotated[int, Range(0, 20)]
    crisis_line_number: Annotated[str, E164]


@dataclass(frozen=True)
class Settings:
    database_url: Annotated[str, Env("DATABASE_URL")]
    redis_url: Annotated[str, Env("REDIS_URL", "redis://127.0.0.1:6379/0")]
    twilio_account_sid: Annotated[str, Env("TWILIO_ACCOUNT_SID", ""), ACCOUNT_SID]
    twilio_auth_token: Annotated[str, Env("TWILIO_AUTH_TOKEN", "")]
    twilio_api_base_url: Annotated[str, Env("TWILIO_API_BASE_URL", TWILIO_API_DEFAULT), Url()]
    public_url: Annotated[str, Env("WARMLINE_PUBLIC_URL"), Url()]
    secret_key: Annotated[str, Env("WARMLINE_SECRET_KEY")]
    data_key: Annotated[str, Env("WARMLINE_DATA_KEY"), DATA_KEYS]
    line: LineSettings
    routing: RoutingSettings
    matching: MatchingSettings
    shifts: ShiftSettings
    delivery: DeliverySettings
    escalation: EscalationSettings
    inbound: InboundSettings
    retention: RetentionSettings
    voice: VoiceSettings
    dashboard: DashboardSettings
    alerts: AlertSettings
    rota: RotaSettings
    continuity: ContinuitySettings
    supervision: SupervisionSettings
    # One [crisis_resources.<language>] table per language the line serves.
    crisis_resources: Mapping[str, CrisisResources]
    # The wrap-up form's questions ([continuity] note_questions picks and orders them) and the
    # referral directory, one table each.
    note_questions: Mapping[str, NoteQuestionSettings]
    referrals: Mapping[str, ReferralSettings]
    config_dir: Path
    # Operations (docs/operations.md): `text` or `json` log lines; the bearer token that opens
    # /metrics (closed when empty); Sentry's DSN (no error reports when empty).
    log_format: Annotated[str, Env("WARMLINE_LOG_FORMAT", "text"), Pattern("text|json", "text or json")]
    metrics_token: Annotated[str, Env("WARMLINE_METRICS_TOKEN", "")]
    sentry_dsn: Annotated[str, Env("SENTRY_DSN", "")]

    @property
    def spool_dir(self) -> Path:
        return Path(self.inbound.spool_dir).resolve()

    @property
    def status_callback_url(self) -> str:
        return f"{self.public_url}/twilio/status"

    @property
    def call_status_callback_url(self) -> str:
        return f"{self.public_url}/twilio/voice/status"

    @classmethod
    def from_environment(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Read the environment contract of ARCHITECTURE.md and the layered TOML files.

        `overrides` is a TOML-shaped mapping layered last; the tests and the demo use it
        instead of writing files. Raises SettingsError listing every problem found.
        """
        env = os.environ if environ is None else environ
        problems: list[Problem] = []
        layers = [
            (f"the defaults ({CONFIG_DIR / 'warmline.toml'})", _read_toml(CONFIG_DIR / "warmline.toml", problems))
        ]
        extra = env.get("WARMLINE_CONFIG")
        if extra:
            layers.append((f"WARMLINE_CONFIG ({extra})", _read_toml(Path(extra), problems)))
        if overrides:
            layers.append(("the overrides", dict(overrides)))
        values: dict[str, Any] = {"config_dir": CONFIG_DIR}
        hints = get_type_hints(cls, include_extras=True)
        sections: dict[str, Any] = {}
        # Fields holding one table per key (`[crisis_resources.en]`): a mapping of sections.
        keyed: dict[str, Any] = {}
        for field in fields(cls):
            kind, marks = _unpack(hints[field.name])
            env_mark = next((mark for mark in marks if isinstance(mark, Env)), None)
            if env_mark is not None:
                value = _environment_value(env, env_mark, marks, problems)
                if value is not None:
                    values[field.name] = value
            elif is_dataclass(kind):
                sections[field.name] = kind
            elif get_origin(kind) is Mapping:
                keyed[field.name] = get_args(kind)[1]
        data: dict[str, Any] = {}
        for _, layer in layers:
            data = _merge(data, layer)
        _unknown_sections(data, {**sections, **keyed}, layers, problems)
        for name, kind in sections.items():
            section = _section(kind, name, data.get(name, {}), layers, problems)
            if section is not None:
                values[name] = section
        for name, kind in keyed.items():
            tables = data.get(name, {})
            read = {key: _section(kind, f"{name}.{key}", table, layers, problems) for key, table in tables.items()}
            values[name] = {key: section for key, section in read.items() if section is not None}
        if "line" in values:
            problems += _line_problems(values["line"], values.get("crisis_resources", {}))
        if "continuity" in values:
            problems += _form_problems(values["continuity"], values.get("note_questions", {}))
            problems += [
                Problem(
                    "[continuity] directory",
                    f"names {key!r}, which has no [referrals.{key}] table",
                    "Add the table (name, text, topics, languages, regions) or remove the name",
                )
                for key in values["continuity"].directory
                if key not in values.get("referrals", {})
            ]
        if problems:
            raise SettingsError(problems, values)
        return cls(**values)


# --- Reading -----------------------------------------------------------------------------------


def _unpack(hint: Any) -> tuple[Any, tuple[Any, ...]]:
    """A field's type and the bounds declared beside it."""
    if get_origin(hint) is Annotated:
        kind, *marks = get_args(hint)
        return kind, tuple(marks)
    return hint, ()


def _environment_value(
    env: Mapping[str, str], mark: Env, marks: tuple[Any, ...], problems: list[Problem]
) -> str | None:
    value = env.get(mark.variable, "")
    if not value:
        if mark.default is None:
            problems.append(Problem(mark.variable, "is not set", f"Set {mark.variable} in the service's environment"))
            return None
        value = mark.default
    for bound in marks:
        fault = None if isinstance(bound, Env) else bound.fault(value)
        if fault:
            problems.append(Problem(mark.variable, fault, f"Correct {mark.variable} in the service's environment"))
            return None
    return value.rstrip("/") if any(isinstance(bound, Url) for bound in marks) else value


def _read_toml(path: Path, problems: list[Problem]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        problems.append(
            Problem(str(path), f"cannot be read ({error.strerror})", "Check that WARMLINE_CONFIG names a readable file")
        )
    except tomllib.TOMLDecodeError as error:
        problems.append(Problem(str(path), f"is not valid TOML ({error})", "Correct the file's syntax"))
    return {}


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _origin(layers: list[tuple[str, dict[str, Any]]], section: str, key: str | None = None) -> str:
    """The last layer that set this section (or key): where the operator should look."""
    for label, layer in reversed(layers):
        table = layer.get(section)
        if key is None and section in layer or isinstance(table, Mapping) and key in table:
            return label
    return layers[-1][0]


def _did_you_mean(word: str, known: list[str], template: str) -> str:
    match = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return template.format(match[0]) if match else ""


def _unknown_sections(
    data: Mapping[str, Any],
    sections: Mapping[str, Any],
    layers: list[tuple[str, dict[str, Any]]],
    problems: list[Problem],
) -> None:
    for name, value in data.items():
        if name in sections:
            if not isinstance(value, Mapping):
                problems.append(
                    Problem(name, "must be a table", f"Write it as a [{name}] section in {_origin(layers, name)}")
                )
            continue
        where = _origin(layers, name)
        if isinstance(value, Mapping):
            hint = _did_you_mean(name, list(sections), " (did you mean [{}]?)")
            problems.append(
                Problem(
                    f"[{name}]",
                    f"is not a section Warmline knows{hint}",
                    f"Rename or remove it in {where}; the sections are {', '.join(sections)}",
                )
            )
        else:
            owners = [section for section, kind in sections.items() if name in {f.name for f in fields(kind)}]
            hint = f" (did you mean {name} under [{owners[0]}]?)" if owners else ""
            problems.append(
                Problem(name, f"is a setting outside any section{hint}", f"Move it into its section in {where}")
            )


def _section(
    kind: type, name: str, table: Mapping[str, Any], layers: list[tuple[str, dict[str, Any]]], problems: list[Problem]
) -> Any:
    """One TOML table as its dataclass, or None after noting each problem in it."""
    if not isinstance(table, Mapping):
        return None
    hints = get_type_hints(kind, include_extras=True)
    known = [field.name for field in fields(kind)]
    count = len(problems)
    for key in table:
        if key not in hints:
            hint = _did_you_mean(key, known, " (did you mean {}?)")
            problems.append(
                Problem(
                    f"[{name}] {key}",
                    f"is not a setting Warmline knows{hint}",
                    f"Rename or remove it in {_origin(layers, name, key)}",
                )
            )
    values = {}
    for key in known:
        if key not in table:
            problems.append(Problem(f"[{name}] {key}", "is missing", f"Add it to [{name}] (see config/warmline.toml)"))
            continue
        value, fault = _typed(hints[key], table[key])
        if fault:
            problems.append(
                Problem(
                    f"[{name}] {key}", f"is {table[key]!r}, but {fault}", f"Correct it in {_origin(layers, name, key)}"
                )
            )
        values[key] = value
    return kind(**values) if len(problems) == count else None


def _typed(hint: Any, value: Any) -> tuple[Any, str | None]:
    """The value as the field's type, or why it cannot be."""
    kind, marks = _unpack(hint)
    if kind is bool:
        return value, None if isinstance(value, bool) else "it must be true or false"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return value, "it must be a whole number"
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return value, "it must be a number"
    elif kind is str:
        if not isinstance(value, str):
            return value, "it must be text in quotes"
    elif get_origin(kind) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            return value, 'it must be a list of texts in quotes, such as ["a", "b"]'
        value = tuple(value)
    items = value if isinstance(value, tuple) else (value,)
    for bound in marks:
        for item in items:
            fault = bound.fault(item)
            if fault:
                return value, f"it {fault}" + (f" ({bound.why})" if getattr(bound, "why", "") else "")
    return value, None


def _line_problems(line: LineSettings, crisis_resources: Mapping[str, CrisisResources]) -> list[Problem]:
    """What no single field's bounds can say: the line's numbers and languages as a whole."""
    problems = []
    if len(set(line.numbers)) != len(line.numbers):
        problems.append(
            Problem(
                "[line] pool_numbers", "repeats a line number", "List each Twilio number once, main_number not again"
            )
        )
    if not line.languages:
        problems.append(Problem("[line] languages", "is empty", 'List at least one language, such as ["en"]'))
    for language in line.languages:
        if language not in crisis_resources:
            problems.append(
                Problem(
                    f"[crisis_resources.{language}]",
                    "is missing: a texter in danger must be given numbers to call",
                    "Add the emergency, suicide line, domestic violence and poison control numbers",
                )
            )
    return problems


def _form_problems(continuity: ContinuitySettings, questions: Mapping[str, NoteQuestionSettings]) -> list[Problem]:
    """Every question the wrap-up form names must be defined, with choices to number."""
    problems = [
        Problem(
            f"[continuity] {field}",
            f"is {key!r}, which is not one of note_questions",
            "Name one of note_questions, or leave it empty",
        )
        for field, key in (
            ("topics_question", continuity.topics_question),
            ("outcome_question", continuity.outcome_question),
        )
        if key and key not in continuity.note_questions
    ]
    for key in continuity.note_questions:
        question = questions.get(key)
        if question is None:
            problems.append(
                Problem(
                    "[continuity] note_questions",
                    f"names {key!r}, which has no [note_questions.{key}] table",
                    "Add the table (label, choices, multiple) or remove the name",
                )
            )
        elif not question.choices:
            problems.append(Problem(f"[note_questions.{key}] choices", "is empty", "List the choices to number"))
    return problems
