"""dispatch order: each volunteer's load and shift kept on their row by triggers, and indexed

Dispatch reads the best few volunteers for a texter in the order of
`routing.matching.preference` by walking `ix_volunteers_dispatch` (least loaded, longest
idle) instead of counting every on-shift volunteer's conversations. The two columns are kept
by the database itself, on every insert, update and delete of conversations and shifts,
whatever code (or person) makes the change.

Revision ID: 0007_dispatch_order
Revises: 0006_dashboard
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_dispatch_order"
down_revision = "0006_dashboard"
branch_labels = None
depends_on = None

POSTGRESQL = [
    """
    CREATE FUNCTION volunteers_count_active_conversations() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.volunteer_id IS NOT DISTINCT FROM NEW.volunteer_id THEN
        RETURN NULL;
      END IF;
      IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' AND OLD.volunteer_id IS NOT NULL THEN
        UPDATE volunteers SET active_conversations = active_conversations - 1 WHERE id = OLD.volunteer_id;
      END IF;
      IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' AND NEW.volunteer_id IS NOT NULL THEN
        UPDATE volunteers SET active_conversations = active_conversations + 1 WHERE id = NEW.volunteer_id;
      END IF;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER conversations_volunteer_load AFTER INSERT OR DELETE OR UPDATE OF status, volunteer_id ON conversations
    FOR EACH ROW EXECUTE FUNCTION volunteers_count_active_conversations()
    """,
    """
    CREATE FUNCTION volunteers_mark_on_shift() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      volunteer integer := CASE WHEN TG_OP = 'DELETE' THEN OLD.volunteer_id ELSE NEW.volunteer_id END;
    BEGIN
      UPDATE volunteers SET on_shift = EXISTS (SELECT 1 FROM shifts WHERE volunteer_id = volunteer AND ended_at IS NULL)
      WHERE id = volunteer;
      RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER shifts_volunteer_on_shift AFTER INSERT OR DELETE OR UPDATE OF ended_at ON shifts
    FOR EACH ROW EXECUTE FUNCTION volunteers_mark_on_shift()
    """,
    "CREATE INDEX ix_volunteers_dispatch ON volunteers (active_conversations, last_assigned_at NULLS FIRST, id) WHERE active AND on_shift",
]

# SQLite (the demo, the simulator, the router's property tests) sorts NULLs first already.
SQLITE = [
    """
    CREATE TRIGGER conversations_load_insert AFTER INSERT ON conversations
    WHEN NEW.status = 'active' AND NEW.volunteer_id IS NOT NULL
    BEGIN UPDATE volunteers SET active_conversations = active_conversations + 1 WHERE id = NEW.volunteer_id; END
    """,
    """
    CREATE TRIGGER conversations_load_delete AFTER DELETE ON conversations
    WHEN OLD.status = 'active' AND OLD.volunteer_id IS NOT NULL
    BEGIN UPDATE volunteers SET active_conversations = active_conversations - 1 WHERE id = OLD.volunteer_id; END
    """,
    """
    CREATE TRIGGER conversations_load_update AFTER UPDATE OF status, volunteer_id ON conversations
    WHEN OLD.status IS NOT NEW.status OR OLD.volunteer_id IS NOT NEW.volunteer_id
    BEGIN
      UPDATE volunteers SET active_conversations = active_conversations - 1 WHERE OLD.status = 'active' AND id = OLD.volunteer_id;
      UPDATE volunteers SET active_conversations = active_conversations + 1 WHERE NEW.status = 'active' AND id = NEW.volunteer_id;
    END
    """,
    """
    CREATE TRIGGER shifts_on_shift_insert AFTER INSERT ON shifts
    BEGIN UPDATE volunteers SET on_shift = EXISTS (SELECT 1 FROM shifts WHERE volunteer_id = NEW.volunteer_id AND ended_at IS NULL)
    WHERE id = NEW.volunteer_id; END
    """,
    """
    CREATE TRIGGER shifts_on_shift_update AFTER UPDATE OF ended_at ON shifts
    BEGIN UPDATE volunteers SET on_shift = EXISTS (SELECT 1 FROM shifts WHERE volunteer_id = NEW.volunteer_id AND ended_at IS NULL)
    WHERE id = NEW.volunteer_id; END
    """,
    """
    CREATE TRIGGER shifts_on_shift_delete AFTER DELETE ON shifts
    BEGIN UPDATE volunteers SET on_shift = EXISTS (SELECT 1 FROM shifts WHERE volunteer_id = OLD.volunteer_id AND ended_at IS NULL)
    WHERE id = OLD.volunteer_id; END
    """,
    "CREATE INDEX ix_volunteers_dispatch ON volunteers (active_conversations, last_assigned_at, id) WHERE active AND on_shift",
]
DROP = {
    "postgresql": [
        "DROP INDEX ix_volunteers_dispatch",
        "DROP TRIGGER shifts_volunteer_on_shift ON shifts",
        "DROP FUNCTION volunteers_mark_on_shift()",
        "DROP TRIGGER conversations_volunteer_load ON conversations",
        "DROP FUNCTION volunteers_count_active_conversations()",
    ],
    "sqlite": [
        "DROP INDEX ix_volunteers_dispatch",
        *(
            f"DROP TRIGGER {name}"
            for name in (
                "conversations_load_insert",
                "conversations_load_delete",
                "conversations_load_update",
                "shifts_on_shift_insert",
                "shifts_on_shift_update",
                "shifts_on_shift_delete",
            )
        ),
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("active_conversations", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("on_shift", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE volunteers SET "
        "active_conversations = (SELECT count(*) FROM conversations WHERE volunteer_id = volunteers.id AND status = 'active'), "
        "on_shift = EXISTS (SELECT 1 FROM shifts WHERE volunteer_id = volunteers.id AND ended_at IS NULL)"
    )
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("on_shift")
        batch_op.drop_column("active_conversations")
