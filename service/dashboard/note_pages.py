"""The contact note on a conversation's page: a supervisor's correction of it (audited)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from service.dashboard.blueprint import dashboard_blueprint, run_action, runtime, supervisor
from service.staff.note_review import checked_answers, correct_note
from service.staff.supervision import ActionRefused


@dashboard_blueprint.post("/conversations/<id:conversation_id>/note")
def correct_contact_note(conversation_id: int) -> Response:
    form = runtime().note_form
    actor = supervisor()
    try:
        answers = checked_answers(
            form, {question.key: request.form.getlist(f"answer_{question.key}") for question in form}
        )
        note = request.form.get("note", "")
        run_action(lambda turn: correct_note(turn, conversation_id, answers, note, actor))
    except ActionRefused as refused:
        flash(refused.reason, "refused")
    else:
        flash("contact_note_corrected", "done")
    return redirect(url_for("dashboard.conversation", conversation_id=conversation_id) + "#note")
