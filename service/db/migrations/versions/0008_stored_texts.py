"""stored texts: the webhook keeps a verified text (encrypted) for a worker to route

A receipt now also holds the text until its turn has run: the sender's keyed hash (to route
each sender's texts in order), the sender and body encrypted, the line number it came to,
when it was routed (NULL: still waiting for a worker), and whether it is held (its webhook is
still deciding whether the crisis text is due). Receipts from before were all routed as they
arrived.

Revision ID: 0008_stored_texts
Revises: 0007_dispatch_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0008_stored_texts"
down_revision = "0007_dispatch_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("sender_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("line_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("body_encrypted", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("routed_at", service.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("held", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE inbound_receipts SET routed_at = received_at")
    op.create_index(
        "ix_inbound_receipts_waiting",
        "inbound_receipts",
        ["sender_hash", "received_at"],
        postgresql_where=sa.text("routed_at IS NULL"),
        sqlite_where=sa.text("routed_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_receipts_waiting", table_name="inbound_receipts")
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_column("held")
        batch_op.drop_column("routed_at")
        batch_op.drop_column("body_encrypted")
        batch_op.drop_column("line_number")
        batch_op.drop_column("sender_encrypted")
        batch_op.drop_column("sender_hash")
