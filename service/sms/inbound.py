"""An inbound SMS, from webhook form to routed, each exactly once and each sender's in order.

The webhook stores a text in one durable write (`store_sms`), answers, and leaves the routing
to a worker a moment later (`route_next`), so that it costs little more than that write and a
burst of texts waits in the queue rather than in Twilio's 15 seconds. The one thing it does
not leave to the worker is the crisis text: the same statement reads what the policy needs
(the conversation's risk, earlier verdicts and last crisis text), and when the crisis text is
due it goes back in the webhook's own reply (`crisis_reply`). A request to delete the
texter's data, whose confirmation needs the number about to be forgotten, is routed by the
webhook itself (`receive_sms`), as is every text on SQLite, and when no router is running and
Redis is down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.orm import aliased

from escalation.assessment import Assessment, Level
from routing.keywords import deletion_request, twilio_keyword
from routing.language import detect_language
from service.conversations import risk
from service.db import OPEN_STATUSES, Conversation, InboundReceipt, Message, Supervisor, Texter, Volunteer
from service.db.engine import one_statement
from service.db.turn import Turn, run_turn
from service.phones import normalise
from service.runtime import Runtime
from service.sms import first_texts, router_seat, supervisors, texters, volunteers
from service.sms.spool import SpooledSms

log = logging.getLogger(__name__)

# Stored texts a worker routes in one turn when several wait (one commit for them all); a
# text waits at most for the others' routing before its own texts go out.
ROUTING_BATCH = 4
# New texters' first texts routed together in one turn when one is among those (`first_texts`).
FIRST_TEXTS_BATCH = 50


@dataclass(frozen=True)
class InboundSms:
    """What the service needs of Twilio's SMS webhook, numbers already normalised."""

    sid: str
    sender: str
    line_number: str
    body: str
    # Twilio's `OptOutType` (STOP, START, HELP) when it sent one; empty otherwise.
    opt_out_type: str = ""
    # Twilio's `NumMedia`: pictures attached (an MMS). Only the count: media are never fetched.
    media_count: int = 0


class Urgency(Enum):
    """What a text's own words say about how the webhook must treat it."""

    # The detector reads no risk and no danger signal in it: only a conversation already in
    # imminent danger can make the crisis text due again.
    NONE = "none"
    # Risk, or a danger signal: the crisis text may be due, by the conversation as a whole.
    RISK = "risk"
    # A request to delete the texter's data: the webhook routes it itself, since the
    # confirmation goes inline and needs the number about to be forgotten.
    DELETION = "deletion"
    # Twilio says it took the text as STOP or START (`OptOutType`): only the webhook's request
    # carries that, so the webhook routes it itself.
    TWILIO_KEYWORD = "twilio_keyword"


# Texts the webhook routes itself instead of storing them for a worker.
ROUTED_BY_WEBHOOK = frozenset({Urgency.DELETION, Urgency.TWILIO_KEYWORD})


@dataclass(frozen=True)
class Reading:
    urgency: Urgency
    assessment: Assessment


@dataclass(frozen=True)
class Stored:
    """What storing a text found: whether it is new (else the reply its first delivery got) and
    held, whether the sender is a volunteer or supervisor, and what the crisis text depends on:
    the texter's language and their open conversation's state and earlier verdicts (`history`,
    when asked for)."""

    new: bool
    # Stored held: no worker routes it until the webhook has decided its reply (`release`).
    held: bool
    earlier_reply: str | None
    staff: bool
    language: str | None
    conversation_id: int | None
    status: str | None
    risk_level: str | None
    safety_sent_at: datetime | None
    history: list[tuple[str, str | None]]
    # A router was running when the text was stored (and is woken by it): no job is needed.
    router_seated: bool


def parse_numbers(runtime: Runtime, sender: str, to: str) -> tuple[str, str]:
    """Normalised sender and line number; a `To` that is not ours is read as the main number
    (a message Twilio signed for our account is never dropped for a misconfigured number)."""
    line = runtime.settings.line
    number = to if to in line.numbers else normalise(to, line.default_region)  # Twilio sends ours as configured
    if number not in line.numbers:
        log.warning("sms.unknown_line_number using=main")
        number = line.main_number
    return normalise(sender, line.default_region), number


def read(runtime: Runtime, body: str, opt_out_type: str = "") -> Reading:
    """Read a text the way its conversation will be read (every lexicon: a texter's language
    may be guessed wrong), for what decides how the webhook treats it."""
    texts = runtime.texts
    assessment = runtime.detector.assess(body)
    if twilio_keyword(opt_out_type):
        return Reading(Urgency.TWILIO_KEYWORD, assessment)
    if deletion_request(body, {code: texts.language(code).delete_keywords for code in texts.languages}) is not None:
        return Reading(Urgency.DELETION, assessment)
    if assessment.level is not Level.NONE or assessment.categories or assessment.signals:
        return Reading(Urgency.RISK, assessment)
    return Reading(Urgency.NONE, assessment)


def can_store(runtime: Runtime) -> bool:
    """Storing a text for a worker takes one PostgreSQL statement; on SQLite (the demo) the
    webhook routes every text itself."""
    return runtime.engine.dialect.name == "postgresql"


def _store_statement(with_history: bool) -> Select[Any]:
    """The receipt, inserted unless its MessageSid is known, with what the webhook needs to
    know next; built once, run with each text's values. A text that may need the crisis text
    is inserted held: when its words carry risk (`hold`), or its conversation is in imminent
    danger. The statement's snapshot predates its own insert, so a reply found here is an
    earlier delivery's. It also wakes the running router, and says whether one is running
    (`router_seat`)."""
    sender = (
        select(
            Texter.language,
            Conversation.id.label("conversation_id"),
            Conversation.status,
            Conversation.risk_level,
            Conversation.safety_sent_at,
        )
        .select_from(Texter)
        .outerjoin(
            Conversation,
            and_(
                Conversation.texter_id == Texter.id,
                Conversation.channel == "sms",
                # inline: an IN of bound values is rendered anew at every execution
                Conversation.status.in_([literal_column(f"'{status}'") for status in OPEN_STATUSES]),
            ),
        )
        # Under any configured data key (a rotation may not have reached them), as one array:
        # an IN of bound values would be rendered anew at every execution.
        .where(Texter.phone_hash == any_(bindparam("sender_hashes", type_=ARRAY(String))))
        .order_by(func.array_position(bindparam("sender_hashes", type_=ARRAY(String)), Texter.phone_hash))
        .limit(1)
        .cte("sender")
    )
    in_danger = func.coalesce(select(sender.c.risk_level).scalar_subquery() == Level.IMMINENT.value, false())
    staff = or_(
        exists().where(Volunteer.phone == bindparam("sender"), Volunteer.active),
        exists().where(Supervisor.phone == bindparam("sender"), Supervisor.active),
    )
    stored = (
        insert(InboundReceipt)
        .from_select(
            [
                "sid",
                "kind",
                "received_at",
                "sender_hash",
                "sender_encrypted",
                "line_number",
                "body_encrypted",
                "held",
                "from_staff",
                "media_count",
            ],
            select(
                bindparam("sid"),
                literal("sms"),
                bindparam("received_at", type_=InboundReceipt.received_at.type),
                bindparam("sender_hash"),
                bindparam("sender_encrypted"),
                bindparam("line_number"),
                bindparam("body_encrypted"),
                or_(bindparam("hold", type_=Boolean), in_danger),
                staff,
                bindparam("media_count", type_=Integer),
            ),
        )
        .on_conflict_do_nothing(index_elements=[InboundReceipt.sid])
        .returning(InboundReceipt.held, InboundReceipt.from_staff)
        .cte("stored")
    )
    columns: list[Any] = [
        exists(select(literal(1)).select_from(stored)),
        select(stored.c.held).scalar_subquery(),
        select(InboundReceipt.reply).where(InboundReceipt.sid == bindparam("sid")).scalar_subquery(),
        select(stored.c.from_staff).scalar_subquery(),
        *(select(column).scalar_subquery() for column in sender.c),
        *router_seat.webhook_columns(),
    ]
    if with_history:
        columns += [
            _history(select(sender.c.conversation_id).scalar_subquery(), column)
            for column in (Message.risk_level, Message.risk_detail)
        ]
    return select(*columns)


def _history(conversation_id: Any, column: Any) -> Any:
    """One column of a conversation's texter messages' verdicts, oldest first, as an array."""
    return (
        select(func.array_agg(aggregate_order_by(column, Message.id)))
        .where(Message.conversation_id == conversation_id, Message.author == "texter", Message.risk_level.is_not(None))
        .scalar_subquery()
    )


_STORE = _store_statement(with_history=False)
_STORE_WITH_HISTORY = _store_statement(with_history=True)
_HISTORY = select(
    _history(bindparam("conversation_id"), Message.risk_level),
    _history(bindparam("conversation_id"), Message.risk_detail),
)
_RELEASE = (
    update(InboundReceipt)
    .where(InboundReceipt.sid == bindparam("held_sid"))
    .values(held=False, reply=bindparam("crisis_reply"))
)


def store_sms(runtime: Runtime, sms: InboundSms, now: datetime, reading: Reading) -> Stored:
    """Keep a verified text for a worker: one statement, committed on its own (no transaction
    round trips around it), durable before the webhook answers."""
    vault = runtime.vault
    risky = reading.urgency is Urgency.RISK
    hashes = vault.lookup_hashes(sms.sender)
    values = {
        "sid": sms.sid,
        "received_at": now,
        "sender_hash": hashes[0],
        "sender_hashes": hashes,
        "sender": sms.sender,
        "sender_encrypted": vault.encrypt(sms.sender),
        "line_number": sms.line_number,
        "body_encrypted": vault.encrypt(sms.body),
        "hold": risky,
        "media_count": sms.media_count,
    }
    with one_statement(runtime.engine) as connection:
        row = connection.execute(_STORE_WITH_HISTORY if risky else _STORE, values).one()
    new, held, reply, staff, language, conversation_id, status, risk_level, safety_sent_at, seated, _, *verdicts = row
    return Stored(
        new=bool(new),
        held=bool(held),
        earlier_reply=reply,
        staff=bool(staff),
        language=language,
        conversation_id=conversation_id,
        status=status,
        risk_level=risk_level,
        safety_sent_at=safety_sent_at,
        history=_zipped(verdicts),
        router_seated=bool(seated),
    )


def _zipped(verdicts: list[list[str | None] | None]) -> list[tuple[str, str | None]]:
    levels = verdicts[0] if verdicts else None
    if levels is None:
        return []
    details = verdicts[1] or [None] * len(levels)
    return [(level, detail) for level, detail in zip(levels, details, strict=True) if level is not None]


def crisis_reply(runtime: Runtime, sms: InboundSms, reading: Reading, stored: Stored, now: datetime) -> str | None:
    """The crisis text, when the policy makes it due with this text: what the worker's turn
    will decide too, decided here so that it goes back in the webhook's own reply."""
    if stored.staff or (reading.urgency is Urgency.NONE and stored.risk_level != Level.IMMINENT.value):
        return None
    history = stored.history
    if reading.urgency is Urgency.NONE and stored.conversation_id is not None:
        with one_statement(runtime.engine) as connection:
            history = _zipped(list(connection.execute(_HISTORY, {"conversation_id": stored.conversation_id}).one()))
    due = risk.crisis_text_due(
        runtime, reading.assessment, history, stored.status, stored.risk_level, stored.safety_sent_at, now
    )
    if due is None:
        return None
    texts = runtime.texts
    language = stored.language or detect_language(
        sms.body, {code: texts.language(code).common_words for code in texts.languages}, texts.languages[0]
    )
    return texts.crisis_text(language, due)


def release(runtime: Runtime, sid: str, reply: str | None) -> None:
    """Let the workers route a held text, noting the reply its webhook gave (its turn then does
    not send that reply a second time, and a redelivery gets it again)."""
    with one_statement(runtime.engine) as connection:
        connection.execute(_RELEASE, {"held_sid": sid, "crisis_reply": reply})


def receive_sms(runtime: Runtime, sms: InboundSms, now: datetime) -> Turn:
    """Handle one inbound text exactly once, now; the turn's inline reply is for the TwiML.
    A redelivered MessageSid changes nothing and sends nothing; its turn only repeats the
    inline reply the first delivery got. The sender's stored texts still waiting for a
    worker are routed first, in order."""
    sender_hash = runtime.vault.lookup_hash(sms.sender)

    def work(turn: Turn) -> None:
        # A concurrent redelivery that slips past this check fails on the receipt's primary
        # key instead, and its retry then finds the receipt here.
        earlier = turn.session.get(InboundReceipt, sms.sid)
        if earlier is not None:
            turn.inline_reply = earlier.reply
            log.info("sms.duplicate")
            return
        receipt = InboundReceipt(sid=sms.sid, kind="sms", received_at=turn.now, routed_at=turn.now)
        turn.session.add(receipt)
        turn.session.flush()
        for waiting in _waiting(turn, InboundReceipt.sender_hash == sender_hash):
            _route(turn, waiting, inline=False)
        turn.replies_inline = True
        _handle(turn, sms)
        receipt.reply = turn.inline_reply

    _, turn = run_turn(runtime, now, work)
    return turn


def route_stored(runtime: Runtime, sid: str, now: datetime, answering: bool = False) -> Turn:
    """Route a stored text, after every earlier one from its sender still waiting: whichever
    worker takes which job, a sender's texts are routed in the order they came. `answering`:
    this text's own webhook runs it, so its inline reply can still go into the TwiML; any
    other's goes as a text."""
    _, turn = run_turn(runtime, now, lambda turn: _route_up_to(turn, sid, answering))
    return turn


def _route_up_to(turn: Turn, sid: str, answering: bool) -> None:
    mine = select(InboundReceipt.sender_hash, InboundReceipt.received_at).where(InboundReceipt.sid == sid).subquery()
    earlier_or_mine = and_(
        InboundReceipt.sender_hash == mine.c.sender_hash, InboundReceipt.received_at <= mine.c.received_at
    )
    for receipt in _waiting(turn, earlier_or_mine, mine):
        _route(turn, receipt, inline=answering and receipt.sid == sid)


def _next_statement(batch: int) -> Select[InboundReceipt, bool, bool]:
    """`route_next`'s queries, built once: the oldest waiting texts, each its sender's oldest,
    with whether a later one from the same sender waits too, and whether the sender may be
    new (neither staff nor a texter the line knows under the newest data key)."""
    earlier, later = aliased(InboundReceipt), aliased(InboundReceipt)
    oldest_of_sender = ~exists().where(
        earlier.sender_hash == InboundReceipt.sender_hash,
        earlier.routed_at.is_(None),
        tuple_(earlier.received_at, earlier.sid) < tuple_(InboundReceipt.received_at, InboundReceipt.sid),
    )
    followed = exists().where(
        later.sender_hash == InboundReceipt.sender_hash, later.routed_at.is_(None), later.sid != InboundReceipt.sid
    )
    unknown = ~InboundReceipt.from_staff & ~exists().where(Texter.phone_hash == InboundReceipt.sender_hash)
    return (
        select(InboundReceipt, followed, unknown)
        .where(InboundReceipt.routed_at.is_(None), ~InboundReceipt.held, oldest_of_sender)
        .order_by(InboundReceipt.received_at, InboundReceipt.sid)
        .limit(batch)
        .with_for_update(of=InboundReceipt, skip_locked=True)
    )


_NEXT = _next_statement(ROUTING_BATCH)
_NEXT_FIRSTS = _next_statement(FIRST_TEXTS_BATCH)


class Routed(NamedTuple):
    """What `route_next` did: its turn (whose texts the caller sends), how many texts it
    routed, and whether more were waiting then (a full batch, or a later text from one of its
    senders)."""

    turn: Turn
    texts: int
    more: bool


def route_next(runtime: Runtime, now: datetime) -> Routed | None:
    """Route the oldest stored texts no other worker is routing, up to `ROUTING_BATCH` in one
    turn (one commit for a burst), whose texts the caller sends at once (`Turn.sendings`).
    None when none is left.

    Only a sender's oldest waiting text is taken: the next one waits until it is routed, so
    each sender's texts are routed in order, and no worker ever waits for another's lock.
    A text it did not see was stored after it looked or was held (its webhook wakes a router
    once it may be routed: `JobQueue.route_stored`), or another worker is routing it (and
    then its sender's next)."""

    def work(turn: Turn) -> tuple[int, bool]:
        rows = turn.session.execute(_NEXT).all()
        turn.sends_at_once = True
        if rows and rows[0][2]:
            # The oldest may be a new texter's first text: the run of them at the head of the
            # queue is routed in bulk (a surge of new people).
            wide = turn.session.execute(_NEXT_FIRSTS).all()
            firsts = first_texts.route_first_texts(turn, [receipt for receipt, _, _ in wide])
            if firsts:
                for receipt, pseudonym in firsts:
                    _routed(receipt, turn.now)
                    log.info("sms.received from=texter pseudonym=%s", pseudonym)
                more = len(wide) == FIRST_TEXTS_BATCH or len(firsts) < len(wide)
                return len(firsts), more or any(followed for _, followed, _ in wide)
        routed = 0
        for receipt, _, unknown in rows:
            if routed and unknown:
                break  # a new texter's first text may head a run for the bulk: the next turn's
            _route(turn, receipt, inline=False)
            routed += 1
        more = routed < len(rows) or len(rows) == ROUTING_BATCH
        return routed, more or any(followed for _, followed, _ in rows)

    (texts, more), turn = run_turn(runtime, now, work)
    return Routed(turn, texts, more) if texts else None


def _waiting(turn: Turn, which: ColumnElement[bool], *joined: FromClause) -> list[InboundReceipt]:
    """Stored texts not yet routed, oldest first, locked: a worker routing one of them now
    finishes first, and then it is no longer waiting."""
    return list(
        turn.session.scalars(
            select(InboundReceipt)
            .select_from(InboundReceipt, *joined)
            .where(which, InboundReceipt.routed_at.is_(None))
            .order_by(InboundReceipt.received_at, InboundReceipt.sid)
            .with_for_update(of=InboundReceipt)
        )
    )


def _route(turn: Turn, receipt: InboundReceipt, inline: bool) -> None:
    """Run a stored text's turn, then forget who sent it and what it said (the transcript
    keeps the body, `texters` the number, both under their own retention). A text whose
    webhook gave the crisis text already is routed as if answering, its reply not sent again."""
    vault = turn.runtime.vault
    assert (
        receipt.sender_encrypted is not None and receipt.body_encrypted is not None and receipt.line_number is not None
    )
    answered = receipt.reply is not None
    turn.replies_inline = inline or answered
    turn.inline_reply = None
    _handle(
        turn,
        InboundSms(
            sid=receipt.sid,
            sender=vault.decrypt(receipt.sender_encrypted),
            line_number=receipt.line_number,
            body=vault.decrypt(receipt.body_encrypted),
            media_count=receipt.media_count,
        ),
        staff=receipt.from_staff,
    )
    if inline and not answered:
        receipt.reply = turn.inline_reply
    _routed(receipt, turn.now)


def _routed(receipt: InboundReceipt, now: datetime) -> None:
    receipt.routed_at = now
    receipt.sender_hash = receipt.sender_encrypted = receipt.body_encrypted = None


def _handle(turn: Turn, sms: InboundSms, staff: bool | None = None) -> None:
    """A volunteer's command or words, a supervisor's command, or a texter's text. `staff`:
    whether the sender was an active volunteer or supervisor when the text was stored (False:
    a texter, with no lookups for the rest); None when not known."""
    if staff is not False and _handled_as_staff(turn, sms):
        return
    texter = texters.on_texter_message(turn, sms.sender, sms.body, sms.opt_out_type, sms.media_count)
    log.info("sms.received from=texter pseudonym=%s", texter.pseudonym)


def _handled_as_staff(turn: Turn, sms: InboundSms) -> bool:
    """Handle the text if an active volunteer or supervisor sent it; whether one did."""
    # A volunteer's own row is locked first: their texts are handled one at a time, and
    # every path that changes their load takes locks in the same order (volunteer, offer,
    # conversation, shift), so PostgreSQL rarely has a deadlock to break.
    volunteer = turn.session.scalars(
        select(Volunteer).where(Volunteer.phone == sms.sender, Volunteer.active).with_for_update()
    ).first()
    if volunteer is not None:
        volunteers.on_volunteer_message(turn, volunteer, sms.line_number, sms.body)
        log.info("sms.received from=volunteer volunteer=%d", volunteer.id)
        return True
    supervisor = turn.session.scalars(
        select(Supervisor).where(Supervisor.phone == sms.sender, Supervisor.active)
    ).first()
    if supervisor is not None:
        supervisors.on_supervisor_message(turn, supervisor, sms.body, sms.line_number)
        log.info("sms.received from=supervisor supervisor=%d", supervisor.id)
        return True
    return False


def replay_spooled(runtime: Runtime, message: SpooledSms) -> Turn | None:
    """A text spooled while the database was down, taken in now as its webhook would have
    taken it then: stored for the router (which routes a backlog in batches and sends at
    once), the crisis text its webhook gave inline noted as given. A text the webhook routes
    itself (a deletion, a Twilio keyword; any on SQLite) is routed here, in a turn of its own
    (returned). A replay that finds the text stored already changes nothing. The caller wakes
    the router once the spool is replayed."""
    sender, line_number = parse_numbers(runtime, message.sender, message.to)
    sms = InboundSms(
        sid=message.sid, sender=sender, line_number=line_number, body=message.body, opt_out_type=message.opt_out_type
    )
    received_at = datetime.fromtimestamp(message.received_at, UTC)
    reading = read(runtime, sms.body, sms.opt_out_type)
    if reading.urgency in ROUTED_BY_WEBHOOK or not can_store(runtime):
        return receive_sms(runtime, sms, received_at)
    stored = store_sms(runtime, sms, received_at, reading)
    if stored.new and stored.held:
        release(runtime, sms.sid, crisis_reply(runtime, sms, reading, stored, received_at))
    return None
