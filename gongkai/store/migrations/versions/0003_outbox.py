"""Reminder outbox, reminder runs, and the schedule progress record.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("urgency", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("planned_on", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("claim_token", sa.String(40), nullable=True),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("possible_repeat", sa.Boolean, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("key", "recipient", "target", name="uq_reminder_outbox_key_recipient_target"),
    )
    op.create_index("ix_reminder_outbox_status", "reminder_outbox", ["status", "recipient"])
    op.create_index("ix_reminder_outbox_claim_token", "reminder_outbox", ["claim_token"])
    op.create_table(
        "reminder_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("due", sa.Integer, nullable=False),
        sa.Column("sent", sa.Integer, nullable=False),
        sa.Column("failed", sa.Integer, nullable=False),
        sa.Column("escalated", sa.Integer, nullable=False),
        sa.Column("already_sent", sa.Integer, nullable=False),
        sa.Column("superseded", sa.Integer, nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_reminder_run_as_of", "reminder_run", ["as_of"])
    op.create_table(
        "schedule_progress",
        sa.Column("flow", sa.String(40), primary_key=True),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("completed_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("schedule_progress")
    op.drop_table("reminder_run")
    op.drop_table("reminder_outbox")
