"""The annual report's other outputs: the chart, the DOCX and the PDF.

- Chart: the monthly series on a hand-made register, cell by cell, in one SQL statement (SQLite, and
  PostgreSQL when configured); the PNG drawn with an installed CJK font (no "missing glyph" warning).
- DOCX: read back with python-docx — every cell of tables 二, 三, 四 against the JSON and the layout's
  labels, the merged cells against the layout's spans (read from ``w:gridSpan``/``w:vMerge``), headings in
  order, the chart picture under section 三, office text as plain text, East Asian fonts named.
- PDF: the HTML printed by headless Chromium, its text read back with ``pdftotext`` (poppler-utils) when
  that is installed; converters that are missing, failing or hanging (the process group is killed);
  LibreOffice only where ``soffice`` is installed.

Under CI (``CI`` set) a missing Chromium or CJK font fails the tests that need them; locally they skip
with the Debian package to install. The sample report is the one of ``test_report_render.py``.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
import zipfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy.engine import Engine
from sqlmodel import Session
from test_report_render import CHART, HOSTILE, NARRATIVE, sample_data

from gongkai.core.errors import InputError
from gongkai.register import repository as register
from gongkai.register.deadlines import Event, make_event
from gongkai.report import layout
from gongkai.report.chart import (
    FONT_PACKAGE,
    OPEN_GROUP,
    OUTCOME_GROUPS,
    SERIES_GROUPS,
    chart_data_uri,
    chart_title,
    find_cjk_font,
    monthly_outcome_chart,
    monthly_outcome_series,
)
from gongkai.report.docx import BODY_FONT, HEADING_FONT, build_docx
from gongkai.report.pdf import PdfError, docx_to_pdf, find_chromium, find_soffice, html_to_pdf, pdf
from gongkai.report.render import ReportDataError, render_report
from gongkai.report.stats import compute_statistics
from gongkai.store.db import open_database
from tests.offices import office_session

OFFICE = "嘉祥街道办事处"
YEAR = 2025
TINY_PNG = base64.b64decode(CHART.split(",", 1)[1])  # 1×1 pixel: the DOCX tests need no font
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def _require(available: bool, reason: str) -> None:
    """Skip locally, fail under CI, when a system package a test needs is missing."""
    if available:
        return
    if _running_in_ci():
        pytest.fail(f"{reason} — CI must run this test", pytrace=False)
    pytest.skip(reason)


def _cjk_font() -> str:
    try:
        return find_cjk_font()
    except InputError as exc:
        _require(False, f"no CJK font installed (Debian package {FONT_PACKAGE}): {exc}")
        raise  # unreachable: _require skipped or failed


# --- the monthly series on a hand-made register ---------------------------------------------------------


STAFF = [("wang", "王丽", ["handler", "administrator"])]
AS_OF = date(2026, 1, 20)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as s:
        register.sync_staff(s, STAFF)
    try:
        yield eng
    finally:
        eng.dispose()


def _add(
    session: Session, ref: str, received: str, applicant_type: str, events: Sequence[Event] = ()
) -> None:
    data = register.NewApplication(
        ref=ref,
        received_on=date.fromisoformat(received),
        applicant_type=applicant_type,
        applicant_name="张小明",
        content="请求公开某文件",
        channel="in_person",
    )
    register.add_application(
        session,
        data,
        calendar=register.load_calendar(session),
        as_of=AS_OF,
        recorded_by="wang",
        events=events,
    )


def _replied(on: str, outcome: str) -> Event:
    return make_event("replied", date.fromisoformat(on), outcome=outcome)


@pytest.fixture
def crafted(engine: Engine) -> Engine:
    """Twelve applications around 2025; the expected chart of 2025 is spelled out in the test."""
    with office_session(engine) as s:
        _add(
            s, "X1", "2024-12-20", "natural_person", [_replied("2025-01-10", "3.1")]
        )  # received 2024: not in 2025
        _add(s, "B1", "2025-01-06", "natural_person", [_replied("2025-01-20", "3.1")])  # Jan 予以公开
        _add(s, "B2", "2025-01-15", "commercial", [_replied("2025-02-05", "3.2")])  # Jan 部分公开
        _add(
            s, "B3", "2025-03-03", "natural_person", [make_event("withdrawn", date(2025, 3, 10))]
        )  # Mar 其他处理
        _add(s, "B4", "2025-03-04", "research", [_replied("2025-03-20", "3.3.4")])  # Mar 不予公开
        _add(s, "B5", "2025-03-05", "natural_person", [_replied("2025-03-21", "3.3.8")])  # Mar 不予公开
        _add(s, "B6", "2025-03-06", "legal_services", [_replied("2025-03-24", "3.4.1")])  # Mar 无法提供
        _add(s, "B7", "2025-06-02", "natural_person", [_replied("2025-06-10", "3.5.2")])  # Jun 不予处理
        _add(
            s,
            "B8",
            "2025-06-03",
            "other_org",
            [make_event("correction_requested", date(2025, 6, 5), days=10), _replied("2025-07-10", "3.6.1")],
        )  # Jun 其他处理 (no correction came)
        _add(
            s,
            "B9",
            "2025-12-15",
            "research",
            [make_event("correction_requested", date(2025, 12, 18), days=15)],
        )
        _add(
            s, "B10", "2025-12-29", "public_interest", [_replied("2026-01-08", "3.1")]
        )  # Dec: open on 31 Dec
        _add(s, "X2", "2026-01-05", "natural_person")  # received 2026: not in 2025
    return engine


def _months(**counts: int) -> list[int]:
    """``_months(jan=1, mar=2)`` -> 12 monthly counts."""
    names = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    return [counts.get(name, 0) for name in names]


EXPECTED_2025: dict[str, list[int]] = {
    "予以公开": _months(jan=1),
    "部分公开": _months(jan=1),
    "不予公开": _months(mar=2),
    "无法提供": _months(mar=1),
    "不予处理": _months(jun=1),
    "其他处理": _months(mar=1, jun=1),
    "未办结": _months(dec=2),
}


def test_outcome_groups_come_from_the_layout() -> None:
    assert [name for name, _ in OUTCOME_GROUPS] == [
        "予以公开",
        "部分公开",
        "不予公开",
        "无法提供",
        "不予处理",
        "其他处理",
    ]
    assert SERIES_GROUPS[-1] == OPEN_GROUP == "未办结"
    rows = [r for _, group_rows in OUTCOME_GROUPS for r in group_rows]
    assert rows == [r for r in layout.TABLE3_ROW_IDS if r.startswith("3.") and r != "3.7"]  # 21, each once


def test_monthly_series_exact_counts_in_one_statement(crafted: Engine) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with office_session(crafted) as s:
        s.connection()  # begin outside the recording
        sa.event.listen(crafted, "before_cursor_execute", record)
        try:
            series = monthly_outcome_series(s, year=YEAR)
        finally:
            sa.event.remove(crafted, "before_cursor_execute", record)
        table = compute_statistics(s, year=YEAR, office_name=OFFICE)
    assert series == EXPECTED_2025
    assert list(series) == list(SERIES_GROUPS)
    assert len(statements) == 1 and statements[0].count("GROUP BY") == 1, statements
    # The chart shows the year's receipts: its grand total is row 1 of table 三, its 未办结 the year's part
    # of row 4 (B9, B10; the register has no application open since an earlier year).
    assert sum(map(sum, series.values())) == table.requests["1"]["total"] == 10
    assert sum(series[OPEN_GROUP]) == table.requests["4"]["total"] == 2


def test_monthly_series_reads_the_covering_index_alone(crafted: Engine) -> None:
    """The chart's statement can be answered from ``ix_application_report_received`` without a table row."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(crafted, "before_cursor_execute", record)
    try:
        with office_session(crafted) as s:
            monthly_outcome_series(s, year=YEAR)
    finally:
        sa.event.remove(crafted, "before_cursor_execute", record)
    (sql, params), *_ = (st for st in statements if "FROM application" in st[0])
    with crafted.begin() as conn:
        if crafted.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING COVERING INDEX ix_application_report_received" in plan, plan
        else:
            # A handful of rows: the planner would rightly read the table; forbid that to see the index's reach.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = " ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
            # Since 0010 both covering indexes lead with office_id, and on a handful of rows PostgreSQL may take
            # either (equal cost): what matters is that no table row is read.
            assert "Index Only Scan using ix_application_report_" in plan, plan
            assert "Seq Scan" not in plan and "Heap" not in plan, plan


def test_monthly_series_of_other_years(crafted: Engine) -> None:
    with office_session(crafted) as s:
        assert monthly_outcome_series(s, year=2024) == {
            **{name: _months() for name in SERIES_GROUPS},
            "未办结": _months(dec=1),  # X1: answered only in January 2025
        }
        assert monthly_outcome_series(s, year=2026)["未办结"] == _months(jan=1)
        assert all(v == 0 for values in monthly_outcome_series(s, year=2019).values() for v in values)
        with pytest.raises(InputError, match="报告年度"):
            monthly_outcome_series(s, year=1999)


# --- the chart ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    """The chart of a busy year (every group, every month), drawn once for the module."""
    _cjk_font()
    series = {name: [(m * (i + 3)) % 7 for m in range(12)] for i, name in enumerate(SERIES_GROUPS)}
    return monthly_outcome_chart(series, year=YEAR)


def test_chart_is_a_png_drawn_with_a_cjk_font() -> None:
    font = _cjk_font()
    series = {**{name: [0] * 12 for name in SERIES_GROUPS}, **EXPECTED_2025}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.perf_counter()
        png = monthly_outcome_chart(series, year=YEAR)
        elapsed = time.perf_counter() - started
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 5 * 1024
    glyph_warnings = [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not glyph_warnings, f"missing glyphs with {font}: {glyph_warnings}"
    assert elapsed < 20
    # Same series, same bytes (no timestamp in the PNG); an empty year still draws.
    assert monthly_outcome_chart(series, year=YEAR) == png
    assert monthly_outcome_chart({}, year=YEAR).startswith(PNG_SIGNATURE)


def test_chart_data_uri_goes_into_the_html(chart_png: bytes) -> None:
    uri = chart_data_uri(chart_png)
    assert uri.startswith("data:image/png;base64,") and base64.b64decode(uri.split(",", 1)[1]) == chart_png
    html = render_report(sample_data(), narrative=NARRATIVE, fmt="html", chart_data_uri=uri)
    assert uri in html and f"图：{chart_title(YEAR)}" in html
    with pytest.raises(InputError, match="PNG"):
        chart_data_uri(b"GIF89a")


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        ({"予以公开": [1] * 11}, "“予以公开”应为 12 个非负整数"),
        ({"予以公开": [1] * 11 + [-1]}, "“予以公开”应为 12 个非负整数"),
        ({"予以公开": [True] * 12}, "“予以公开”应为 12 个非负整数"),
        ({"（一）予以公开": [1] * 12}, "未知的办理结果分类：（一）予以公开"),
        ([1, 2, 3], "统计图数据应为"),
    ],
)
def test_chart_refuses_a_bad_series(series: Any, expected: str) -> None:
    with pytest.raises(InputError, match=re.escape(expected)):
        monthly_outcome_chart(series, year=YEAR)


def test_chart_without_a_cjk_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib import font_manager

    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    find_cjk_font.cache_clear()
    try:
        with pytest.raises(InputError, match=f"找不到可显示中文的字体.*{FONT_PACKAGE}"):
            monthly_outcome_chart({}, year=YEAR)
    finally:
        find_cjk_font.cache_clear()


def test_importing_the_output_modules_does_not_load_matplotlib() -> None:
    code = (
        "import sys, gongkai.report.chart, gongkai.report.pdf, gongkai.report.docx; "
        "sys.exit('matplotlib' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- DOCX ---------------------------------------------------------------------------------------------------


def _docx(data: dict[str, Any] | None = None, **overrides: Any) -> bytes:
    kwargs: dict[str, Any] = {"narrative": NARRATIVE, "chart_png": TINY_PNG, "office": OFFICE, "year": YEAR}
    kwargs.update(overrides)
    return build_docx(sample_data() if data is None else data, **kwargs)


@pytest.fixture(scope="module")
def document() -> Any:
    """The sample report as DOCX, read back with python-docx."""
    return Document(io.BytesIO(_docx()))


Placed = tuple[str, int, int, int, int]
"""(text, row, column, rowspan, colspan) of a cell that opens at (row, column)."""


def _expected_cells(rows: Sequence[Sequence[tuple[str, int, int]]]) -> list[Placed]:
    """Place (text, rowspan, colspan) cells given per row the way a browser places an HTML table's cells."""
    covered: set[tuple[int, int]] = set()
    out: list[Placed] = []
    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while (r, c) in covered:
                c += 1
            covered |= {(r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan)}
            out.append((text, r, c, rowspan, colspan))
            c += colspan
    return out


def _docx_cells(table: Any) -> list[Placed]:
    """The merged cells of a DOCX table as Word stores them: ``w:gridSpan`` across, ``w:vMerge`` down."""
    opened: dict[int, list[Any]] = {}  # grid column -> the cell (as a list, to grow its rowspan) open there
    out: list[list[Any]] = []
    for r, tr in enumerate(table._tbl.tr_lst):
        c = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            if tc.vMerge == "continue":
                opened[c][3] += 1
            else:
                cell = ["".join(t.text or "" for t in tc.iter(qn("w:t"))), r, c, 1, span]
                out.append(cell)
                for dc in range(span):
                    opened[c + dc] = cell
            c += span
    return [(str(t), int(r), int(c), int(rs), int(cs)) for t, r, c, rs, cs in out]


def _grid_text(table: Any) -> list[list[str]]:
    """Each row's cell texts as python-docx gives them: a merged cell repeats in every grid position."""
    return [[cell.text for cell in row.cells] for row in table.rows]


def _spread(cells: list[Placed]) -> list[list[str]]:
    grid: dict[tuple[int, int], str] = {}
    for text, r, c, rowspan, colspan in cells:
        for dr in range(rowspan):
            for dc in range(colspan):
                grid[(r + dr, c + dc)] = text
    height = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    return [[grid[(r, c)] for c in range(width)] for r in range(height)]


def test_docx_table3_every_cell(document: Any) -> None:
    table = document.tables[1]
    data = sample_data()["requests"]
    columns = [key for key, _ in layout.APPLICANT_COLUMNS]
    expected_rows = [
        *([(c.text, c.rowspan, c.colspan) for c in header] for header in layout.TABLE3_HEADER_ROWS),
        *(
            [
                *((c.text, c.rowspan, c.colspan) for c in r.label_cells),
                *((str(data[r.row_id][k]), 1, 1) for k in columns),
            ]
            for r in layout.TABLE3_ROWS
        ),
    ]
    expected = _expected_cells(expected_rows)
    # The merged cells exactly as the HTML's rowspan/colspan.
    assert _docx_cells(table) == expected
    # What python-docx reads, merged cells repeated in every position they cover.
    grid = _grid_text(table)
    assert grid == _spread(expected)
    assert len(grid) == 3 + 25 and all(len(row) == 10 for row in grid)
    assert grid[0][:3] == [layout.TABLE3_CORNER] * 3 and grid[2][:3] == [layout.TABLE3_CORNER] * 3
    assert grid[0][3:] == ["申请人情况"] * 7
    assert grid[1][3:] == ["自然人", *["法人或其他组织"] * 5, "总计"]
    assert grid[2][3:] == [label for _, label in layout.APPLICANT_COLUMNS]
    for i, row in enumerate(layout.TABLE3_ROWS, start=3):
        assert grid[i][2] == row.label
        assert grid[i][:2] == [*row.groups, *[row.label] * (2 - len(row.groups))]
        assert [int(v) for v in grid[i][3:]] == [data[row.row_id][k] for k in columns], row.row_id
    spans = {text: rowspan for text, _, _, rowspan, _ in _docx_cells(table)}
    assert spans["三、本年度办理结果"] == 22 and spans["（三）不予公开"] == 8 and spans["（六）其他处理"] == 3
    # The three header rows repeat on every page the table runs onto.
    assert [
        tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None for tr in table._tbl.tr_lst[:4]
    ] == [
        True,
        True,
        True,
        False,
    ]


def test_docx_tables_2_and_4(document: Any) -> None:
    table2 = _grid_text(document.tables[0])
    values = {
        "规章": ["0", "0", "0"],
        "行政规范性文件": ["3", "1", "17"],
        "行政许可": ["41"] * 3,
        "行政处罚": ["29"] * 3,
        "行政强制": ["5"] * 3,
        "行政事业性收费": ["12.3456"] * 3,
    }
    expected2: list[list[str]] = []
    for sub in layout.TABLE2:
        expected2.append([sub.caption] * 4)
        expected2.append([sub.headers[0], *(h for h in sub.headers[1:] for _ in range(sub.value_colspan))])
        expected2 += [[row.label, *values[row.label]] for row in sub.rows]
    assert table2 == expected2

    table4 = document.tables[2]
    appeals = sample_data()["appeals"]
    figures = [str(appeals[b][k]) for b, _ in layout.APPEAL_BLOCKS for k, _ in layout.APPEAL_RESULTS]
    expected4 = _expected_cells(
        [
            *([(c.text, c.rowspan, c.colspan) for c in header] for header in layout.TABLE4_HEADER_ROWS),
            [(f, 1, 1) for f in figures],
        ]
    )
    assert _docx_cells(table4) == expected4
    grid4 = _grid_text(table4)
    assert grid4[0] == ["行政复议"] * 5 + ["行政诉讼"] * 10
    assert (
        grid4[1]
        == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        + ["未经复议直接起诉"] * 5
        + ["复议后起诉"] * 5
    )
    assert grid4[2] == ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3
    assert grid4[3] == ["2", "1", "4", "3", "10", "6", "7", "8", "9", "30", "11", "12", "13", "14", "50"]


def _body_items(document: Any) -> list[tuple[str, str]]:
    """The body in order: ("p", style: text) for paragraphs, ("table", "") and ("picture", "")."""
    items: list[tuple[str, str]] = []
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            items.append(("table", ""))
        elif child.tag == qn("w:p"):
            if child.findall(".//" + qn("wp:inline")):
                items.append(("picture", ""))
            style = child.pPr.style if child.pPr is not None and child.pPr.style else "Normal"
            items.append((str(style), "".join(t.text or "" for t in child.iter(qn("w:t")))))
    return items


def test_docx_headings_text_and_chart_in_order(document: Any) -> None:
    items = _body_items(document)
    title = layout.report_title(OFFICE, YEAR)
    assert items[0] == ("Title", title)
    assert [text for style, text in items if style == "Heading1"] == list(layout.SECTION_HEADINGS.values())
    assert document.core_properties.title == title
    # Between the headings: narrative, then the tables of 二, 三 (with the chart and caption), 四.
    kinds = [kind if kind in ("table", "picture", "Title", "Heading1") else "p" for kind, _ in items]
    assert kinds == [
        "Title",
        "p",
        "p",  # opening sentence, 前言
        "Heading1",
        "p",
        "p",  # 一: two paragraphs
        "Heading1",
        "table",
        "Heading1",
        "table",
        "picture",
        "p",
        "p",  # 三: the table, the chart (its paragraph), the caption
        "Heading1",
        "table",
        "Heading1",
        "p",
        "Heading1",
        "p",
    ]
    assert len(document.inline_shapes) == 1
    assert items[-7] == ("Normal", f"图：{chart_title(YEAR)}")
    # The opening sentence is the HTML's, word for word.
    html = render_report(sample_data(), narrative=NARRATIVE, fmt="html")
    assert f"<p>{items[1][1]}</p>" in html
    assert items[2][1] == NARRATIVE["前言"]
    assert "".join(p.text for p in document.paragraphs).count(NARRATIVE["六"]) == 1


def test_docx_without_chart_has_no_picture() -> None:
    doc = Document(io.BytesIO(_docx(chart_png=None)))
    assert len(doc.inline_shapes) == 0
    assert f"图：{chart_title(YEAR)}" not in [p.text for p in doc.paragraphs]


def test_docx_office_text_is_plain_text(document: Any) -> None:
    texts = [p.text for p in document.paragraphs]
    assert any(HOSTILE in t for t in texts)  # section 一
    assert sum(HOSTILE in t for t in texts) == 2  # sections 一 and 五
    # A single line break stays a line break inside the paragraph; a blank line starts a new paragraph.
    assert "2025年，本办事处认真贯彻落实《条例》。" + HOSTILE + "\n第二行。" in texts
    assert "第二段：新收申请见下表。" in texts
    with zipfile.ZipFile(io.BytesIO(_docx())) as package:
        xml = package.read("word/document.xml").decode("utf-8")
    assert "<script>" not in xml and "&lt;script&gt;alert(1)&lt;/script&gt;" in xml


def test_docx_control_characters_in_office_text_are_dropped() -> None:
    narrative = {**NARRATIVE, "五": "问题一\x0b\x00仍需改进\ufffe。"}
    doc = Document(io.BytesIO(_docx(narrative=narrative)))
    assert "问题一仍需改进。" in [p.text for p in doc.paragraphs]


def test_docx_names_east_asian_fonts(document: Any) -> None:
    for style_name, east_asia in (
        ("Normal", BODY_FONT),
        ("Title", HEADING_FONT),
        ("Heading 1", HEADING_FONT),
    ):
        fonts = document.styles[style_name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == east_asia, style_name
        assert fonts.get(qn("w:ascii")) == "Times New Roman"
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None
    lang = document.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN"
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_docx_refuses_what_the_html_refuses() -> None:
    data = sample_data()
    data["requests"]["3.3.1"]["natural_person"] = None
    with pytest.raises(ReportDataError, match="表三第“3.3.1”行（1.属于国家秘密）“自然人”列"):
        _docx(data)
    with pytest.raises(ReportDataError, match="缺少“六、其他需要报告的事项”的报告文字"):
        _docx(narrative={k: v for k, v in NARRATIVE.items() if k != "六"})
    with pytest.raises(ReportDataError, match="不一致"):
        _docx(year=2024)
    with pytest.raises(ReportDataError, match="统计图"):
        _docx(chart_png=b"not a picture")


# --- PDF ----------------------------------------------------------------------------------------------------


def _pdf_text(pdf_bytes: bytes, tmp_path: Path) -> str | None:
    """The PDF's text as ``pdftotext -layout`` reads it, or None without poppler-utils."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf_bytes)
    done = subprocess.run(
        [tool, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return done.stdout.decode("utf-8")


def _contains_run(tokens: list[str], run: list[str]) -> bool:
    return any(tokens[i : i + len(run)] == run for i in range(len(tokens) - len(run) + 1))


def _assert_report_text(text: str) -> None:
    """The labels, headings and figures of the sample report are in the PDF's text."""
    data = sample_data()
    flat = re.sub(r"\s+", "", text)
    tokens = text.split()
    assert "本年新收政府信息公开申请数量" in flat
    for heading in layout.SECTION_HEADINGS.values():
        assert heading in flat, heading
    columns = [key for key, _ in layout.APPLICANT_COLUMNS]
    for row_id in ("1", "3.7", "4"):
        assert _contains_run(tokens, [str(data["requests"][row_id][k]) for k in columns]), row_id
    appeals = [str(data["appeals"][b][k]) for b, _ in layout.APPEAL_BLOCKS for k, _ in layout.APPEAL_RESULTS]
    assert _contains_run(tokens, appeals)
    assert "12.3456" in tokens


def test_html_to_pdf_in_headless_chromium(chart_png: bytes, tmp_path: Path) -> None:
    _require(find_chromium() is not None, "Chromium is not installed (Debian package: chromium)")
    html = render_report(
        sample_data(), narrative=NARRATIVE, fmt="html", chart_data_uri=chart_data_uri(chart_png)
    )
    started = time.perf_counter()
    out = html_to_pdf(html)
    elapsed = time.perf_counter() - started
    assert out.startswith(b"%PDF-") and len(out) > len(chart_png)
    assert elapsed < 60
    text = _pdf_text(out, tmp_path)
    if text is None:
        return  # poppler-utils not installed: the text is not read back
    _assert_report_text(text)
    assert "<script>alert(1)</script>" in re.sub(r"\s+", "", text)  # printed as text, not run


def test_pdf_prefers_chromium(tmp_path: Path) -> None:
    _require(find_chromium() is not None, "Chromium is not installed (Debian package: chromium)")
    html = render_report(sample_data(), narrative=NARRATIVE, fmt="html")
    out = pdf(html, None, soffice=tmp_path / "no-soffice")  # no LibreOffice needed when Chromium works
    assert out.startswith(b"%PDF-")


def _fake(tmp_path: Path, name: str, body: str) -> Path:
    script = tmp_path / name
    script.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    script.chmod(0o755)
    return script


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def test_a_hanging_converter_is_killed_with_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_CHILD_PIDFILE", str(pidfile))
    browser = _fake(tmp_path, "hanging-chromium", 'sleep 300 &\necho $! > "$FAKE_CHILD_PIDFILE"\nwait\n')
    started = time.perf_counter()
    with pytest.raises(PdfError, match="Chromium 打印 PDF在 1 秒内没有完成，已终止"):
        html_to_pdf("<p>x</p>", chromium=browser, timeout=1)
    assert time.perf_counter() - started < 10
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(child), "the converter's child process outlived the timeout"


def test_a_failing_converter_is_a_pdf_error(tmp_path: Path) -> None:
    crashing = _fake(tmp_path, "crashing", 'echo "cannot open display" >&2\nexit 3\n')
    with pytest.raises(PdfError, match="退出码 3.*cannot open display"):
        html_to_pdf("<p>x</p>", chromium=crashing)
    silent = _fake(tmp_path, "silent", "exit 0\n")
    with pytest.raises(PdfError, match="没有生成 PDF"):
        html_to_pdf("<p>x</p>", chromium=silent)
    with pytest.raises(PdfError, match="LibreOffice 转换 PDF失败"):
        docx_to_pdf(b"PK", soffice=crashing)


def test_missing_converters_name_their_debian_packages(tmp_path: Path) -> None:
    nowhere = tmp_path / "not-installed"
    with pytest.raises(InputError, match=r"Chromium.*Debian 软件包 chromium"):
        html_to_pdf("<p>x</p>", chromium=nowhere)
    with pytest.raises(InputError, match=r"LibreOffice.*Debian 软件包 libreoffice-writer"):
        docx_to_pdf(b"PK", soffice=nowhere)
    with pytest.raises(InputError, match=r"找不到生成 PDF 的程序.*chromium.*libreoffice-writer"):
        pdf("<p>x</p>", b"PK", chromium=nowhere, soffice=nowhere)
    with pytest.raises(InputError, match="chromium"):
        pdf("<p>x</p>", None, chromium=nowhere)


@pytest.fixture
def soffice() -> str:
    found = find_soffice()
    if found is None:
        pytest.skip(
            "LibreOffice is not installed (soffice; Debian package libreoffice-writer): DOCX -> PDF untested"
        )
    return found


def test_docx_to_pdf_with_libreoffice(soffice: str, chart_png: bytes, tmp_path: Path) -> None:
    docx = _docx(chart_png=chart_png)
    started = time.perf_counter()
    out = docx_to_pdf(docx, soffice=soffice)
    assert time.perf_counter() - started < 120
    assert out.startswith(b"%PDF-")
    text = _pdf_text(out, tmp_path)
    if text is not None:
        _assert_report_text(text)
    # Falling back: no Chromium, the DOCX converted instead.
    html = render_report(sample_data(), narrative=NARRATIVE, fmt="html")
    assert pdf(html, docx, chromium=tmp_path / "no-chromium", soffice=soffice).startswith(b"%PDF-")


def _pdf_pages(pdf_bytes: bytes, tmp_path: Path) -> list[str] | None:
    """Each page's text (whitespace removed), or None without poppler-utils."""
    tool, info = shutil.which("pdftotext"), shutil.which("pdfinfo")
    if tool is None or info is None:
        return None
    path = tmp_path / "pages.pdf"
    path.write_bytes(pdf_bytes)
    meta = subprocess.run([info, str(path)], capture_output=True, check=True, timeout=60).stdout.decode()
    count = int(re.search(r"^Pages:\s+(\d+)", meta, re.MULTILINE).group(1))  # type: ignore[union-attr]
    pages = []
    for page in range(1, count + 1):
        done = subprocess.run(
            [tool, "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            check=True,
            timeout=60,
        )
        pages.append(re.sub(r"\s+", "", done.stdout.decode("utf-8")))
    return pages


@pytest.mark.parametrize("extra_paragraphs", [0, 3, 6, 15])
def test_pdf_keeps_each_table_on_one_page_with_its_heading(extra_paragraphs: int, tmp_path: Path) -> None:
    """A printed report never splits a table: one that does not fit where it starts moves to the next page
    whole, with its heading (the narrative's length moves where each table starts)."""
    _require(find_chromium() is not None, "Chromium is not installed (Debian package: chromium)")
    narrative = dict(NARRATIVE)
    narrative["一"] += ("\n\n" + "本年度信息公开工作平稳有序开展，各项制度得到落实。" * 3) * extra_paragraphs
    pages = _pdf_pages(html_to_pdf(render_report(sample_data(), narrative=narrative, fmt="html")), tmp_path)
    _require(pages is not None, "poppler-utils is not installed (pdftotext, pdfinfo)")
    assert pages is not None

    def page_of(text: str) -> list[int]:
        return [n for n, page in enumerate(pages, 1) if text in page]

    headings = layout.SECTION_HEADINGS
    together = {
        "二": [headings["二"], "规章", "行政规范性文件", "行政许可", "行政事业性收费", "12.3456"],
        "三": [
            headings["三"],
            "申请人情况",
            "一、本年新收政府信息公开申请数量",
            "（七）总计",
            "四、结转下年度继续办理",
        ],
        "四": [headings["四"], "未经复议直接起诉", "复议后起诉"],
    }
    for table, texts in together.items():
        found = {text: page_of(text) for text in texts}
        assert all(len(p) == 1 for p in found.values()), (table, found)
        assert len({p[0] for p in found.values()}) == 1, (table, found)
    assert len(page_of("申请人情况")) == 1  # no repeated header: table 三 is never continued
