"""Writing outgoing texts as outbox rows, in the transaction of the change that causes them.

A row names its recipient (texter, volunteer or supervisor id) and the line number it comes
from; the job `deliver_outbound` sends it. Nothing here talks to Twilio.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from service.db import Conversation, OutboxMessage, Supervisor, Texter, Volunteer
from service.db.turn import Sending, Turn


def split_body(body: str, max_chars: int, max_parts: int, marker: str, cut_note: str) -> list[str]:
    """Split a text Twilio would refuse (over `max_chars`) into numbered parts on word boundaries.

    `marker` is a template such as "({part}/{total}) "; past `max_parts` the rest is cut and
    `cut_note` ends the last part, so one flood cannot become hundreds of texts.
    """
    if len(body) <= max_chars:
        return [body]
    room = max_chars - len(marker.format(part=max_parts, total=max_parts)) - len(cut_note)
    pieces: list[str] = []
    rest = body
    while rest and len(pieces) < max_parts:
        if len(rest) <= room:
            pieces.append(rest)
            rest = ""
            break
        cut = rest.rfind(" ", room // 2, room)
        cut = room if cut <= 0 else cut
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces[-1] = pieces[-1] + cut_note
    total = len(pieces)
    return [marker.format(part=index, total=total) + piece for index, piece in enumerate(pieces, start=1)]


def _queue(
    turn: Turn,
    kind: str,
    recipient: Callable[[], str | None],
    recipient_id: int,
    from_number: str,
    body: str,
    conversation_id: int | None,
    language: str,
) -> None:
    """Write the rows of one text (several when it is split). In a turn that sends at once,
    each row is claimed as delivery would claim it, when its recipient may be texted."""
    to = recipient() if turn.sends_at_once else None
    _write(turn, [(kind, recipient_id, to, from_number, body, conversation_id, language)])


# One text to write: recipient kind and id, the number to send to now (None: delivery sends
# it), the line number it comes from, its body, its conversation and its language.
Letter = tuple[str, int, str | None, str, str, int | None, str]


def _write(turn: Turn, letters: Sequence[Letter]) -> None:
    """The rows of every text in `letters`, in order, written with one flush (one INSERT for
    them all on PostgreSQL); those with a number to send to are claimed for the turn's job."""
    delivery = turn.runtime.settings.delivery
    rows: list[tuple[OutboxMessage, str | None, str]] = []
    for kind, recipient_id, to, from_number, body, conversation_id, language in letters:
        texts = turn.runtime.texts.language(language).texter
        for part in split_body(
            body, delivery.max_body_chars, delivery.max_parts, texts["part_marker"], texts["cut_note"]
        ):
            row = OutboxMessage(
                conversation_id=conversation_id,
                recipient_kind=kind,
                recipient_id=recipient_id,
                from_number=from_number,
                body_encrypted=turn.runtime.vault.encrypt(part),
                status="pending" if to is None else "submitting",
                attempts=0 if to is None else 1,
                next_attempt_at=turn.now,
                created_at=turn.now,
                updated_at=turn.now,
            )
            rows.append((row, to, part))
    turn.session.add_all([row for row, _, _ in rows])
    turn.session.flush()
    for row, to, part in rows:
        turn.outbox_ids.append(row.id)
        if to is not None:
            turn.sendings.append(Sending(outbox_id=row.id, to=to, from_number=row.from_number, body=part))


def to_new_texters(turn: Turn, texts: Sequence[tuple[Texter, str, Conversation, str]]) -> None:
    """Texts to texters first heard from in this turn, whose numbers are in hand (`texts`:
    texter, number, conversation, body), from the main number, written together."""
    main_number = turn.runtime.settings.line.main_number
    _write(
        turn,
        [
            (
                "texter",
                texter.id,
                phone if turn.sends_at_once else None,
                main_number,
                body,
                conversation.id,
                texter.language,
            )
            for texter, phone, conversation, body in texts
            if not texter.opted_out
        ],
    )


def to_texter(turn: Turn, texter: Texter, body: str, conversation: Conversation | None = None) -> None:
    """Texters always hear from the main line number; it is the only number they know."""
    if texter.opted_out:
        return
    conversation_id = conversation.id if conversation else None
    _queue(
        turn,
        "texter",
        lambda: turn.runtime.vault.decrypt(texter.phone_encrypted),
        texter.id,
        turn.runtime.settings.line.main_number,
        body,
        conversation_id,
        texter.language,
    )


def tell_texter(
    turn: Turn, texter: Texter, key: str, conversation: Conversation | None = None, **params: object
) -> None:
    to_texter(turn, texter, turn.runtime.texts.for_texter(texter.language, key, **params), conversation)


def to_volunteer(
    turn: Turn,
    volunteer: Volunteer,
    body: str,
    from_number: str | None = None,
    conversation: Conversation | None = None,
) -> None:
    """`from_number` is the line number of the conversation's thread; the main number otherwise."""
    number = from_number or turn.runtime.settings.line.main_number
    language = volunteer.staff_language or turn.runtime.settings.line.languages[0]
    _queue(
        turn,
        "volunteer",
        lambda: volunteer.phone if volunteer.active else None,
        volunteer.id,
        number,
        body,
        conversation.id if conversation else None,
        language,
    )


def tell_volunteer(
    turn: Turn,
    volunteer: Volunteer,
    key: str,
    from_number: str | None = None,
    conversation: Conversation | None = None,
    **params: object,
) -> None:
    body = turn.runtime.texts.for_volunteer(key, volunteer.staff_language, **params)
    to_volunteer(turn, volunteer, body, from_number, conversation)


def to_supervisor(
    turn: Turn,
    supervisor: Supervisor,
    body: str,
    conversation: Conversation | None = None,
    from_number: str | None = None,
) -> None:
    """`from_number`: the thread of a conversation the supervisor sits in; the main number otherwise."""
    language = supervisor.staff_language or turn.runtime.settings.line.languages[0]
    _queue(
        turn,
        "supervisor",
        lambda: supervisor.phone if supervisor.active else None,
        supervisor.id,
        from_number or turn.runtime.settings.line.main_number,
        body,
        conversation.id if conversation else None,
        language,
    )
