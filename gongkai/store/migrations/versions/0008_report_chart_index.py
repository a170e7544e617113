"""The chart's covering index: ``ix_application_report_received`` also holds ``outcome_row``.

The annual report's chart (:func:`gongkai.report.chart.monthly_outcome_series`) groups the applications received in
the year by month and outcome group, which needs ``received_on``, ``concluded_on`` and ``outcome_row``; the index of
revision 0004 lacked ``outcome_row``, so the chart read a table row per application. Widening the index (rather than
adding a second one on the same leading column) lets the statistics' row-1 statement and the chart read the same
index range alone, at the cost of one more short column per entry.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_application_report_received", "application")
    op.create_index(
        "ix_application_report_received",
        "application",
        ["received_on", "applicant_type", "concluded_on", "outcome_row"],
    )


def downgrade() -> None:
    op.drop_index("ix_application_report_received", "application")
    op.create_index(
        "ix_application_report_received", "application", ["received_on", "applicant_type", "concluded_on"]
    )
