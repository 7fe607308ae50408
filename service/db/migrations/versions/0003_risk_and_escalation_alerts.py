"""risk assessments and escalation alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 05:37:13.334996
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("safety_sent_at", service.db.base.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("categories", sa.String(length=120), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("rules", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("alerted", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("realerted_at", service.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_escalations_opened_at"), ["opened_at"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_level", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("risk_detail", sa.Text(), nullable=True))

    with op.batch_alter_table("supervisors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backup", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("supervisors", schema=None) as batch_op:
        batch_op.drop_column("backup")

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("risk_detail")
        batch_op.drop_column("risk_level")

    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_opened_at"))
        batch_op.drop_column("realerted_at")
        batch_op.drop_column("alerted")
        batch_op.drop_column("rules")
        batch_op.drop_column("categories")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("safety_sent_at")
