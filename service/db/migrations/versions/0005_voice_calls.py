"""voice calls: calls, ring offers, one open conversation per texter and channel

Revision ID: 0005_voice
Revises: 0004_receipts
Create Date: 2026-11-27 06:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0005_voice"
down_revision = "0004_receipts"
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('queued', 'active')")
PENDING = sa.text("status = 'pending'")
PENDING_TEXT = sa.text("status = 'pending' AND kind = 'text'")


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("party", sa.String(length=12), nullable=False),
        sa.Column("direction", sa.String(length=12), nullable=False),
        sa.Column("line_number", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("twilio_status", sa.String(length=16), nullable=True),
        sa.Column("started_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("hold_started_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("volunteer_leg_sid", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_calls_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_sid", name=op.f("uq_calls_call_sid")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_calls_stage", ["stage", "next_attempt_at"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("uq_conversations_open_texter", postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index(
            "uq_conversations_open_texter",
            ["texter_id", "channel"],
            unique=True,
            postgresql_where=OPEN,
            sqlite_where=OPEN,
        )

    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), server_default="text", nullable=False))
        batch_op.drop_index("uq_offers_pending_conversation", postgresql_where=PENDING, sqlite_where=PENDING)
        batch_op.create_index(
            "uq_offers_pending_conversation",
            ["conversation_id"],
            unique=True,
            postgresql_where=PENDING_TEXT,
            sqlite_where=PENDING_TEXT,
        )


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index("uq_offers_pending_conversation", postgresql_where=PENDING_TEXT, sqlite_where=PENDING_TEXT)
        batch_op.create_index(
            "uq_offers_pending_conversation",
            ["conversation_id"],
            unique=True,
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.drop_column("kind")

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("uq_conversations_open_texter", postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.create_index(
            "uq_conversations_open_texter", ["texter_id"], unique=True, postgresql_where=OPEN, sqlite_where=OPEN
        )

    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index("ix_calls_stage")
        batch_op.drop_index(batch_op.f("ix_calls_conversation_id"))

    op.drop_table("calls")
