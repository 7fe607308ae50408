"""Texters, as supervisors manage them: find one by pseudonym, block them for a period (or
lift a block), and set a frequent-texter plan. Each post runs one function of
`service.conversations.texter_blocks` or `service.conversations.plans` in one turn, audited there."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from routing.blocks import MAX_REASON
from service.conversations import plans, texter_blocks
from service.dashboard.blueprint import dashboard_blueprint, form_number, now, run_action, runtime, supervisor
from service.db import Texter, TexterBlock, TexterPlan, Volunteer
from service.db.turn import Turn

PSEUDONYM = re.compile(r"T-\d{4,8}")
# The longest block a supervisor may set from the dashboard, in days.
MAX_BLOCK_DAYS = 3650
# The longest conversation limit a plan may set, in minutes.
MAX_PLAN_MINUTES = 240


@dashboard_blueprint.get("/texters")
def texters() -> str | Response:
    """Blocks in force and plans; a pseudonym typed in the search leads to that texter."""
    wanted = request.args.get("pseudonym", "").strip().upper()[:12]
    moment = now()
    with runtime().sessions() as db:
        # Only what a pseudonym can be (`T-` and digits) reaches the query.
        if PSEUDONYM.fullmatch(wanted):
            found = db.scalar(select(Texter.id).where(Texter.pseudonym == wanted))
            if found is not None:
                return redirect(url_for("dashboard.texter", texter_id=found))
        blocked = db.execute(
            select(TexterBlock, Texter.pseudonym)
            .join(Texter, Texter.id == TexterBlock.texter_id)
            .where(TexterBlock.lifted_at.is_(None), TexterBlock.until > moment)
            .order_by(TexterBlock.created_at.desc())
            .limit(200)
        ).all()
        planned = db.execute(
            select(TexterPlan, Texter.pseudonym)
            .join(Texter, Texter.id == TexterPlan.texter_id)
            .order_by(TexterPlan.updated_at.desc())
            .limit(200)
        ).all()
        return render_template(
            "dashboard/texters.html", blocked=blocked, planned=planned, wanted=wanted, not_found=bool(wanted)
        )


@dashboard_blueprint.get("/texters/<id:texter_id>")
def texter(texter_id: int) -> str:
    moment = now()
    with runtime().sessions() as db:
        found = db.get(Texter, texter_id)
        if found is None:
            abort(404)
        history = db.scalars(
            select(TexterBlock).where(TexterBlock.texter_id == texter_id).order_by(TexterBlock.created_at.desc())
        ).all()
        volunteers = db.scalars(select(Volunteer).where(Volunteer.active).order_by(Volunteer.alias)).all()
        return render_template(
            "dashboard/texter.html",
            texter=found,
            blocks=history,
            plan=db.get(TexterPlan, texter_id),
            volunteers=volunteers,
            now=moment,
            default_days=runtime().settings.matching.block_days,
            max_days=MAX_BLOCK_DAYS,
            max_minutes=MAX_PLAN_MINUTES,
            max_reason=MAX_REASON,
            max_note=plans.MAX_NOTE,
        )


def _texter_page(texter_id: int) -> Response:
    return redirect(url_for("dashboard.texter", texter_id=texter_id))


def _locked_texter(turn: Turn, texter_id: int) -> Texter:
    found = turn.session.scalars(select(Texter).where(Texter.id == texter_id).with_for_update()).first()
    if found is None:
        abort(404)
    return found


@dashboard_blueprint.post("/texters/<id:texter_id>/block")
def block_texter(texter_id: int) -> Response:
    days = form_number("days")
    reason = " ".join(request.form.get("reason", "").split())[:MAX_REASON]
    if days is None or not 1 <= days <= MAX_BLOCK_DAYS or not reason:
        flash("block_invalid", "refused")
        return _texter_page(texter_id)
    actor, until = supervisor().email, now() + timedelta(days=days)
    run_action(lambda turn: texter_blocks.block(turn, _locked_texter(turn, texter_id), until, reason, actor))
    flash("texter_blocked", "done")
    return _texter_page(texter_id)


@dashboard_blueprint.post("/texters/<id:texter_id>/blocks/<id:block_id>/lift")
def lift_block(texter_id: int, block_id: int) -> Response:
    actor = supervisor().email
    lifted = run_action(lambda turn: texter_blocks.lift(turn, block_id, actor))
    flash("block_lifted" if lifted is not None else "block_not_in_force", "done" if lifted is not None else "refused")
    return _texter_page(texter_id)


@dashboard_blueprint.post("/texters/<id:texter_id>/plan")
def set_plan(texter_id: int) -> Response:
    minutes = form_number("max_minutes") if request.form.get("max_minutes", "").strip() else None
    preferred = form_number("preferred_volunteer_id") if request.form.get("preferred_volunteer_id") else None
    if (minutes is not None and not 5 <= minutes <= MAX_PLAN_MINUTES) or (
        request.form.get("max_minutes", "").strip() and minutes is None
    ):
        flash("plan_invalid", "refused")
        return _texter_page(texter_id)
    actor, note = supervisor().email, request.form.get("note", "")

    def work(turn: Turn) -> bool:
        if preferred is not None and turn.session.get(Volunteer, preferred) is None:
            return False
        plans.set_plan(turn, _locked_texter(turn, texter_id), note, minutes, preferred, actor)
        return True

    saved = run_action(work)
    flash("plan_saved" if saved else "not_found", "done" if saved else "refused")
    return _texter_page(texter_id)
