"""``gongkai report check FILE``: published annual reports (2021 format) read from JSON, HTML and DOCX — Gongkai's
own output for the demo year, the same reports with a broken identity, an HTML "from another system" with blank
and ``/`` cells, a town listing 6 规章, a DOCX with merged cells built by python-docx, a narrative quoting other
numbers (a warning), and files that cannot be read or are not in the layout (exit 2)."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from docx import Document
from test_report_render import NARRATIVE, sample_data

from gongkai.cli.main import main
from gongkai.report import layout
from gongkai.report.docx import build_docx
from gongkai.report.render import render_report

REPO = Path(__file__).resolve().parents[2]


def gk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def check(path: Path) -> tuple[Result, dict[str, Any]]:
    """Run the check twice: as text (returned) and with --json (parsed); both must agree on the exit status."""
    text = gk("report", "check", str(path))
    as_json = gk("report", "check", str(path), "--json")
    assert text.exit_code == as_json.exit_code, (text.output, as_json.output)
    return text, json.loads(as_json.stdout) if as_json.exit_code in (0, 1) else {}


@pytest.fixture(scope="module")
def demo_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """The demo office's 2025 report as Gongkai writes it: JSON, HTML and DOCX (built by the CLI)."""
    home = tmp_path_factory.mktemp("home")
    out = tmp_path_factory.mktemp("out")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GONGKAI_HOME", str(home))
        mp.setenv("GONGKAI_CONFIG", str(REPO / "config" / "gongkai.toml"))
        mp.setenv("GONGKAI_USER", "wang")
        assert gk("demo", "--as-of", "2026-01-10").exit_code == 0
        for key, value in (
            ("行政许可", "12"),
            ("行政处罚", "3"),
            ("行政强制", "0"),
            ("行政事业性收费", "0.35"),
        ):
            args = (
                "report",
                "figures",
                "set",
                "--year",
                "2025",
                "--key",
                key,
                "--value",
                value,
                "--source",
                "演示",
            )
            assert gk(*args).exit_code == 0
        files = {}
        for fmt in ("json", "html", "docx"):
            files[fmt] = out / f"report-2025.{fmt}"
            built = gk("report", "build", "--year", "2025", "--format", fmt, "--output", str(files[fmt]))
            assert built.exit_code == 0, built.output
        yield files


@pytest.mark.parametrize("fmt", ["json", "html", "docx"])
def test_gongkais_own_report_all_hold(demo_reports: dict[str, Path], fmt: str) -> None:
    result, doc = check(demo_reports[fmt])
    assert result.exit_code == 0, result.output
    assert "I1–I5 全部成立" in result.output
    assert doc["ok"] is True and doc["failures"] == [] and doc["year"] == 2025 and doc["kind"] == fmt


# --- the same reports with a broken identity ------------------------------------------------------------------


def _break_i1(doc: dict[str, Any]) -> None:
    # one more natural person received, in the row and in its total: I3 still holds, I1 does not
    doc["requests"]["1"]["natural_person"] += 1
    doc["requests"]["1"]["total"] += 1


def _break_i3(doc: dict[str, Any]) -> None:
    # totals of rows 1 and 4 both one too many: I1 still holds on the total column, I3 does not
    doc["requests"]["1"]["total"] += 1
    doc["requests"]["4"]["total"] += 1


def _break_i4(doc: dict[str, Any]) -> None:
    doc["appeals"]["litigation_direct"]["total"] += 2


BREAKS: dict[str, tuple[Callable[[dict[str, Any]], None], list[dict[str, str]]]] = {
    "I1": (_break_i1, [{"table": "表三", "column": "自然人"}]),
    "I3": (
        _break_i3,
        [
            {"table": "表三", "row": "一、本年新收政府信息公开申请数量", "column": "总计"},
            {"table": "表三", "row": "四、结转下年度继续办理", "column": "总计"},
        ],
    ),
    "I4": (_break_i4, [{"table": "表四", "row": "行政诉讼（未经复议直接起诉）", "column": "总计"}]),
}


def _write(doc: dict[str, Any], fmt: str, path: Path) -> Path:
    if fmt == "json":
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    elif fmt == "html":
        path.write_text(render_report(doc, narrative=NARRATIVE, fmt="html"), encoding="utf-8")
    else:
        path.write_bytes(
            build_docx(doc, narrative=NARRATIVE, chart_png=None, office="嘉祥街道办事处", year=2025)
        )
    return path


@pytest.mark.parametrize("fmt", ["json", "html", "docx"])
@pytest.mark.parametrize("identity", sorted(BREAKS))
def test_a_broken_identity_is_named(tmp_path: Path, fmt: str, identity: str) -> None:
    doc = sample_data()
    assert check(_write(doc, fmt, tmp_path / f"good.{fmt}"))[0].exit_code == 0
    corrupt, expected = BREAKS[identity]
    corrupt(doc)
    result, out = check(_write(doc, fmt, tmp_path / f"bad.{fmt}"))
    assert result.exit_code == 1, result.output
    assert out["failed"] == [identity]
    failures = [{k: f[k] for k in ("identity", "table", "row", "column")} for f in out["failures"]]
    for want in expected:
        assert any(all(f[k] == v for k, v in want.items()) for f in failures), (want, failures)
    assert f"不成立的勾稽关系：{identity}" in result.output


def test_a_broken_identity_names_expected_and_found(tmp_path: Path) -> None:
    doc = sample_data()
    _break_i4(doc)
    result, out = check(_write(doc, "html", tmp_path / "bad.html"))
    (failure,) = out["failures"]
    total = doc["appeals"]["litigation_direct"]["total"]
    assert failure["expected"] == str(total - 2) and failure["found"] == str(total)
    assert f"表四“行政诉讼（未经复议直接起诉）”“总计”：应为 {total - 2}，实际为 {total}" in result.output


# --- reports from other systems -------------------------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _figures(doc: Mapping[str, Any]) -> dict[str, str]:
    """Every printed figure of the report JSON by its layout path, as text."""
    out: dict[str, str] = {}
    for table in layout.TABLE2:
        for row in table.rows:
            for path in row.paths:
                parts = path.split(".")
                value: Any = doc
                for key in parts:
                    value = value[key]
                out[path] = str(value)
    for r in layout.TABLE3_ROWS:
        for key, _ in layout.APPLICANT_COLUMNS:
            out[r.path(key)] = str(doc["requests"][r.row_id][key])
    for path in layout.TABLE4_PATHS:
        _, block, result = path.split(".")
        out[path] = str(doc["appeals"][block][result])
    return out


def _foreign_label(text: str) -> str:
    """A label as another system prints it: ASCII parentheses and quotes, full-width numbering, stray spaces."""
    text = text.replace("（", "(").replace("）", ")").replace("“", '"').replace("”", '"')
    return " " + text.replace("1.", "１．").replace("、", "、 ") + "\n"


def foreign_html(figures: Mapping[str, str], *, paragraphs: str = "") -> str:
    """Tables 二, 三, 四 in the official layout as another system writes them: td everywhere, no thead, labels
    and digits in other widths, thousands separators kept as printed."""

    def cell(text: str, rowspan: int = 1, colspan: int = 1) -> str:
        spans = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (
            f' colspan="{colspan}"' if colspan > 1 else ""
        )
        return f"<td{spans}>{html.escape(text)}</td>"

    t2 = []
    for table in layout.TABLE2:
        t2.append(f"<tr>{cell(table.caption, colspan=4)}</tr>")
        span = 3 // (len(table.headers) - 1)
        t2.append(
            "<tr>"
            + cell(table.headers[0])
            + "".join(cell(h, colspan=span) for h in table.headers[1:])
            + "</tr>"
        )
        for row in table.rows:
            values = "".join(cell(figures[p].translate(FULL_WIDTH), colspan=span) for p in row.paths)
            t2.append(f"<tr>{cell(' ' + row.label + ' ')}{values}</tr>")
    t3 = [
        "<tr>" + "".join(cell(c.text, c.rowspan, c.colspan) for c in hr) + "</tr>"
        for hr in layout.TABLE3_HEADER_ROWS
    ]
    for r in layout.TABLE3_ROWS:
        labels = "".join(cell(_foreign_label(c.text), c.rowspan, c.colspan) for c in r.label_cells)
        values = "".join(cell(figures[r.path(k)]) for k, _ in layout.APPLICANT_COLUMNS)
        t3.append(f"<tr>{labels}{values}</tr>")
    t4 = [
        "<tr>" + "".join(cell(c.text, c.rowspan, c.colspan) for c in hr) + "</tr>"
        for hr in layout.TABLE4_HEADER_ROWS
    ]
    t4.append("<tr>" + "".join(cell(figures[p]) for p in layout.TABLE4_PATHS) + "</tr>")
    return (
        "<html><head><meta charset='utf-8'><title>某镇2024年政府信息公开工作年度报告</title>"
        "<style>td { color: red }</style></head><body>"
        f"<p>{html.escape(paragraphs)}</p><h2>二、主动公开政府信息情况</h2><table>{''.join(t2)}</table>"
        f"<h2>三、收到和处理政府信息公开申请情况</h2><table>{''.join(t3)}</table>"
        f"<h2>四、政府信息公开行政复议、行政诉讼情况</h2><table><tbody>{''.join(t4)}</tbody></table></body></html>"
    )


def test_other_systems_html_in_the_official_layout_all_hold(tmp_path: Path) -> None:
    figures = _figures(sample_data())
    path = tmp_path / "town.html"
    path.write_text(foreign_html(figures), encoding="gb18030")
    result, out = check(path)
    assert result.exit_code == 0, result.output
    assert out["year"] == 2024 and out["kind"] == "html"


def test_thousands_separators_are_read(tmp_path: Path) -> None:
    doc = sample_data()
    for row, extra in (("1", 1200), ("3.1", 1200)):
        for col in ("natural_person", "total"):
            doc["requests"][row][col] += extra
    doc["requests"]["3.7"]["natural_person"] += 1200
    doc["requests"]["3.7"]["total"] += 1200
    figures = _figures(doc)
    figures = {p: f"{int(v):,}" if v.isdigit() else v for p, v in figures.items()}
    assert any("," in v for v in figures.values())
    path = tmp_path / "big.html"
    path.write_text(foreign_html(figures), encoding="utf-8")
    result, _ = check(path)
    assert result.exit_code == 0, result.output


def test_blank_and_slash_cells_are_read_as_stated_never_as_zero(tmp_path: Path) -> None:
    doc = sample_data()
    figures = _figures(doc)
    figures["requests.3.3.1.research"] = "  "  # blank where a count belongs
    figures["proactive.rules.issued"] = "/"
    path = tmp_path / "blanks.html"
    path.write_text(foreign_html(figures), encoding="utf-8")
    result, out = check(path)
    assert result.exit_code == 1
    by_identity = {(f["identity"], f["row"], f["column"]): f for f in out["failures"]}
    blank = by_identity[("I5", "1.属于国家秘密", "科研机构")]
    assert blank["found"] == "未填写" and blank["expected"] == "非负整数"
    assert by_identity[("I5", "规章", "本年制发件数")]["found"] == "“/”"
    # the blank is not taken as 0: the sums that need it are not checkable (they would hold with 0 … or not)
    assert by_identity[("I2", "（七）总计", "科研机构")]["found"] == "无法核对"
    assert by_identity[("I3", "1.属于国家秘密", "总计")]["found"] == "无法核对"
    assert out["failed"] == ["I2", "I3", "I5"]
    assert "表三“1.属于国家秘密”“科研机构”：应为 非负整数，实际为 未填写" in result.output


def test_a_town_listing_six_rules_in_force_fails_i5(tmp_path: Path) -> None:
    figures = _figures(sample_data())
    figures["proactive.rules.in_force"] = "6"
    path = tmp_path / "rules.html"
    path.write_text(foreign_html(figures), encoding="utf-8")
    result, out = check(path)
    assert result.exit_code == 1
    assert out["failures"] == [
        {
            "identity": "I5",
            "table": "表二",
            "row": "规章",
            "column": "现行有效件数",
            "expected": "0",
            "found": "6",
            "message": "表二“规章”“现行有效件数”为 6，街道办事处无权制定规章，应为 0",
        }
    ]


def test_a_narrative_quoting_other_numbers_is_a_warning_only(tmp_path: Path) -> None:
    doc = sample_data()
    received = doc["requests"]["1"]["total"]
    path = tmp_path / "narrative.html"
    path.write_text(
        foreign_html(_figures(doc), paragraphs=f"本年共新收政府信息公开申请{received + 7}件。"), "utf-8"
    )
    result, out = check(path)
    assert result.exit_code == 0, result.output
    assert "I8 提示" in result.output and f"{received + 7}" in result.output
    assert out["ok"] is True and len(out["warnings"]) == 1


def _docx_table(document: Any, header_rows: Any, body: list[list[tuple[str, int, int]]], width: int) -> None:
    """A table whose cells open at their grid positions with spans, merged by python-docx (gridSpan/vMerge)."""
    rows = [[(c.text, c.rowspan, c.colspan) for c in hr] for hr in header_rows] + body
    table = document.add_table(rows=len(rows), cols=width)
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(rows):
        col = 0
        for text, rowspan, colspan in row:
            while (r, col) in taken:
                col += 1
            cell = table.cell(r, col)
            if rowspan > 1 or colspan > 1:
                cell = cell.merge(table.cell(r + rowspan - 1, col + colspan - 1))
            cell.text = text
            taken |= {(r + i, col + j) for i in range(rowspan) for j in range(colspan)}
            col += colspan


def foreign_docx(figures: Mapping[str, str], path: Path) -> Path:
    document = Document()
    document.add_paragraph("某街道办事处2024年度政府信息公开工作年度报告")
    t2: list[list[tuple[str, int, int]]] = []
    for table in layout.TABLE2:
        span = 3 // (len(table.headers) - 1)
        t2.append([(table.caption, 1, 4)])
        t2.append([(table.headers[0], 1, 1), *((h, 1, span) for h in table.headers[1:])])
        t2 += [[(row.label, 1, 1), *((figures[p], 1, span) for p in row.paths)] for row in table.rows]
    _docx_table(document, (), t2, 4)
    body3 = [
        [*((_foreign_label(c.text), c.rowspan, c.colspan) for c in r.label_cells)]
        + [(figures[r.path(k)].translate(FULL_WIDTH), 1, 1) for k, _ in layout.APPLICANT_COLUMNS]
        for r in layout.TABLE3_ROWS
    ]
    _docx_table(document, layout.TABLE3_HEADER_ROWS, body3, 10)
    _docx_table(document, layout.TABLE4_HEADER_ROWS, [[(figures[p], 1, 1) for p in layout.TABLE4_PATHS]], 15)
    document.save(str(path))
    return path


def test_docx_with_merged_cells_from_another_system(tmp_path: Path) -> None:
    doc = sample_data()
    good = foreign_docx(_figures(doc), tmp_path / "good.docx")
    result, out = check(good)
    assert result.exit_code == 0, result.output
    assert out["year"] == 2024
    _break_i4(doc)
    doc["requests"]["3.3.8"]["legal_services"] = 0  # and an I2/I3 failure inside the merged （三） group
    result, out = check(foreign_docx(_figures(doc), tmp_path / "bad.docx"))
    assert result.exit_code == 1
    assert out["failed"] == ["I2", "I3", "I4"]
    assert any(f["row"] == "8.属于行政查询事项" and f["identity"] == "I3" for f in out["failures"])


def test_text_from_the_file_is_data_never_markup(tmp_path: Path) -> None:
    figures = _figures(sample_data())
    figures["appeals.reconsideration.pending"] = "<script>alert(1)</script>"
    path = tmp_path / "hostile.docx"
    foreign_docx(figures, path)
    result, out = check(path)
    assert result.exit_code == 1
    found = [f["found"] for f in out["failures"] if f["identity"] == "I5"]
    assert found == ["“<script>alert(1)</script>”"]  # plain text in JSON; no HTML is built from it


# --- exit 2: not readable, not in the layout ------------------------------------------------------------------


def _without_row(text: str, label: str) -> str:
    start = text.index(html.escape(_foreign_label(label)))
    row_start = text.rindex("<tr>", 0, start)
    return text[:row_start] + text[text.index("</tr>", start) + 5 :]


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("missing.json", None, "无法读取文件"),
        ("junk.bin", b"\x00\x01\x02 not a report", "不是年度报告"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "不是可以读取的 DOCX"),
        ("partial.json", json.dumps({"proactive": {}, "requests": {}}).encode(), "缺少 appeals"),
        ("norow.json", b"", "缺少 requests.3.3.3.research（表三“3.危及“三安全一稳定””“科研机构”）"),
        ("notables.html", "<html><body><p>没有表格</p></body></html>".encode(), "没有表格"),
        ("norow.html", b"", "表三缺少“3.危及“三安全一稳定””"),
        ("nocolumn.html", b"", "表三表头缺少“科研机构”列"),
        ("no4.html", b"", "没有找到表四"),
        ("rules2019.html", b"", "没有找到表二“行政规范性文件”一行"),
    ],
)
def test_unreadable_or_wrong_layout_is_exit_2(
    tmp_path: Path, name: str, content: bytes | None, named: str
) -> None:
    path = tmp_path / name
    figures = _figures(sample_data())
    page = foreign_html(figures)
    if name == "norow.json":
        doc = copy.deepcopy(sample_data())
        del doc["requests"]["3.3.3"]["research"]
        content = json.dumps(doc, ensure_ascii=False).encode()
    elif name == "norow.html":
        content = _without_row(page, "3.危及“三安全一稳定”").encode()
    elif name == "nocolumn.html":
        content = page.replace("<td>科研机构</td>", "<td>研究机构</td>").encode()
    elif name == "no4.html":
        content = (
            page.replace("<td>复议后起诉</td>", "<td>其他</td>", 1)
            .replace("<td>结果维持</td>", "<td>维持</td>")
            .encode()
        )
    elif name == "rules2019.html":
        content = page.replace("行政规范性文件", "规范性文件").encode()
    if content is not None:
        path.write_bytes(content)
    result = gk("report", "check", str(path))
    assert result.exit_code == 2, result.output
    assert named in result.stderr and name in result.stderr
    assert result.stdout == ""
