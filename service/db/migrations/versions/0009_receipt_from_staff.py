"""receipt from staff: whether a stored text came from an active volunteer or supervisor

The webhook's storing statement already asks (a volunteer's text never gets the crisis
text); kept on the receipt, it spares the worker two lookups for every texter's text.
Receipts from before: NULL, not known.

Revision ID: 0009_receipt_from_staff
Revises: 0008_stored_texts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_receipt_from_staff"
down_revision = "0008_stored_texts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_staff", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_column("from_staff")
