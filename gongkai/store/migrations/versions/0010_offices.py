"""Offices in the data: table ``office`` (absorbing ``register_info``) and ``office_id`` on every office-owned row.

An existing register becomes office 1, code ``default``, with the name and kind ``register_info`` recorded (a
register with rows but no kind recorded gets kind NULL: the first command's configuration decides, as before).
Every office-owned table gets ``office_id INTEGER NOT NULL REFERENCES office(id)``, filled with 1 by a column
default that is dropped again (no UPDATE of the rows on PostgreSQL; one copy per table on SQLite, whose tables are
rebuilt to change keys); uniques become per office (``ref``, staff ids, item codes, report versions, …) and the
indexes queries filter by lead with ``office_id``. Shared by all offices: ``outcome_code`` and the holiday calendar
(``calendar_year``, ``calendar_day``, ``calendar_log``).

No downgrade: going back would merge several offices' rows under one key (say so rather than pretend).

Revision ID: 0010
Revises: 0009
"""

# No `from __future__ import annotations`: Alembic loads this file outside sys.modules (dataclasses need it).
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

LONG_RUNNING_WHERE = {
    "sqlite": "concluded_on IS NULL OR julianday(concluded_on) - julianday(received_on) > 365",
    "postgresql": "concluded_on IS NULL OR concluded_on - received_on > 365",
}


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    partial: bool = False  # the report's long-running predicate


@dataclass(frozen=True)
class Spec:
    """What changes in one table besides the new column: its primary key (when office_id joins it), the old
    uniques and indexes that go, the new uniques, indexes and staff references."""

    primary_key: tuple[str, ...] = ()
    drop_indexes: tuple[str, ...] = ()
    uniques: tuple[tuple[str, tuple[str, ...]], ...] = ()
    indexes: tuple[Index, ...] = ()
    staff_fks: tuple[tuple[str, str], ...] = ()  # (constraint name, local staff-id column)
    old_uniques: bool = False  # drop every unique constraint the table had


# In dependency order: a table is rebuilt after the tables it references.
SPECS: dict[str, Spec] = {
    "staff": Spec(primary_key=("office_id", "id")),
    "application": Spec(
        drop_indexes=(
            "ix_application_ref",
            "ix_application_received_on",
            "ix_application_concluded_on",
            "ix_application_open_due",
            "ix_application_assignee_due",
            "ix_application_report_received",
            "ix_application_report_concluded",
            "ix_application_report_long_running",
        ),
        uniques=(("uq_application_office_ref", ("office_id", "ref")),),
        indexes=(
            Index("ix_application_received_on", ("office_id", "received_on")),
            Index("ix_application_concluded_on", ("office_id", "concluded_on")),
            Index("ix_application_open_due", ("office_id", "state", "safe_due")),
            Index("ix_application_assignee_due", ("office_id", "assignee_id", "concluded_on", "safe_due")),
            Index(
                "ix_application_report_received",
                ("office_id", "received_on", "applicant_type", "concluded_on", "outcome_row"),
            ),
            Index(
                "ix_application_report_concluded",
                ("office_id", "concluded_on", "outcome_row", "applicant_type", "received_on"),
            ),
            Index(
                "ix_application_report_long_running",
                ("office_id", "received_on", "applicant_type", "concluded_on"),
                partial=True,
            ),
        ),
        staff_fks=(("fk_application_assignee", "assignee_id"),),
    ),
    "application_event": Spec(),
    "deadline_change": Spec(),
    "extension_request": Spec(),
    "proactive_item": Spec(
        drop_indexes=("ix_proactive_item_index_no", "ix_proactive_item_published_on"),
        uniques=(("uq_proactive_item_office_index_no", ("office_id", "index_no")),),
        indexes=(Index("ix_proactive_item_published_on", ("office_id", "published_on")),),
        staff_fks=(("fk_proactive_item_owner", "owner_id"),),
    ),
    "appeal": Spec(),
    "item_review": Spec(),
    "item_change": Spec(),
    "review_task": Spec(
        old_uniques=True,
        drop_indexes=("ix_review_task_status_due",),
        uniques=(("uq_review_task_office_key", ("office_id", "key")),),
        indexes=(Index("ix_review_task_status_due", ("office_id", "status", "due_on")),),
    ),
    "review_record": Spec(
        drop_indexes=("ix_review_record_reviewed_on",),
        indexes=(Index("ix_review_record_reviewed_on", ("office_id", "reviewed_on")),),
    ),
    "review_run": Spec(
        drop_indexes=("ix_review_run_as_of",),
        indexes=(Index("ix_review_run_as_of", ("office_id", "as_of")),),
    ),
    "reminder_outbox": Spec(
        old_uniques=True,
        drop_indexes=("ix_reminder_outbox_status",),
        uniques=(
            ("uq_reminder_outbox_office_key_recipient_target", ("office_id", "key", "recipient", "target")),
        ),
        indexes=(Index("ix_reminder_outbox_status", ("office_id", "status", "recipient")),),
    ),
    "reminder_run": Spec(
        drop_indexes=("ix_reminder_run_as_of",),
        indexes=(Index("ix_reminder_run_as_of", ("office_id", "as_of")),),
    ),
    "schedule_progress": Spec(primary_key=("office_id", "flow")),
    "yearly_figure": Spec(primary_key=("office_id", "year", "key")),
    "annual_report": Spec(
        old_uniques=True,
        uniques=(("uq_annual_report_office_year_version", ("office_id", "year", "version")),),
    ),
    "report_reopen_log": Spec(
        drop_indexes=("ix_report_reopen_log_year",),
        indexes=(Index("ix_report_reopen_log_year", ("office_id", "year")),),
    ),
    "catalogue_snapshot": Spec(
        old_uniques=True,
        uniques=(("uq_catalogue_snapshot_office_period_as_of", ("office_id", "period", "as_of")),),
    ),
    "account": Spec(primary_key=("office_id", "staff_id"), staff_fks=(("fk_account_staff", "staff_id"),)),
    "desk_session": Spec(
        drop_indexes=("ix_desk_session_staff_id",),
        indexes=(Index("ix_desk_session_staff_id", ("office_id", "staff_id")),),
    ),
    "audit_entry": Spec(
        drop_indexes=("ix_audit_entry_actor",),
        indexes=(Index("ix_audit_entry_actor", ("office_id", "actor")),),
    ),
}

OFFICE_ONE = 1


def upgrade() -> None:
    conn = op.get_bind()
    office = op.create_table(
        "office",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("kind", sa.String(8), nullable=True),
        sa.Column("set_by", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("code", name="uq_office_code"),
    )
    info = conn.execute(
        sa.text("SELECT kind, office_name, created_at FROM register_info WHERE id = 1")
    ).first()
    has_rows = any(conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() for t in SPECS)
    if info is not None or has_rows:
        op.bulk_insert(
            office,
            [
                {
                    "id": OFFICE_ONE,
                    "code": "default",
                    "name": info.office_name if info is not None else None,
                    "kind": info.kind if info is not None else None,
                    "set_by": "upgrade",
                    "created_at": datetime.now(UTC),
                }
            ],
        )
        if conn.dialect.name == "postgresql":
            # the id was given: move the sequence past it, or the next office would collide
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('office', 'id'), 1)"))
    op.drop_table("register_info")
    if conn.dialect.name == "sqlite":
        for table, spec in SPECS.items():
            _rebuild_sqlite(conn, table, spec)
    else:
        _alter_postgresql(conn)


# -- PostgreSQL: ALTER in place (adding a column with a constant default rewrites nothing) ----------------------


def _alter_postgresql(conn: sa.Connection) -> None:
    inspector = sa.inspect(conn)
    # References to staff go first: staff's key changes under them.
    for table in SPECS:
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] == "staff":
                op.drop_constraint(str(fk["name"]), table, type_="foreignkey")
    for table, spec in SPECS.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN office_id INTEGER NOT NULL DEFAULT {OFFICE_ONE} REFERENCES office (id)"
        )
        op.execute(f"ALTER TABLE {table} ALTER COLUMN office_id DROP DEFAULT")
        if spec.primary_key:
            pk = inspector.get_pk_constraint(table)["name"]
            op.drop_constraint(str(pk), table, type_="primary")
            op.create_primary_key(f"{table}_pkey", table, list(spec.primary_key))
        if spec.old_uniques:
            for uq in inspector.get_unique_constraints(table):
                op.drop_constraint(str(uq["name"]), table, type_="unique")
        for name in spec.drop_indexes:
            op.drop_index(name, table_name=table)
        for name, columns in spec.uniques:
            op.create_unique_constraint(name, table, list(columns))
        for index in spec.indexes:
            _create_index(table, index, "postgresql")
        for name, column in spec.staff_fks:
            op.create_foreign_key(name, table, "staff", ["office_id", column], ["office_id", "id"])


def _create_index(table: str, index: Index, dialect: str) -> None:
    where = sa.text(LONG_RUNNING_WHERE[dialect]) if index.partial else None
    if dialect == "sqlite":
        op.create_index(index.name, table, list(index.columns), sqlite_where=where)
    else:
        op.create_index(index.name, table, list(index.columns), postgresql_where=where)


# -- SQLite: rebuild each table (SQLite cannot change a key in place); foreign keys are off meanwhile ----------


def _rebuild_sqlite(conn: sa.Connection, table: str, spec: Spec) -> None:
    saved = conn.execute(
        sa.text(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = :t AND type IN ('index', 'trigger')"
        ),
        {"t": table},
    ).all()
    meta = sa.MetaData()
    sa.Table("office", meta, autoload_with=conn)
    old = sa.Table(table, meta, autoload_with=conn)
    tmp = f"_gongkai_new_{table}"
    pk = spec.primary_key or tuple(c.name for c in old.primary_key.columns)
    columns: list[sa.Column] = []  # type: ignore[type-arg]
    for col in old.columns:
        default: Any = col.server_default.arg if isinstance(col.server_default, sa.DefaultClause) else None
        columns.append(sa.Column(col.name, col.type, nullable=col.nullable, server_default=default))
    # last, as ALTER TABLE … ADD COLUMN puts it on PostgreSQL
    columns.append(sa.Column("office_id", sa.Integer, sa.ForeignKey("office.id"), nullable=False))
    constraints: list[sa.schema.SchemaItem] = [sa.PrimaryKeyConstraint(*pk)]
    for fk in old.foreign_key_constraints:
        if fk.referred_table.name == "staff":
            continue
        constraints.append(
            sa.ForeignKeyConstraint(
                [c.name for c in fk.columns],
                [f"{e.column.table.name}.{e.column.name}" for e in fk.elements],
            )
        )
    for name, column in spec.staff_fks:
        constraints.append(
            sa.ForeignKeyConstraint(["office_id", column], ["staff.office_id", "staff.id"], name=name)
        )
    for name, unique_columns in spec.uniques:
        constraints.append(sa.UniqueConstraint(*unique_columns, name=name))
    if not spec.old_uniques:
        for uq in old.constraints:
            if isinstance(uq, sa.UniqueConstraint) and not isinstance(uq, sa.PrimaryKeyConstraint):
                constraints.append(sa.UniqueConstraint(*[c.name for c in uq.columns], name=uq.name))
    new = sa.Table(tmp, meta, *columns, *constraints)
    new.create(conn)
    names = ", ".join(f'"{c.name}"' for c in old.columns)
    conn.execute(sa.text(f"INSERT INTO {tmp} ({names}, office_id) SELECT {names}, {OFFICE_ONE} FROM {table}"))
    conn.execute(sa.text(f"DROP TABLE {table}"))
    conn.execute(sa.text(f"ALTER TABLE {tmp} RENAME TO {table}"))
    dropped = set(spec.drop_indexes)
    for kind, name, sql in saved:
        if sql is None or (kind == "index" and name in dropped):
            continue  # automatic indexes come back with their constraints
        conn.execute(sa.text(sql))
    for index in spec.indexes:
        _create_index(table, index, "sqlite")


def downgrade() -> None:
    raise NotImplementedError("0010 has no downgrade: several offices' rows cannot share one key again.")
