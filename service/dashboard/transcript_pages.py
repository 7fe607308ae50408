"""A conversation's transcript for a supervisor: each reading is audited."""

from __future__ import annotations

from flask import abort, render_template

from service.dashboard.blueprint import conversation_page, dashboard_blueprint, now, runtime, supervisor
from service.db import Conversation
from service.staff.transcripts import read_transcript


@dashboard_blueprint.get("/conversations/<id:conversation_id>/transcript")
def transcript(conversation_id: int) -> str:
    with runtime().sessions() as db, db.begin():
        conversation = db.get(Conversation, conversation_id)
        if conversation is None:
            abort(404)
        lines = read_transcript(db, runtime().vault, conversation, supervisor().email, now())
        return render_template(
            "dashboard/transcript.html",
            **conversation_page(conversation),
            lines=lines,
            retention_days=runtime().settings.retention.days,
        )
