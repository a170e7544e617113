"""The annual report as a Word document (DOCX), the form offices circulate and edit.

:func:`build_docx` writes the same report as the website HTML (2021 format): title, opening sentence, the six
section headings, the office's narrative, tables 二, 三 and 四 with the official merged cells, and the chart
under section 三. Everything printed comes from :mod:`gongkai.report.layout` (labels and spans) and the report
JSON (CONTRACT section 4), checked first by :func:`gongkai.report.render.check_report_data`; the narrative is
split into paragraphs exactly as for the HTML.

The tables are laid out from the same "cells that open on this row" lists the HTML template reads, placed on
a grid the way a browser places ``rowspan``/``colspan`` cells, then merged with python-docx's ``cell.merge``
(horizontal spans become ``w:gridSpan``, vertical ones ``w:vMerge``). Fonts are named for both scripts
(``w:ascii``/``w:hAnsi`` Times New Roman, ``w:eastAsia`` 宋体 for text and 黑体 for headings), with the theme
fonts removed so Word does not substitute its own; the page is A4.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.image.exceptions import UnrecognizedImageError
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from gongkai.files.render import FILTERS
from gongkai.report import layout
from gongkai.report.chart import chart_title

# Shared with the HTML renderer on purpose: the same checks and the same paragraph splitting, so the DOCX
# and the website can never disagree on what a valid report or a paragraph is.
from gongkai.report.render import (
    ReportDataError,
    _narrative_text,
    _paragraphs,
    _required_text,
    _value_at,
    check_report_data,
)

LATIN_FONT: Final = "Times New Roman"
BODY_FONT: Final = "宋体"
"""East Asian font of the text and tables (SimSun; the HTML's first choice too)."""
HEADING_FONT: Final = "黑体"
"""East Asian font of the title and the section headings (SimHei)."""

_PAGE_WIDTH: Final = Cm(21.0)
_PAGE_HEIGHT: Final = Cm(29.7)
_MARGIN_TOP_BOTTOM: Final = Cm(2.5)
_MARGIN_LEFT_RIGHT: Final = Cm(2.2)
_TEXT_WIDTH: Final = _PAGE_WIDTH - 2 * _MARGIN_LEFT_RIGHT
_CHART_WIDTH: Final = Cm(15.5)

# The opening sentence of the HTML template (templates/report/annual_2021.html.j2), word for word; a test
# renders the HTML and checks the two agree.
_OPENING: Final = (
    "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》"
    "（国办公开办函〔2021〕30号）的要求编制。本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
)

# Characters XML 1.0 cannot carry (C0 controls other than tab/newline/CR, surrogates, U+FFFE/U+FFFF):
# lxml refuses them, so office text holding one (pasted from elsewhere) is cleaned rather than crashing.
_XML_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Kind = Literal["head", "caption", "group", "label", "number"]


@dataclass(frozen=True)
class _Placed:
    """A table cell placed on the grid: text, top-left position, spans, and how it is printed."""

    text: str
    row: int
    col: int
    rowspan: int
    colspan: int
    kind: Kind


def _xml_text(text: str) -> str:
    return _XML_ILLEGAL.sub("", text)


# -- fonts and styles --------------------------------------------------------------------------------------


def _set_fonts(rpr_parent: Any, *, east_asia: str, latin: str = LATIN_FONT) -> None:
    """Name the fonts of a style or run for every script (``w:rFonts``), dropping theme-font attributes,
    which Word would otherwise prefer to the names."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def _set_language(rpr_parent: Any) -> None:
    rpr = rpr_parent.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _style_document(doc: DocumentObject) -> None:
    """A4 page, 宋体 text, 黑体 black headings, no theme fonts, Chinese as the East Asian language."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = _PAGE_WIDTH, _PAGE_HEIGHT
    section.top_margin = section.bottom_margin = _MARGIN_TOP_BOTTOM
    section.left_margin = section.right_margin = _MARGIN_LEFT_RIGHT

    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    _set_fonts(normal.element, east_asia=BODY_FONT)
    _set_language(normal.element)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.5

    for name, size in (("Title", 20), ("Heading 1", 15)):
        style = doc.styles[name]
        _set_fonts(style.element, east_asia=HEADING_FONT)
        style.font.size = Pt(size)
        style.font.bold = name == "Title"
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        ppr = style.element.get_or_add_pPr()
        border = ppr.find(qn("w:pBdr"))  # the default template underlines its Title
        if border is not None:
            ppr.remove(border)
        style.paragraph_format.space_before = Pt(18 if name == "Title" else 12)
        style.paragraph_format.space_after = Pt(18 if name == "Title" else 6)
        style.paragraph_format.line_spacing = 1.2
    doc.styles["Title"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page_number_footer(doc: DocumentObject) -> None:
    """A centred page number (a PAGE field, so Word and LibreOffice keep it up to date)."""
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)


# -- text ----------------------------------------------------------------------------------------------------


def _add_paragraphs(doc: DocumentObject, text: str | None) -> None:
    """Office text as paragraphs (split on blank lines; a single line break kept), first line indented
    two characters, as in the HTML. Justified only without a line break: Word and LibreOffice stretch a
    justified line that ends in a manual break across the page."""
    if text is None:
        return
    for lines in _paragraphs(_xml_text(text)):
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(24)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if len(lines) == 1 else WD_ALIGN_PARAGRAPH.LEFT
        run = paragraph.add_run()
        for i, line in enumerate(lines):
            if i:
                run.add_break()
            run.add_text(line)


# -- tables --------------------------------------------------------------------------------------------------


def _place(rows: Sequence[Sequence[tuple[layout.Cell, Kind]]]) -> tuple[list[_Placed], int, int]:
    """Place cells given row by row (each row: the cells that open on it) the way a browser places HTML
    table cells: each goes to the first grid column not covered by a cell spanning down from above.

    Returns the placed cells and the grid's height and width; refuses overlaps and holes (a layout error).
    """
    covered: set[tuple[int, int]] = set()
    placed: list[_Placed] = []
    for r, cells in enumerate(rows):
        c = 0
        for cell, kind in cells:
            while (r, c) in covered:
                c += 1
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if (r + dr, c + dc) in covered:
                        raise AssertionError(f"table cells overlap at {(r + dr, c + dc)}")
                    covered.add((r + dr, c + dc))
            placed.append(_Placed(cell.text, r, c, cell.rowspan, cell.colspan, kind))
            c += cell.colspan
    height = max(r for r, _ in covered) + 1
    width = max(c for _, c in covered) + 1
    if len(covered) != height * width:
        raise AssertionError("the table has holes")
    return placed, height, width


def _mark_header_rows(table: Table, count: int) -> None:
    """Repeat the first ``count`` rows at the top of every page the table runs onto (``w:tblHeader``)."""
    for row in table.rows[:count]:
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:tblHeader"))


def _add_table(
    doc: DocumentObject,
    rows: Sequence[Sequence[tuple[layout.Cell, Kind]]],
    *,
    widths: Sequence[float],
    font_size: float,
    header_rows: int = 0,
) -> None:
    """A bordered table of the given cells, merged as their spans say; ``widths`` are relative column widths."""
    placed, height, width = _place(rows)
    if len(widths) != width:
        raise AssertionError(f"{len(widths)} column widths for {width} columns")
    table: Table = doc.add_table(rows=height, cols=width)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    scale = _TEXT_WIDTH / sum(widths)
    column_widths = [Length(int(w * scale)) for w in widths]
    # The unmerged grid, taken once: ``table.cell()`` rebuilds every cell on each call (quadratic). Each
    # merge below touches only its own rectangle's cells, so the others stay valid.
    grid = [list(row.cells) for row in table.rows]
    for c, column in enumerate(table.columns):
        column.width = column_widths[c]
    for row_cells in grid:  # Word reads the cell widths, LibreOffice the grid columns: set both
        for c, cell in enumerate(row_cells):
            cell.width = column_widths[c]
    for p in placed:
        cell = grid[p.row][p.col]
        if p.rowspan > 1 or p.colspan > 1:
            cell = cell.merge(grid[p.row + p.rowspan - 1][p.col + p.colspan - 1])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        paragraph = cell.paragraphs[0]
        paragraph.paragraph_format.line_spacing = 1.0
        paragraph.paragraph_format.first_line_indent = Pt(0)
        paragraph.alignment = {
            "head": WD_ALIGN_PARAGRAPH.CENTER,
            "caption": WD_ALIGN_PARAGRAPH.CENTER,
            "group": WD_ALIGN_PARAGRAPH.CENTER,
            "label": WD_ALIGN_PARAGRAPH.LEFT,
            "number": WD_ALIGN_PARAGRAPH.RIGHT,
        }[p.kind]
        run = paragraph.add_run(_xml_text(p.text))
        run.font.size = Pt(font_size)
        run.font.bold = p.kind in ("head", "caption")
    _mark_header_rows(table, header_rows)


def _figure(data: Mapping[str, Any], path: str, *, decimal: bool = False) -> str:
    """A figure as printed in the HTML (the same template filters: integers; 万元 with at most 4 decimals)."""
    return str(FILTERS["amount" if decimal else "figure"](_value_at(data, path), path))


def _number(text: str, *, rowspan: int = 1, colspan: int = 1) -> tuple[layout.Cell, Kind]:
    return layout.Cell(text, rowspan=rowspan, colspan=colspan), "number"


def _table2_rows(data: Mapping[str, Any]) -> list[list[tuple[layout.Cell, Kind]]]:
    """Table 二 as one table of 信息内容 plus three value columns, as the HTML prints it."""
    rows: list[list[tuple[layout.Cell, Kind]]] = []
    for table in layout.TABLE2:
        span = table.value_colspan
        rows.append([(layout.Cell(table.caption, colspan=1 + layout.TABLE2_VALUE_COLUMNS), "caption")])
        rows.append(
            [(layout.Cell(h, colspan=1 if i == 0 else span), "head") for i, h in enumerate(table.headers)]
        )
        for row in table.rows:
            rows.append(
                [
                    (layout.Cell(row.label), "label"),
                    *(_number(_figure(data, p, decimal=table.decimal), colspan=span) for p in row.paths),
                ]
            )
    return rows


def _table3_rows(data: Mapping[str, Any]) -> list[list[tuple[layout.Cell, Kind]]]:
    """Table 三: the three header rows, then each data row's opening label cells and its seven figures."""
    rows: list[list[tuple[layout.Cell, Kind]]] = [
        [(cell, "head") for cell in header] for header in layout.TABLE3_HEADER_ROWS
    ]
    for row in layout.TABLE3_ROWS:
        labels: list[tuple[layout.Cell, Kind]] = [
            (cell, "label" if i == len(row.label_cells) - 1 else "group")
            for i, cell in enumerate(row.label_cells)
        ]
        rows.append(
            [*labels, *(_number(_figure(data, row.path(key))) for key, _ in layout.APPLICANT_COLUMNS)]
        )
    return rows


def _table4_rows(data: Mapping[str, Any]) -> list[list[tuple[layout.Cell, Kind]]]:
    """Table 四: the three header rows and the one row of fifteen figures."""
    return [
        *([(cell, "head") for cell in header] for header in layout.TABLE4_HEADER_ROWS),
        [_number(_figure(data, p)) for p in layout.TABLE4_PATHS],
    ]


# -- the document --------------------------------------------------------------------------------------------


def build_docx(
    data: Mapping[str, Any],
    *,
    narrative: Mapping[str, str],
    chart_png: bytes | None,
    office: str,
    year: int,
) -> bytes:
    """The annual report (2021 format) as DOCX bytes.

    ``data`` is the report JSON (CONTRACT section 4), checked by
    :func:`~gongkai.report.render.check_report_data`; ``narrative`` holds the office's text by key (``一``,
    ``五``, ``六`` required, ``前言`` optional — as for the HTML); ``chart_png`` (from
    :func:`gongkai.report.chart.monthly_outcome_chart`) is placed under section 三 with its caption;
    ``office`` and ``year`` make the title and must be those of ``data``.

    Raises :class:`~gongkai.report.render.ReportDataError` (an :class:`~gongkai.core.errors.InputError`) naming
    every missing or invalid figure, a missing narrative section, or an unreadable chart picture.
    """
    check_report_data(data)
    if not isinstance(narrative, Mapping):
        raise ReportDataError(
            f"报告文字应为按章节分列的对象，实际为 {type(narrative).__name__}。", ["narrative"]
        )
    if year != data["year"] or office.strip() != str(data["office"]).strip():
        raise ReportDataError(
            f"标题中的机关和年度（{office}、{year}）与报告数据（{data['office']}、{data['year']}）不一致。",
            ["office", "year"],
        )
    texts = {
        key: _required_text(narrative, key, layout.SECTION_HEADINGS[key]) for key in layout.NARRATIVE_SECTIONS
    }
    preamble = _narrative_text(narrative, layout.NARRATIVE_PREAMBLE_KEY)

    doc = Document()
    _style_document(doc)
    _page_number_footer(doc)
    title = layout.report_title(office.strip(), year)
    doc.core_properties.title = _xml_text(title)
    doc.core_properties.author = _xml_text(office.strip())
    doc.core_properties.last_modified_by = _xml_text(office.strip())
    doc.core_properties.language = "zh-CN"
    doc.core_properties.comments = ""

    doc.add_heading(_xml_text(title), level=0)
    opening = doc.add_paragraph(_OPENING.format(year=year))
    opening.paragraph_format.first_line_indent = Pt(24)
    opening.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _add_paragraphs(doc, preamble)

    doc.add_heading(layout.SECTION_HEADINGS["一"], level=1)
    _add_paragraphs(doc, texts["一"])

    doc.add_heading(layout.SECTION_HEADINGS["二"], level=1)
    _add_table(doc, _table2_rows(data), widths=(28, 24, 24, 24), font_size=10.5)

    doc.add_heading(layout.SECTION_HEADINGS["三"], level=1)
    _add_table(
        doc,
        _table3_rows(data),
        widths=(7, 10, 27, *(8,) * len(layout.APPLICANT_COLUMNS)),
        font_size=9,
        header_rows=len(layout.TABLE3_HEADER_ROWS),
    )
    if chart_png is not None:
        _add_chart(doc, chart_png, year)

    doc.add_heading(layout.SECTION_HEADINGS["四"], level=1)
    _add_table(
        doc,
        _table4_rows(data),
        widths=(1,) * len(layout.TABLE4_PATHS),
        font_size=8,
        header_rows=len(layout.TABLE4_HEADER_ROWS),
    )

    for key in ("五", "六"):
        doc.add_heading(layout.SECTION_HEADINGS[key], level=1)
        _add_paragraphs(doc, texts[key])

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _add_chart(doc: DocumentObject, png: bytes, year: int) -> None:
    """The chart picture, centred, with the HTML's caption under it."""
    spacer: Paragraph = doc.add_paragraph()
    spacer.paragraph_format.space_before = Pt(6)
    try:
        spacer.add_run().add_picture(io.BytesIO(png), width=_CHART_WIDTH)
    except UnrecognizedImageError:
        raise ReportDataError("统计图不是可识别的图片（应为 PNG）。", ["chart_png"]) from None
    spacer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = doc.add_paragraph(f"图：{chart_title(year)}")
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.runs[0].font.size = Pt(10.5)


__all__ = ["BODY_FONT", "HEADING_FONT", "LATIN_FONT", "build_docx"]
