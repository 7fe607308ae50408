"""Referrals: `#res` lists the directory's resources for a topic on the volunteer's phone only,
`#send 2` texts one to the texter and records it on the contact.

Which resources fit is decided in the core (`routing.referral_directory`); this module stores the list
and sends the one chosen.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy import delete, func, select

from routing.referral_directory import listed_choice, match_resources
from service.conversations import lifecycle
from service.db import Conversation, Referral, Texter, Volunteer
from service.db.turn import Turn
from service.db.vault import PURGED
from service.outbound import outbox


def list_for(turn: Turn, volunteer: Volunteer, line_number: str, conversation: Conversation, query: str) -> None:
    """#res words: the matching resources, numbered, to the volunteer alone; they replace the
    conversation's earlier list (resources already sent stay recorded)."""
    texter = conversation.texter
    if not query.strip():
        outbox.tell_volunteer(turn, volunteer, "res_how", line_number, conversation)
        return
    found = match_resources(
        turn.runtime.referral_directory,
        query,
        language=conversation.language,
        region=_region(turn, texter),
        limit=turn.runtime.settings.continuity.referrals_listed,
    )
    if not found:
        outbox.tell_volunteer(
            turn, volunteer, "res_none", line_number, conversation, query=query, pseudonym=texter.pseudonym
        )
        return
    turn.session.execute(
        delete(Referral).where(Referral.conversation_id == conversation.id, Referral.sent_at.is_(None))
    )
    for position, resource in enumerate(found, start=1):
        turn.session.add(
            Referral(
                conversation_id=conversation.id,
                volunteer_id=volunteer.id,
                resource=resource.key,
                name=resource.name[:200],
                position=position,
                listed_at=turn.now,
            )
        )
    texts = turn.runtime.texts
    items = "\n".join(
        texts.for_volunteer("res_item", number=position, name=resource.name)
        for position, resource in enumerate(found, 1)
    )
    outbox.tell_volunteer(
        turn, volunteer, "res_list", line_number, conversation, query=query, pseudonym=texter.pseudonym, items=items
    )
    turn.session.flush()


def _region(turn: Turn, texter: Texter) -> str:
    """The country of the texter's number (decrypted here only, never kept or logged), else the line's."""
    default = turn.runtime.settings.line.default_region
    if texter.phone_encrypted == PURGED:
        return default
    try:
        number = phonenumbers.parse(turn.runtime.vault.decrypt(texter.phone_encrypted), default)
    except phonenumbers.NumberParseException:
        return default
    return phonenumbers.region_code_for_number(number) or default


def send(turn: Turn, volunteer: Volunteer, line_number: str, conversation: Conversation, argument: str) -> None:
    """#send 2: the second resource of the latest list goes to the texter, and is recorded."""
    latest = turn.session.scalar(
        select(func.max(Referral.listed_at)).where(Referral.conversation_id == conversation.id)
    )
    listed = (
        list(
            turn.session.scalars(
                select(Referral)
                .where(Referral.conversation_id == conversation.id, Referral.listed_at == latest)
                .order_by(Referral.position)
                .with_for_update()
            )
        )
        if latest is not None
        else []
    )
    position = listed_choice(argument, len(listed))
    if position is None:
        outbox.tell_volunteer(turn, volunteer, "send_which", line_number, conversation, count=len(listed) or 1)
        return
    referral = listed[position - 1]
    resource = next((item for item in turn.runtime.referral_directory if item.key == referral.resource), None)
    if resource is None:  # taken out of the directory since it was listed
        outbox.tell_volunteer(turn, volunteer, "send_which", line_number, conversation, count=len(listed))
        return
    if referral.sent_at is None:
        referral.sent_at = turn.now
    lifecycle.record(turn, conversation, "volunteer", resource.text)
    outbox.to_texter(turn, conversation.texter, resource.text, conversation)
    outbox.tell_volunteer(
        turn,
        volunteer,
        "sent_resource",
        line_number,
        conversation,
        name=resource.name,
        pseudonym=conversation.texter.pseudonym,
    )
