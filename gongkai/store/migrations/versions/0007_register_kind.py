"""The register's kind: ``register_info`` (one row) says whether this database is the demo office's register
(fictional data) or a real office's.

An existing register is classified by what it holds: demo applications (``application.source = 'demo'``, how
:mod:`gongkai.demo.office` marks every application it writes; its items and appeals are only ever written with them)
make it ``demo``; any other record an office keeps (applications, catalogue items, appeals, an imported holiday
schedule, yearly figures, a stored annual report) makes it ``live``; an empty register gets no row, and the first
command takes the kind from its configuration. Ambiguous means live: demo data is then never loaded into it.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Tables whose rows are an office's own records (staff, outcome codes and derived tables are not).
_RECORD_TABLES = (
    "application",
    "proactive_item",
    "appeal",
    "calendar_year",
    "yearly_figure",
    "annual_report",
)


def upgrade() -> None:
    info = op.create_table(
        "register_info",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("office_name", sa.String(200), nullable=True),
        sa.Column("set_by", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    conn = op.get_bind()
    has_demo = conn.execute(sa.text("SELECT 1 FROM application WHERE source = 'demo' LIMIT 1")).first()
    if has_demo is not None:
        kind: str | None = "demo"
    elif any(conn.execute(sa.text(f"SELECT 1 FROM {table} LIMIT 1")).first() for table in _RECORD_TABLES):
        kind = "live"
    else:
        kind = None
    if kind is not None:
        op.bulk_insert(
            info,
            [
                {
                    "id": 1,
                    "kind": kind,
                    "office_name": None,
                    "set_by": "upgrade",
                    "created_at": datetime.now(UTC),
                }
            ],
        )


def downgrade() -> None:
    op.drop_table("register_info")
