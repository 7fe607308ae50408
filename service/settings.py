"""The one typed settings object, built once from the environment and the TOML config.

Nothing else in the project reads `os.environ` or the config files: everything that varies
between the demo, the tests and production arrives here, fails loudly when it is wrong, and
is passed down from `create_app` or the worker.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
TWILIO_API_DEFAULT = "https://api.twilio.com"


class SettingsError(ValueError):
    """The configuration is unusable; the message says which setting and why."""


@dataclass(frozen=True)
class LineSettings:
    name: str
    default_region: str
    main_number: str
    pool_numbers: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str

    @property
    def numbers(self) -> tuple[str, ...]:
        """Every line number a volunteer's conversation may use, main number first."""
        return (self.main_number, *self.pool_numbers)


@dataclass(frozen=True)
class RoutingSettings:
    offer_timeout_seconds: int
    texter_inactivity_minutes: float
    feedback_window_minutes: int
    offer_preview_chars: int


@dataclass(frozen=True)
class ShiftSettings:
    max_concurrent: int
    max_shift_minutes: int
    max_conversations_per_shift: int
    wrap_up_minutes: int
    cooldown_after_escalation_minutes: int
    long_conversation_minutes: int
    cooldown_after_long_minutes: int
    min_rest_minutes: int
    max_hours_per_week: float
    break_minutes: int


@dataclass(frozen=True)
class RetentionSettings:
    days: float


@dataclass(frozen=True)
class InboundSettings:
    spool_dir: str
    max_texts_per_minute: int


@dataclass(frozen=True)
class EscalationSettings:
    realert_after_minutes: float
    safety_repeat_minutes: float


@dataclass(frozen=True)
class DashboardSettings:
    queue_wait_alert_minutes: float
    session_idle_hours: float
    login_window_minutes: int
    login_failures_per_account: int
    login_failures_per_address: int
    poll_seconds: float


@dataclass(frozen=True)
class VoiceSettings:
    ring_group_size: int
    ring_timeout_seconds: int
    whisper_timeout_seconds: int
    menu_timeout_seconds: int
    ring_again_after_minutes: float
    max_hold_minutes: float
    hold_announce_seconds: int
    hold_music_url: str
    crisis_number: str
    callbacks: bool

    @property
    def ring_seconds(self) -> int:
        """How long a volunteer stays reserved for a ringing call: the ring, the whisper, and
        a margin for Twilio's callbacks (the <Dial> action normally settles it sooner)."""
        return self.ring_timeout_seconds + self.whisper_timeout_seconds + 15


@dataclass(frozen=True)
class DeliverySettings:
    twilio_timeout_seconds: float
    max_attempts: int
    retry_base_seconds: float
    max_body_chars: int
    max_parts: int
    stuck_after_seconds: int
    sweep_interval_seconds: int
    max_sends_per_second: float
    min_sends_per_second: float


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_api_base_url: str
    public_url: str
    secret_key: str
    data_key: str
    line: LineSettings
    routing: RoutingSettings
    shifts: ShiftSettings
    delivery: DeliverySettings
    escalation: EscalationSettings
    inbound: InboundSettings
    retention: RetentionSettings
    voice: VoiceSettings
    dashboard: DashboardSettings
    config_dir: Path

    @property
    def spool_dir(self) -> Path:
        return self.config_dir.parent / self.inbound.spool_dir

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
        instead of writing files.
        """
        env = os.environ if environ is None else environ
        data = _read_toml(CONFIG_DIR / "warmline.toml")
        extra = env.get("WARMLINE_CONFIG")
        if extra:
            data = _merge(data, _read_toml(Path(extra)))
        if overrides:
            data = _merge(data, overrides)
        try:
            settings = cls(
                database_url=_require(env, "DATABASE_URL"),
                redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
                twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
                twilio_api_base_url=env.get("TWILIO_API_BASE_URL", TWILIO_API_DEFAULT).rstrip("/"),
                public_url=_require(env, "WARMLINE_PUBLIC_URL").rstrip("/"),
                secret_key=_require(env, "WARMLINE_SECRET_KEY"),
                data_key=_require(env, "WARMLINE_DATA_KEY"),
                line=_section(LineSettings, data, "line"),
                routing=_section(RoutingSettings, data, "routing"),
                shifts=_section(ShiftSettings, data, "shifts"),
                delivery=_section(DeliverySettings, data, "delivery"),
                escalation=_section(EscalationSettings, data, "escalation"),
                inbound=_section(InboundSettings, data, "inbound"),
                retention=_section(RetentionSettings, data, "retention"),
                voice=_section(VoiceSettings, data, "voice"),
                dashboard=_section(DashboardSettings, data, "dashboard"),
                config_dir=CONFIG_DIR,
            )
        except (KeyError, TypeError) as error:
            raise SettingsError(f"config is incomplete or mistyped: {error}") from error
        _check(settings)
        return settings


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} must be set")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"cannot read config {path}: {error}") from error


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _section(kind: type, data: Mapping[str, Any], name: str) -> Any:
    values = dict(data[name])
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    return kind(**values)


def _check(settings: Settings) -> None:
    numbers = settings.line.numbers
    if len(set(numbers)) != len(numbers):
        raise SettingsError("line numbers must be distinct")
    for number in numbers:
        if not (number.startswith("+") and number[1:].isdigit()):
            raise SettingsError(f"line number {number!r} is not in E.164 form")
    for language in settings.line.languages:
        if not (settings.config_dir / "messages" / f"{language}.toml").exists():
            raise SettingsError(f"no texts for language {language!r} in config/messages/")
    if settings.routing.offer_timeout_seconds < 1:
        raise SettingsError("routing.offer_timeout_seconds must be at least 1")
    voice = settings.voice
    if not 1 <= voice.ring_group_size <= 10:
        raise SettingsError("voice.ring_group_size must be from 1 to 10 (Twilio dials at most 10 numbers at once)")
    if not 5 <= voice.ring_timeout_seconds <= 600:
        raise SettingsError("voice.ring_timeout_seconds must be from 5 to 600 (Twilio's <Dial> timeout)")
    if (
        min(voice.whisper_timeout_seconds, voice.menu_timeout_seconds, voice.hold_announce_seconds) < 1
        or voice.max_hold_minutes <= 0
    ):
        raise SettingsError("voice timeouts and voice.max_hold_minutes must be positive")
    if not voice.crisis_number.removeprefix("+").isdigit():
        raise SettingsError(f"voice.crisis_number {voice.crisis_number!r} must be a number to dial (digits, or E.164)")
