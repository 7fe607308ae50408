"""One conversation, live: its messages as they come (the page asks for new ones; each opening
of the page is audited, and only an audited opening may ask), a box to write to the texter as
the supervisor, joining on one's phone, and a warm transfer."""

from __future__ import annotations

from flask import abort, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from routing import call_flow
from routing.presence import CallMode

# Each post runs like every other step-in: one turn, then a notice on the page it came from.
from service.dashboard.actions import attempt
from service.dashboard.blueprint import (
    conversation_page,
    dashboard_blueprint,
    form_number,
    now,
    runtime,
    supervisor,
)
from service.dashboard.live import volunteers_on_shift
from service.db import AuditEntry, Call, CallParticipant, Conversation, Message, SupervisorSeat, Transfer, parse_id
from service.staff import call_supervision, stepping_in, transfers

WATCHED = "conversation_watched"
# Who wrote a transcript line, as the page names them (the texter and volunteer by pseudonym and alias).
AUTHORS = {"supervisor": "Supervisor", "line": "The line", "flood_notice": "The line", "transfer": "Transfer note"}
MAX_WRITTEN = 1000


def _lines(conversation: Conversation, rows: list[Message]) -> list[dict[str, object]]:
    vault = runtime().vault
    volunteer = conversation.volunteer
    names = {"texter": conversation.texter.pseudonym, "volunteer": volunteer.alias if volunteer else "Volunteer"}
    return [
        {
            "id": row.id,
            "author": row.author,
            "name": names.get(row.author) or AUTHORS.get(row.author, row.author),
            "at": row.created_at,
            "text": vault.decrypt(row.body_encrypted) if row.body_encrypted else None,
        }
        for row in rows
    ]


def call_record(db: Session, call: Call) -> list[CallParticipant]:
    """Who was in the call's conference: added by whom and when, joined and left when."""
    return list(
        db.scalars(select(CallParticipant).where(CallParticipant.call_id == call.id).order_by(CallParticipant.id))
    )


def _watched(db: Session, actor: str, conversation: Conversation) -> AuditEntry:
    """The audit entry of an opening: who watched which conversation live, and when."""
    entry = AuditEntry(
        at=now(),
        actor=actor,
        action=WATCHED,
        target=f"conversation:{conversation.id}",
        detail=conversation.texter.pseudonym,
    )
    db.add(entry)
    db.flush()
    return entry


@dashboard_blueprint.get("/conversations/<id:conversation_id>/live")
def conversation_live(conversation_id: int) -> str:
    """The page; opening it is an audit entry, whose id the page's refresh must show."""
    me = supervisor()
    with runtime().sessions() as db, db.begin():
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            abort(404)
        entry = AuditEntry(
            at=now(),
            actor=me.email,
            action=WATCHED,
            target=f"conversation:{conversation.id}",
            detail=conversation.texter.pseudonym,
        )
        db.add(entry)
        db.flush()
        rows = list(db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)))
        seated = db.scalars(
            select(SupervisorSeat).where(
                SupervisorSeat.conversation_id == conversation.id, SupervisorSeat.left_at.is_(None)
            )
        ).all()
        transfer = db.scalars(
            select(Transfer).where(Transfer.conversation_id == conversation.id, Transfer.status == "offered")
        ).first()
        candidates = [v for v in volunteers_on_shift(db, runtime(), now()) if v.id != conversation.volunteer_id]
        call = db.scalars(select(Call).where(Call.conversation_id == conversation.id, Call.party == "caller")).first()
        in_call = call_record(db, call) if call is not None else []
        return render_template(
            "dashboard/conversation_live.html",
            **conversation_page(conversation),
            lines=_lines(conversation, rows),
            after=rows[-1].id if rows else 0,
            watch=entry.id,
            seated=[seat.supervisor.name for seat in seated],
            me_seated=any(seat.supervisor_id == me.id for seat in seated),
            transfer=transfer,
            candidates=candidates,
            call_live=call is not None and call.stage == call_flow.CONFERENCE and conversation.status == "active",
            in_call=in_call,
            my_mode=next((p.mode for p in in_call if p.supervisor_id == me.id and p.left_at is None), None),
            poll_ms=int(runtime().settings.dashboard.poll_seconds * 1000),
        )


@dashboard_blueprint.get("/conversations/<id:conversation_id>/live/messages")
def conversation_live_messages(conversation_id: int) -> Response:
    """The messages after `after`, for a page opened under the audit entry `watch` (by this
    supervisor, for this conversation). Asked without `watch`, the reading is an opening of
    its own: audited, and its entry's id is in the answer. Someone else's `watch` is refused."""
    me = supervisor()
    watch, after = request.args.get("watch"), parse_id(request.args.get("after", "0")) or 0
    with runtime().sessions() as db, db.begin():
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            abort(404)
        target = f"conversation:{conversation.id}"
        if watch is None:
            watch_id = _watched(db, me.email, conversation).id
        else:
            watch_id = parse_id(watch) or 0
            entry = db.get(AuditEntry, watch_id) if watch_id else None
            if entry is None or (entry.actor, entry.action, entry.target) != (me.email, WATCHED, target):
                abort(403)
        rows = list(
            db.scalars(
                select(Message)
                .where(Message.conversation_id == conversation.id, Message.id > after)
                .order_by(Message.id)
            )
        )
        html = render_template("dashboard/conversation_lines.html", lines=_lines(conversation, rows)) if rows else ""
        return jsonify(
            {"watch": watch_id, "after": rows[-1].id if rows else after, "status": conversation.status, "html": html}
        )


@dashboard_blueprint.post("/conversations/<id:conversation_id>/write")
def conversation_write(conversation_id: int) -> Response:
    me, body = supervisor(), request.form.get("message", "")[:MAX_WRITTEN]
    return attempt(lambda turn: stepping_in.write_from_dashboard(turn, me, conversation_id, body), "supervisor_wrote")


@dashboard_blueprint.post("/conversations/<id:conversation_id>/join")
def conversation_join(conversation_id: int) -> Response:
    me = supervisor()
    return attempt(lambda turn: stepping_in.join(turn, me, conversation_id), "supervisor_joined")


@dashboard_blueprint.post("/conversations/<id:conversation_id>/call")
def conversation_call(conversation_id: int) -> Response:
    """Listen (muted), coach or join the live call: for admins and the supervisor on call (or
    every supervisor, as `[supervision] any_supervisor_may_listen` says)."""
    me, raw = supervisor(), request.form.get("mode", "")
    mode = CallMode(raw) if raw in CallMode.__members__.values() else CallMode.LISTEN
    return attempt(lambda turn: call_supervision.step_in(turn, me, conversation_id, mode), f"call_{mode}")


@dashboard_blueprint.post("/conversations/<id:conversation_id>/crisis-line")
def conversation_crisis_line(conversation_id: int) -> Response:
    """The warm hand-off: the crisis line joins the live call as a third participant."""
    actor = supervisor().email
    return attempt(lambda turn: call_supervision.add_crisis_line(turn, conversation_id, actor), "crisis_line_added")


@dashboard_blueprint.post("/conversations/<id:conversation_id>/transfer")
def conversation_transfer(conversation_id: int) -> Response:
    """A warm transfer to the volunteer chosen, or to whoever accepts first (no choice)."""
    actor, named = supervisor().email, form_number("volunteer_id")
    return attempt(lambda turn: transfers.offer_from_dashboard(turn, conversation_id, named, actor), "transfer_offered")
