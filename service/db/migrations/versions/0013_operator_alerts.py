"""When each operator alert was last texted: a row per kind, locked while deciding, rate-limits every process."""

from alembic import op
from sqlalchemy import Column, PrimaryKeyConstraint, String

from service.db.base import UTCDateTime

revision = "0013_operator_alerts"
down_revision = "0012_texters_created_at_index"


def upgrade() -> None:
    op.create_table(
        "operator_alerts",
        Column("kind", String(length=32), nullable=False),
        Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        PrimaryKeyConstraint("kind", name=op.f("pk_operator_alerts")),
    )


def downgrade() -> None:
    op.drop_table("operator_alerts")
