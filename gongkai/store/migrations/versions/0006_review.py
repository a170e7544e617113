"""Content review: the validity end date of items, review tasks, review records (append-only) and
review runs.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("proactive_item", sa.Column("valid_until", sa.Date, nullable=True))
    op.create_table(
        "review_task",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("proactive_item.id"), nullable=True),
        sa.Column("column_name", sa.String(100), nullable=True),
        sa.Column("owner_id", sa.String(32), nullable=True),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("found_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("last_found_on", sa.Date, nullable=False),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_review_task_item_id", "review_task", ["item_id"])
    op.create_index("ix_review_task_status_due", "review_task", ["status", "due_on"])
    op.create_table(
        "review_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("review_task.id"), nullable=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("proactive_item.id"), nullable=True),
        sa.Column("column_name", sa.String(100), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("reviewed_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_review_record_task_id", "review_record", ["task_id"])
    op.create_index("ix_review_record_item_id", "review_record", ["item_id"])
    op.create_index("ix_review_record_reviewed_on", "review_record", ["reviewed_on"])
    _append_only("review_record")
    op.create_table(
        "review_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_review_run_as_of", "review_run", ["as_of"])


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on a log table, in the database itself (as in revision 0001)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif dialect == "postgresql":
        # gongkai_append_only() was created by revision 0001.
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gongkai_append_only()"
        )


def downgrade() -> None:
    op.drop_table("review_run")
    op.drop_table("review_record")
    op.drop_table("review_task")
    with op.batch_alter_table("proactive_item") as batch:
        batch.drop_column("valid_until")
