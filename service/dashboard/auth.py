"""Signing in and out: argon2 password check, sign-in attempts limited per account and per
address (counted in the database, so every web process sees the same count), and a fresh
session at each sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import redirect, render_template, request, session, url_for
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.dashboard.blueprint import dashboard_blueprint, now, runtime, safe_next
from service.db import LoginFailure, Supervisor
from service.settings import DashboardSettings

_hasher = PasswordHasher()
# Checked when the email is unknown, so that a wrong email costs as long as a wrong password.
_DECOY_HASH = _hasher.hash("decoy password, never valid")
# Failed attempts older than this are deleted: they no longer count towards any window.
KEEP_FAILURES = timedelta(days=1)


def _address() -> str:
    """The client's address as this process sees it (behind a proxy, configure the proxy to
    pass it and the app to trust it, or every client shares the proxy's limit)."""
    return (request.remote_addr or "unknown")[:64]


def too_many_failures(db: Session, email: str, address: str, moment: datetime, limits: DashboardSettings) -> bool:
    since = moment - timedelta(minutes=limits.login_window_minutes)
    by_account, by_address = db.execute(
        select(
            func.count().filter(LoginFailure.email == email),
            func.count().filter(LoginFailure.address == address),
        ).where(LoginFailure.at > since, or_(LoginFailure.email == email, LoginFailure.address == address))
    ).one()
    return by_account >= limits.login_failures_per_account or by_address >= limits.login_failures_per_address


def check_password(db: Session, email: str, password: str) -> Supervisor | None:
    """The active supervisor with this email and password, else None (in about the same time)."""
    account = db.scalars(select(Supervisor).where(Supervisor.email == email, Supervisor.active)).first()
    try:
        _hasher.verify(account.password_hash if account else _DECOY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is not None and _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account


@dashboard_blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if request.method == "GET":
        return render_template("dashboard/login.html", next=request.args.get("next", ""))
    email = request.form.get("email", "").strip().lower()[:254]
    password = request.form.get("password", "")[:1024]
    moment, address, limits = now(), _address(), runtime().settings.dashboard
    with runtime().sessions() as db, db.begin():
        if too_many_failures(db, email, address, moment, limits):
            return render_template(
                "dashboard/login.html", next=request.form.get("next", ""), error="rate_limited", email=email
            ), 429
        account = check_password(db, email, password)
        if account is None:
            db.execute(delete(LoginFailure).where(LoginFailure.at < moment - KEEP_FAILURES))
            db.add(LoginFailure(at=moment, email=email, address=address))
            return render_template(
                "dashboard/login.html", next=request.form.get("next", ""), error="invalid", email=email
            ), 401
        supervisor_id = account.id
    # A new session at sign-in: nothing set before it (by anyone) survives.
    session.clear()
    session.permanent = True
    session["supervisor_id"] = supervisor_id
    return redirect(safe_next(request.form.get("next")))


@dashboard_blueprint.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("dashboard.login"))
