"""Signing in and out: argon2 password check, refused attempts slowed per account and per
address with growing delays (counted in the database, so every web process sees the same
count), and a fresh server-side session at each sign-in."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import g, redirect, render_template, request, session, url_for
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from service.dashboard.blueprint import SESSION_TOKEN, dashboard_blueprint, now, runtime, safe_next
from service.db import LoginFailure, Supervisor
from service.settings import DashboardSettings
from service.staff import staff_sessions

_hasher = PasswordHasher()
# Checked when the email is unknown, so that a wrong email costs as long as a wrong password.
_DECOY_HASH = _hasher.hash("decoy password, never valid")
# Failed attempts older than this are deleted: they no longer count towards any window.
KEEP_FAILURES = timedelta(days=1)


def client_address() -> str:
    """The client's address: the connection's, or with `[dashboard] trusted_proxies` set, the
    one the trusted proxies forwarded (ProxyFix in the app factory)."""
    return (request.remote_addr or "unknown")[:64]


def growing_delay(failures: int, free: int, base_seconds: float, cap_seconds: float) -> timedelta:
    """How long after its latest refusal an account (or address) must wait: nothing for the
    first `free` refusals, then `base_seconds`, doubling with each further one up to the cap.
    A delay rather than a lock: whoever knows the password gets in once it has passed, so
    typing wrong passwords for someone cannot keep them out."""
    if failures < free:
        return timedelta(0)
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** min(failures - free, 32)))


def sign_in_wait(db: Session, email: str, address: str, moment: datetime, limits: DashboardSettings) -> timedelta:
    """How long this account and this address must still wait before a password is checked
    (zero or less: check it now)."""
    since = moment - timedelta(minutes=limits.login_window_minutes)
    by_account, last_for_account, by_address, last_for_address = db.execute(
        select(
            func.count().filter(LoginFailure.email == email),
            func.max(LoginFailure.at).filter(LoginFailure.email == email),
            func.count().filter(LoginFailure.address == address),
            func.max(LoginFailure.at).filter(LoginFailure.address == address),
        ).where(LoginFailure.at > since, or_(LoginFailure.email == email, LoginFailure.address == address))
    ).one()
    ready = moment
    for failures, last, free in (
        (by_account, last_for_account, limits.login_failures_per_account),
        (by_address, last_for_address, limits.login_failures_per_address),
    ):
        if last is not None:
            ready = max(
                ready, last + growing_delay(failures, free, limits.login_delay_seconds, limits.login_delay_max_seconds)
            )
    return ready - moment


def record_refusal(db: Session, email: str, address: str, moment: datetime) -> None:
    """A wrong password for this account from this address: it counts towards their delays."""
    db.execute(delete(LoginFailure).where(LoginFailure.at < moment - KEEP_FAILURES))
    db.add(LoginFailure(at=moment, email=email, address=address))


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
    moment, address, limits = now(), client_address(), runtime().settings.dashboard
    with runtime().sessions() as db, db.begin():
        wait = sign_in_wait(db, email, address, moment, limits)
        if wait > timedelta(0):
            # Not even checked: an attempt during the wait neither signs in nor lengthens it.
            seconds = math.ceil(wait.total_seconds())
            page = render_template(
                "dashboard/login.html",
                next=request.form.get("next", ""),
                error="rate_limited",
                email=email,
                wait=seconds,
            )
            return Response(page, 429, {"Retry-After": str(seconds)}, mimetype="text/html")
        account = check_password(db, email, password)
        if account is None:
            record_refusal(db, email, address, moment)
            return render_template(
                "dashboard/login.html", next=request.form.get("next", ""), error="invalid", email=email
            ), 401
        # The account's refusals are forgiven by its password; the address's still count.
        db.execute(delete(LoginFailure).where(LoginFailure.email == email))
        open_session_here(db, account.id, moment)
    return redirect(safe_next(request.form.get("next")))


def open_session_here(db: Session, supervisor_id: int, moment: datetime) -> None:
    """Sign this browser in with a new session: at sign-in, and after a password change has
    ended every session of the account. Nothing the cookie held before (set by anyone) survives."""
    token = staff_sessions.start(
        db, supervisor_id, moment, client_address(), request.user_agent.string, runtime().settings.dashboard
    )
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN] = token


@dashboard_blueprint.post("/logout")
def logout() -> Response:
    with runtime().sessions() as db, db.begin():
        staff_sessions.end(db, g.session_id)
    session.clear()
    return redirect(url_for("dashboard.login"))
