"""The one place that builds the adapters a process uses (bootstrap).

The web app, the RQ worker, the CLI and the demo each build one Runtime from Settings and
pass it down; nothing opens a connection at import time.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import cached_property

from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from escalation.detector import Detector
from routing.admission import AdmissionRules
from routing.follow_up import FollowUpRules
from routing.limits import ShiftLimits
from routing.matching import MatchRules
from routing.referral_directory import Resource
from routing.wrap_up_form import NoteQuestion
from service.db.engine import make_engine, make_sessionmaker
from service.db.vault import Vault
from service.settings import Settings
from service.texts import TextCatalog


@dataclass
class Runtime:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.settings.data_key)

    @cached_property
    def texts(self) -> TextCatalog:
        settings = self.settings
        return TextCatalog(
            settings.config_dir / "messages", settings.line.languages, settings.line.name, settings.crisis_resources
        )

    @cached_property
    def redis(self) -> Redis:
        # Short timeouts: a webhook must answer even when Redis is down.
        return Redis.from_url(self.settings.redis_url, socket_connect_timeout=1, socket_timeout=2)

    @cached_property
    def detector(self) -> Detector:
        """Lexicons for every language the line serves (config/lexicons/<code>.toml)."""
        folder = self.settings.config_dir / "lexicons"
        return Detector.from_mappings(
            {code: tomllib.loads((folder / f"{code}.toml").read_text("utf-8")) for code in self.settings.line.languages}
        )

    @cached_property
    def shift_limits(self) -> ShiftLimits:
        return ShiftLimits(line_numbers=self.settings.line.numbers, **asdict(self.settings.shifts))

    @cached_property
    def match_rules(self) -> MatchRules:
        matching = self.settings.matching
        return MatchRules(
            experienced_first=timedelta(seconds=matching.experienced_first_seconds),
            topic_first=timedelta(seconds=matching.topic_first_seconds),
        )

    @cached_property
    def admission_rules(self) -> AdmissionRules:
        inbound = self.settings.inbound
        return AdmissionRules(
            paused_reply_every=timedelta(minutes=inbound.paused_reply_every_minutes),
            new_senders_per_minute=inbound.new_senders_per_minute,
        )

    @cached_property
    def note_form(self) -> tuple[NoteQuestion, ...]:
        """The wrap-up form's questions, in the order `[continuity] note_questions` gives."""
        questions = self.settings.note_questions
        return tuple(
            NoteQuestion(
                key=key, label=questions[key].label, choices=questions[key].choices, multiple=questions[key].multiple
            )
            for key in self.settings.continuity.note_questions
        )

    @cached_property
    def referral_directory(self) -> tuple[Resource, ...]:
        return tuple(
            Resource(key=key, **asdict(self.settings.referrals[key])) for key in self.settings.continuity.directory
        )

    @cached_property
    def follow_up_rules(self) -> FollowUpRules:
        continuity = self.settings.continuity
        return FollowUpRules(
            delay=timedelta(hours=continuity.follow_up_delay_hours),
            consent_window=timedelta(minutes=continuity.follow_up_consent_minutes),
            answer_window=timedelta(hours=continuity.follow_up_answer_hours),
        )


_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The runtime of a worker process, built from the environment on first use."""
    global _process_runtime
    if _process_runtime is None:
        _process_runtime = Runtime(Settings.from_environment())
    return _process_runtime


def install_process_runtime(runtime: Runtime) -> None:
    """Let jobs run in this process use `runtime` (the demo runs its worker in-process)."""
    global _process_runtime
    _process_runtime = runtime
