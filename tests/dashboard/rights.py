"""Who may use which dashboard route: the declaration that the role test and the fuzz test hold
the code to. Every route is in exactly one set; a new route fails the role test until it is
declared here.

Only admins manage accounts (supervisors' and admins' own) and settings; supervisors and admins
both run the line: its live view, stepping in, volunteers, transcripts and reports."""

from __future__ import annotations

PUBLIC = frozenset({"dashboard.login", "dashboard.static"})
ADMIN_ONLY = frozenset({"dashboard.supervisor_new", "dashboard.supervisor_edit", "dashboard.supervisor_active"})
# Any supervisor for their own account (its `supervisor_id`); anyone's for admins.
OWN_ACCOUNT = frozenset({"dashboard.set_on_call"})
EVERY_SUPERVISOR = frozenset(
    {
        "dashboard.live",
        "dashboard.live_state",
        "dashboard.history",
        "dashboard.reports",
        "dashboard.reports_csv",
        "dashboard.logout",
        "dashboard.escalation",
        "dashboard.acknowledge",
        "dashboard.conversation",
        "dashboard.transcript",
        "dashboard.reassign",
        "dashboard.volunteer_shift",
        "dashboard.end_shift",
        "dashboard.put_on_break",
        "dashboard.override",
        "dashboard.pause_line",
        "dashboard.resume_line",
        "dashboard.on_call",
        # Volunteers' own phone numbers are for admins only: a supervisor's edit keeps the number.
        "dashboard.people",
        "dashboard.volunteer_new",
        "dashboard.volunteer_edit",
        "dashboard.volunteer_active",
        # Each supervisor's own account: their sessions and password. Ending a session that is
        # not one's own is for admins (tests/dashboard/test_sessions.py; the URL names a session).
        "dashboard.account",
        "dashboard.change_password",
        "dashboard.end_session",
        # Texters by pseudonym: blocks and frequent-texter plans.
        "dashboard.texters",
        "dashboard.texter",
        "dashboard.block_texter",
        "dashboard.lift_block",
        "dashboard.set_plan",
    }
)


def refused_for_supervisor(endpoint: str, supervisor_id: int, path_args: dict[str, int]) -> bool:
    """Whether a plain supervisor is refused (403) this route with these ids in its path."""
    return endpoint in ADMIN_ONLY or (endpoint in OWN_ACCOUNT and path_args.get("supervisor_id") != supervisor_id)
