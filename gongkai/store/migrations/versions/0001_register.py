"""The request register: staff, outcome codes, applications, their event log, the calendar.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

OUTCOMES = [
    ("3.1", "granted", "予以公开"),
    ("3.2", "partial", "部分公开"),
    ("3.3.1", "denied_state_secret", "属于国家秘密"),
    ("3.3.2", "denied_law_prohibits", "其他法律行政法规禁止公开"),
    ("3.3.3", "denied_security_stability", "危及“三安全一稳定”"),
    ("3.3.4", "denied_third_party", "保护第三方合法权益"),
    ("3.3.5", "denied_internal_affairs", "属于三类内部事务信息"),
    ("3.3.6", "denied_process_info", "属于四类过程性信息"),
    ("3.3.7", "denied_enforcement_file", "属于行政执法案卷"),
    ("3.3.8", "denied_query_procedure", "属于行政查询事项"),
    ("3.4.1", "unavailable_not_held", "本机关不掌握相关政府信息"),
    ("3.4.2", "unavailable_needs_creation", "没有现成信息需要另行制作"),
    ("3.4.3", "unavailable_still_unclear", "补正后申请内容仍不明确"),
    ("3.5.1", "rejected_petition", "信访举报投诉类申请"),
    ("3.5.2", "rejected_duplicate", "重复申请"),
    ("3.5.3", "rejected_publication", "要求提供公开出版物"),
    ("3.5.4", "rejected_excessive", "无正当理由大量反复申请"),
    ("3.5.5", "rejected_confirmation", "要求行政机关确认或重新出具已获取信息"),
    ("3.6.1", "closed_no_correction", "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("3.6.2", "closed_fee_unpaid", "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("3.6.3", "closed_other", "其他"),
]


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", TS, nullable=False),
    )
    outcome = op.create_table(
        "outcome_code",
        sa.Column("row", sa.String(8), primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
    )
    op.bulk_insert(outcome, [{"row": r, "code": c, "label": lbl} for r, c, lbl in OUTCOMES])
    op.create_table(
        "application",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("arrived_at", TS, nullable=True),
        sa.Column("channel", sa.String(16), nullable=True),
        sa.Column("applicant_type", sa.String(20), nullable=False),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("applicant_contact", sa.String(200), nullable=True),
        sa.Column("applicant_id_number", sa.String(32), nullable=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("assignee_id", sa.String(32), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("outcome_row", sa.String(8), sa.ForeignKey("outcome_code.row"), nullable=True),
        sa.Column("outcome_note", sa.Text, nullable=True),
        sa.Column("concluded_on", sa.Date, nullable=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("due", sa.Date, nullable=True),
        sa.Column("safe_due", sa.Date, nullable=True),
        sa.Column("original_due", sa.Date, nullable=True),
        sa.Column("extension_limit", sa.Date, nullable=True),
        sa.Column("correction_notice_due", sa.Date, nullable=True),
        sa.Column("provisional", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("clock_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("clock_as_of", sa.Date, nullable=True),
        sa.Column("source", sa.String(16), nullable=False, server_default="cli"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_application_ref", "application", ["ref"], unique=True)
    op.create_index("ix_application_received_on", "application", ["received_on"])
    op.create_index("ix_application_concluded_on", "application", ["concluded_on"])
    op.create_index("ix_application_open_due", "application", ["state", "safe_due"])
    op.create_table(
        "application_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("application_id", sa.Integer, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("occurred_on", sa.Date, nullable=False),
        sa.Column("days", sa.Integer, nullable=True),
        sa.Column("until", sa.Date, nullable=True),
        sa.Column("outcome_row", sa.String(8), sa.ForeignKey("outcome_code.row"), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_application_event_application_id", "application_event", ["application_id"])
    _append_only("application_event")

    op.create_table(
        "calendar_year",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("year", sa.Integer, sa.ForeignKey("calendar_year.year"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
    )
    op.create_index("ix_calendar_day_year", "calendar_day", ["year"])
    op.create_table(
        "calendar_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    _append_only("calendar_log")


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on a log table, in the database itself."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{what.lower()} BEFORE {what} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION gongkai_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gongkai_append_only()"
        )


def downgrade() -> None:
    for table in (
        "calendar_log",
        "calendar_day",
        "calendar_year",
        "application_event",
        "application",
        "outcome_code",
        "staff",
    ):
        op.drop_table(table)
