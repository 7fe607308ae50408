"""Staff sessions as server-side rows, so that sign-out and a password change end a copied cookie."""

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0011_staff_sessions"
down_revision = "0009_receipt_from_staff"


def upgrade() -> None:
    # A session was a signed cookie naming the supervisor, which nothing could end before it expired.
    # A row keyed by the hash of the cookie's random token can be deleted; old cookies name no row,
    # so everyone signs in again once after the upgrade.
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["supervisors.id"],
            name=op.f("fk_staff_sessions_supervisor_id_supervisors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_supervisor_id"), ["supervisor_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_supervisor_id"))
    op.drop_table("staff_sessions")
