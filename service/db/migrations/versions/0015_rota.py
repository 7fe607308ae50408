"""The rota: weekly slots, one-off changes, sign-ups, numbered listings, fallback calls; and on
volunteers their time zone, the fallback group, and their calendar feed's secret."""

import sqlalchemy as sa
from alembic import op

from service.db.base import UTCDateTime

revision = "0015_rota"
down_revision = "0013_operator_alerts"


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch (SQLite would copy the table and lose its triggers, 0007).
    op.add_column("volunteers", sa.Column("timezone", sa.String(length=64), nullable=True))
    op.add_column("volunteers", sa.Column("fallback", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("volunteers", sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_volunteers_calendar_token_hash"), "volunteers", ["calendar_token_hash"], unique=True)
    op.create_table(
        "rota_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_slots")),
    )
    op.create_table(
        "rota_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("needed", sa.Integer(), nullable=True),
        sa.Column("changed_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(["slot_id"], ["rota_slots.id"], name=op.f("fk_rota_changes_slot_id_rota_slots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_changes")),
        sa.UniqueConstraint("slot_id", "day", name=op.f("uq_rota_changes_slot_id")),
    )
    op.create_table(
        "rota_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("dropped_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminders_sent", sa.String(length=60), nullable=False),
        sa.Column("no_show_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["slot_id"], ["rota_slots.id"], name=op.f("fk_rota_signups_slot_id_rota_slots")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_rota_signups_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_signups")),
    )
    with op.batch_alter_table("rota_signups", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rota_signups_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rota_signups_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index(
            "uq_rota_signups_taken",
            ["slot_id", "day", "volunteer_id"],
            unique=True,
            postgresql_where=sa.text("dropped_at IS NULL"),
            sqlite_where=sa.text("dropped_at IS NULL"),
        )
    op.create_table(
        "rota_listings",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("listed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_rota_listings_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "kind", name=op.f("pk_rota_listings")),
    )
    op.create_table(
        "fallback_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("texted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fallback_calls")),
    )
    with op.batch_alter_table("fallback_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fallback_calls_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("fallback_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fallback_calls_at"))
    op.drop_table("fallback_calls")
    op.drop_table("rota_listings")
    with op.batch_alter_table("rota_signups", schema=None) as batch_op:
        batch_op.drop_index("uq_rota_signups_taken", postgresql_where=sa.text("dropped_at IS NULL"))
        batch_op.drop_index(batch_op.f("ix_rota_signups_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_rota_signups_starts_at"))
    op.drop_table("rota_signups")
    op.drop_table("rota_changes")
    op.drop_table("rota_slots")
    op.drop_index(op.f("ix_volunteers_calendar_token_hash"), table_name="volunteers")
    op.drop_column("volunteers", "calendar_token_hash")
    op.drop_column("volunteers", "fallback")
    op.drop_column("volunteers", "timezone")
