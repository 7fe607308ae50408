"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 04:50:43.307319
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import service.db.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_receipts",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("received_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid", name=op.f("pk_inbound_receipts")),
    )
    op.create_table(
        "supervisors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("on_call", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisors")),
        sa.UniqueConstraint("email", name=op.f("uq_supervisors_email")),
        sa.UniqueConstraint("phone", name=op.f("uq_supervisors_phone")),
    )
    op.create_table(
        "volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("alias", sa.String(length=40), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("languages", sa.String(length=40), nullable=False),
        sa.Column("max_concurrent", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("break_until", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_assigned_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteers")),
        sa.UniqueConstraint("phone", name=op.f("uq_volunteers_phone")),
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("started_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], name=op.f("fk_shifts_volunteer_id_volunteers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index(
            "uq_shifts_open",
            ["volunteer_id"],
            unique=True,
            postgresql_where=sa.text("ended_at IS NULL"),
            sqlite_where=sa.text("ended_at IS NULL"),
        )

    op.create_table(
        "texters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=12), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_encrypted", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("language_chosen", sa.Boolean(), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("last_volunteer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_volunteer_id"], ["volunteers.id"], name=op.f("fk_texters_last_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_texters")),
        sa.UniqueConstraint("phone_hash", name=op.f("uq_texters_phone_hash")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_texters_pseudonym")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("texter_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("risk_level", sa.String(length=12), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("line_number", sa.String(length=20), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("queued_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_texter_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=24), nullable=True),
        sa.Column("feedback_score", sa.Integer(), nullable=True),
        sa.Column("language_fallback_told", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["texter_id"], ["texters.id"], name=op.f("fk_conversations_texter_id_texters")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_conversations_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index("ix_conversations_queue", ["status", "priority", "queued_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_texter_id"), ["texter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index(
            "uq_conversations_active_thread",
            ["volunteer_id", "line_number"],
            unique=True,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "uq_conversations_open_texter",
            ["texter_id"],
            unique=True,
            postgresql_where=sa.text("status IN ('queued', 'active')"),
            sqlite_where=sa.text("status IN ('queued', 'active')"),
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["supervisors.id"], name=op.f("fk_escalations_acknowledged_by_supervisors")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_escalations_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=12), nullable=False),
        sa.Column("body_encrypted", sa.Text(), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_messages_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_messages_conversation_id"), ["conversation_id"], unique=False)

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("line_number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_offers_conversation_id_conversations")
        ),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], name=op.f("fk_offers_volunteer_id_volunteers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
    )
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offers_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_offers_volunteer_id"), ["volunteer_id"], unique=False)
        batch_op.create_index(
            "uq_offers_pending_conversation",
            ["conversation_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            "uq_offers_pending_volunteer",
            ["volunteer_id"],
            unique=True,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("recipient_kind", sa.String(length=12), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("from_number", sa.String(length=20), nullable=False),
        sa.Column("body_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("twilio_sid", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.String(length=200), nullable=True),
        sa.Column("created_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", service.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", service.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_outbox_conversation_id_conversations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("twilio_sid", name=op.f("uq_outbox_twilio_sid")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_conversation_id"), ["conversation_id"], unique=False)
        batch_op.create_index("ix_outbox_pending", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.drop_index(batch_op.f("ix_outbox_conversation_id"))

    op.drop_table("outbox")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_offers_pending_volunteer",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(
            "uq_offers_pending_conversation",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.drop_index(batch_op.f("ix_offers_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_offers_expires_at"))
        batch_op.drop_index(batch_op.f("ix_offers_conversation_id"))

    op.drop_table("offers")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id"))

    op.drop_table("messages")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_conversation_id"))

    op.drop_table("escalations")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_conversations_open_texter",
            postgresql_where=sa.text("status IN ('queued', 'active')"),
            sqlite_where=sa.text("status IN ('queued', 'active')"),
        )
        batch_op.drop_index(
            "uq_conversations_active_thread",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.drop_index(batch_op.f("ix_conversations_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_conversations_texter_id"))
        batch_op.drop_index("ix_conversations_queue")

    op.drop_table("conversations")
    op.drop_table("texters")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_shifts_open", postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL")
        )
        batch_op.drop_index(batch_op.f("ix_shifts_volunteer_id"))

    op.drop_table("shifts")
    op.drop_table("volunteers")
    op.drop_table("supervisors")
    op.drop_table("inbound_receipts")
