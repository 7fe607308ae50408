"""operator alerts: when each kind of alert to the supervisor on call was last texted

The alerts (nobody on shift, a long wait, a stuck outbox, no live worker) are rate-limited
across every worker and web process: the row of a kind is locked while deciding.

Revision ID: 0013_operator_alerts
Revises: 0012_texters_created_at_index
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0013_operator_alerts"
down_revision = "0012_texters_created_at_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator_alerts",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_operator_alerts")),
    )


def downgrade() -> None:
    op.drop_table("operator_alerts")
