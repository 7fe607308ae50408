"""Who meets whom: volunteers' experience, topics and language, supervisors' language, a
conversation's hold, topic and place in line, texters' blocks and plans, and the pictures a
stored text carried (counted, never fetched)."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Column, ForeignKey, Integer, String, Text

from service.db.base import UTCDateTime

revision = "0018_matching"
down_revision = "0017_supervision"


def upgrade() -> None:
    with op.batch_alter_table("volunteers") as table:
        table.add_column(Column("level", String(16), nullable=False, server_default="peer"))
        table.add_column(Column("trainee_scope", String(16), nullable=False, server_default="any"))
        table.add_column(Column("trained_on", sa.Date(), nullable=True))
        table.add_column(Column("topics", String(200), nullable=False, server_default=""))
        table.add_column(Column("staff_language", String(8), nullable=True))
    with op.batch_alter_table("supervisors") as table:
        table.add_column(Column("staff_language", String(8), nullable=True))
    with op.batch_alter_table("conversations") as table:
        table.add_column(Column("held_until", UTCDateTime(timezone=True), nullable=True))
        table.add_column(Column("topic", String(24), nullable=True))
        table.add_column(Column("topic_matched", sa.Boolean(), nullable=True))
        table.add_column(Column("place_told", Integer(), nullable=True))
        table.add_column(Column("place_checked_at", UTCDateTime(timezone=True), nullable=True))
        table.add_column(Column("long_wait_told", sa.Boolean(), nullable=False, server_default=sa.false()))
        table.add_column(Column("plan_limit_told", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("inbound_receipts") as table:
        table.add_column(Column("media_count", Integer(), nullable=False, server_default="0"))
    op.create_table(
        "texter_blocks",
        Column("id", Integer(), nullable=False),
        Column(
            "texter_id", Integer(), ForeignKey("texters.id", name="fk_texter_blocks_texter_id_texters"), nullable=False
        ),
        Column("until", UTCDateTime(timezone=True), nullable=False),
        Column("reason", Text(), nullable=False),
        Column("created_by", String(254), nullable=False),
        Column("created_at", UTCDateTime(timezone=True), nullable=False),
        Column("lifted_at", UTCDateTime(timezone=True), nullable=True),
        Column("told_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_texter_blocks")),
    )
    op.create_index("ix_texter_blocks_texter_id", "texter_blocks", ["texter_id"])
    op.create_table(
        "texter_plans",
        Column(
            "texter_id",
            Integer(),
            ForeignKey("texters.id", name="fk_texter_plans_texter_id_texters"),
            nullable=False,
        ),
        Column("note", Text(), nullable=False),
        Column("max_minutes", Integer(), nullable=True),
        Column(
            "preferred_volunteer_id",
            Integer(),
            ForeignKey("volunteers.id", name="fk_texter_plans_preferred_volunteer_id_volunteers"),
            nullable=True,
        ),
        Column("updated_by", String(254), nullable=False),
        Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("texter_id", name=op.f("pk_texter_plans")),
    )


def downgrade() -> None:
    op.drop_table("texter_plans")
    op.drop_index("ix_texter_blocks_texter_id", table_name="texter_blocks")
    op.drop_table("texter_blocks")
    with op.batch_alter_table("inbound_receipts") as table:
        table.drop_column("media_count")
    with op.batch_alter_table("conversations") as table:
        for name in (
            "plan_limit_told",
            "long_wait_told",
            "place_checked_at",
            "place_told",
            "topic_matched",
            "topic",
            "held_until",
        ):
            table.drop_column(name)
    with op.batch_alter_table("supervisors") as table:
        table.drop_column("staff_language")
    with op.batch_alter_table("volunteers") as table:
        for name in ("staff_language", "topics", "trained_on", "trainee_scope", "level"):
            table.drop_column(name)
