"""The router under random sequences of arrivals (some in danger), accepts, passes, closes,
escalations, breaks, shift starts and ends, topics named and jumps in time (a Hypothesis
state machine), with volunteers of every level and lived experience. After every step: no
offer stands with a volunteer the limits refuse or who passed on that texter, no texter has
two offers, no trainee set to texters without risk holds one at risk, no volunteer is over a
limit, and no texter is lost (each has a conversation; a waiting texter is offered to anyone
eligible that `routing.matching` admits now, so no hold outlasts its limit)."""

from __future__ import annotations

import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import select

from routing import limits as rules
from routing import matching
from scripts.harness import seed
from service.conversations import shifts
from service.db import Conversation, Offer, Shift, Texter, Volunteer
from service.db.migrate import upgrade
from service.jobs import sweeper
from service.runtime import Runtime
from service.settings import Settings
from service.sms.inbound import InboundSms, receive_sms

POLICY = {
    "line": {"pool_numbers": ["+15005550007", "+15005550008"]},
    "routing": {"offer_timeout_seconds": 60, "texter_inactivity_minutes": 20},
    "matching": {"experienced_first_seconds": 90, "topic_first_seconds": 150, "topics": ["grief", "veterans"]},
    "shifts": {
        "max_concurrent": 2,
        "max_shift_minutes": 60,
        "max_conversations_per_shift": 3,
        "wrap_up_minutes": 10,
        "cooldown_after_escalation_minutes": 15,
        "long_conversation_minutes": 30,
        "cooldown_after_long_minutes": 5,
        "min_rest_minutes": 30,
        "max_hours_per_week": 3,
        "break_minutes": 10,
    },
}
# Phone, personal concurrency limit, level, a trainee's scope, lived experience shared.
VOLUNTEERS = [
    ("+12025550101", None, "experienced", "any", ""),
    ("+12025550102", 1, "peer", "any", "grief"),
    ("+12025550103", None, "training", "risk_free", "veterans"),
]
TEXTERS = [f"+1202555020{index}" for index in range(6)]
START = datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each example (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("router") / "template.db"
    engine = _runtime(path).engine
    upgrade(engine)
    engine.dispose()  # closing the last connection folds SQLite's write-ahead log into the file
    return path


def _runtime(path: Path) -> Runtime:
    environment = {
        "DATABASE_URL": f"sqlite:///{path}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "WARMLINE_PUBLIC_URL": "https://line.test",
        "WARMLINE_SECRET_KEY": "k" * 32,
        "WARMLINE_DATA_KEY": "d" * 32,
    }
    return Runtime(Settings.from_environment(environment, overrides=POLICY))


class RouterMachine(RuleBasedStateMachine):
    template: Path
    folder: Path

    @initialize()
    def open_line(self) -> None:
        path = self.folder / f"{secrets.token_hex(6)}.db"
        shutil.copy(self.template, path)
        self.runtime = _runtime(path)
        self.now = START
        self.arrived: set[str] = set()
        self.opted_out: set[str] = set()
        with self.runtime.sessions() as session, session.begin():
            for phone, personal, level, scope, topics in VOLUNTEERS:
                row = seed.volunteer("V", phone, START, name=phone, max_concurrent=personal)
                session.add(Volunteer(**row, level=level, trainee_scope=scope, topics=topics))
        self.main = self.runtime.settings.line.main_number

    def text(self, sender: str, body: str, to: str | None = None) -> None:
        receive_sms(self.runtime, InboundSms("SM" + secrets.token_hex(16), sender, to or self.main, body), self.now)

    def thread(self, phone: str) -> str | None:
        with self.runtime.sessions() as session:
            return session.scalars(
                select(Conversation.line_number)
                .join(Volunteer, Conversation.volunteer_id == Volunteer.id)
                .where(Volunteer.phone == phone, Conversation.status == "active")
            ).first()

    def offered_line(self, phone: str) -> str:
        with self.runtime.sessions() as session:
            return (
                session.scalars(
                    select(Offer.line_number).join(Volunteer).where(Volunteer.phone == phone, Offer.status == "pending")
                ).first()
                or self.main
            )

    @rule(texter=st.sampled_from(TEXTERS))
    def texter_writes(self, texter: str) -> None:
        self.arrived.add(texter)
        self.text(texter, "hello, I need to talk")

    @rule(texter=st.sampled_from(TEXTERS))
    def texter_in_danger_writes(self, texter: str) -> None:
        self.arrived.add(texter)
        self.text(texter, "I'm going to kill myself tonight")

    @rule(texter=st.sampled_from(TEXTERS), number=st.sampled_from(["1", "2"]))
    def texter_answers_with_a_number(self, texter: str, number: str) -> None:
        """A topic (in line, before naming one), the long-wait answer, or words for the volunteer."""
        self.arrived.add(texter)
        self.text(texter, number)

    @rule(texter=st.sampled_from(TEXTERS))
    def texter_stops(self, texter: str) -> None:
        self.opted_out.add(texter)
        self.text(texter, "STOP")

    @rule(texter=st.sampled_from(TEXTERS))
    def texter_starts_again(self, texter: str) -> None:
        if texter in self.opted_out:
            self.opted_out.discard(texter)  # opting back in is not yet a conversation
        else:
            self.arrived.add(texter)  # from anyone else, START is a first message
        self.text(texter, "START")

    @rule(
        volunteer=st.sampled_from([v for v, *_ in VOLUNTEERS]),
        command=st.sampled_from(["#on", "#off", "#break", "#ok", "#status"]),
    )
    def volunteer_command(self, volunteer: str, command: str) -> None:
        self.text(volunteer, command)

    @rule(volunteer=st.sampled_from([v for v, *_ in VOLUNTEERS]), answer=st.sampled_from(["#yes", "#pass"]))
    def volunteer_answers(self, volunteer: str, answer: str) -> None:
        self.text(volunteer, answer, self.offered_line(volunteer))

    @rule(
        volunteer=st.sampled_from([v for v, *_ in VOLUNTEERS]),
        command=st.sampled_from(["#done", "#escalate", "we're here for you"]),
    )
    def volunteer_in_conversation(self, volunteer: str, command: str) -> None:
        line = self.thread(volunteer)
        if line is not None:
            self.text(volunteer, command, line)

    @rule(minutes=st.sampled_from([0.5, 1, 2, 5, 11, 16, 31, 61, 180]))
    def time_passes(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)
        for _ in range(3):  # a chain of deadlines (offer expires, next offer...) settles in a few sweeps
            sweeper.sweep(self.runtime, self.now)

    @invariant()
    def limits_hold_and_nobody_is_lost(self) -> None:
        if not hasattr(self, "runtime"):
            return
        limits = self.runtime.shift_limits
        with self.runtime.sessions() as session:
            ids = session.scalars(select(Volunteer.id)).all()
            states = shifts.volunteer_states(session, ids, self.now)
            for state in states.values():
                assert state.active_conversations <= limits.concurrency_limit(state.max_concurrent, state.lifted), (
                    "over max_concurrent"
                )
                assert state.conversations_this_shift <= limits.max_conversations_per_shift, "over the per-shift cap"
            for offer in session.scalars(select(Offer).where(Offer.status == "pending")):
                state = states[offer.volunteer_id]
                if offer.expires_at <= self.now:
                    continue  # the timer's job (here: the next sweep) moves it on
                without = rules.VolunteerState(
                    **{**state.__dict__, "has_pending_offer": False, "busy_line_numbers": state.busy_line_numbers}
                )
                refused = rules.refusal(without, limits, self.now)
                assert refused is None, f"a pending offer stands with a volunteer refused by {refused}"
                assert offer.line_number not in state.busy_line_numbers
            open_shifts = session.scalars(select(Shift).where(Shift.ended_at.is_(None))).all()
            assert len({s.volunteer_id for s in open_shifts}) == len(open_shifts)
            known = {t.phone_hash: t.id for t in session.scalars(select(Texter))}
            conversations = session.scalars(select(Conversation)).all()
            wrote = {known.get(self.runtime.vault.lookup_hash(phone)) for phone in self.arrived}
            assert None not in wrote, "every texter who wrote is known"
            assert wrote <= {c.texter_id for c in conversations}, "every texter who wrote has a conversation"
            waiting = [c for c in conversations if c.status == "queued"]
            offers = session.scalars(select(Offer).where(Offer.kind == "text")).all()
            pending = [offer.conversation_id for offer in offers if offer.status == "pending"]
            assert len(pending) == len(set(pending)), "a texter offered to two volunteers at once"
            declined = {(offer.conversation_id, offer.volunteer_id) for offer in offers if offer.status == "declined"}
            for offer in offers:
                if offer.status != "pending":
                    continue
                assert (offer.conversation_id, offer.volunteer_id) not in declined, "offered again after a pass"
                state = states[offer.volunteer_id]
                if state.level == matching.TRAINING and state.trainee_scope == matching.RISK_FREE:
                    risk = session.get_one(Conversation, offer.conversation_id).risk_level
                    assert risk == "none", "a trainee set to texters without risk is offered one at risk"
            on_shift = [s for s in states.values() if s.on_shift_since is not None]
            floor = matching.Floor(
                experienced=any(s.level == matching.EXPERIENCED for s in on_shift),
                topics=frozenset(topic for s in on_shift for topic in s.topics),
            )
            for conversation in waiting:
                if conversation.id in pending:
                    continue
                seeker = matching.Seeker(
                    conversation_id=conversation.id,
                    language=conversation.language,
                    previous_volunteer_id=None,
                    passed_by=frozenset(v for c, v in declined if c == conversation.id),
                    missed_by=frozenset(),
                    risk_level=conversation.risk_level,
                    queued_at=conversation.queued_at,
                    topic=conversation.topic,
                )
                hold = matching.hold_for(seeker, floor, self.runtime.match_rules, self.now)
                free = [
                    s
                    for s in states.values()
                    if s.volunteer_id not in seeker.passed_by
                    and matching.admits(seeker, hold, s)
                    and rules.refusal(s, limits, self.now) is None
                ]
                assert not free, f"texter waits while volunteer {free[0].volunteer_id} is free"


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_router_state_machine(template: Path, tmp_path: Path) -> None:
    RouterMachine.template = template
    RouterMachine.folder = tmp_path
    runner = RouterMachine.TestCase
    runner.settings = settings(
        max_examples=30,
        stateful_step_count=35,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    runner().runTest()
