"""The supervisors' dashboard at /dashboard: live view, actions, people, the rota, transcripts, reports,
and each supervisor's own account (sessions, password).

Importing the page modules registers their routes on the blueprint.
"""

from service.dashboard import (  # noqa: F401 - registers routes
    account_pages,
    actions,
    auth,
    live,
    live_conversation,
    note_pages,
    people_pages,
    report_pages,
    rota_pages,
    texter_pages,
    transcript_pages,
)
from service.dashboard.blueprint import csrf, dashboard_blueprint

__all__ = ["csrf", "dashboard_blueprint"]
