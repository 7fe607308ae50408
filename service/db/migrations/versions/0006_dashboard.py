"""dashboard: line pause and sign-in rate limiting

Revision ID: 0006_dashboard
Revises: 0005_voice
Create Date: 2026-11-27 06:01:10.889167
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0006_dashboard"
down_revision = "0005_voice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    line_state = op.create_table(
        "line_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("changed_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_state")),
    )
    # The line's one state row: it exists from the start, so pausing is an UPDATE every process sees.
    op.bulk_insert(line_state, [{"id": 1, "paused": False}])

    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_failures_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failures_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failures_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_email"))
        batch_op.drop_index(batch_op.f("ix_login_failures_at"))
        batch_op.drop_index(batch_op.f("ix_login_failures_address"))

    op.drop_table("login_failures")
    op.drop_table("line_state")
