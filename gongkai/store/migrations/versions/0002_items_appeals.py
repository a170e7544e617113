"""Proactive-disclosure items, appeals, and the log of deadlines moved by calendar changes.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deadline_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("cause", sa.String(64), nullable=False),
        sa.Column("old_due", sa.Date, nullable=True),
        sa.Column("new_due", sa.Date, nullable=True),
        sa.Column("old_safe_due", sa.Date, nullable=True),
        sa.Column("new_safe_due", sa.Date, nullable=True),
        sa.Column("clock_version", sa.Integer, nullable=False),
    )
    op.create_index("ix_deadline_change_application_id", "deadline_change", ["application_id"])
    op.create_table(
        "proactive_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("index_no", sa.String(64), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("generated_on", sa.Date, nullable=False),
        sa.Column("changed_on", sa.Date, nullable=True),
        sa.Column("doc_number", sa.String(100), nullable=True),
        sa.Column("issuing_body", sa.String(200), nullable=True),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("doc_type", sa.String(32), nullable=False, server_default="other"),
        sa.Column("five_publics", sa.String(16), nullable=True),
        sa.Column("attribute", sa.String(16), nullable=False, server_default="proactive"),
        sa.Column("attribute_reason", sa.Text, nullable=True),
        sa.Column("validity", sa.String(16), nullable=False, server_default="in_force"),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("repealed_on", sa.Date, nullable=True),
        sa.Column("published_on", sa.Date, nullable=True),
        sa.Column("channel", sa.String(100), nullable=True),
        sa.Column("url", sa.String(500), nullable=True),
        sa.Column("owner_id", sa.String(32), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_proactive_item_index_no", "proactive_item", ["index_no"], unique=True)
    op.create_index("ix_proactive_item_published_on", "proactive_item", ["published_on"])
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("application.id"), nullable=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("proactive_item.id"), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("route", sa.String(24), nullable=True),
        sa.Column("case_no", sa.String(100), nullable=True),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("concluded_on", sa.Date, nullable=True),
        sa.Column("result", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_appeal_application_id", "appeal", ["application_id"])


def downgrade() -> None:
    op.drop_table("appeal")
    op.drop_table("proactive_item")
    op.drop_table("deadline_change")
