"""The official layout of the annual report, as data (ogi-rules.md section 6.3; the seed office's pre-2019
layout of section 6.5).

One source of every printed label: the report templates, the renderer's validation and the tests all read them
from here, so a label is fixed in one place and checked character for character against the spec by
``tests/gongkai/test_report_render.py``. Pure data, no I/O, no Prefect.

The figures themselves live in the JSON of CONTRACT section 4; each cell here names the JSON path of its figure
(dotted, from the top of that JSON: ``requests.3.3.1.natural_person`` is row 3.3.1, column 自然人).

Table 三 is described for an HTML renderer: each data row lists the label cells that *open* on that row (a group
cell such as ``（三）不予公开`` opens on its first sub-row with a ``rowspan`` over all of them), so a template can
emit ``<td rowspan colspan>`` without arithmetic. The same rows carry their enclosing group labels for flat
formats (Markdown, DOCX without merged cells).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from gongkai.core.codes import APPLICANT_TYPES

# --- cells ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One printed cell of a table: its exact text and how many rows and columns it spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1


# --- the six sections of the 2021 format ---------------------------------------------------------------------

SECTION_HEADINGS: Final[dict[str, str]] = {
    "一": "一、总体情况",
    "二": "二、主动公开政府信息情况",
    "三": "三、收到和处理政府信息公开申请情况",
    "四": "四、政府信息公开行政复议、行政诉讼情况",
    "五": "五、存在的主要问题及改进情况",
    "六": "六、其他需要报告的事项",
}
"""The section number -> the exact heading, in report order."""

NARRATIVE_SECTIONS: Final[tuple[str, ...]] = ("一", "五", "六")
"""Sections of the 2021 format written by the office (keys of the ``narrative`` dict); the others are tables."""

NARRATIVE_PREAMBLE_KEY: Final = "前言"
"""Optional ``narrative`` key: paragraphs printed after the standard opening sentence (e.g. the download address)."""

REPORT_TITLE_SUFFIX: Final = "年政府信息公开工作年度报告"
"""The title is ``{office}{year}年政府信息公开工作年度报告``."""


def report_title(office: str, year: int) -> str:
    """The report's title, e.g. ``嘉祥街道办事处2025年政府信息公开工作年度报告``."""
    return f"{office}{year}{REPORT_TITLE_SUFFIX}"


# --- table 二: proactive disclosure -------------------------------------------------------------------------


@dataclass(frozen=True)
class ProactiveRow:
    """One row of a sub-table of table 二: its label and the JSON path of each figure, in column order."""

    label: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class ProactiveTable:
    """A sub-table of table 二: the caption row, the column headers (first one: 信息内容) and the rows.

    ``decimal`` marks the fee table (amounts in 万元, decimals allowed); all other figures are counts.
    """

    caption: str
    headers: tuple[str, ...]
    rows: tuple[ProactiveRow, ...]
    decimal: bool = False

    @property
    def value_colspan(self) -> int:
        """How many of the :data:`TABLE2_VALUE_COLUMNS` grid columns each figure spans when printed as one table."""
        return TABLE2_VALUE_COLUMNS // (len(self.headers) - 1)


TABLE2_VALUE_COLUMNS: Final = 3
"""Table 二 is printed as one table: 信息内容 plus three value columns; one-figure sub-tables span all three."""

TABLE2: Final[tuple[ProactiveTable, ...]] = (
    ProactiveTable(
        caption="第二十条第（一）项",
        headers=("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"),
        rows=(
            ProactiveRow(
                "规章",
                ("proactive.rules.issued", "proactive.rules.repealed", "proactive.rules.in_force"),
            ),
            ProactiveRow(
                "行政规范性文件",
                (
                    "proactive.normative_documents.issued",
                    "proactive.normative_documents.repealed",
                    "proactive.normative_documents.in_force",
                ),
            ),
        ),
    ),
    ProactiveTable(
        caption="第二十条第（五）项",
        headers=("信息内容", "本年处理决定数量"),
        rows=(ProactiveRow("行政许可", ("proactive.licensing.decisions",)),),
    ),
    ProactiveTable(
        caption="第二十条第（六）项",
        headers=("信息内容", "本年处理决定数量"),
        rows=(
            ProactiveRow("行政处罚", ("proactive.penalties.decisions",)),
            ProactiveRow("行政强制", ("proactive.coercion.decisions",)),
        ),
    ),
    ProactiveTable(
        caption="第二十条第（八）项",
        headers=("信息内容", "本年收费金额（单位：万元）"),
        rows=(ProactiveRow("行政事业性收费", ("proactive.fees_10k_yuan",)),),
        decimal=True,
    ),
)
"""The four sub-tables of table 二, in order."""

FEE_PATH: Final = "proactive.fees_10k_yuan"
"""The one decimal figure of the report (万元); every other figure is a non-negative integer."""

# --- table 三: applications ---------------------------------------------------------------------------------

APPLICANT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (*APPLICANT_TYPES.items(), ("total", "总计"))
"""The seven numeric columns of table 三 in printed order: JSON key -> column label."""

TABLE3_LABEL_COLUMNS: Final = 3
"""Row labels occupy three label columns (outer group, inner group, own label)."""

TABLE3_CORNER: Final = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
"""The top-left header cell (three label columns × three header rows)."""

TABLE3_HEADER_ROWS: Final[tuple[tuple[Cell, ...], ...]] = (
    (Cell(TABLE3_CORNER, rowspan=3, colspan=TABLE3_LABEL_COLUMNS), Cell("申请人情况", colspan=7)),
    (Cell("自然人", rowspan=2), Cell("法人或其他组织", colspan=5), Cell("总计", rowspan=2)),
    tuple(Cell(label) for key, label in APPLICANT_COLUMNS if key not in ("natural_person", "total")),
)
"""The three header rows of table 三, each the cells that open on that row."""

GROUP_OUTCOMES: Final = "三、本年度办理结果"
"""The outer group label cell: it spans the 22 outcome rows 3.1 … 3.7."""


@dataclass(frozen=True)
class RequestRow:
    """A data row of table 三.

    ``groups`` are the enclosing group labels, outermost first (``()`` for rows 1, 2, 4); ``label_cells`` are the
    label cells that open on this row in the printed table: group cells that start here (with their rowspan),
    then the row's own label (spanning the label columns its groups leave free).
    """

    row_id: str
    label: str
    groups: tuple[str, ...]
    label_cells: tuple[Cell, ...]

    @property
    def label_colspan(self) -> int:
        """How many label columns the row's own label spans: 3 for rows 1, 2, 4; 2 for 3.1, 3.2, 3.7; else 1."""
        return TABLE3_LABEL_COLUMNS - len(self.groups)

    def path(self, column: str) -> str:
        """The JSON path of this row's figure in ``column`` (a key of :data:`APPLICANT_COLUMNS`)."""
        return f"requests.{self.row_id}.{column}"


# (row id, exact label, enclosing groups) in printed order.
_TABLE3_SPEC: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("1", "一、本年新收政府信息公开申请数量", ()),
    ("2", "二、上年结转政府信息公开申请数量", ()),
    ("3.1", "（一）予以公开", (GROUP_OUTCOMES,)),
    ("3.2", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", (GROUP_OUTCOMES,)),
    ("3.3.1", "1.属于国家秘密", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.2", "2.其他法律行政法规禁止公开", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.3", "3.危及“三安全一稳定”", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.4", "4.保护第三方合法权益", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.5", "5.属于三类内部事务信息", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.6", "6.属于四类过程性信息", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.7", "7.属于行政执法案卷", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.3.8", "8.属于行政查询事项", (GROUP_OUTCOMES, "（三）不予公开")),
    ("3.4.1", "1.本机关不掌握相关政府信息", (GROUP_OUTCOMES, "（四）无法提供")),
    ("3.4.2", "2.没有现成信息需要另行制作", (GROUP_OUTCOMES, "（四）无法提供")),
    ("3.4.3", "3.补正后申请内容仍不明确", (GROUP_OUTCOMES, "（四）无法提供")),
    ("3.5.1", "1.信访举报投诉类申请", (GROUP_OUTCOMES, "（五）不予处理")),
    ("3.5.2", "2.重复申请", (GROUP_OUTCOMES, "（五）不予处理")),
    ("3.5.3", "3.要求提供公开出版物", (GROUP_OUTCOMES, "（五）不予处理")),
    ("3.5.4", "4.无正当理由大量反复申请", (GROUP_OUTCOMES, "（五）不予处理")),
    ("3.5.5", "5.要求行政机关确认或重新出具已获取信息", (GROUP_OUTCOMES, "（五）不予处理")),
    (
        "3.6.1",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        (GROUP_OUTCOMES, "（六）其他处理"),
    ),
    (
        "3.6.2",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        (GROUP_OUTCOMES, "（六）其他处理"),
    ),
    ("3.6.3", "3.其他", (GROUP_OUTCOMES, "（六）其他处理")),
    ("3.7", "（七）总计", (GROUP_OUTCOMES,)),
    ("4", "四、结转下年度继续办理", ()),
)


def _build_table3() -> tuple[RequestRow, ...]:
    """Attach to each row the label cells that open on it (group cells with their rowspans, then its own)."""
    rows: list[RequestRow] = []
    for index, (row_id, label, groups) in enumerate(_TABLE3_SPEC):
        cells: list[Cell] = []
        for depth, group in enumerate(groups):
            starts_here = index == 0 or _TABLE3_SPEC[index - 1][2][: depth + 1] != groups[: depth + 1]
            if starts_here:
                span = sum(1 for _, _, other in _TABLE3_SPEC if other[: depth + 1] == groups[: depth + 1])
                cells.append(Cell(group, rowspan=span))
        cells.append(Cell(label, colspan=TABLE3_LABEL_COLUMNS - len(groups)))
        rows.append(RequestRow(row_id, label, groups, tuple(cells)))
    return tuple(rows)


TABLE3_ROWS: Final[tuple[RequestRow, ...]] = _build_table3()
"""The 25 data rows of table 三 in printed order."""

TABLE3_ROW_IDS: Final[tuple[str, ...]] = tuple(r.row_id for r in TABLE3_ROWS)
"""The row ids (keys of ``requests`` in the JSON), in printed order."""

TABLE3_GROUPS: Final[dict[str, int]] = {
    cell.text: cell.rowspan for row in TABLE3_ROWS for cell in row.label_cells[:-1]
}
"""Group label -> the number of data rows it spans: 三、本年度办理结果 22, （三）不予公开 8, （四）无法提供 3, …"""

# --- table 四: reconsideration and litigation --------------------------------------------------------------

APPEAL_BLOCKS: Final[tuple[tuple[str, str], ...]] = (
    ("reconsideration", "行政复议"),
    ("litigation_direct", "未经复议直接起诉"),
    ("litigation_after_reconsideration", "复议后起诉"),
)
"""The three blocks of table 四: JSON key under ``appeals`` -> label."""

APPEAL_RESULTS: Final[tuple[tuple[str, str], ...]] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
"""The five columns of each block: JSON key -> label."""

TABLE4_HEADER_ROWS: Final[tuple[tuple[Cell, ...], ...]] = (
    (Cell("行政复议", colspan=5), Cell("行政诉讼", colspan=10)),
    (
        *(Cell(label, rowspan=2) for _, label in APPEAL_RESULTS),
        Cell("未经复议直接起诉", colspan=5),
        Cell("复议后起诉", colspan=5),
    ),
    tuple(Cell(label) for _ in range(2) for _, label in APPEAL_RESULTS),
)
"""The three header rows of table 四, each the cells that open on that row."""

TABLE4_PATHS: Final[tuple[str, ...]] = tuple(
    f"appeals.{block}.{result}" for block, _ in APPEAL_BLOCKS for result, _ in APPEAL_RESULTS
)
"""The JSON paths of the 15 figures of table 四's one data row, in printed order."""

# --- the pre-2019 layout of the seed office --------------------------------------------------------------


@dataclass(frozen=True)
class Pre2019Section:
    """A section of the pre-2019 layout.

    ``key`` is the ``narrative`` dict key for the office's text. A section with ``data`` opens with sentences
    generated from the JSON (the office's text, if given, follows); one without needs the office's text, found
    under ``key`` or else under ``fallback`` (the 2021 narrative section that says the same).
    """

    key: str
    heading: str
    data: bool = False
    fallback: str | None = None


PRE2019_SECTIONS: Final[tuple[Pre2019Section, ...]] = (
    Pre2019Section("概述", "一、概述", fallback="一"),
    Pre2019Section("组织领导和制度建设", "二、组织领导和制度建设"),
    Pre2019Section("主动公开情况", "三、主动公开情况", data=True),
    Pre2019Section("依申请公开办理情况", "四、依申请公开办理情况", data=True),
    Pre2019Section("收费及减免情况", "五、收费及减免情况"),
    Pre2019Section("行政复议和行政诉讼情况", "六、行政复议和行政诉讼情况", data=True),
    Pre2019Section("保密审查和监督检查", "七、保密审查和监督检查"),
    Pre2019Section("推进公开情况", "八、推进公开情况"),
    Pre2019Section("存在的主要问题及改进措施", "九、存在的主要问题及改进措施", fallback="五"),
)
"""The nine sections of the seed office's 2017 report (ogi-rules.md 6.5), numbered 一…九 as it did."""

PRE2019_TITLE_SUFFIX: Final = "年信息公开年度报告"
"""The seed office's title form: ``嘉祥街道办事处2017年信息公开年度报告``."""


__all__ = [
    "APPEAL_BLOCKS",
    "APPEAL_RESULTS",
    "APPLICANT_COLUMNS",
    "FEE_PATH",
    "GROUP_OUTCOMES",
    "NARRATIVE_PREAMBLE_KEY",
    "NARRATIVE_SECTIONS",
    "PRE2019_SECTIONS",
    "PRE2019_TITLE_SUFFIX",
    "REPORT_TITLE_SUFFIX",
    "SECTION_HEADINGS",
    "TABLE2",
    "TABLE2_VALUE_COLUMNS",
    "TABLE3_CORNER",
    "TABLE3_GROUPS",
    "TABLE3_HEADER_ROWS",
    "TABLE3_LABEL_COLUMNS",
    "TABLE3_ROWS",
    "TABLE3_ROW_IDS",
    "TABLE4_HEADER_ROWS",
    "TABLE4_PATHS",
    "Cell",
    "Pre2019Section",
    "ProactiveRow",
    "ProactiveTable",
    "RequestRow",
    "report_title",
]
