"""texters created_at index: the line-wide limit on new senders counts the texters first heard
from in the last minute, on every text that would start a conversation from a new number.

Revision ID: 0012_texters_created_at_index
Revises: 0011_staff_sessions
"""

from __future__ import annotations

from alembic import op

revision = "0012_texters_created_at_index"
down_revision = "0011_staff_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_texters_created_at", "texters", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_texters_created_at", table_name="texters")
