"""Catalogue: withdrawal and review flag on items, the item review and change logs (append-only),
and the quarterly catalogue snapshots.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("proactive_item", sa.Column("withdrawn_on", sa.Date, nullable=True))
    op.add_column(
        "proactive_item",
        sa.Column("review_required", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "item_review",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("proactive_item.id"), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("reviewed_on", sa.Date, nullable=False),
        sa.Column("result", sa.String(24), nullable=False),
        sa.Column("legal_ground", sa.Text, nullable=True),
        sa.Column("referral", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_item_review_item_id", "item_review", ["item_id"])
    _append_only("item_review")
    op.create_table(
        "item_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("proactive_item.id"), nullable=False),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_item_change_item_id", "item_change", ["item_id"])
    _append_only("item_change")
    op.create_table(
        "catalogue_snapshot",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("guide", sa.Text, nullable=False),
        sa.Column("diff", sa.Text, nullable=False),
        sa.Column("checks", sa.Text, nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.UniqueConstraint("period", "as_of", name="uq_catalogue_snapshot_period_as_of"),
    )


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
    op.drop_table("catalogue_snapshot")
    op.drop_table("item_change")
    op.drop_table("item_review")
    with op.batch_alter_table("proactive_item") as batch:
        batch.drop_column("review_required")
        batch.drop_column("withdrawn_on")
