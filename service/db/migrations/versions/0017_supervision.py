"""Supervisors inside conversations: seats in a text conversation's thread, warm transfers, and
who is in a call's conference (calls move into a Twilio conference once answered)."""

import sqlalchemy as sa
from alembic import op

from service.db.base import UTCDateTime

revision = "0017_supervision"
down_revision = "0016_contact_notes"


def upgrade() -> None:
    op.create_table(
        "supervisor_seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.String(length=20), nullable=False),
        sa.Column("invited_by", sa.String(length=254), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_supervisor_seats_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["supervisors.id"], name=op.f("fk_supervisor_seats_supervisor_id_supervisors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_seats")),
    )
    op.create_index(op.f("ix_supervisor_seats_conversation_id"), "supervisor_seats", ["conversation_id"])
    op.create_index(op.f("ix_supervisor_seats_supervisor_id"), "supervisor_seats", ["supervisor_id"])
    op.create_index(
        "uq_supervisor_seats_thread",
        "supervisor_seats",
        ["supervisor_id", "line_number"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index(
        "uq_supervisor_seats_conversation",
        "supervisor_seats",
        ["conversation_id", "supervisor_id"],
        unique=True,
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("from_volunteer_id", sa.Integer(), nullable=False),
        sa.Column("to_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("offered_to", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_transfers_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(
            ["from_volunteer_id"], ["volunteers.id"], name=op.f("fk_transfers_from_volunteer_id_volunteers")
        ),
        sa.ForeignKeyConstraint(
            ["to_volunteer_id"], ["volunteers.id"], name=op.f("fk_transfers_to_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index(op.f("ix_transfers_conversation_id"), "transfers", ["conversation_id"])
    op.create_index(
        "uq_transfers_open_conversation",
        "transfers",
        ["conversation_id"],
        unique=True,
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.create_index(
        "ix_transfers_open_expiry", "transfers", ["expires_at"], postgresql_where=sa.text("status = 'offered'")
    )

    op.add_column("calls", sa.Column("conference_sid", sa.String(length=64), nullable=True))
    op.create_table(
        "call_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("call_sid", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column("muted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("coaching", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("end_conference_on_exit", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("pending", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("added_by", sa.String(length=254), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("joined_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("left_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_call_participants_call_id_calls")),
        sa.ForeignKeyConstraint(
            ["supervisor_id"], ["supervisors.id"], name=op.f("fk_call_participants_supervisor_id_supervisors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_participants")),
    )
    op.create_index(op.f("ix_call_participants_call_id"), "call_participants", ["call_id"])
    op.create_index(op.f("ix_call_participants_call_sid"), "call_participants", ["call_sid"])


def downgrade() -> None:
    op.drop_table("call_participants")
    op.drop_column("calls", "conference_sid")
    op.drop_table("transfers")
    op.drop_table("supervisor_seats")
