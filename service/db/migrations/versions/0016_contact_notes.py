"""Continuity of care: contact notes, referrals given, consented follow-ups."""

from alembic import op
from sqlalchemy import Column, ForeignKeyConstraint, Integer, PrimaryKeyConstraint, String, Text, UniqueConstraint, text

from service.db.base import UTCDateTime

revision = "0016_contact_notes"
down_revision = "0015_rota"


def upgrade() -> None:
    op.create_table(
        "contact_notes",
        Column("id", Integer(), nullable=False),
        Column("conversation_id", Integer(), nullable=False),
        Column("volunteer_id", Integer(), nullable=False),
        Column("line_number", String(length=20), nullable=False),
        Column("status", String(length=12), nullable=False),
        Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        Column("answers", Text(), nullable=True),
        Column("note_encrypted", Text(), nullable=True),
        Column("corrected_at", UTCDateTime(timezone=True), nullable=True),
        Column("corrected_by", Integer(), nullable=True),
        ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_contact_notes_conversation_id_conversations")
        ),
        ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_contact_notes_volunteer_id_volunteers")
        ),
        ForeignKeyConstraint(
            ["corrected_by"], ["supervisors.id"], name=op.f("fk_contact_notes_corrected_by_supervisors")
        ),
        PrimaryKeyConstraint("id", name=op.f("pk_contact_notes")),
        UniqueConstraint("conversation_id", name=op.f("uq_contact_notes_conversation_id")),
    )
    op.create_index(op.f("ix_contact_notes_volunteer_id"), "contact_notes", ["volunteer_id"])
    op.create_index(
        "ix_contact_notes_pending_thread",
        "contact_notes",
        ["volunteer_id", "line_number"],
        postgresql_where=text("status = 'pending'"),
        sqlite_where=text("status = 'pending'"),
    )
    op.create_table(
        "referrals",
        Column("id", Integer(), nullable=False),
        Column("conversation_id", Integer(), nullable=False),
        Column("volunteer_id", Integer(), nullable=False),
        Column("resource", String(length=64), nullable=False),
        Column("name", String(length=200), nullable=False),
        Column("position", Integer(), nullable=False),
        Column("listed_at", UTCDateTime(timezone=True), nullable=False),
        Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_referrals_conversation_id_conversations")
        ),
        ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], name=op.f("fk_referrals_volunteer_id_volunteers")),
        PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index(op.f("ix_referrals_conversation_id"), "referrals", ["conversation_id"])
    op.create_index(op.f("ix_referrals_sent_at"), "referrals", ["sent_at"])
    op.create_table(
        "follow_ups",
        Column("id", Integer(), nullable=False),
        Column("conversation_id", Integer(), nullable=False),
        Column("texter_id", Integer(), nullable=False),
        Column("volunteer_id", Integer(), nullable=True),
        Column("status", String(length=12), nullable=False),
        Column("marked_at", UTCDateTime(timezone=True), nullable=True),
        Column("asked_at", UTCDateTime(timezone=True), nullable=True),
        Column("consented_at", UTCDateTime(timezone=True), nullable=True),
        Column("due_at", UTCDateTime(timezone=True), nullable=True),
        Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        Column("answered_at", UTCDateTime(timezone=True), nullable=True),
        Column("reply_conversation_id", Integer(), nullable=True),
        ForeignKeyConstraint(
            ["conversation_id"], ["conversations.id"], name=op.f("fk_follow_ups_conversation_id_conversations")
        ),
        ForeignKeyConstraint(["texter_id"], ["texters.id"], name=op.f("fk_follow_ups_texter_id_texters")),
        ForeignKeyConstraint(["volunteer_id"], ["volunteers.id"], name=op.f("fk_follow_ups_volunteer_id_volunteers")),
        ForeignKeyConstraint(
            ["reply_conversation_id"],
            ["conversations.id"],
            name=op.f("fk_follow_ups_reply_conversation_id_conversations"),
        ),
        PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        UniqueConstraint("conversation_id", name=op.f("uq_follow_ups_conversation_id")),
    )
    op.create_index(op.f("ix_follow_ups_texter_id"), "follow_ups", ["texter_id"])
    op.create_index(op.f("ix_follow_ups_status"), "follow_ups", ["status"])
    op.create_index(op.f("ix_follow_ups_due_at"), "follow_ups", ["due_at"])


def downgrade() -> None:
    op.drop_table("follow_ups")
    op.drop_table("referrals")
    op.drop_index("ix_contact_notes_pending_thread", table_name="contact_notes")
    op.drop_table("contact_notes")
