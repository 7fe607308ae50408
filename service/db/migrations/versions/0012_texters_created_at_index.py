"""Index texters by first contact: the limit on new senders counts those first heard in the last minute."""

from alembic import op

revision = "0012_texters_created_at_index"
down_revision = "0011_staff_sessions"


def upgrade() -> None:
    op.create_index("ix_texters_created_at", "texters", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_texters_created_at", table_name="texters")
