"""Supervisors and admins have distinct rights: only admins manage accounts (and change anyone's
on-call but their own). Every dashboard route is declared in tests/dashboard/rights.py; a plain
supervisor is refused each admin right, by GET and by POST, and nothing in the database
changes, while an admin making the same request gets it done; every other right is a plain
supervisor's too."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, text, update

from scripts.harness.database import empty_database
from service.dashboard import dashboard_blueprint
from service.db import AuditEntry, Base, Supervisor
from service.runtime import Runtime
from tests.dashboard.conftest import PASSWORD, Account, add_account, csrf_token, open_sessions, reopen_sessions, sign_in
from tests.dashboard.rights import ADMIN_ONLY, EVERY_SUPERVISOR, OWN_ACCOUNT, PUBLIC
from tests.support.routes import blueprint_rules
from tests.support.world import build_line

RULES = blueprint_rules(dashboard_blueprint)
PATH_ARGUMENT = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
# (method, route, whose account the URL names) for every admin right a supervisor might try,
# their own account included (a supervisor must not make themself an admin).
ADMIN_RIGHTS = [
    (method, rule.rule, whose)
    for rule in RULES
    if rule.endpoint in ADMIN_ONLY | OWN_ACCOUNT
    for method in sorted((rule.methods or set()) & {"GET", "POST"})
    for whose in (("someone else's", "their own") if "supervisor_id" in rule.arguments else ("no one's",))
    if not (rule.endpoint in OWN_ACCOUNT and whose == "their own")
]


# When a session was last used changes with every visit; which sessions exist must not.
_DIGESTED = {"staff_sessions": "(t.id, t.supervisor_id, t.created_at)::text"}


def _database(runtime: Runtime) -> dict[str, str]:
    """Every table's content, as a digest per table."""
    with runtime.engine.connect() as connection:
        return {
            table.name: connection.scalar(
                text(
                    f"SELECT md5(coalesce(string_agg({_row(table.name)}, '|' ORDER BY {_row(table.name)}), '')) "
                    f"FROM {table.name} t"
                )
            )
            for table in Base.metadata.sorted_tables
        }


def _row(table: str) -> str:
    return _DIGESTED.get(table, "t::text")


def _form(endpoint: str, target: Account, token: str) -> dict[str, str]:
    """What an admin would submit on this route's form, changing something about `target`."""
    forms = {
        "dashboard.supervisor_new": {
            "name": "Kim",
            "email": "kim@example.org",
            "phone": "+12025550150",
            "role": "admin",
            "password": PASSWORD,
        },
        "dashboard.supervisor_edit": {
            "name": target.name,
            "email": target.email,
            "phone": target.phone,
            "role": "supervisor" if target.role == "admin" else "admin",
        },
        "dashboard.supervisor_active": {"active": "0"},
        "dashboard.set_on_call": {"on_call": "1", "backup": "1"},
    }
    return {**forms.get(endpoint, {}), "csrf_token": token}


@dataclass(frozen=True)
class Staff:
    """Two admins and a supervisor, the first admin and the supervisor signed in."""

    accounts: dict[str, Account]
    admin: FlaskClient
    supervisor: FlaskClient
    sessions: list[dict[str, object]]


@pytest.fixture(scope="module")
def signed_in_staff(app: Flask, runtime: Runtime) -> Staff:
    """Signed in once for the module (each sign-in is a deliberately slow argon2 check)."""
    empty_database(runtime.engine)
    accounts = {
        "admin": add_account(runtime, "Alex", "admin", "+12025550101"),
        "supervisor": add_account(runtime, "Sam", "supervisor", "+12025550102"),
        "other admin": add_account(runtime, "Robin", "admin", "+12025550103"),
    }
    admin, supervisor = app.test_client(), app.test_client()
    sign_in(admin, accounts["admin"])
    sign_in(supervisor, accounts["supervisor"])
    return Staff(accounts, admin, supervisor, open_sessions(runtime))


@pytest.fixture
def staff(signed_in_staff: Staff, runtime: Runtime) -> Staff:
    """The same accounts for every test: what an admin changed in the last one is undone."""
    ids = [account.id for account in signed_in_staff.accounts.values()]
    with runtime.engine.begin() as connection:
        connection.execute(delete(AuditEntry))
        connection.execute(delete(Supervisor).where(Supervisor.id.not_in(ids)))
        for account in signed_in_staff.accounts.values():
            connection.execute(
                update(Supervisor)
                .where(Supervisor.id == account.id)
                .values(role=account.role, active=True, on_call=False, backup=False)
            )
    # Deactivating the supervisor (an admin right tried here) ended their session.
    reopen_sessions(runtime, signed_in_staff.sessions)
    return signed_in_staff


def test_every_dashboard_route_is_declared_exactly_once() -> None:
    groups = [PUBLIC, ADMIN_ONLY, OWN_ACCOUNT, EVERY_SUPERVISOR]
    declared = frozenset().union(*groups)
    assert sum(len(group) for group in groups) == len(declared), "a route is declared in two groups"
    assert declared == {rule.endpoint for rule in RULES}, "declare each new route's rights in tests/dashboard/rights.py"


@pytest.mark.parametrize(("method", "route", "whose"), ADMIN_RIGHTS)
def test_a_supervisor_is_refused_each_admin_right_and_nothing_changes_while_an_admin_gets_it_done(
    runtime: Runtime, staff: Staff, method: str, route: str, whose: str
) -> None:
    [rule] = [rule for rule in RULES if rule.rule == route]
    target = staff.accounts["supervisor" if whose == "their own" else "other admin"]
    path = PATH_ARGUMENT.sub(str(target.id), route)
    before = _database(runtime)
    token = csrf_token(staff.supervisor.get("/dashboard/").get_data(as_text=True))
    refused = staff.supervisor.open(
        path, method=method, data=_form(rule.endpoint, target, token) if method == "POST" else None
    )
    assert refused.status_code == 403
    assert "Only an admin may do this." in refused.get_data(as_text=True)
    assert _database(runtime) == before, "a refused request changed the database"
    token = csrf_token(staff.admin.get("/dashboard/").get_data(as_text=True))
    done = staff.admin.open(path, method=method, data=_form(rule.endpoint, target, token) if method == "POST" else None)
    if method == "GET":
        assert done.status_code == 200
    else:
        assert done.status_code == 302 and done.headers["Location"] != "/dashboard/login"
        assert _database(runtime) != before, "the admin's request changed nothing: the refusal above proves nothing"


def test_a_supervisor_has_every_other_right(app: Flask, runtime: Runtime) -> None:
    """On a line with a volunteer, a conversation and an escalation (ids 1): every page opens,
    and no form is refused (signing out comes last)."""
    build_line(app.test_client(), runtime)
    sam = add_account(runtime, "Sam", "supervisor", "+12025550102")
    client = app.test_client()
    sign_in(client, sam)
    token = csrf_token(client.get("/dashboard/").get_data(as_text=True))
    shared = [rule for rule in RULES if rule.endpoint in EVERY_SUPERVISOR | OWN_ACCOUNT]
    for rule in sorted(shared, key=lambda rule: rule.endpoint == "dashboard.logout"):
        path = PATH_ARGUMENT.sub(lambda match: str(sam.id if match.group(1) == "supervisor_id" else 1), rule.rule)
        if "GET" in (rule.methods or ()):
            assert client.get(path).status_code == 200, path
        if "POST" in (rule.methods or ()):
            response = client.post(path, data={"csrf_token": token})
            page = response.get_data(as_text=True)
            assert response.status_code != 403 and "did not come from this dashboard" not in page, path
            assert (
                not response.headers.get("Location", "").startswith("/dashboard/login")
                or rule.endpoint == "dashboard.logout"
            ), path
