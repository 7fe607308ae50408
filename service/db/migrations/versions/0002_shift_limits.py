"""shift limits, overrides and audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 05:11:52.759379
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "limit_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("limit", sa.String(length=40), nullable=False),
        sa.Column("until", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_limit_overrides_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_overrides")),
    )
    with op.batch_alter_table("limit_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_limit_overrides_volunteer_id"), ["volunteer_id"], unique=False)

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("planned_end_at", service.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("conversations_taken", sa.Integer(), nullable=False, server_default=sa.text("0")))
        batch_op.add_column(sa.Column("wrap_up_told", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cooldown_until", service.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("awaiting_ok", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("awaiting_ok")
        batch_op.drop_column("cooldown_until")

    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_column("wrap_up_told")
        batch_op.drop_column("conversations_taken")
        batch_op.drop_column("planned_end_at")

    with op.batch_alter_table("limit_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_limit_overrides_volunteer_id"))

    op.drop_table("limit_overrides")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
