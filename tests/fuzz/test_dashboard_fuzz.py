"""Generated requests to every dashboard form (and page), with random and malformed fields and
ids. Each is sent signed out, by a supervisor or admin with a missing, forged or another
session's CSRF token, and by them with a valid one: never a 5xx; a request that is not signed
in, lacks a valid token or asks for an admin's right is refused and writes nothing; signed in
with a valid token, a supervisor or admin is never refused a right they have; and the
router's rules hold afterwards.

Routes are read from the dashboard's blueprint, so a new form is fuzzed without editing this
file; who may use which is declared in tests/dashboard/rights.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from routing.limits import LIFTABLE
from service.app import create_app
from service.dashboard import dashboard_blueprint
from service.db import MAX_ID, Supervisor
from service.runtime import Runtime
from tests.dashboard.conftest import PASSWORD, Account, add_account, csrf_token, open_sessions, reopen_sessions, sign_in
from tests.dashboard.rights import ADMIN_ONLY, PUBLIC, refused_for_supervisor
from tests.fuzz import test_webhook_fuzz
from tests.fuzz.invariants import DatabaseWrites, assert_consistent
from tests.support.routes import blueprint_rules
from tests.support.world import VOLUNTEER_PHONES, build_line

# Each form gets more examples than each page, forms being where a request acts. A form's
# example is sent three ways (signed out, a bad token, a valid token), a page's two.
EXAMPLES_PER_FORM = 60
EXAMPLES_PER_PAGE = 20
RULES = [
    rule for rule in blueprint_rules(dashboard_blueprint) if rule.endpoint != "dashboard.static"
]  # Flask's file server
FORMS = [(rule.endpoint, rule.rule) for rule in RULES if "POST" in (rule.methods or ())]
PAGES = [(rule.endpoint, rule.rule) for rule in RULES if "GET" in (rule.methods or ())]
PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
CSRF_REFUSAL = "did not come from this dashboard"

JUNK = st.one_of(st.text(max_size=120), st.binary(max_size=40).map(lambda b: b.decode("latin-1")), st.just("\x00"))
NUMBER_TEXT = st.one_of(
    st.integers(0, 300).map(str), st.sampled_from(["", "-5", "1.5", "²", "٣", "2147483648", "9" * 30, "9" * 5000])
)
# The line's rows have small ids (the world restarts them at 1); the rest name nothing.
PATH_IDS = st.one_of(st.integers(0, 6), st.sampled_from([MAX_ID, MAX_ID + 1, 10**30]))


def _value(meaningful: list[str]) -> st.SearchStrategy[str]:
    """Mostly what someone would type in the field, sometimes anything at all."""
    return st.one_of(st.sampled_from(meaningful), st.sampled_from(meaningful), JUNK)


# Every field a dashboard form reads (service/dashboard/*.py), with values a supervisor might type.
FIELDS: dict[str, st.SearchStrategy[object]] = {
    "next": _value(["/dashboard/", "/dashboard/people", "https://evil.example/", "//evil.example/", ""]),
    "reason": _value(["covering a break", "", "   "]),
    "minutes": NUMBER_TEXT,
    "max_concurrent": NUMBER_TEXT,
    "volunteer_id": NUMBER_TEXT,
    "limit": _value([*sorted(LIFTABLE), "", "everything"]),
    "on_call": _value(["0", "1", ""]),
    "backup": _value(["0", "1", ""]),
    "active": _value(["0", "1", ""]),
    "name": _value(["Kim Lee", ""]),
    "alias": _value(["Kim", ""]),
    "phone": _value(["+12025550160", "2025550161", "+15005550006", VOLUNTEER_PHONES[0], "+1" + "9" * 40, "", "ALICE"]),
    "languages": st.lists(_value(["en", "es", "fr", ""]), max_size=3),
    "email": _value(["kim.new@example.org", "alex@example.org", "sam@example.org", "no-at-sign", ""]),
    "role": _value(["supervisor", "admin", "root", ""]),
    "password": _value([PASSWORD, "short", ""]),
}
DATES = _value(["2026-01-01", "0001-01-01", "9999-12-31", "2026-02-30", ""])
QUERIES = st.fixed_dictionaries({}, optional={"next": FIELDS["next"], "version": JUNK, "from": DATES, "to": DATES})
ROLES = st.sampled_from(["supervisor", "admin"])
BAD_TOKENS = st.sampled_from(["missing", "forged", "another session's"])


@dataclass(frozen=True)
class Visitor:
    """A browser whose every request starts from the same session cookie (signed in once)."""

    client: FlaskClient
    cookie: str
    token: str
    account: Account | None


@dataclass
class DashboardFuzz:
    """What the generated requests share, and what they did."""

    visitors: dict[str, Visitor]
    writes: DatabaseWrites
    # The visitors' server-side sessions as they were at sign-in.
    sessions: list[dict[str, object]]
    sent: int = 0
    acted: int = 0


def _visitor(app: Flask, account: Account | None) -> Visitor:
    client = app.test_client()
    if account is not None:
        sign_in(client, account)
    token = csrf_token(client.get("/dashboard/" if account else "/dashboard/login").get_data(as_text=True))
    cookie = client.get_cookie("warmline_session")
    assert cookie is not None
    return Visitor(client, cookie.value, token, account)


@pytest.fixture(scope="module")
def fuzz(runtime: Runtime) -> Iterator[DashboardFuzz]:
    """The busy line of tests/support/world.py, with two admins and two supervisors; once every
    route has been fuzzed, the router's rules hold and some requests were let through to act."""
    app = create_app(runtime)
    build_line(app.test_client(), runtime)
    admin = add_account(runtime, "Alex", "admin", "+12025550111", on_call=True)
    supervisor = add_account(runtime, "Sam", "supervisor", "+12025550112")
    add_account(runtime, "Kim", "supervisor", "+12025550113")
    add_account(runtime, "Robin", "admin", "+12025550114")
    visitors = {
        "signed out": _visitor(app, None),
        "supervisor": _visitor(app, supervisor),
        "admin": _visitor(app, admin),
    }
    fuzzing = DashboardFuzz(visitors, DatabaseWrites(runtime.engine), open_sessions(runtime))
    yield fuzzing
    fuzzing.writes.close()
    with runtime.sessions() as session:
        assert_consistent(runtime, session)
    assert fuzzing.acted, "no request was let through to act: the refusals prove nothing"
    assert fuzzing.sent >= len(FORMS) * EXAMPLES_PER_FORM * 3 + len(PAGES) * EXAMPLES_PER_PAGE * 2


def _restore_accounts(runtime: Runtime, visitors: dict[str, Visitor]) -> None:
    """An admin's account form may have demoted or deactivated one of the visitors: undo it, so
    that each request is made by the account the test means."""
    with runtime.engine.begin() as connection:
        for visitor in visitors.values():
            if visitor.account is not None:
                connection.execute(
                    update(Supervisor)
                    .where(Supervisor.id == visitor.account.id)
                    .values(role=visitor.account.role, active=True)
                )


def _texts(form: dict[str, object]) -> list[str]:
    """Every value in the form, a list's items one by one."""
    return [str(text) for value in form.values() for text in (value if isinstance(value, list) else [value])]


def _expected_refusal(
    method: str, endpoint: str, path_args: dict[str, int], visitor: Visitor, token: str, form: dict[str, object]
) -> int | None:
    """The status the request must be refused with, or None when it is one the visitor may make."""
    if any(value > MAX_ID for value in path_args.values()) or "session_id" in path_args:
        return 404  # names no row (a session is named by a hash, never a number): no page, whoever asks
    if endpoint not in PUBLIC and visitor.account is None:
        return 302  # to the sign-in page
    if method == "POST" and (token != "valid" or any("\x00" in text for text in _texts(form))):
        return 400  # not from this dashboard's page, or text that cannot be stored
    if (
        visitor.account is not None
        and visitor.account.role == "supervisor"
        and refused_for_supervisor(endpoint, visitor.account.id, path_args)
    ):
        return 403
    return None


@pytest.mark.parametrize(("endpoint", "rule"), FORMS, ids=[rule for _, rule in FORMS])
@given(data=st.data())
@settings(max_examples=EXAMPLES_PER_FORM, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_generated_form_posts_never_500_and_only_allowed_ones_act(
    fuzz: DashboardFuzz, runtime: Runtime, endpoint: str, rule: str, data: st.DataObject
) -> None:
    _request_and_check(fuzz, runtime, "POST", endpoint, rule, data)


@pytest.mark.parametrize(("endpoint", "rule"), PAGES, ids=[rule for _, rule in PAGES])
@given(data=st.data())
@settings(max_examples=EXAMPLES_PER_PAGE, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_generated_page_requests_never_500_and_only_allowed_ones_are_shown(
    fuzz: DashboardFuzz, runtime: Runtime, endpoint: str, rule: str, data: st.DataObject
) -> None:
    _request_and_check(fuzz, runtime, "GET", endpoint, rule, data)


def _request_and_check(
    fuzz: DashboardFuzz, runtime: Runtime, method: str, endpoint: str, rule: str, data: st.DataObject
) -> None:
    path_args = {name: data.draw(PATH_IDS, label=name) for name in PATH_ARGUMENT.findall(rule)}
    path = PATH_ARGUMENT.sub(lambda match: str(path_args[match.group(1)]), rule)
    form = data.draw(st.fixed_dictionaries({}, optional=FIELDS), label="form") if method == "POST" else {}
    query = data.draw(QUERIES, label="query")
    signed_in = fuzz.visitors[data.draw(ROLES, label="role")]
    attempts = [(fuzz.visitors["signed out"], "valid")]
    if method == "POST":
        attempts.append((signed_in, data.draw(BAD_TOKENS, label="bad token")))
    attempts.append((signed_in, "valid"))
    for visitor, token in attempts:
        sent = (
            form
            if method == "GET" or token == "missing"
            else {**form, "csrf_token": _token(fuzz, visitor, token, data)}
        )
        _send_and_check(fuzz, runtime, method, endpoint, path, path_args, sent, query, visitor, token)


def _token(fuzz: DashboardFuzz, visitor: Visitor, kind: str, data: st.DataObject) -> str:
    """The CSRF token of this kind for the visitor's session."""
    if kind == "valid":
        return visitor.token
    if kind == "forged":
        return data.draw(JUNK, label="forged token")
    return next(other.token for other in fuzz.visitors.values() if other is not visitor)


def _send_and_check(
    fuzz: DashboardFuzz,
    runtime: Runtime,
    method: str,
    endpoint: str,
    path: str,
    path_args: dict[str, int],
    form: dict[str, object],
    query: dict[str, object],
    visitor: Visitor,
    token: str,
) -> None:
    visitor.client.set_cookie("warmline_session", visitor.cookie)
    before = fuzz.writes.count
    response = visitor.client.open(path, method=method, data=form, query_string=query)
    fuzz.sent += 1
    body = response.get_data(as_text=True)
    assert response.status_code < 500, body[:300]
    refusal = _expected_refusal(method, endpoint, path_args, visitor, token, form)
    if refusal is None:
        assert response.status_code != 403 and CSRF_REFUSAL not in body, "a right the visitor has was refused"
        fuzz.acted += fuzz.writes.count > before
        if endpoint in ADMIN_ONLY:
            _restore_accounts(runtime, fuzz.visitors)
        # A sign-out, a password change or a deactivation may have ended a visitor's session.
        reopen_sessions(runtime, fuzz.sessions)
    else:
        assert response.status_code == refusal, (visitor.account.role if visitor.account else "signed out", token)
        assert refusal != 302 or response.headers["Location"].startswith("/dashboard/login")
        assert fuzz.writes.count == before, "a refused request wrote to the database"


def test_the_fuzz_tests_send_over_ten_thousand_requests() -> None:
    """As the issue asks, across the webhooks (test_webhook_fuzz.py) and the dashboard: the
    planned requests; each file's fixture checks at its end that it sent as many as planned."""
    webhooks = test_webhook_fuzz.EXAMPLES * test_webhook_fuzz.REQUESTS_PER_EXAMPLE
    assert webhooks + len(FORMS) * EXAMPLES_PER_FORM * 3 + len(PAGES) * EXAMPLES_PER_PAGE * 2 >= 10_000
