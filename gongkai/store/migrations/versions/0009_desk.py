"""The staff desk: accounts (Argon2 password hashes, failed sign-ins, temporary locks), sessions (hashed ids),
extension requests waiting for the unit head, and the audit entries of actions that have no record of their own.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        _ts("password_set_at"),
        sa.Column("password_set_by", sa.String(64), nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        _ts("locked_until", nullable=True),
        _ts("last_login_at", nullable=True),
    )
    op.create_table(
        "desk_session",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.String(32), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
    )
    op.create_index("ix_desk_session_staff_id", "desk_session", ["staff_id"])
    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("requested_on", sa.Date, nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=False),
        _ts("requested_at"),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("decided_by", sa.String(64), nullable=True),
        _ts("decided_at", nullable=True),
        sa.Column("decided_on", sa.Date, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=True),
    )
    op.create_index("ix_extension_request_application_id", "extension_request", ["application_id"])
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        _ts("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_audit_entry_actor", "audit_entry", ["actor"])
    # A handler's 待办: their open applications, soonest safe_due first (one index range).
    op.create_index("ix_application_assignee_due", "application", ["assignee_id", "concluded_on", "safe_due"])


def downgrade() -> None:
    op.drop_index("ix_application_assignee_due", "application")
    op.drop_table("audit_entry")
    op.drop_table("extension_request")
    op.drop_table("desk_session")
    op.drop_table("account")
