"""The import engine (gongkai.files.tableimport) on a small table of its own, and the two tables described on it.

The register and the items import have their own tests (test_importer.py, test_items.py); here the engine's
parts are tried directly: the header, the cells, the error list and the bulk reads, on real files and a real
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from gongkai.catalogue import itemimport
from gongkai.core.errors import ImportRejected, InputError
from gongkai.core.officescope import office_of
from gongkai.files.tableimport import (
    BULK_CACHE_KIB,
    CHUNK,
    INSERT_BATCH,
    Column,
    RowCells,
    TableSpec,
    bulk_writing,
    check_rows,
    insert_batches,
    read_table,
    rows_by_keys,
)
from gongkai.register import importer
from gongkai.store.db import open_database
from gongkai.store.tables import APP
from tests.offices import office_session

SPEC = TableSpec(
    (
        Column("code", "代码", required=True, max_len=5),
        Column("name", "名称", ("名字",), required=True),
        Column("on", "日期"),
        Column("colour", "颜色"),
    ),
    unique_key="code",
    unique_note="代码应唯一",
)
COLOURS = {"红": "red", "red": "red", "蓝": "blue", "blue": "blue"}


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _check(
    number: int, record: dict[str, object]
) -> tuple[tuple[str, str, date | None, str | None] | None, list[str]]:
    cells = RowCells(SPEC, record)
    code = cells.text("code", required=True)
    name = cells.text("name", required=True)
    on = cells.date("on")
    colour = cells.code("colour", COLOURS.get, "红、蓝之一")
    if cells.problems or code is None or name is None:
        return None, cells.problems
    return (code, name, on, colour), []


# -- header ----------------------------------------------------------------------------------


def test_headers_in_chinese_other_spellings_and_aliases_in_any_case(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "CODE,名字,On,颜色\r\nA1,甲,2025/1/24,红\r\n\r\n,,,\r\nA2,乙,,\r\n")
    rows, encoding = read_table(path, SPEC)
    assert encoding == "utf-8"
    # Blank rows are skipped, numbers are the spreadsheet's; every column of the header is in each record.
    assert rows == [
        (2, {"code": "A1", "name": "甲", "on": "2025/1/24", "colour": "红"}),
        (5, {"code": "A2", "name": "乙", "on": None, "colour": None}),
    ]


def test_unknown_repeated_and_missing_columns_are_named_in_one_message(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "代码,备注,日期,ON\r\nA1,x,2025-01-24,2025-01-24\r\n")
    with pytest.raises(InputError) as info:
        read_table(path, SPEC)
    assert str(info.value) == (
        "文件 t.csv 的表头有误：有无法识别的列名 “备注”；可用的列名为 代码、名称、日期、颜色（或对应的英文别名，如 code、name）；"
        "列名重复：“日期”与“ON”都是“日期”；缺少必填列 “名称”。"
    )


def test_a_header_with_no_known_column_hints_at_the_encoding(tmp_path: Path) -> None:
    path = _csv(tmp_path / "t.csv", "代碼,名稱\r\nA1,甲\r\n", encoding="big5")
    with pytest.raises(InputError) as info:
        read_table(path, SPEC)
    assert "没有找到任何必填列（“代码”、“名称”）" in str(info.value) and "Big5" in str(info.value)


def test_content_under_no_header_is_refused_with_its_column_letter(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["代码", "名称", None])
    ws.append(["A1", "甲", "多余"])
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(InputError) as info:
        read_table(tmp_path / "t.xlsx", SPEC)
    assert str(info.value) == (
        "文件 t.xlsx 的第 3 列（C 列）没有列名，但第 2 行在该列有内容；请补上列名或删除该列。"
    )


# -- cells and the error list ------------------------------------------------------------------


def test_every_bad_cell_of_every_row_is_listed_with_what_was_expected(tmp_path: Path) -> None:
    path = _csv(
        tmp_path / "t.csv",
        "代码,名称,日期,颜色\r\n"
        "A1,甲,2025-02-30,绿\r\n"  # row 2: impossible date, unknown code
        "TOOLONG,,2025年1月24日,蓝\r\n"  # row 3: too long, required empty
        "A4,丁,2025/1/24,blue\r\n"  # row 4: good
        "A1,戊,,\r\n",  # row 5: repeats row 2's code
    )
    rows, _encoding = read_table(path, SPEC)
    good, errors = check_rows(SPEC, rows, _check)
    assert good == [("A4", "丁", date(2025, 1, 24), "blue")]
    with pytest.raises(ImportRejected) as info:
        errors.raise_if_any("t.csv")
    assert str(info.value).startswith("文件 t.csv 有 3 行有误，未导入任何数据：")
    assert info.value.problems == [
        "文件 t.csv 第 2 行：“日期”应为有效日期（如 2025-01-24、2025/1/24 或 2025年1月24日），实际为“2025-02-30”；"
        "“颜色”应为红、蓝之一，实际为“绿”。",
        "文件 t.csv 第 3 行：“代码”最长 5 个字符，实际为 7 个字符；“名称”不能为空。",
        "文件 t.csv 第 5 行：代码“A1”与第 2 行重复（代码应唯一）。",
    ]


def test_a_file_without_problems_passes() -> None:
    good, errors = check_rows(
        SPEC, [(2, {"code": "A", "name": "甲", "on": date(2025, 1, 24), "colour": None})], _check
    )
    assert good == [("A", "甲", date(2025, 1, 24), None)] and not errors
    errors.raise_if_any("t.csv")


def test_the_register_and_the_items_word_a_bad_date_alike() -> None:
    """One engine: the same bad cell gives the same phrase in both imports."""
    register = RowCells(importer.SPEC, {"received_on": "2025.3.5"})
    items = RowCells(itemimport.SPEC, {"generated_on": "2025.3.5"})
    assert register.date("received_on") is None and items.date("generated_on") is None
    assert register.problems == [
        "“收到日期”应为有效日期（如 2025-01-24、2025/1/24 或 2025年1月24日），实际为“2025.3.5”"
    ]
    assert items.problems == [register.problems[0].replace("收到日期", "生成日期")]


# -- bulk reads and writes ---------------------------------------------------------------------


@pytest.fixture
def table_engine(sqlite_url: str) -> Iterator[tuple[Engine, sa.Table]]:
    engine = sa.create_engine(sqlite_url)
    table = sa.Table(
        "thing",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16)),
    )
    table.metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_rows_by_keys_in_chunks_and_by_one_scan_agree(table_engine: tuple[Engine, sa.Table]) -> None:
    engine, table = table_engine
    n = CHUNK * 2 + 7
    with Session(engine) as session:
        assert insert_batches(session, table, ({"code": f"C{i}"} for i in range(n))) == n
        wanted = [f"C{i}" for i in range(0, n, 2)] + ["missing"]
        cols = [table.c.id, table.c.code]
        chunked = sorted(tuple(r) for r in rows_by_keys(session, cols, table.c.code, wanted))
        scanned = sorted(tuple(r) for r in rows_by_keys(session, cols, table.c.code, wanted, scan_over=10))
    assert chunked == scanned
    assert sorted(code for _id, code in chunked) == sorted(wanted[:-1])


def _stored(engine: Engine, refs: list[str]) -> list[tuple[Any, ...]]:
    """The application rows as the database driver returns them (SQLite: the stored text), without id and ref."""
    columns = ", ".join(c for c in APP.columns.keys() if c not in ("id", "ref"))
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT ref, {columns} FROM application ORDER BY ref").fetchall()
    return [tuple(r[1:]) for r in rows if r[0] in refs]


def test_insert_batches_stores_what_sqlalchemy_core_stores(db_url: str) -> None:
    """The batch writer (on SQLite the driver's executemany with the types' bind processors applied by
    column) stores exactly what SQLAlchemy Core's executemany stores: dates, aware timestamps, booleans,
    empty cells, over more than one batch."""
    engine = open_database(db_url)
    now = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))

    def row(ref: str, i: int) -> dict[str, Any]:
        return {
            "ref": ref, "received_on": date(2025, 1, 1) + timedelta(days=i % 300), "arrived_at": None,
            "channel": "online" if i % 2 else None, "applicant_type": "natural_person",
            "applicant_name": f"申请人{i}", "applicant_contact": None, "applicant_id_number": None,
            "content": "内容\n第二行", "assignee_id": None, "outcome_note": None, "state": "replied",
            "due": date(2025, 2, 1), "safe_due": None, "original_due": date(2025, 2, 1),
            "extension_limit": date(2025, 3, 1), "correction_notice_due": date(2025, 1, 8),
            "provisional": bool(i % 3), "concluded_on": None, "outcome_row": "3.1" if i % 2 else None,
            "clock_as_of": date(2026, 3, 1), "clock_version": 1, "source": "import",
            "created_at": now, "updated_at": now + timedelta(microseconds=i),
        }  # fmt: skip

    n = INSERT_BATCH + 3
    try:
        with office_session(engine) as session:  # insert_batches writes the session's office itself
            assert insert_batches(session, APP, (row(f"A{i:05d}", i) for i in range(n))) == n
            office = {"office_id": office_of(session)}
            session.execute(sa.insert(APP), [{**row(f"B{i:05d}", i), **office} for i in range(n)])
        written = _stored(engine, [f"A{i:05d}" for i in range(n)])
        reference = _stored(engine, [f"B{i:05d}" for i in range(n)])
    finally:
        engine.dispose()
    assert len(written) == n and written == reference


def test_bulk_writing_enlarges_the_sqlite_page_cache_and_gives_the_connection_its_own_back(
    table_engine: tuple[Engine, sa.Table],
) -> None:
    engine, _table = table_engine

    def cache_size(session: Session) -> int:
        return int(session.connection().exec_driver_sql("PRAGMA cache_size").scalar_one())

    with Session(engine) as session:
        before = cache_size(session)
        with bulk_writing(session):
            assert cache_size(session) == -BULK_CACHE_KIB != before
        assert cache_size(session) == before
        with pytest.raises(InputError), bulk_writing(session):
            raise InputError("stop")
        assert cache_size(session) == before


def test_insert_batches_keeps_equal_timestamps_of_different_zones_apart(sqlite_url: str) -> None:
    """A plain timestamp column stores what each value says: two equal instants in different zones are
    converted one by one, not once for both."""
    engine = sa.create_engine(sqlite_url)
    table = sa.Table(
        "stamp", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", sa.DateTime)
    )
    table.metadata.create_all(engine)
    utc = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    rows = [{"at": utc}, {"at": utc.astimezone(timezone(timedelta(hours=8)))}, {"at": utc}]
    try:
        with Session(engine) as session:
            insert_batches(session, table, rows)
            session.execute(sa.insert(table), rows)
            stored = [r[0] for r in session.connection().exec_driver_sql("SELECT at FROM stamp ORDER BY id")]
    finally:
        engine.dispose()
    assert stored[:3] == stored[3:] and stored[0] != stored[1]
