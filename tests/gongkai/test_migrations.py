"""The schema: Alembic migrations against the models, append-only logs, SQLite file safety, errors.

Every test runs on a real database (``db_url``: SQLite and PostgreSQL, STYLE point 8); nothing is
mocked. Data written at an older revision is inserted with plain SQL, as an old release would have.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import gongkai.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from gongkai.store.db import HEAD, DatabaseError, current_revision, make_engine, open_database, upgrade

TABLES_0001 = {
    "staff",
    "outcome_code",
    "application",
    "application_event",
    "calendar_year",
    "calendar_day",
    "calendar_log",
}
TABLES_0002 = {"proactive_item", "appeal", "deadline_change"}
T0 = datetime(2025, 1, 24, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A database migrated to head by the code path every command uses."""
    eng = open_database(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


def _rows(conn: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _office_one(conn: sa.Connection) -> tuple[str, str]:
    """At revision 0010 or later: office 1 exists (made here if needed) and rows name it — the extra column and
    value for an INSERT; before 0010 nothing."""
    if not sa.inspect(conn).has_table("office"):
        return "", ""
    if conn.execute(sa.text("SELECT 1 FROM office WHERE id = 1")).first() is None:
        conn.execute(
            sa.text(
                "INSERT INTO office (id, code, kind, set_by, created_at) VALUES (1, 'default', 'live', 'config', :t)"
            ),
            {"t": T0},
        )
    return ", office_id", ", 1"


def _kept_rows(conn: sa.Connection, table: str) -> list[tuple[Any, ...]]:
    """The rows of ``table`` without the column 0010 added (all of office 1), in the columns' order before it."""
    columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
    if "office_id" not in columns:
        return _rows(conn, f"SELECT * FROM {table} ORDER BY 1")
    assert _rows(conn, f"SELECT DISTINCT office_id FROM {table}") in ([], [(1,)])
    kept = ", ".join(f'"{c}"' for c in columns if c != "office_id")
    return _rows(conn, f"SELECT {kept} FROM {table} ORDER BY 1")


def _insert_application(conn: sa.Connection, ref: str = "2025-0001") -> int:
    col, val = _office_one(conn)
    conn.execute(
        sa.text(
            f"INSERT INTO application (ref, received_on, channel, applicant_type, applicant_name{col}, "
            "applicant_contact, content, assignee_id, state, due, safe_due, original_due, extension_limit, "
            "correction_notice_due, provisional, clock_version, source, created_at, updated_at) VALUES "
            f"(:ref, :received_on, 'in_person', 'natural_person', '张小明'{val}, '13800138000', '请求公开某文件', "
            "'wang', 'awaiting_correction', :due, :safe_due, :due, :limit, :cnd, :prov, 1, 'cli', :ts, :ts)"
        ),
        {
            "ref": ref,
            "received_on": date(2025, 1, 24),
            "due": date(2025, 2, 27),
            "safe_due": date(2025, 2, 26),
            "limit": date(2025, 3, 27),
            "cnd": date(2025, 2, 10),
            "prov": False,
            "ts": T0,
        },
    )
    return int(
        conn.execute(sa.text("SELECT id FROM application WHERE ref = :ref"), {"ref": ref}).scalar_one()
    )


def _insert_event(conn: sa.Connection, app_id: int, kind: str, on: date, by: str = "wang") -> None:
    col, val = _office_one(conn)
    conn.execute(
        sa.text(
            f"INSERT INTO application_event (application_id, kind, occurred_on, recorded_at, recorded_by{col}) "
            f"VALUES (:app, :kind, :on, :ts, :by{val})"
        ),
        {"app": app_id, "kind": kind, "on": on, "ts": T0, "by": by},
    )


def _insert_staff(conn: sa.Connection) -> None:
    col, val = _office_one(conn)
    conn.execute(
        sa.text(
            f"INSERT INTO staff (id, name, roles, active, updated_at{col}) VALUES (:id, :name, :roles, :active, :ts{val})"
        ),
        [
            {"id": "wang", "name": "王丽", "roles": "handler,administrator", "active": True, "ts": T0},
            {"id": "zhao", "name": "赵建国", "roles": "unit_head", "active": True, "ts": T0},
        ],
    )


# -- upgrade from 0001 keeps the data ------------------------------------------------------------


def test_upgrade_from_0001_keeps_data(db_url: str) -> None:
    old = make_engine(db_url)
    try:
        upgrade(old, "0001")
        assert current_revision(old) == "0001"
        with old.begin() as conn:
            assert not TABLES_0002 & set(sa.inspect(conn).get_table_names())
            _insert_staff(conn)
            app_id = _insert_application(conn)
            _insert_event(conn, app_id, "correction_requested", date(2025, 2, 5))
            _insert_event(conn, app_id, "correction_received", date(2025, 2, 12), by="zhao")
        with old.connect() as conn:
            before = {
                t: _rows(conn, f"SELECT * FROM {t} ORDER BY 1")
                for t in ("staff", "application", "application_event", "outcome_code")
            }
    finally:
        old.dispose()
    assert (
        len(before["staff"]) == 2
        and len(before["application"]) == 1
        and len(before["application_event"]) == 2
    )
    assert len(before["outcome_code"]) == 21

    new = open_database(db_url)
    try:
        assert current_revision(new) == HEAD
        with new.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert TABLES_0001 | TABLES_0002 | {"alembic_version"} <= tables
            after = {t: _kept_rows(conn, t) for t in before}
            for t in TABLES_0002:
                assert _rows(conn, f"SELECT COUNT(*) FROM {t}") == [(0,)]
        assert after == before
        # Opening again at head is a no-op.
        new.dispose()
        new = open_database(db_url)
        assert current_revision(new) == HEAD
    finally:
        new.dispose()


def test_fresh_database_is_at_head(engine: Engine) -> None:
    assert current_revision(engine) == HEAD
    with engine.connect() as conn:
        assert TABLES_0001 | TABLES_0002 <= set(sa.inspect(conn).get_table_names())
        # Outcome reference rows of CONTRACT section 5.
        rows = dict(_rows(conn, "SELECT code, row FROM outcome_code"))
    assert rows["granted"] == "3.1" and rows["closed_other"] == "3.6.3" and len(rows) == 21


# -- models and migrations agree -------------------------------------------------------------------


def test_models_match_migrated_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


# -- append-only logs --------------------------------------------------------------------------------


def _seed_logs(engine: Engine) -> int:
    with engine.begin() as conn:
        _insert_staff(conn)
        app_id = _insert_application(conn)
        _insert_event(conn, app_id, "correction_requested", date(2025, 2, 5))
        conn.execute(
            sa.text(
                "INSERT INTO calendar_log (at, by, year, action, detail) VALUES (:at, 'wang', 2027, 'import', '导入')"
            ),
            {"at": T0},
        )
    return app_id


@pytest.mark.parametrize(
    "table, update_sql",
    [
        ("application_event", "UPDATE application_event SET occurred_on = :d"),
        ("calendar_log", "UPDATE calendar_log SET detail = 'changed'"),
    ],
)
def test_log_tables_refuse_update_and_delete(engine: Engine, table: str, update_sql: str) -> None:
    _seed_logs(engine)
    with engine.connect() as conn:
        before = _rows(conn, f"SELECT * FROM {table}")
    assert len(before) == 1
    for sql in (update_sql, f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DBAPIError) as info, engine.begin() as conn:
            conn.execute(sa.text(sql), {"d": date(2025, 2, 6)})
        # Refused by the trigger, not by some other error (a typo in the SQL is a DBAPIError too).
        assert "append-only" in str(info.value.orig)
    with engine.connect() as conn:
        assert _rows(conn, f"SELECT * FROM {table}") == before


def test_log_tables_accept_inserts(engine: Engine) -> None:
    app_id = _seed_logs(engine)
    with engine.begin() as conn:
        _insert_event(conn, app_id, "correction_received", date(2025, 2, 12))
        conn.execute(
            sa.text(
                "INSERT INTO calendar_log (at, by, year, action, detail) VALUES (:at, 'zhao', 2027, 'import', '再次导入')"
            ),
            {"at": T0},
        )
    with engine.connect() as conn:
        assert _rows(conn, "SELECT COUNT(*) FROM application_event") == [(2,)]
        assert _rows(conn, "SELECT by FROM calendar_log ORDER BY id") == [("wang",), ("zhao",)]


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        _insert_event(conn, 999, "correction_requested", date(2025, 2, 5))


# -- SQLite file safety --------------------------------------------------------------------------------


def test_sqlite_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "var"
    path = folder / "gongkai.db"
    eng = open_database(f"sqlite:///{path}")
    try:
        with eng.begin() as conn:
            _insert_staff(conn)
        with eng.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        # SQLite's side files take the database file's mode.
        for side in folder.glob("gongkai.db-*"):
            assert stat.S_IMODE(side.stat().st_mode) == 0o600, side.name
    finally:
        eng.dispose()


def test_sqlite_existing_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "gongkai.db"
    path.touch(mode=0o644)
    path.chmod(0o644)
    eng = open_database(f"sqlite:///{path}")
    eng.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- errors are redacted -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("notaurl", id="not-a-url"),
        # The pre-1.4 scheme name, still common in hosting dashboards: SQLAlchemy has no such dialect.
        pytest.param("postgres://u:s3cr3tpw@127.0.0.1:1/x", id="legacy-postgres-scheme"),
        pytest.param("nosuchdb://u:s3cr3tpw@127.0.0.1:1/x", id="unknown-dialect"),
    ],
)
def test_bad_url_raises_database_error(url: str) -> None:
    with pytest.raises(DatabaseError) as info:
        open_database(url)
    assert "s3cr3tpw" not in str(info.value)


def test_unreachable_postgres_error_hides_password() -> None:
    url = "postgresql+psycopg://u:s3cr3tpw@127.0.0.1:1/x"
    with pytest.raises(DatabaseError) as info:
        open_database(url)
    message = str(info.value)
    assert "s3cr3tpw" not in message
    assert "127.0.0.1" in message
    # Nothing chained that a traceback would print with the password in it.
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


# -- 0005 -> 0006 (content review) keeps the catalogue and adds the review tables ----------------------


def test_upgrade_from_0005_keeps_items_and_reviews(db_url: str) -> None:
    old = make_engine(db_url)
    try:
        upgrade(old, "0005")
        with old.begin() as conn:
            _insert_staff(conn)
            conn.execute(
                sa.text(
                    "INSERT INTO proactive_item (index_no, title, summary, generated_on, category, doc_type, "
                    "attribute, validity, published_on, owner_id, created_at, updated_at, review_required) "
                    "VALUES ('X/2025-00001', '通知', '概述', '2025-03-03', '机构职能', 'other', 'proactive', "
                    "'in_force', '2025-03-10', 'wang', :t, :t, TRUE)"
                ),
                {"t": T0},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO item_review (item_id, reviewer, reviewed_on, result, referral, recorded_at, "
                    "recorded_by) SELECT id, '赵建国', '2025-03-05', 'publish', FALSE, :t, 'wang' FROM proactive_item"
                ),
                {"t": T0},
            )
        with old.connect() as conn:
            before = {
                t: _rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("proactive_item", "item_review")
            }
    finally:
        old.dispose()
    new = open_database(db_url)
    try:
        assert current_revision(new) == HEAD
        with new.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert {"review_task", "review_record", "review_run"} <= tables
            items = _kept_rows(conn, "proactive_item")
            assert [row[: len(before["proactive_item"][0])] for row in items] == before["proactive_item"]
            assert _rows(conn, "SELECT valid_until FROM proactive_item") == [(None,)]
            assert _kept_rows(conn, "item_review") == before["item_review"]
    finally:
        new.dispose()


def test_review_record_is_append_only(engine: Engine) -> None:
    with engine.begin() as conn:
        col, val = _office_one(conn)
        conn.execute(
            sa.text(
                "INSERT INTO review_record (kind, column_name, outcome, reviewer, reviewed_on, reason, recorded_at, "
                f"recorded_by{col}) VALUES ('column_stale', '工作动态', 'update', '王丽', '2026-11-30', '已更新', :t, "
                f"'wang'{val})"
            ),
            {"t": T0},
        )
    for sql in ("UPDATE review_record SET reason = 'changed'", "DELETE FROM review_record"):
        with pytest.raises(sa.exc.DBAPIError) as info, engine.begin() as conn:
            conn.execute(sa.text(sql))
        assert "append-only" in str(info.value.orig)
    with engine.connect() as conn:
        assert _rows(conn, "SELECT reason FROM review_record") == [("已更新",)]


# -- 0006 -> 0007 (register kind): an existing register is classified by what it holds ----------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("demo", [("demo", None, "upgrade")], id="demo-data"),
        pytest.param("cli", [("live", None, "upgrade")], id="real-data"),
        pytest.param(None, [], id="empty"),
    ],
)
def test_upgrade_to_0007_classifies_the_register(
    db_url: str, source: str | None, expected: list[tuple[str, None, str]]
) -> None:
    old = make_engine(db_url)
    try:
        upgrade(old, "0006")
        with old.begin() as conn:
            _insert_staff(conn)
            if source is not None:
                app_id = _insert_application(conn)
                conn.execute(sa.text("UPDATE application SET source = :s"), {"s": source})
                _insert_event(conn, app_id, "correction_requested", date(2025, 2, 5))
        with old.connect() as conn:
            before = {
                t: _rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in ("application", "application_event")
            }
    finally:
        old.dispose()
    new = make_engine(db_url)
    try:
        upgrade(new, "0007")
        with new.connect() as conn:
            assert _rows(conn, "SELECT kind, office_name, set_by FROM register_info") == expected
            assert {t: _rows(conn, f"SELECT * FROM {t} ORDER BY 1") for t in before} == before
    finally:
        new.dispose()
    new = open_database(db_url)
    try:
        with new.connect() as conn:
            # 0010: the register is office 1; staff alone, with no kind recorded, leave the kind to the first command
            assert _rows(conn, "SELECT id, code, kind, name, set_by FROM office") == [
                (1, "default", expected[0][0] if expected else None, None, "upgrade")
            ]
            assert {t: _kept_rows(conn, t) for t in before} == before
    finally:
        new.dispose()


@pytest.mark.parametrize(
    "insert_sql",
    [
        pytest.param(
            "INSERT INTO calendar_year (year, source, imported_at, imported_by) VALUES (2027, '国办发明电', :t, 'wang')",
            id="imported-calendar",
        ),
        pytest.param(
            "INSERT INTO proactive_item (index_no, title, summary, generated_on, category, doc_type, attribute, "
            "validity, owner_id, created_at, updated_at, review_required) VALUES ('X/2025-00001', '通知', '概述', "
            "'2025-03-03', '机构职能', 'other', 'proactive', 'in_force', 'wang', :t, :t, TRUE)",
            id="catalogue-item",
        ),
    ],
)
def test_upgrade_to_0007_counts_any_real_record_as_live(db_url: str, insert_sql: str) -> None:
    old = make_engine(db_url)
    try:
        upgrade(old, "0006")
        with old.begin() as conn:
            _insert_staff(conn)
            conn.execute(sa.text(insert_sql), {"t": T0})
    finally:
        old.dispose()
    new = open_database(db_url)
    try:
        with new.connect() as conn:
            assert _rows(conn, "SELECT kind FROM office") == [("live",)]
    finally:
        new.dispose()


# -- 0007 -> 0008 (the chart's covering index): the report index also holds outcome_row ---------------------


def test_upgrade_to_0008_widens_the_report_index_and_keeps_the_register(db_url: str) -> None:
    old = make_engine(db_url)
    try:
        upgrade(old, "0007")
        with old.begin() as conn:
            _insert_staff(conn)
            _insert_application(conn, "2025-0001")
            concluded = _insert_application(conn, "2025-0002")
            conn.execute(
                sa.text(
                    "UPDATE application SET state = 'replied', concluded_on = :on, outcome_row = '3.1' WHERE id = :id"
                ),
                {"on": date(2025, 2, 20), "id": concluded},
            )
        with old.connect() as conn:
            before = _rows(conn, "SELECT * FROM application ORDER BY 1")
            columns = {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("application")}
            assert columns["ix_application_report_received"] == [
                "received_on",
                "applicant_type",
                "concluded_on",
            ]
    finally:
        old.dispose()
    new = open_database(db_url)
    try:
        assert current_revision(new) == HEAD == "0010"
        with new.connect() as conn:
            assert _kept_rows(conn, "application") == before
            columns = {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("application")}
            assert columns["ix_application_report_received"] == [
                "office_id",
                "received_on",
                "applicant_type",
                "concluded_on",
                "outcome_row",
            ]
    finally:
        new.dispose()
