"""The streaming XLSX writer (gongkai.files.xlsxstream), read back with openpyxl."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel

from gongkai.files.xlsxstream import xlsx_bytes


def read(data: bytes) -> list[tuple[object, ...]]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws is not None
    return list(ws.iter_rows(values_only=True))


def test_dates_are_excel_serials_as_openpyxl_writes_them() -> None:
    days = [
        date(1900, 1, 1),
        date(1900, 2, 28),
        date(1900, 3, 1),
        date(2025, 12, 31),
        datetime(2026, 1, 2, 15, 30),
    ]
    data = xlsx_bytes("S", ["d"], [[d] for d in days])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws is not None
    for cell, day in zip(ws["A"][1:], days, strict=True):
        assert cell.number_format == "yyyy-mm-dd" and cell.value.date() == (
            day.date() if isinstance(day, datetime) else day
        )
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    for day in days[:4]:
        assert f"<v>{int(to_excel(day))}</v>" in xml


def test_rows_wider_than_the_header_and_empty_values() -> None:
    rows = read(xlsx_bytes("S", ["a"], [["x", None, "", "y"], [None, "z"]]))
    assert rows == [("a", None, None, None), ("x", None, None, "y"), (None, "z", None, None)]


def test_quote_prefix_only_where_asked() -> None:
    data = xlsx_bytes("S", ["a", "b"], [["=1+1", "-x"], ["a=1", "@b"]], quote_prefix=("=", "@"))
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws is not None
    cells = [[(c.value, c.data_type, c.quotePrefix) for c in row] for row in ws.iter_rows(min_row=2)]
    assert cells == [[("=1+1", "s", True), ("-x", "s", False)], [("a=1", "s", False), ("@b", "s", True)]]


@pytest.mark.parametrize("name", ["", "x" * 32, "a/b", "a[1]", "a:b", "a?", "a*", "a\\b"])
def test_sheet_names_excel_refuses(name: str) -> None:
    with pytest.raises(ValueError, match="sheet name"):
        xlsx_bytes(name, ["a"], [])


def test_sheet_name_with_markup_and_a_large_sheet_stream() -> None:
    data = xlsx_bytes("A&B <目录>", ["n", "t"], ([str(i), f"第{i}行"] for i in range(5000)), widths=[8, 30])
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["A&B <目录>"]
    rows = list(wb.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert len(rows) == 5001 and rows[-1] == ("4999", "第4999行")


def test_the_workbook_streamed_in_parts_is_the_same_workbook() -> None:
    """``xlsx_stream`` yields the file in parts as the rows are written (the desk's export sends them as they
    come), and the parts make a workbook with the same cells as ``xlsx_bytes``."""
    from gongkai.files.xlsxstream import xlsx_stream

    def rows() -> Iterator[list[str | date | None]]:
        for i in range(20000):
            yield [f"2026-{i:05d}", date(2026, 1, 1 + i % 28), "=cmd" if i == 7 else f"内容 {i} " * 5, None]

    produced = 0

    def counted() -> Iterator[list[str | date | None]]:
        nonlocal produced
        for row in rows():
            produced += 1
            yield row

    parts = xlsx_stream("登记簿", ["编号", "收到日期", "内容", "空"], counted(), quote_prefix=("=",))
    first = next(parts)
    assert produced < 20000  # the first part left before every row was read
    data = first + b"".join(parts)
    assert read(data) == read(
        xlsx_bytes("登记簿", ["编号", "收到日期", "内容", "空"], rows(), quote_prefix=("=",))
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.active is not None and wb.active["C9"].quotePrefix
