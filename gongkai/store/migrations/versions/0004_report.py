"""Annual report: yearly figures held by other systems, stored report versions, the reopening log,
and covering indexes for the report statistics.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "yearly_figure",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("value", sa.Numeric(14, 4), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", TS, nullable=False),
    )
    op.create_table(
        "annual_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("narrative", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("finalized_at", TS, nullable=True),
        sa.Column("finalized_by", sa.String(64), nullable=True),
        sa.UniqueConstraint("year", "version", name="uq_annual_report_year_version"),
    )
    op.create_table(
        "report_reopen_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_report_reopen_log_year", "report_reopen_log", ["year"])
    _append_only("report_reopen_log")
    # Indexes for the report statistics (see gongkai/store/models.py: each query reads one index range).
    op.create_index(
        "ix_application_report_received", "application", ["received_on", "applicant_type", "concluded_on"]
    )
    op.create_index(
        "ix_application_report_concluded",
        "application",
        ["concluded_on", "outcome_row", "applicant_type", "received_on"],
    )
    # Partial: open, or concluded more than 365 days after receipt (the predicate is repeated word for
    # word in gongkai.report.stats; it is frozen here as this revision wrote it).
    op.create_index(
        "ix_application_report_long_running",
        "application",
        ["received_on", "applicant_type", "concluded_on"],
        sqlite_where=sa.text(
            "concluded_on IS NULL OR julianday(concluded_on) - julianday(received_on) > 365"
        ),
        postgresql_where=sa.text("concluded_on IS NULL OR concluded_on - received_on > 365"),
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
    op.drop_index("ix_application_report_long_running", "application")
    op.drop_index("ix_application_report_concluded", "application")
    op.drop_index("ix_application_report_received", "application")
    op.drop_table("report_reopen_log")
    op.drop_table("annual_report")
    op.drop_table("yearly_figure")
