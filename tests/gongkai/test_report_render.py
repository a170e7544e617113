"""The annual report's rendering: labels against the spec, the HTML read back from a real headless Chromium,
Markdown, the pre-2019 layout and the refusals.

- The labels and spans of :mod:`gongkai.report.layout` are compared character for character with the markdown
  tables of ``docs/report-format-2021.md`` (the project's copy of the official format, typed from it, not
  generated from the code), parsed at test time.
- The 2021 HTML is opened in ``/usr/bin/chromium --headless --dump-dom`` (the browser parses the document and
  serialises its DOM); the dumped DOM is parsed into a grid honouring ``rowspan``/``colspan`` and every cell is
  compared with the JSON and the spec's labels. One browser launch for the module. Without Chromium the browser
  tests are skipped locally and fail under CI (Debian package ``chromium``).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from gongkai.core.codes import OUTCOMES
from gongkai.core.errors import InputError
from gongkai.report import layout
from gongkai.report import render as report_render
from gongkai.report.render import ReportDataError, render_report

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "report-format-2021.md"
CHROMIUM = Path("/usr/bin/chromium")
CHART = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
HOSTILE = '<script>alert(1)</script> "&<>'

# --- sample data ---------------------------------------------------------------------------------------------


def _requests(seed: int = 1) -> dict[str, dict[str, int]]:
    """Table 三 with every one of the 175 figures distinct (a misplaced cell cannot go unnoticed) and the
    identities I1–I3 holding: outcome rows and rows 2, 4 drawn without repetition, 3.7 and 总计 summed, row 1
    = 3.7 + 4 − 2."""
    rnd = random.Random(seed)
    values = iter(rnd.sample(range(1, 400), 140))
    columns = [key for key, _ in layout.APPLICANT_COLUMNS if key != "total"]
    outcome_rows = [r for r in layout.TABLE3_ROW_IDS if r.startswith("3.") and r != "3.7"]
    req: dict[str, dict[str, int]] = {}
    for row_id in ("2", "4", *outcome_rows):
        req[row_id] = {c: next(values) for c in columns}
    req["3.7"] = {c: sum(req[r][c] for r in outcome_rows) for c in columns}
    req["1"] = {c: req["3.7"][c] + req["4"][c] - req["2"][c] for c in columns}
    for cells in req.values():
        cells["total"] = sum(cells[c] for c in columns)
    return {row_id: req[row_id] for row_id in layout.TABLE3_ROW_IDS}


def sample_data() -> dict[str, Any]:
    """A realistic report JSON (CONTRACT section 4) for a sub-district office: 规章 0 (I5), distinct figures."""
    return {
        "format": "2021",
        "year": 2025,
        "office": "嘉祥街道办事处",
        "proactive": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 3, "repealed": 1, "in_force": 17},
            "licensing": {"decisions": 41},
            "penalties": {"decisions": 29},
            "coercion": {"decisions": 5},
            "fees_10k_yuan": 12.3456,
        },
        "requests": _requests(),
        "appeals": {
            "reconsideration": {"upheld": 2, "corrected": 1, "other": 4, "pending": 3, "total": 10},
            "litigation_direct": {"upheld": 6, "corrected": 7, "other": 8, "pending": 9, "total": 30},
            "litigation_after_reconsideration": {
                "upheld": 11,
                "corrected": 12,
                "other": 13,
                "pending": 14,
                "total": 50,
            },
        },
        "checks": [{"id": "I1", "ok": True, "message": "通过"}],
    }


NARRATIVE: dict[str, str] = {
    "前言": "本报告电子版可在本办事处门户网站下载。",
    "一": f"2025年，本办事处认真贯彻落实《条例》。{HOSTILE}\n第二行。\n\n第二段：新收申请见下表。",
    "五": f"存在的问题：公开内容不够全面。{HOSTILE}",
    "六": "本年度未收取信息处理费。",
    "组织领导和制度建设": "成立了信息公开工作领导小组。",
    "收费及减免情况": "本年度未发生收费、减免情况。",
    "保密审查和监督检查": "严格执行保密审查。",
    "推进公开情况": "（1）按季度更新主动公开目录。\n\n（2）加强政策解读。",
}


def test_sample_figures_are_distinct_and_consistent() -> None:
    req = sample_data()["requests"]
    values = [v for cells in req.values() for v in cells.values()]
    assert len(values) == 175 and len(set(values)) == 175
    for c, _ in layout.APPLICANT_COLUMNS:  # I1
        assert req["1"][c] + req["2"][c] == req["3.7"][c] + req["4"][c]


# --- spec parsing --------------------------------------------------------------------------------------------


def _md_tables(text: str) -> list[list[list[str]]]:
    """Every pipe table in ``text``: a list of rows (header first, separator dropped) of stripped cells."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    return tables


def _between(text: str, start: str, end: str) -> str:
    head = text.index(start)
    return text[head : text.index(end, head + len(start))]


@dataclass(frozen=True)
class Spec:
    """What the official format prints (``docs/report-format-2021.md``), parsed."""

    headings: list[str]
    table2: list[tuple[str, list[list[str]]]]
    table3_header: list[list[tuple[str, int, int]]]
    table3_rows: list[list[str]]
    table4_columns: list[list[str]]


_WORDS = {"two": 2, "three": 3, "five": 5, "seven": 7}


@pytest.fixture(scope="module")
def spec() -> Spec:
    text = SPEC.read_text(encoding="utf-8")

    sections = _md_tables(_between(text, "## Sections", "## Table 二"))[0]
    headings = [row[1] for row in sections[1:]]

    part2 = _between(text, "## Table 二", "## Table 三")
    captions = re.findall(r'Sub-table \d — caption "([^"]+)"', part2)
    table2 = list(zip(captions, _md_tables(part2), strict=True))

    part3 = _between(text, "## Table 三", "## Table 四")
    flat = re.sub(r"\s+", " ", part3)
    corner = re.search(
        r'Top-left cell, spanning the three label columns and the three header rows: "([^"]+)"', flat
    )
    applicants = re.search(r'"([^"]+)" spanning the seven numeric columns', flat)
    assert corner and applicants, "table 三 header bullets not found in the spec"
    second = re.search(r"Second header row: (.*?)\. - Third", flat)
    third = re.search(r"Third header row under 法人或其他组织: (.*?)\. ", flat)
    assert second and third
    row2: list[tuple[str, int, int]] = []
    for label, count, unit in re.findall(r'"([^"]+)" \(spans (\w+) (header rows|columns)\)', second.group(1)):
        n = _WORDS[count]
        row2.append((label, n, 1) if unit == "header rows" else (label, 1, n))
    header3 = [
        [(corner.group(1), 3, 3), (applicants.group(1), 1, 7)],
        row2,
        [(label, 1, 1) for label in re.findall(r'"([^"]+)"', third.group(1))],
    ]
    rows3 = next(t for t in _md_tables(part3) if t[0][0] == "Row id")[1:]

    part4 = _between(text, "## Table 四", "## Arithmetic identities")
    cols4 = next(t for t in _md_tables(part4) if t[0][0] == "Col")[1:]
    return Spec(headings, table2, header3, rows3, cols4)


# --- grids: rows of (text, rowspan, colspan) -> placed cells ----------------------------------------------


@dataclass(frozen=True)
class Placed:
    """A cell placed in the grid: its text, top-left position and spans."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


def expand(rows: list[list[tuple[str, int, int]]]) -> list[Placed]:
    """Place the cells of an HTML-like table (each row lists the cells that open on it) the way a browser does,
    and check the result is a full rectangle without overlaps."""
    grid: dict[tuple[int, int], Placed] = {}
    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while (r, c) in grid:
                c += 1
            cell = Placed(text, r, c, rowspan, colspan)
            for dr in range(rowspan):
                for dc in range(colspan):
                    assert (r + dr, c + dc) not in grid, f"cells overlap at {(r + dr, c + dc)}"
                    grid[(r + dr, c + dc)] = cell
            c += colspan
    height = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    holes = [(r, c) for r in range(height) for c in range(width) if (r, c) not in grid]
    assert not holes, f"the table has holes at {holes[:5]}"
    return sorted(set(grid.values()), key=lambda p: (p.row, p.col))


def _cells(row: tuple[layout.Cell, ...]) -> list[tuple[str, int, int]]:
    return [(c.text, c.rowspan, c.colspan) for c in row]


def _spec_table3_body(spec: Spec) -> list[list[tuple[str, int, int]]]:
    """Table 三's label cells per data row as the spec's "Layout" column describes them."""
    out: list[list[tuple[str, int, int]]] = []
    pending: list[tuple[str, int, int]] = []
    for row_id, label, how in spec.table3_rows:
        if row_id == "—":
            span = re.search(r"spanning (?:the next |its )(\d+)", how)
            assert span, how
            pending.append((label, int(span.group(1)), 1))
            continue
        cols = re.search(r"spans (\d) label columns", how)
        out.append([*pending, (label, 1, int(cols.group(1)) if cols else 1)])
        pending = []
    return out


def _spec_table4_header(spec: Spec) -> list[list[tuple[str, int, int]]]:
    """Table 四's three header rows from the spec's column table: equal neighbours merge, "(spans rows 2–3)"
    makes a rowspan of 2."""
    top = [c[1] for c in spec.table4_columns]
    middle = [re.sub(r"\s*\(spans rows 2–3\)$", "", c[2]) for c in spec.table4_columns]
    tall = [c[2].endswith("(spans rows 2–3)") for c in spec.table4_columns]
    bottom = [c[3] for c in spec.table4_columns]

    def merge(texts: list[str], tall_cells: bool) -> list[tuple[str, int, int]]:
        out: list[tuple[str, int, int]] = []
        for i, text in enumerate(texts):
            rowspan = 2 if tall_cells and tall[i] else 1
            if out and texts[i - 1] == text and rowspan == 1 and out[-1][1] == 1:
                out[-1] = (text, 1, out[-1][2] + 1)
            else:
                out.append((text, rowspan, 1))
        return out

    return [
        merge(top, tall_cells=False),
        merge(middle, tall_cells=True),
        [(text, 1, 1) for text, is_tall in zip(bottom, tall, strict=True) if not is_tall],
    ]


# --- the layout against the spec -----------------------------------------------------------------------------


def test_section_headings_match_spec(spec: Spec) -> None:
    assert list(layout.SECTION_HEADINGS.values()) == spec.headings
    assert list(layout.SECTION_HEADINGS) == ["一", "二", "三", "四", "五", "六"]


def test_table2_matches_spec(spec: Spec) -> None:
    assert len(layout.TABLE2) == len(spec.table2) == 4
    for table, (caption, rows) in zip(layout.TABLE2, spec.table2, strict=True):
        assert table.caption == caption
        assert list(table.headers) == rows[0]
        assert [r.label for r in table.rows] == [row[0] for row in rows[1:]]
        assert all(len(r.paths) == len(table.headers) - 1 for r in table.rows)
    assert [t.decimal for t in layout.TABLE2] == [False, False, False, True]


def test_table3_rows_match_spec(spec: Spec) -> None:
    data_rows = [r for r in spec.table3_rows if r[0] != "—"]
    assert [(r.row_id, r.label) for r in layout.TABLE3_ROWS] == [(r[0], r[1]) for r in data_rows]
    assert len(layout.TABLE3_ROWS) == 25
    assert [_cells(r.label_cells) for r in layout.TABLE3_ROWS] == _spec_table3_body(spec)
    assert layout.TABLE3_GROUPS == {
        "三、本年度办理结果": 22,
        "（三）不予公开": 8,
        "（四）无法提供": 3,
        "（五）不予处理": 5,
        "（六）其他处理": 3,
    }
    # The printed forms the spec insists on.
    labels = {r.row_id: r.label for r in layout.TABLE3_ROWS}
    assert labels["3.3.3"] == "3.危及\u201c三安全一稳定\u201d"
    assert all("(" not in r.label and ")" not in r.label for r in layout.TABLE3_ROWS)
    assert all(re.fullmatch(r"\d\.\S+", r.label) for r in layout.TABLE3_ROWS if r.row_id.count(".") == 2)


def test_table3_header_matches_spec(spec: Spec) -> None:
    assert [_cells(row) for row in layout.TABLE3_HEADER_ROWS] == spec.table3_header
    placed = expand([_cells(row) for row in layout.TABLE3_HEADER_ROWS])
    assert placed[0] == Placed(layout.TABLE3_CORNER, 0, 0, 3, 3)
    assert [label for _, label in layout.APPLICANT_COLUMNS] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]


def test_table4_header_matches_spec(spec: Spec) -> None:
    assert len(spec.table4_columns) == 15
    assert [_cells(row) for row in layout.TABLE4_HEADER_ROWS] == _spec_table4_header(spec)
    assert len(layout.TABLE4_PATHS) == 15


def test_layout_agrees_with_outcome_codes() -> None:
    by_row = {r.row_id: r for r in layout.TABLE3_ROWS}
    for outcome in OUTCOMES:
        assert outcome.label in by_row[outcome.row].label, outcome


# --- the HTML in a real browser ------------------------------------------------------------------------------


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class _Table:
    rows: list[list[tuple[str, int, int]]] = field(default_factory=list)
    head_rows: int = 0


class _DomReader(HTMLParser):
    """Reads the dumped DOM: tables by id (cells with spans), section headings, and text per section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, _Table] = {}
        self.h2: list[str] = []
        self.section_text: dict[str, str] = {}
        self.tags: list[str] = []
        self._table: _Table | None = None
        self._in_thead = False
        self._cell: tuple[int, int] | None = None
        self._text: list[str] = []
        self._in_h2 = False
        self._section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "table" and a.get("id"):
            self._table = self.tables.setdefault(str(a["id"]), _Table())
        elif tag == "thead":
            self._in_thead = True
        elif tag == "tr" and self._table is not None:
            self._table.rows.append([])
            if self._in_thead:
                self._table.head_rows += 1
        elif tag in ("td", "th") and self._table is not None:
            self._cell = (int(a.get("rowspan") or 1), int(a.get("colspan") or 1))
            self._text = []
        elif tag == "h2":
            self._in_h2, self._text = True, []
        elif tag == "section" and a.get("id"):
            self._section = str(a["id"])
            self.section_text[self._section] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._table is not None and self._cell is not None:
            self._table.rows[-1].append(("".join(self._text).strip(), *self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "thead":
            self._in_thead = False
        elif tag == "h2":
            self.h2.append("".join(self._text).strip())
            self._in_h2 = False
        elif tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None or self._in_h2:
            self._text.append(data)
        if self._section is not None:
            self.section_text[self._section] += data


def _read_dom(html: str) -> _DomReader:
    reader = _DomReader()
    reader.feed(html)
    reader.close()
    return reader


def dump_dom(documents: dict[str, str], workdir: Path) -> dict[str, str]:
    """Open each HTML document in headless Chromium (launched in parallel) and return the serialised DOMs."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, html in documents.items():
            page = workdir / f"{name}.html"
            page.write_text(html, encoding="utf-8")
            procs[name] = subprocess.Popen(
                [
                    str(CHROMIUM),
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    f"--user-data-dir={workdir / ('profile-' + name)}",
                    "--dump-dom",
                    page.as_uri(),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={**os.environ, "HOME": str(workdir)},
                start_new_session=True,  # its own process group: a hung browser is ended with all its children
            )
        out: dict[str, str] = {}
        for name, proc in procs.items():
            try:
                stdout, stderr = proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                pytest.fail(
                    f"Chromium did not finish {name} within 60 s: a script in the page may have opened a dialog "
                    "(unescaped text?)",
                    pytrace=False,
                )
            assert proc.returncode == 0, stderr.decode("utf-8", "replace")[-3000:]
            assert stdout.strip(), (
                f"Chromium dumped nothing for {name}: {stderr.decode('utf-8', 'replace')[-3000:]}"
            )
            out[name] = stdout.decode("utf-8")
        return out
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def browser_dom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_DomReader]:
    """The 2021 HTML of the sample report (hostile narrative included) as Chromium parsed and serialised it."""
    if not CHROMIUM.exists():
        if _running_in_ci():
            pytest.fail(f"{CHROMIUM} is missing but CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (Debian package: chromium)")
    html = render_report(sample_data(), narrative=NARRATIVE, fmt="html", chart_data_uri=CHART)
    dom = dump_dom({"annual_2021": html}, tmp_path_factory.mktemp("chromium"))["annual_2021"]
    yield _read_dom(dom)


def test_browser_table3_every_cell(browser_dom: _DomReader, spec: Spec) -> None:
    table = browser_dom.tables["table-3"]
    assert table.head_rows == 3
    data = sample_data()["requests"]
    body_rows = [row for row in table.rows[table.head_rows :]]
    assert len(body_rows) == 25
    expected_head = spec.table3_header
    expected_body = [
        [*labels, *((str(data[r.row_id][key]), 1, 1) for key, _ in layout.APPLICANT_COLUMNS)]
        for labels, r in zip(_spec_table3_body(spec), layout.TABLE3_ROWS, strict=True)
    ]
    assert expand(table.rows) == expand(expected_head + expected_body)
    # Read back by position too: the 7 figures of each row in column order, under their column headers.
    placed = expand(table.rows)
    grid = {
        (p.row + dr, p.col + dc): p.text for p in placed for dr in range(p.rowspan) for dc in range(p.colspan)
    }
    assert [grid[(2, c)] for c in range(3, 10)] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]
    for i, r in enumerate(layout.TABLE3_ROWS, start=3):
        assert grid[(i, 2)] == r.label
        assert [int(grid[(i, c)]) for c in range(3, 10)] == [
            data[r.row_id][k] for k, _ in layout.APPLICANT_COLUMNS
        ]


def test_browser_table4_every_cell(browser_dom: _DomReader, spec: Spec) -> None:
    table = browser_dom.tables["table-4"]
    assert table.head_rows == 3 and len(table.rows) == 4
    appeals = sample_data()["appeals"]
    figures = [
        str(appeals[block][result])
        for block, _ in layout.APPEAL_BLOCKS
        for result, _ in layout.APPEAL_RESULTS
    ]
    assert expand(table.rows) == expand(_spec_table4_header(spec) + [[(f, 1, 1) for f in figures]])
    assert [text for text, _, _ in table.rows[3]] == [
        "2",
        "1",
        "4",
        "3",
        "10",
        "6",
        "7",
        "8",
        "9",
        "30",
        "11",
        "12",
        "13",
        "14",
        "50",
    ]


def test_browser_table2_every_cell(browser_dom: _DomReader, spec: Spec) -> None:
    table = browser_dom.tables["table-2"]
    values = {
        "规章": ["0", "0", "0"],
        "行政规范性文件": ["3", "1", "17"],
        "行政许可": ["41"],
        "行政处罚": ["29"],
        "行政强制": ["5"],
        "行政事业性收费": ["12.3456"],
    }
    expected: list[list[tuple[str, int, int]]] = []
    for caption, rows in spec.table2:
        span = 3 // (len(rows[0]) - 1)
        expected.append([(caption, 1, 4)])  # the caption row spans the table
        expected.append([(rows[0][0], 1, 1), *((h, 1, span) for h in rows[0][1:])])
        expected += [[(row[0], 1, 1), *((v, 1, span) for v in values[row[0]])] for row in rows[1:]]
    assert expand(table.rows) == expand(expected)


def test_browser_sections_in_order(browser_dom: _DomReader, spec: Spec) -> None:
    assert browser_dom.h2 == spec.headings
    for key in ("一", "五", "六"):
        assert (
            NARRATIVE[key].split(HOSTILE)[0][:10]
            in browser_dom.section_text[f"section-{'一二三四五六'.index(key) + 1}"]
        )


def test_browser_narrative_is_text_not_markup(browser_dom: _DomReader) -> None:
    assert "script" not in browser_dom.tags  # the template has no script; the narrative's did not become one
    assert HOSTILE in browser_dom.section_text["section-1"]
    assert HOSTILE in browser_dom.section_text["section-5"]
    assert "img" in browser_dom.tags  # the chart, under section 三


# --- the HTML source -----------------------------------------------------------------------------------------


def test_html_escapes_office_text() -> None:
    data = sample_data()
    data["office"] = '某街道<b onclick="x">办事处</b>&'
    html = render_report(data, narrative=NARRATIVE, fmt="html")
    assert "<script>" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;&amp;&lt;&gt;" in html
    assert (
        "<title>某街道&lt;b onclick=&#34;x&#34;&gt;办事处&lt;/b&gt;&amp;2025年政府信息公开工作年度报告</title>"
        in html
    )
    assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    # Paragraphs split on blank lines, single line breaks kept.
    assert "<p>2025年，本办事处认真贯彻落实《条例》。" in html and "<br>第二行。</p>" in html
    assert "<p>第二段：新收申请见下表。</p>" in html
    assert CHART not in html  # no chart unless asked for


def test_chart_must_be_an_inline_image() -> None:
    with pytest.raises(ReportDataError, match="统计图"):
        render_report(sample_data(), narrative=NARRATIVE, fmt="html", chart_data_uri="javascript:alert(1)")


# --- Markdown ------------------------------------------------------------------------------------------------


def _md_rows(text: str) -> dict[str, list[str]]:
    return {cells[0]: cells[1:] for table in _md_tables(text) for cells in table}


def test_markdown_labels_and_numbers(spec: Spec) -> None:
    data = sample_data()
    md = render_report(data, narrative=NARRATIVE, fmt="md")
    assert md.startswith("# 嘉祥街道办事处2025年政府信息公开工作年度报告\n")
    assert re.findall(r"^## (.+)$", md, flags=re.M) == spec.headings
    part3 = _between(md, "## " + spec.headings[2], "## " + spec.headings[3])
    rows = _md_rows(part3)
    assert rows[layout.TABLE3_CORNER] == [label for _, label in layout.APPLICANT_COLUMNS]
    for row_id, label, _ in (r for r in spec.table3_rows if r[0] != "—"):
        assert rows[label] == [str(data["requests"][row_id][k]) for k, _ in layout.APPLICANT_COLUMNS], label
    for _, group, _ in (r for r in spec.table3_rows if r[0] == "—"):
        assert rows[f"**{group}**"] == [""] * 7
    # Group rows stand right before their first sub-row, as the merged cell does in the official table.
    order = [cells[0] for cells in _md_tables(part3)[0][1:]]
    assert order.index("**（三）不予公开**") + 1 == order.index("1.属于国家秘密")
    assert len([o for o in order if not o.startswith("**")]) == 25

    part4 = md[md.index("## " + spec.headings[3]) : md.index("## " + spec.headings[4])]
    rows4 = _md_rows(part4)
    assert rows4[""] == [label for _, label in layout.APPEAL_RESULTS]
    assert rows4["行政复议"] == ["2", "1", "4", "3", "10"]
    assert rows4["行政诉讼：未经复议直接起诉"] == ["6", "7", "8", "9", "30"]
    assert rows4["行政诉讼：复议后起诉"] == ["11", "12", "13", "14", "50"]

    part2 = _between(md, "## " + spec.headings[1], "## " + spec.headings[2])
    for caption, table in spec.table2:
        assert f"**{caption}**" in part2
        assert f"| {' | '.join(table[0])} |" in part2
    rows2 = _md_rows(part2)
    assert rows2["行政规范性文件"] == ["3", "1", "17"] and rows2["行政事业性收费"] == ["12.3456"]
    # Office text cannot smuggle HTML into a Markdown renderer.
    assert "<script>" not in md and '&lt;script&gt;alert(1)&lt;/script&gt; "&amp;&lt;&gt;' in md
    assert "\n\n第二段：新收申请见下表。\n" in md


# --- the pre-2019 layout -------------------------------------------------------------------------------------


def test_pre2019_headings_and_quoted_numbers() -> None:
    data = sample_data()
    req = data["requests"]
    html = render_report(data, narrative=NARRATIVE, fmt="html", template="pre2019", chart_data_uri=CHART)
    reader = _read_dom(html)
    assert reader.h2 == [
        "一、概述",
        "二、组织领导和制度建设",
        "三、主动公开情况",
        "四、依申请公开办理情况",
        "五、收费及减免情况",
        "六、行政复议和行政诉讼情况",
        "七、保密审查和监督检查",
        "八、推进公开情况",
        "九、存在的主要问题及改进措施",
    ]
    assert reader.h2 == [s.heading for s in layout.PRE2019_SECTIONS]
    assert "<h1>嘉祥街道办事处2025年信息公开年度报告</h1>" in html
    text = reader.section_text

    def total(prefix: str) -> int:
        return sum(req[r]["total"] for r in layout.TABLE3_ROW_IDS if r.startswith(prefix))

    org = sum(
        req["1"][k] for k in ("commercial", "research", "public_interest", "legal_services", "other_org")
    )
    applications = text["pre2019-4"]
    for phrase in (
        f"新收政府信息公开申请{req['1']['total']}件",
        f"自然人申请{req['1']['natural_person']}件",
        f"法人或其他组织申请{org}件",
        f"上年结转{req['2']['total']}件",
        f"办结{req['3.7']['total']}件",
        f"予以公开{req['3.1']['total']}件",
        f"部分公开{req['3.2']['total']}件",
        f"不予公开{total('3.3.')}件",
        f"无法提供{total('3.4.')}件",
        f"不予处理{total('3.5.')}件",
        f"其他处理{total('3.6.')}件",
        f"结转下年度继续办理{req['4']['total']}件",
    ):
        assert phrase in applications, phrase
    assert "制发行政规范性文件3件、废止1件，现行有效行政规范性文件17件" in text["pre2019-3"]
    assert "行政许可决定41件、行政处罚决定29件、行政强制决定5件" in text["pre2019-3"]
    assert "行政事业性收费12.3456万元" in text["pre2019-3"] and "规章" not in text["pre2019-3"]
    assert "行政复议10件，其中结果维持2件、结果纠正1件、其他结果4件、尚未审结3件" in text["pre2019-6"]
    assert "复议后提起行政诉讼50件" in text["pre2019-6"]
    # Narrative: own keys, and the 2021 sections where the old layout says the same.
    assert HOSTILE in text["pre2019-1"] and HOSTILE in text["pre2019-9"]
    assert "<script>" not in html
    assert "（2）加强政策解读。" in text["pre2019-8"]
    assert 'src="data:image/png;base64,' in _between(html, 'id="pre2019-4"', 'id="pre2019-5"')


def test_pre2019_without_applications_or_appeals() -> None:
    data = sample_data()
    for cells in data["requests"].values():
        for key in cells:
            cells[key] = 0
    for block in data["appeals"].values():
        for key in block:
            block[key] = 0
    html = render_report(data, narrative=NARRATIVE, fmt="html", template="pre2019")
    assert "本年度嘉祥街道办事处未收到政府信息公开申请，也没有上年结转的申请。" in html
    assert "本年度没有发生因政府信息公开申请引发的行政复议和行政诉讼。" in html


def test_pre2019_needs_its_own_narrative() -> None:
    narrative = {k: v for k, v in NARRATIVE.items() if k != "保密审查和监督检查"}
    with pytest.raises(ReportDataError, match="七、保密审查和监督检查.*保密审查和监督检查"):
        render_report(sample_data(), narrative=narrative, fmt="html", template="pre2019")
    with pytest.raises(InputError, match="pre2019"):
        render_report(sample_data(), narrative=NARRATIVE, fmt="md", template="pre2019")


# --- refusals ------------------------------------------------------------------------------------------------


def _set(data: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("requests", "3.3.1", "natural_person"),
            None,
            "表三第“3.3.1”行（1.属于国家秘密）“自然人”列（“natural_person”）应为非负整数，实际为空（None）",
        ),
        (("requests", "3.5.2"), _DELETE, "表三第“3.5.2”行（2.重复申请）缺失"),
        (("requests", "4", "total"), _DELETE, "表三第“4”行（四、结转下年度继续办理）“总计”列（“total”）缺失"),
        (("requests", "1", "other_org"), -1, "“其他”列（“other_org”）应为非负整数，实际为 -1"),
        (("requests", "3.1", "research"), True, "应为非负整数，实际为 True"),
        (("requests", "3.2", "commercial"), 2.5, "应为非负整数，实际为 2.5"),
        (("requests", "3.6"), {"total": 0}, "表三有未知的行“3.6”"),
        (("proactive", "fees_10k_yuan"), None, "表二“行政事业性收费”行“本年收费金额（单位：万元）”"),
        (("proactive", "normative_documents", "in_force"), None, "表二“行政规范性文件”行“现行有效件数”"),
        (("proactive", "licensing"), _DELETE, "表二“行政许可”"),
        (("appeals", "litigation_direct", "pending"), None, "表四“未经复议直接起诉·尚未审结”"),
        (("appeals", "reconsideration"), _DELETE, "表四“行政复议”"),
        (("office",), "  ", "“office”（机关名称）"),
        (("format",), "2019", '“format”应为 "2021"'),
    ],
)
def test_bad_figures_are_refused_in_chinese(path: tuple[str, ...], value: object, expected: str) -> None:
    data = sample_data()
    _set(data, path, value)
    with pytest.raises(ReportDataError) as err:
        render_report(data, narrative=NARRATIVE, fmt="html")
    assert expected in str(err.value)
    assert str(err.value).startswith("年度报告数据有 ")


def test_every_bad_cell_is_named() -> None:
    data = sample_data()
    data["requests"]["3.1"] = {k: None for k, _ in layout.APPLICANT_COLUMNS}
    with pytest.raises(ReportDataError) as err:
        render_report(data, narrative=NARRATIVE, fmt="md")
    assert len(err.value.problems) == 7 and "另有" not in str(err.value)


def test_templates_refuse_a_blank_figure_even_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Second line of defence: the templates print figures through filters that raise on None."""
    monkeypatch.setattr(report_render, "check_report_data", lambda data: None)
    for template, fmt in report_render.TEMPLATES:
        data = sample_data()
        data["requests"]["3.2"]["total"] = None
        with pytest.raises(InputError, match="requests.3.2.total"):
            render_report(data, narrative=NARRATIVE, fmt=fmt, template=template)  # type: ignore[arg-type]


@pytest.mark.parametrize("missing", ["一", "五", "六"])
def test_2021_narrative_sections_are_required(missing: str) -> None:
    narrative = {**NARRATIVE, missing: "  \n "}
    with pytest.raises(ReportDataError, match=f"缺少“{layout.SECTION_HEADINGS[missing]}”的报告文字"):
        render_report(sample_data(), narrative=narrative, fmt="html")


@pytest.mark.parametrize(
    ("value", "printed"),
    [(0, "0"), (0.0, "0"), (3, "3"), (1.5, "1.5"), (12.3456, "12.3456"), (Decimal("2.50"), "2.5")],
)
def test_fee_amounts(value: float, printed: str) -> None:
    data = sample_data()
    data["proactive"]["fees_10k_yuan"] = value
    md = render_report(data, narrative=NARRATIVE, fmt="md")
    assert f"| 行政事业性收费 | {printed} |" in md
