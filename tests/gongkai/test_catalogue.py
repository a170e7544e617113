"""The disclosure catalogue and guide (gongkai.catalogue.documents): diff, completeness checks, every output format.

- The quarter-to-quarter diff on a scripted sequence (add, change title, repeal, withdraw, re-add).
- Every completeness check: one case that raises it and one that does not.
- XLSX and CSV read back; ``=HYPERLINK(...)`` stays an inert string.
- The HTML opened in ``/usr/bin/chromium --headless --dump-dom`` (skipped locally without it, a failure under CI),
  the entries read back from the DOM; a ``<script>`` title is text, never an element.
- ``load_entries`` on a real database (the columns of migration 0005 are added here when it has not landed yet).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from gongkai.catalogue import documents as cat
from gongkai.catalogue.documents import CatalogueEntry, Finding
from gongkai.register.deadlines import publication_due
from gongkai.register.workcal import WorkCalendar
from gongkai.store.db import open_database, session_scope
from tests.offices import office_session

CHROMIUM = Path("/usr/bin/chromium")
NOW = datetime(2025, 3, 1, tzinfo=UTC)
HYPERLINK = '=HYPERLINK("http://x","y")'
SCRIPT = "<script>alert(1)</script>"


def D(s: str) -> date:
    return date.fromisoformat(s)


def entry(index_no: str = "11440100-01-2025-0001", **kw: Any) -> CatalogueEntry:
    """A published, reviewed, in-force proactive entry (override what the test needs)."""
    values: dict[str, Any] = {
        "title": f"关于{index_no}的通知",
        "summary": "内容概述",
        "generated_on": D("2025-03-03"),
        "category": "财政预算决算",
        "published_on": D("2025-03-10"),
        "reviewed": True,
    }
    values.update(kw)
    return CatalogueEntry(index_no=index_no, **values)


OFFICE: dict[str, str] = {
    "name": "嘉祥街道办事处",
    "disclosure_unit": "嘉祥街道党政办公室",
    "address": "嘉祥路1号",
    "office_hours": "工作日 9:00-12:00、13:30-17:30",
    "phone": "020-12345678",
    "fax": "020-12345679",
    "email": "gk@example.gov.cn",
    "website": "https://www.example.gov.cn",
    "postcode": "510000",
}


@pytest.fixture(scope="module")
def calendar() -> WorkCalendar:
    return WorkCalendar()


# --- diff ----------------------------------------------------------------------------------------------------


def test_diff_scripted_quarters() -> None:
    a, b, c = entry("A"), entry("B"), entry("C")
    q1 = cat.snapshot([a, b, c, entry("X", attribute="on_request"), entry("Y", published_on=None)])
    assert [r["index_no"] for r in q1] == ["A", "B", "C"]
    assert cat.diff([], q1) == cat.Diff(added=("A", "B", "C"))

    # Q2: A's title changes, D is added.
    q2 = cat.snapshot([replace(a, title="新名称"), b, c, entry("D")])
    d2 = cat.diff(q1, q2)
    assert d2.added == ("D",)
    assert d2.changed == (cat.Change("A", ("title",)),)
    assert d2.repealed == d2.withdrawn == ()

    # Q3: B is repealed (validity and date), C withdrawn (withdrawn_on set: leaves the catalogue).
    q3 = cat.snapshot(
        [replace(a, title="新名称"), replace(b, validity="repealed", repealed_on=D("2025-08-01")),
         replace(c, withdrawn_on=D("2025-08-02")), entry("D")]
    )  # fmt: skip
    d3 = cat.diff(q2, q3)
    assert (d3.added, d3.changed, d3.repealed, d3.withdrawn) == ((), (), ("B",), ("C",))

    # Q4: C comes back (re-added) with a new summary; D disappears; nothing else moves.
    q4 = cat.snapshot(
        [replace(a, title="新名称"), replace(b, validity="repealed", repealed_on=D("2025-08-01")),
         replace(c, summary="重新公开")]
    )  # fmt: skip
    d4 = cat.diff(q3, q4)
    assert (d4.added, d4.changed, d4.repealed, d4.withdrawn) == (("C",), (), (), ("D",))
    assert cat.diff(q4, q4).empty
    assert d4.as_dict() == {"added": ["C"], "changed": [], "repealed": [], "withdrawn": ["D"]}


def test_diff_repeal_by_date_only_and_with_other_changes() -> None:
    before = cat.snapshot([entry("A"), entry("B")])
    after = cat.snapshot(
        [entry("A", repealed_on=D("2025-09-01")), entry("B", validity="repealed", url="https://x")]
    )
    d = cat.diff(before, after)
    assert d.repealed == ("A", "B")
    assert d.changed == (cat.Change("B", ("url",)),)


def test_diff_withdrawn_marker_in_current_records() -> None:
    before = cat.snapshot([entry("A")])
    current = [{**before[0], "withdrawn_on": "2025-10-01"}]
    assert cat.diff(before, current).withdrawn == ("A",)


def test_snapshot_is_json_ready() -> None:
    import json

    snap = cat.snapshot([entry("A")])
    assert json.loads(json.dumps(snap)) == snap
    assert snap[0]["generated_on"] == "2025-03-03"


# --- completeness checks -------------------------------------------------------------------------------------


def checks(entries: list[CatalogueEntry], calendar: WorkCalendar, **kw: Any) -> list[Finding]:
    args: dict[str, Any] = {
        "matters": [],
        "office": OFFICE,
        "as_of": D("2025-09-30"),
        "quarter_start": D("2025-07-01"),
        "quarter_end": D("2025-09-30"),
        "calendar": calendar,
    }
    args.update(kw)
    return cat.completeness_checks(entries, **args)


def kinds(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return [(f.kind, f.index_no or f.matter) for f in findings]


def test_clean_catalogue_has_no_findings(calendar: WorkCalendar) -> None:
    assert checks([entry("A"), entry("B", attribute="on_request", published_on=None)], calendar) == []


@pytest.mark.parametrize(
    ("blank", "label"),
    [("index_no", "索引号"), ("title", "名称"), ("summary", "内容概述"), ("generated_on", "生成日期")],
)
def test_missing_mandatory_field(calendar: WorkCalendar, blank: str, label: str) -> None:
    value: Any = None if blank == "generated_on" else "  "
    e = replace(entry("A"), **{blank: value})
    found = [f for f in checks([e], calendar) if f.kind == "missing_field"]
    assert len(found) == 1 and label in found[0].message
    assert not [f for f in checks([entry("A")], calendar) if f.kind == "missing_field"]
    # an on-request item is not in the catalogue: not checked
    assert not checks([replace(e, attribute="on_request", published_on=None)], calendar)


def test_art26_overdue(calendar: WorkCalendar) -> None:
    # formed Monday 2025-03-03: the 20th working day after it is Monday 2025-03-31
    item = entry("A", published_on=None)
    assert publication_due(item, calendar) == D("2025-03-31")
    assert kinds(checks([item], calendar, as_of=D("2025-04-01"))) == [("overdue", "A")]
    assert "2025年3月31日" in checks([item], calendar, as_of=D("2025-04-01"))[0].message
    assert checks([item], calendar, as_of=D("2025-03-31")) == []
    # published in time: nothing owed
    assert checks([entry("A")], calendar, as_of=D("2025-04-01")) == []
    # changed after publication: a new 20-working-day period from the change
    changed = entry("A", changed_on=D("2025-06-02"))
    assert kinds(checks([changed], calendar, as_of=D("2025-07-31"))) == [("overdue", "A")]
    assert checks([changed], calendar, as_of=D("2025-06-20")) == []
    # withdrawn or not proactive: nothing owed
    assert checks([replace(item, withdrawn_on=D("2025-03-20"))], calendar, as_of=D("2025-04-01")) == []
    assert checks([replace(item, attribute="not_public")], calendar, as_of=D("2025-04-01")) == []


def test_published_without_review(calendar: WorkCalendar) -> None:
    assert kinds(checks([entry("A", reviewed=False)], calendar)) == [("unreviewed", "A")]
    assert checks([entry("A", reviewed=True)], calendar) == []
    assert checks([entry("A", reviewed=False, review_required=False)], calendar) == []
    # not yet published: the review may still come (Art. 26 is checked separately)
    assert checks([entry("A", reviewed=False, published_on=None)], calendar, as_of=D("2025-03-10")) == []


def test_repealed_still_in_force(calendar: WorkCalendar) -> None:
    stale = entry("A", repealed_on=D("2025-09-01"))
    assert kinds(checks([stale], calendar)) == [("repealed_in_force", "A")]
    assert checks([stale], calendar, as_of=D("2025-08-31")) == []  # repeal not yet effective
    assert checks([replace(stale, validity="repealed")], calendar) == []


@pytest.mark.parametrize(
    ("blank", "label"),
    [
        (("disclosure_unit",), "机构名称"),
        (("address",), "办公地址"),
        (("office_hours",), "办公时间"),
        (("phone",), "联系电话"),
        (("fax",), "传真"),
        (("email", "website"), "互联网联系方式"),
    ],
)
def test_guide_contact_field(calendar: WorkCalendar, blank: tuple[str, ...], label: str) -> None:
    office = {**OFFICE, **dict.fromkeys(blank, "")}
    found = checks([], calendar, office=office)
    assert [f.kind for f in found] == ["guide_contact"] and label in found[0].message
    assert checks([], calendar, office=OFFICE) == []


def test_guide_internet_contact_either_suffices(calendar: WorkCalendar) -> None:
    assert checks([], calendar, office={**OFFICE, "email": ""}) == []
    assert checks([], calendar, office={**OFFICE, "website": ""}) == []


MATTER = {"item": "财政信息", "subitem": "预算执行", "category": "财政预算决算", "method": "主动"}


@pytest.mark.parametrize(
    ("frequency", "published_on", "raised"),
    [
        ("quarterly", "2025-06-30", True),  # last quarter only
        ("quarterly", "2025-07-01", False),
        ("yearly", "2024-12-31", True),
        ("yearly", "2025-01-01", False),
        ("monthly", "2025-08-30", True),  # one month before 2025-09-30 is 2025-08-30: outside
        ("monthly", "2025-08-31", False),
        ("event", "2020-01-01", False),  # event-driven matters are not checked
    ],
)
def test_matter_without_item_in_its_period(
    calendar: WorkCalendar, frequency: str, published_on: str, raised: bool
) -> None:
    matter = {**MATTER, "frequency": frequency}
    found = checks([entry("A", published_on=D(published_on))], calendar, matters=[matter])
    assert kinds(found) == ([("matter_inactive", "财政信息 / 预算执行")] if raised else [])


def test_matter_other_category_or_withdrawn_does_not_count(calendar: WorkCalendar) -> None:
    matter = {**MATTER, "frequency": "quarterly"}
    other = entry("A", published_on=D("2025-08-01"), category="其他")
    withdrawn = entry("B", published_on=D("2025-08-01"), withdrawn_on=D("2025-08-05"))
    assert kinds(checks([other, withdrawn], calendar, matters=[matter])) == [
        ("matter_inactive", "财政信息 / 预算执行")
    ]
    # a matter published on request only is not checked
    assert checks([], calendar, matters=[{**matter, "method": "依申请"}]) == []


# --- spreadsheets --------------------------------------------------------------------------------------------


def hostile_entries() -> list[CatalogueEntry]:
    return [
        entry("A-0001", title=HYPERLINK, summary="+SUM(1,2)", issuing_body="@cmd", doc_number="-2+3"),
        entry("A-0002", title=SCRIPT, summary="\tTAB", url="javascript:alert(1)"),
        entry("A-0003", title="普通标题", url="https://www.example.gov.cn/a?x=1&y=2", five_publics="result"),
        entry("A-0004", title="依申请", attribute="on_request"),  # not in the catalogue
    ]


def test_xlsx_reads_back_and_stays_inert() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(cat.catalogue_xlsx(hostile_entries())))
    ws = wb.active
    assert ws is not None
    rows = list(ws.iter_rows())
    assert [c.value for c in rows[0]] == [label for _, label in cat.EXPORT_COLUMNS]
    assert [r[0].value for r in rows[1:]] == ["A-0001", "A-0002", "A-0003"]
    title, summary, doc_number = rows[1][1], rows[1][2], rows[1][5]
    for cell in (title, summary, doc_number, rows[1][6], rows[2][2]):
        assert cell.data_type == "s"
        assert str(cell.value).startswith("'=") or cell.quotePrefix
    assert title.value == HYPERLINK and summary.value == "+SUM(1,2)"
    assert rows[2][1].value == SCRIPT and not rows[2][1].quotePrefix
    assert rows[1][3].value.date() == D("2025-03-03")  # a date cell
    assert rows[3][8].value == "结果公开" and rows[3][15].value == "https://www.example.gov.cn/a?x=1&y=2"


def full_entry() -> CatalogueEntry:
    """Every exported field set, each to a value found in no other column."""
    return entry(
        "A-0009", title="名称九", summary="概述九", generated_on=D("2025-01-02"), changed_on=D("2025-01-03"),
        doc_number="嘉街〔2025〕9号", issuing_body="嘉祥街道办事处", category="财政预算决算", five_publics="decision",
        validity="repealed", valid_from=D("2025-01-04"), repealed_on=D("2025-01-05"), published_on=D("2025-01-06"),
        channel="政府网站", url="https://www.example.gov.cn/9.html",
    )  # fmt: skip


FULL_ROW: dict[str, object] = {
    "索引号": "A-0009", "名称": "名称九", "内容概述": "概述九", "生成日期": D("2025-01-02"), "变更日期": D("2025-01-03"),
    "文号": "嘉街〔2025〕9号", "发布机构": "嘉祥街道办事处", "主题分类": "财政预算决算", "五公开": "决策公开",
    "公开属性": "主动公开", "有效性": "已废止", "施行日期": D("2025-01-04"), "废止日期": D("2025-01-05"),
    "发布日期": D("2025-01-06"), "公开渠道": "政府网站", "网址": "https://www.example.gov.cn/9.html",
}  # fmt: skip
"""The row of :func:`full_entry` by column header."""


@pytest.mark.parametrize("read_only", [False, True])
def test_xlsx_every_column_format_and_layout(read_only: bool) -> None:
    wb = openpyxl.load_workbook(
        io.BytesIO(cat.catalogue_xlsx([full_entry(), entry("A-0010")])), read_only=read_only
    )
    ws = wb.active
    assert ws is not None and ws.title == "政府信息公开目录"
    header, full, sparse = list(ws.iter_rows())
    labels = [c.value for c in header]
    assert labels == list(FULL_ROW) and all(c.font.b for c in header)
    got = {
        label: c.value.date() if isinstance(c.value, datetime) else c.value
        for label, c in zip(labels, full, strict=True)
    }
    assert got == FULL_ROW
    for label, cell in zip(labels, full, strict=True):
        assert cell.number_format == ("yyyy-mm-dd" if isinstance(FULL_ROW[label], date) else "General"), label
        assert not cell.font.b
    # missing values are empty cells, every row as wide as the header
    assert len(sparse) == 16 and [c.value for c in sparse][3:5] == [datetime(2025, 3, 3), None]
    if not read_only:
        assert ws.freeze_panes == "A2"
        widths = {letter: ws.column_dimensions[letter].width for letter in "ABCDGP"}
        assert widths == {"A": 22, "B": 40, "C": 50, "D": 14, "G": 20, "P": 40}
    wb.close()


def test_csv_every_column() -> None:
    rows = list(csv.reader(io.StringIO(cat.catalogue_csv([full_entry()]).decode("utf-8-sig"), newline="")))
    assert dict(zip(rows[0], rows[1], strict=True)) == {
        k: v.isoformat() if isinstance(v, date) else v for k, v in FULL_ROW.items()
    }


def _excel_text(value: str) -> str:
    """What Excel shows for a cell's text as stored: ``_xHHHH_`` is the character HHHH."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), value)


def test_xlsx_keeps_text_xml_cannot_carry_as_is() -> None:
    """Control characters (a vertical tab pasted from Word), CR, markup, edge spaces and a literal ``_x000B_``:
    the workbook is still written, and the text reads back as given (openpyxl used to refuse the whole file)."""
    texts = [
        "段落一\x0b段落二",
        "a\x01b\x1fc",
        "行一\r\n行二",
        " 前后空格 ",
        "<b>&amp;</b>",
        "字面 _x000B_ 与 _x12g4_",
    ]
    entries = [entry(f"A-{i:04d}", title=t, summary=t) for i, t in enumerate(texts)]
    wb = openpyxl.load_workbook(io.BytesIO(cat.catalogue_xlsx(entries)))
    ws = wb.active
    assert ws is not None
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [_excel_text(str(r[1])) for r in rows] == texts
    assert [_excel_text(str(r[2])) for r in rows] == texts


def test_csv_reads_back_and_stays_inert() -> None:
    data = cat.catalogue_csv(hostile_entries())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [label for _, label in cat.EXPORT_COLUMNS]
    assert [r[0] for r in rows[1:]] == ["A-0001", "A-0002", "A-0003"]
    assert rows[1][1] == "'" + HYPERLINK
    assert (rows[1][2], rows[1][5], rows[1][6], rows[2][2]) == ("'+SUM(1,2)", "'-2+3", "'@cmd", "'\tTAB")
    assert rows[2][1] == SCRIPT and rows[1][3] == "2025-03-03"
    for row in rows[1:]:
        assert not any(cell.startswith(cat.FORMULA_TRIGGERS) for cell in row)


@pytest.mark.parametrize(
    ("text", "out"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("a=1", "a=1"), ("", ""), ("'=1", "'=1")],
)  # fmt: skip
def test_neutralise_csv_cell(text: str, out: str) -> None:
    assert cat.neutralise_csv_cell(text) == out


# --- markdown ------------------------------------------------------------------------------------------------


def _md_reference(value: str) -> str:
    """md_escape as first written: one line, HTML's three as entities, then a backslash before each inline
    Markdown character, then the line-start marker."""
    text = " ".join(value.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]|~!])", r"\\\1", text)
    match = re.match(r"^([#+=-]|[0-9]+(?=[.)]))", text)
    if match is not None:
        text = match[1] + "\\" + text[len(match[1]) :] if match[1][0].isdigit() else "\\" + text
    return text


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="&<>\\`*_[]|~!#+=-.)0123456789 \t\n;a中", max_size=16))
def test_md_escape_is_the_plain_definition(value: str) -> None:
    assert cat.md_cell(value) == _md_reference(value)


def test_markdown_catalogue_escapes_cells() -> None:
    md = cat.render_catalogue_markdown(hostile_entries(), OFFICE, date(2025, 10, 1))
    lines = [line for line in md.splitlines() if line.startswith("| A-")]
    assert len(lines) == 3
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert all(line.count("|") - line.count("\\|") == 11 for line in lines)


def test_catalogue_artifact_escapes_what_it_quotes(tmp_path: Path) -> None:
    from gongkai.catalogue.build import CatalogueUpdate, summary_markdown

    update = CatalogueUpdate(
        "2025-Q3", date(2025, 10, 1), 2, cat.Diff(added=("A_1*",)),
        [cat.Finding("missing_field", "A_0001：缺少 <script>alert(1)</script> 的 *发布机构*", index_no="A_0001"),
         cat.Finding("overdue", "# 标题 | 单元格", index_no="A-2")],
        {"catalogue.md": tmp_path / "a`b_c" / "catalogue.md"},
    )  # fmt: skip
    md = summary_markdown(update)

    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "A\\_0001" in md and "\\*发布机构\\*" in md
    assert "- \\# 标题 \\| 单元格" in md
    assert f"`` {tmp_path}/a`b_c/catalogue.md ``" in md  # a path in a code span, whole and literal


def test_markdown_guide_has_contacts() -> None:
    md = cat.render_guide_markdown(OFFICE, ["财政预算决算"], [{**MATTER, "frequency": "quarterly"}], [])
    for key in ("disclosure_unit", "address", "phone", "fax", "email", "website"):
        assert OFFICE[key].replace("_", "\\_") in md or OFFICE[key] in md
    assert "当面提交" in md and "邮政寄送" in md and "财政信息 / 预算执行" in md


# --- HTML ----------------------------------------------------------------------------------------------------


def test_html_escapes_and_links_only_http() -> None:
    html = cat.render_catalogue_html(hostile_entries(), OFFICE, date(2025, 10, 1))
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html
    assert 'href="https://www.example.gov.cn/a?x=1&amp;y=2"' in html
    assert html.count("<script>") == 1  # the page's own search script only
    assert '<html lang="zh-CN">' in html and "<caption>" in html and "@media print" in html
    assert '<label for="catalogue-search">' in html
    assert "依申请" not in html.split("<tbody>")[1]


def test_guide_html_contents() -> None:
    html = cat.render_guide_html(
        {**OFFICE, "name": "嘉祥<b>街道</b>"},
        ["财政预算决算", {"name": "规划信息", "description": "规划"}],
        [{**MATTER, "frequency": "quarterly", "channels": ["政府网站", "公示栏"]}],
        [{"name": "在线申请", "how": "通过网站提交"}],
    )
    for key, value in OFFICE.items():
        assert key == "name" or value in html
    for heading in ("信息分类与编排体系", "获取政府信息的方式", "政府信息公开工作机构", "申请渠道"):
        assert heading in html
    assert "当面提交" in html and "邮政寄送" in html and "在线申请" in html
    assert "政府网站、公示栏" in html and "规划信息" in html
    assert "<b>" not in html and "&lt;b&gt;" in html


def test_guide_keeps_announced_in_person_and_postal_channels() -> None:
    html = cat.render_guide_html(
        OFFICE, [], [], [{"name": "当面递交", "how": "x"}, {"name": "邮寄申请", "how": "y"}]
    )
    assert "当面提交" not in html and "邮政寄送" not in html


def test_guide_blank_contact_prints_placeholder() -> None:
    html = cat.render_guide_html({**OFFICE, "fax": ""}, [], [], [])
    assert 'id="contact-fax">（未填写）' in html


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


class _Dom(HTMLParser):
    """Rows of ``table#catalogue`` (cell texts), whether the search form is shown, and script elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self.scripts: list[str] = []
        self.form_hidden: bool | None = None
        self.labels: list[str] = []
        self._in_table = self._in_body = self._in_script = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == "catalogue":
            self._in_table = True
        elif tag == "tbody" and self._in_table:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []
        elif tag == "script":
            self._in_script = True
            self.scripts.append("")
        elif tag == "form" and a.get("id") == "catalogue-search-form":
            self.form_hidden = "hidden" in a
        elif tag == "label":
            self.labels.append(str(a.get("for")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._in_table = False
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_script:
            self.scripts[-1] += data


def _parse(html: str) -> _Dom:
    dom = _Dom()
    dom.feed(html)
    dom.close()
    return dom


def test_without_javascript_the_full_table_shows() -> None:
    html = cat.render_catalogue_html(hostile_entries(), OFFICE, date(2025, 10, 1))
    dom = _parse(html)  # the page as served: no script has run
    assert [r[0] for r in dom.rows] == ["A-0001", "A-0002", "A-0003"]
    assert dom.form_hidden is True  # the search box appears only when the script runs
    assert "hidden" not in html.split("<tbody>")[1].split("</tbody>")[0]


@pytest.fixture(scope="module")
def browser_dom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Dom]:
    if not CHROMIUM.exists():
        if _running_in_ci():
            pytest.fail(f"{CHROMIUM} is missing but CI must run the browser tests (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (Debian package: chromium)")
    from tests.gongkai.test_report_render import dump_dom

    html = cat.render_catalogue_html(hostile_entries(), OFFICE, date(2025, 10, 1))
    dom = dump_dom({"catalogue": html}, tmp_path_factory.mktemp("chromium"))["catalogue"]
    yield _parse(dom)


def test_browser_reads_back_entries(browser_dom: _Dom) -> None:
    expected = [
        [
            "A-0001",
            HYPERLINK,
            "+SUM(1,2)",
            "-2+3",
            "@cmd",
            "财政预算决算",
            "",
            "2025-03-03",
            "2025-03-10",
            "有效",
        ],
        ["A-0002", SCRIPT, "TAB", "", "", "财政预算决算", "", "2025-03-03", "2025-03-10", "有效"],
        [
            "A-0003",
            "普通标题",
            "内容概述",
            "",
            "",
            "财政预算决算",
            "结果公开",
            "2025-03-03",
            "2025-03-10",
            "有效",
        ],
    ]
    assert browser_dom.rows == expected


def test_browser_no_script_from_data(browser_dom: _Dom) -> None:
    assert len(browser_dom.scripts) == 1 and "alert" not in browser_dom.scripts[0]
    assert browser_dom.form_hidden is False  # the script ran: the search box is shown
    assert "catalogue-search" in browser_dom.labels


# --- the database --------------------------------------------------------------------------------------------


def _ensure_0005(engine: sa.Engine) -> None:
    """The parts of migration 0005 this module reads, when that migration has not landed yet."""
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        if "withdrawn_on" not in {c["name"] for c in inspector.get_columns("proactive_item")}:
            conn.execute(sa.text("ALTER TABLE proactive_item ADD COLUMN withdrawn_on DATE"))
        if not inspector.has_table("item_review"):
            conn.execute(
                sa.text(
                    "CREATE TABLE item_review (id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, reviewer VARCHAR(64),"
                    " reviewed_on DATE, result VARCHAR(24) NOT NULL, legal_ground TEXT, referral BOOLEAN, note TEXT,"
                    " recorded_at TIMESTAMP, recorded_by VARCHAR(64))"
                )
            )


def office_id(conn: sa.Connection) -> int:
    """Office 1 (``default``), made if the database has none yet."""
    if conn.execute(sa.text("SELECT 1 FROM office WHERE id = 1")).first() is None:
        conn.execute(
            sa.text("INSERT INTO office (id, code, set_by, created_at) VALUES (1, 'default', 'config', :t)"),
            {"t": NOW},
        )
    return 1


def _insert_item(conn: sa.Connection, item_id: int, index_no: str, **kw: Any) -> None:
    from gongkai.store.tables import ITEM as table

    values = {"office_id": office_id(conn), "id": item_id, "index_no": index_no, "title": f"标题{index_no}", "summary": "概述",
              "generated_on": D("2025-03-03"), "category": "财政预算决算", "created_at": NOW, "updated_at": NOW}  # fmt: skip
    values.update({k: v for k, v in kw.items() if k != "withdrawn_on"})
    conn.execute(sa.insert(table).values(**values))
    if "withdrawn_on" in kw:
        conn.execute(
            sa.text("UPDATE proactive_item SET withdrawn_on = :d WHERE id = :i"),
            {"d": kw["withdrawn_on"], "i": item_id},
        )


def test_load_entries(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        _ensure_0005(engine)
        with engine.begin() as conn:
            _insert_item(conn, 1, "B-2", published_on=D("2025-03-10"))
            _insert_item(conn, 2, "A-1", published_on=D("2025-03-11"), withdrawn_on=D("2025-05-01"))
            _insert_item(conn, 3, "C-3")
            _insert_item(conn, 4, "D-4", published_on=D("2025-03-12"))
            review = sa.text(
                "INSERT INTO item_review (id, item_id, reviewer, reviewed_on, result, referral, recorded_at, recorded_by,"
                " office_id) VALUES (:id, :item, 'wang', :d, :r, false, :at, 'test', 1)"
            )
            conn.execute(
                review, {"id": 1, "item": 1, "d": D("2025-03-09"), "r": "publish_redacted", "at": NOW}
            )
            conn.execute(review, {"id": 2, "item": 4, "d": D("2025-03-09"), "r": "withhold", "at": NOW})
        with office_session(engine) as session:
            entries = cat.load_entries(session)
        assert [e.index_no for e in entries] == ["A-1", "B-2", "C-3", "D-4"]
        a, b, c, d = entries
        assert a.withdrawn_on == D("2025-05-01") and a.published_on == D("2025-03-11")
        assert b.reviewed and not c.reviewed and not d.reviewed
        assert b.generated_on == D("2025-03-03") and c.published_on is None
        assert [r["index_no"] for r in cat.snapshot(entries)] == ["B-2", "D-4"]
    finally:
        engine.dispose()


def test_load_entries_before_0005(sqlite_url: str) -> None:
    """A schema without ``withdrawn_on``, ``review_required`` and ``item_review`` (made here, as before 0005)."""
    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE proactive_item (id INTEGER PRIMARY KEY, index_no VARCHAR(64), title VARCHAR(500),"
                    " summary TEXT, generated_on DATE, changed_on DATE, doc_number VARCHAR(100),"
                    " issuing_body VARCHAR(200), category VARCHAR(100), five_publics VARCHAR(16),"
                    " attribute VARCHAR(16), validity VARCHAR(16), valid_from DATE, repealed_on DATE,"
                    " published_on DATE, channel VARCHAR(100), url VARCHAR(500), owner_id VARCHAR(32))"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO proactive_item (id, index_no, title, summary, generated_on, category, attribute,"
                    " validity, published_on) VALUES (1, 'A-1', 't', 's', '2025-03-03', 'c', 'proactive',"
                    " 'in_force', '2025-03-10')"
                )
            )
        with session_scope(engine) as session:  # one office's register before 0010: no office to name
            (only,) = cat.load_entries(session)
        assert only.withdrawn_on is None and not only.reviewed and only.review_required
        assert only.generated_on == D("2025-03-03") and only.published_on == D("2025-03-10")
    finally:
        engine.dispose()


def test_entries_from_rows_accepts_iso_strings() -> None:
    (e,) = cat.entries_from_rows(
        [{"index_no": "A", "title": "t", "summary": None, "generated_on": "2025-03-03", "published_on": "",
          "reviewed": 1, "unknown": "ignored"}]
    )  # fmt: skip
    assert e.generated_on == D("2025-03-03") and e.published_on is None and e.summary == "" and e.reviewed


# --- the guide's categories, from the configuration ----------------------------------------------------------


class _CategoryRows(HTMLParser):
    """(分类, 说明) of the guide's ``table#categories``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_table = self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("id", "categories") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("th", "td"):
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        elif tag in ("th", "td"):
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_table and self._in_cell:
            self.rows[-1][-1] += data.strip()


def test_guide_describes_every_category(sqlite_url: str, tmp_path: Path) -> None:
    from gongkai.catalogue.build import update_catalogue
    from gongkai.core.codes import ART20_CATEGORIES
    from gongkai.core.settings import load_settings
    from gongkai.register import repository as register

    shipped = (Path(__file__).resolve().parents[2] / "config" / "gongkai.toml").read_text(encoding="utf-8")
    config = tmp_path / "gongkai.toml"
    config.write_text(
        shipped.replace('categories = ["政府信息公开"]', 'categories = ["政府信息公开", "社区事务"]', 1),
        encoding="utf-8",
    )
    settings = load_settings(config)
    engine = open_database(sqlite_url)
    try:
        with office_session(engine) as session:
            update = update_catalogue(
                session,
                settings=settings,
                calendar=register.load_calendar(session),
                as_of=date(2026, 10, 1),
                out_dir=tmp_path / "out",
            )
    finally:
        engine.dispose()
    parser = _CategoryRows()
    parser.feed(update.files["guide.html"].read_text(encoding="utf-8"))
    rows = {name: text for name, text in parser.rows[1:]}
    assert list(rows) == [*ART20_CATEGORIES, "政府信息公开", "社区事务"]
    assert all(rows.values()), [name for name, text in rows.items() if not text]
    assert rows["规范性文件"].startswith("第二十条第（一）项") and "规范性文件" in rows["规范性文件"]
    assert rows["行政强制"].startswith("第二十条第（六）项") and "行政强制" in rows["行政强制"]
    assert rows["政府信息公开"] == settings.catalogue.category_descriptions["政府信息公开"]
    assert rows["社区事务"] == "本机关自定的信息类别"  # an own category without a description
    markdown = update.files["guide.md"].read_text(encoding="utf-8")
    assert f"| 政府信息公开 | {rows['政府信息公开']} |" in markdown
