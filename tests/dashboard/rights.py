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
        # A conversation's contact note, corrected by any supervisor (audited).
        "dashboard.correct_contact_note",
        # Supervisors inside a conversation: each opening and action is audited.
        "dashboard.conversation_live",
        "dashboard.conversation_live_messages",
        "dashboard.conversation_write",
        "dashboard.conversation_join",
        "dashboard.conversation_transfer",
        # A live call: listening, coaching and joining are refused (a notice, nothing done) to a
        # plain supervisor who is not on call (tests/dashboard/test_conversation_live.py).
        "dashboard.conversation_call",
        "dashboard.conversation_crisis_line",
        "dashboard.reassign",
        "dashboard.volunteer_shift",
        "dashboard.end_shift",
        "dashboard.put_on_break",
        "dashboard.override",
        "dashboard.pause_line",
        "dashboard.resume_line",
        "dashboard.on_call",
        # The rota: the week view and its edits.
        "dashboard.rota",
        "dashboard.rota_add_slot",
        "dashboard.rota_remove_slot",
        "dashboard.rota_change",
        "dashboard.rota_assign",
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
