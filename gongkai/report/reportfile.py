"""Read a published annual report (2021 format) from a file, from any system, into the JSON shape of CONTRACT
section 4 so that the identities of :mod:`gongkai.report.stats` can be run on it (``gongkai report check``).

Three kinds of file, told apart by their content (not their name): Gongkai's JSON; an HTML page and a DOCX
document holding tables 二, 三 and 四 in the official layout (:mod:`gongkai.report.layout`). The tables are found
and read by their printed labels, never by position alone:

* every table is first laid on a grid the way a browser places ``rowspan``/``colspan`` (HTML) or Word places
  ``w:gridSpan``/``w:vMerge`` (DOCX), each grid position naming the cell that covers it;
* a label matches when its letters, digits and Chinese characters agree after Unicode NFKC (full-width digits
  and punctuation, whitespace, quotes, ASCII or full-width parentheses and the ``1.``/``1、`` numbering do not
  matter); row 3.2 also matches without its parenthetical note;
* table 二: the rows 规章 … 行政事业性收费 (the figures are the distinct cells after the label); table 三: the
  25 rows by label, the seven columns by the header row right above the first data row; table 四: the header row
  that reads 结果维持 … 总计 three times, and the row below it.

A cell is read as stated: digits (thousands separators allowed) are a number; a blank cell, ``/`` or any other
text is a :class:`~gongkai.report.stats.Stated` value — never 0 — which identity I5 names (未填写 for a blank).
A table, row or column that cannot be found raises :class:`ReportFileError` (exit 2) naming it. Text from the
file is only ever returned as plain strings (the caller escapes it wherever it builds markup).
"""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final, Literal

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn

from gongkai.core.errors import InputError
from gongkai.report import layout
from gongkai.report.stats import APPEAL_BLOCKS, APPEAL_COLUMNS, COLUMNS, ROW_IDS, Stated

Kind = Literal["json", "html", "docx"]

_MAX_BYTES: Final = 50 * 1024 * 1024
"""A report larger than this is refused (a published report is a few hundred kilobytes)."""


class ReportFileError(InputError):
    """The file cannot be read as an annual report in the 2021 layout (exit 2); the message names what is missing."""


@dataclass(frozen=True)
class ReportFile:
    """A report read from a file: its kind, year (``None`` if no title says it), the figures and the narrative.

    ``doc`` has the keys ``year``, ``proactive``, ``requests`` and ``appeals`` of the CONTRACT section 4 JSON;
    a cell that holds no number is a :class:`Stated`. ``narrative`` is the text outside the tables (HTML, DOCX;
    empty for JSON), for identity I8.
    """

    kind: Kind
    year: int | None
    doc: dict[str, Any]
    narrative: str


# -- labels and cells --------------------------------------------------------------------------------------------


def label_key(text: str) -> str:
    """A label reduced to what identifies it: NFKC, then only its letters, digits and Chinese characters."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum())


_THOUSANDS: Final = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\Z")
_NUMBER: Final = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


def cell_value(text: str) -> int | Decimal | Stated:
    """A printed cell as stated: an integer, a decimal, or :class:`Stated` (blank, ``/``, words…)."""
    plain = "".join(unicodedata.normalize("NFKC", text).split())
    if _THOUSANDS.match(plain):
        plain = plain.replace(",", "")
    if not _NUMBER.match(plain):
        return Stated(text.strip())
    if "." not in plain:
        return int(plain)
    try:
        return Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        return Stated(text.strip())


# -- grids -----------------------------------------------------------------------------------------------------


@dataclass
class _RawCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    continues: bool = False  # DOCX w:vMerge continuation: the cell above goes on here


@dataclass(frozen=True)
class Grid:
    """A table laid out on its grid: ``cells[r][c]`` is the id of the cell covering that position (-1: none)."""

    cells: tuple[tuple[int, ...], ...]
    texts: tuple[str, ...]

    def text(self, row: int, col: int) -> str:
        """The text of the cell covering ``(row, col)`` ("" outside the table)."""
        line = self.cells[row] if 0 <= row < len(self.cells) else ()
        cid = line[col] if 0 <= col < len(line) else -1
        return self.texts[cid] if cid >= 0 else ""

    def distinct(self, row: int) -> list[int]:
        """The ids of the cells on grid row ``row``, left to right, each once."""
        seen: list[int] = []
        for cid in self.cells[row]:
            if cid >= 0 and cid not in seen:
                seen.append(cid)
        return seen


def _lay_out(rows: Sequence[Sequence[_RawCell]]) -> Grid:
    """Place the cells on a grid as a browser places rowspan/colspan (and Word gridSpan/vMerge)."""
    placed: dict[tuple[int, int], int] = {}
    texts: list[str] = []
    width = 0
    for r, row in enumerate(rows):
        col = 0
        for cell in row:
            while (r, col) in placed:
                col += 1
            if cell.continues and (r - 1, col) in placed:
                cid = placed[(r - 1, col)]
            else:
                cid = len(texts)
                texts.append(cell.text)
            for dr in range(max(cell.rowspan, 1)):
                for dc in range(max(cell.colspan, 1)):
                    placed[(r + dr, col + dc)] = cid
            col += max(cell.colspan, 1)
        width = max(width, col)
    height = max((r for r, _ in placed), default=-1) + 1
    cells = tuple(tuple(placed.get((r, c), -1) for c in range(width)) for r in range(height))
    return Grid(cells, tuple(texts))


class _HtmlTables(HTMLParser):
    """Collects every table of a page (rows of cells with spans) and the text outside tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[_RawCell]]] = []
        self._stack: list[list[list[_RawCell]]] = []
        self._cell: _RawCell | None = None
        self._skip = 0
        self.outside: list[str] = []
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "table":
            self._stack.append([])
            self._cell = None
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th") and self._stack:
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = _RawCell("", _span(attr.get("rowspan")), _span(attr.get("colspan")))
            self._stack[-1][-1].append(self._cell)
        elif tag in ("br", "p", "div", "h1", "h2", "h3", "li"):
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip = max(self._skip - 1, 0)
        elif tag == "title":
            self._in_title = False
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())
            self._cell = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag in ("p", "div", "h1", "h2", "h3", "li"):
            self._text("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title.append(data)
            return
        self._text(data)

    def _text(self, data: str) -> None:
        if self._cell is not None:
            self._cell.text += data
        elif not self._stack:
            self.outside.append(data)


def _span(value: str | None) -> int:
    digits = unicodedata.normalize("NFKC", value or "").strip()
    return min(int(digits), 1000) if digits.isdigit() and int(digits) > 0 else 1


def _docx_tables(path: Path) -> tuple[list[Grid], str]:
    """The top-level tables of a DOCX on their grids, and the text of the paragraphs outside them."""
    try:
        body = Document(str(path)).element.body
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise ReportFileError(
            f"文件 {path.name} 不是可以读取的 DOCX 文档（{type(exc).__name__}）。"
        ) from None
    grids: list[Grid] = []
    text: list[str] = []
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            text.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
        elif child.tag == qn("w:tbl"):
            rows: list[list[_RawCell]] = []
            for tr in child.iterchildren(qn("w:tr")):
                row: list[_RawCell] = []
                before = tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}")
                if before is not None:
                    row.append(_RawCell("", colspan=_span(before.get(qn("w:val")))))
                for tc in tr.iterchildren(qn("w:tc")):
                    span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
                    merge = tc.find(f"{qn('w:tcPr')}/{qn('w:vMerge')}")
                    paragraphs = [
                        "".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))
                    ]
                    row.append(
                        _RawCell(
                            "\n".join(paragraphs),
                            colspan=_span(span.get(qn("w:val")) if span is not None else None),
                            continues=merge is not None and merge.get(qn("w:val")) in (None, "continue"),
                        )
                    )
                rows.append(row)
            grids.append(_lay_out(rows))
    return grids, "\n".join(text)


def _decode(raw: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReportFileError(f"文件 {path.name} 的编码无法识别，应为 UTF-8 或 GB18030（GBK）编码的 HTML。")


# -- the layout ------------------------------------------------------------------------------------------------

_TABLE2_ROWS: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = tuple(
    (row.label, row.paths, table.headers[1:]) for table in layout.TABLE2 for row in table.rows
)
_ROW_BY_KEY: Final[dict[str, str]] = {label_key(r.label): r.row_id for r in layout.TABLE3_ROWS}
_ROW_BY_KEY[label_key("（二）部分公开")] = "3.2"
_PRINTED: Final[dict[str, str]] = {r.row_id: r.label for r in layout.TABLE3_ROWS}
_APPEAL_HEADER: Final[tuple[str, ...]] = tuple(label_key(label) for _, label in layout.APPEAL_RESULTS) * 3


def _set(doc: dict[str, Any], path: str, value: object) -> None:
    keys = path.split(".")
    if keys[0] == "requests":  # row ids hold dots: requests.<row id>.<column>
        keys = ["requests", ".".join(keys[1:-1]), keys[-1]]
    obj = doc
    for key in keys[:-1]:
        obj = obj.setdefault(key, {})
    obj[keys[-1]] = value


def _table2(grids: Sequence[Grid], doc: dict[str, Any], name: str) -> None:
    for label, paths, headers in _TABLE2_ROWS:
        key = label_key(label)
        found = [
            (g, r)
            for g in grids
            for r in range(len(g.cells))
            if (d := g.distinct(r)) and label_key(g.texts[d[0]]) == key
        ]
        if not found:
            raise ReportFileError(
                f"文件 {name} 中没有找到表二“{label}”一行（2021 年格式，第一格为“{label}”）。"
            )
        grid, r = found[0]
        values = grid.distinct(r)[1:]
        if len(values) != len(paths):
            raise ReportFileError(
                f"文件 {name} 表二“{label}”一行应有 {len(paths)} 个数字格（{'、'.join(headers)}），"
                f"实际有 {len(values)} 个。"
            )
        for path, cid in zip(paths, values, strict=True):
            _set(doc, path, cell_value(grid.texts[cid]))


def _table3(grids: Sequence[Grid], doc: dict[str, Any], name: str) -> None:
    first = label_key(_PRINTED["1"])
    grid = next((g for g in grids if any(label_key(t) == first for t in g.texts)), None)
    if grid is None:
        raise ReportFileError(f"文件 {name} 中没有找到表三（应有“{_PRINTED['1']}”一行）。")
    rows: dict[str, int] = {}
    for r in range(len(grid.cells)):
        for cid in grid.distinct(r):
            row_id = _ROW_BY_KEY.get(label_key(grid.texts[cid]))
            # a row's own label opens on its row (a cell reaching down from above is not counted again)
            if row_id is not None and row_id not in rows and (r == 0 or cid not in grid.cells[r - 1]):
                rows[row_id] = r
    missing = [row_id for row_id in ROW_IDS if row_id not in rows]
    if missing:
        shown = "、".join(f"“{_PRINTED[m]}”" for m in missing[:5])
        more = f"等 {len(missing)} 行" if len(missing) > 5 else ""
        raise ReportFileError(f"文件 {name} 的表三缺少{shown}{more}（应为 2021 年格式的 25 行）。")
    header = min(rows.values()) - 1
    columns: dict[str, int] = {}
    if header >= 0:
        for key, label in layout.APPLICANT_COLUMNS:
            at = [
                c
                for c in range(len(grid.cells[header]))
                if label_key(grid.text(header, c)) == label_key(label)
            ]
            if at:
                columns[key] = at[0]
    absent = [label for key, label in layout.APPLICANT_COLUMNS if key not in columns]
    if absent:
        raise ReportFileError(
            f"文件 {name} 的表三表头缺少“{'”“'.join(absent)}”列（应在第一项数据行上方依次为"
            f"{'、'.join(label for _, label in layout.APPLICANT_COLUMNS)}）。"
        )
    for row_id, r in rows.items():
        label_cell = next(
            cid for cid in grid.distinct(r) if _ROW_BY_KEY.get(label_key(grid.texts[cid])) == row_id
        )
        for key in COLUMNS:
            col = columns[key]
            line = grid.cells[r]
            if col >= len(line) or line[col] < 0 or line[col] == label_cell:
                label = dict(layout.APPLICANT_COLUMNS)[key]
                raise ReportFileError(f"文件 {name} 表三“{_PRINTED[row_id]}”一行缺少“{label}”列的格。")
            _set(doc, f"requests.{row_id}.{key}", cell_value(grid.texts[line[col]]))


def _table4(grids: Sequence[Grid], doc: dict[str, Any], name: str) -> None:
    width = len(_APPEAL_HEADER)
    for grid in grids:
        for r in range(len(grid.cells)):
            keys = [label_key(grid.text(r, c)) for c in range(len(grid.cells[r]))]
            start = next(
                (c for c in range(len(keys) - width + 1) if tuple(keys[c : c + width]) == _APPEAL_HEADER),
                None,
            )
            if start is None:
                continue
            if r + 1 >= len(grid.cells):
                raise ReportFileError(f"文件 {name} 的表四只有表头，没有数字行。")
            below = grid.cells[r + 1]
            for i, path in enumerate(layout.TABLE4_PATHS):
                col = start + i
                if col >= len(below) or below[col] < 0 or below[col] == grid.cells[r][col]:
                    block, result = path.split(".")[1:]
                    raise ReportFileError(
                        f"文件 {name} 表四数字行缺少“{APPEAL_BLOCKS[block]}”“{APPEAL_COLUMNS[result]}”的格。"
                    )
                _set(doc, path, cell_value(grid.texts[below[col]]))
            return
    raise ReportFileError(
        f"文件 {name} 中没有找到表四（表头应依次为行政复议、未经复议直接起诉、复议后起诉三栏的"
        "结果维持、结果纠正、其他结果、尚未审结、总计）。"
    )


def _from_tables(grids: Sequence[Grid], name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {"proactive": {}, "requests": {}, "appeals": {}}
    _table2(grids, doc, name)
    _table3(grids, doc, name)
    _table4(grids, doc, name)
    return doc


_YEAR_IN_TITLE: Final = re.compile(r"(\d{4})\s*年\s*(?:度\s*)?政府信息公开")


def _year(text: str) -> int | None:
    match = _YEAR_IN_TITLE.search(unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match else None


# -- JSON ---------------------------------------------------------------------------------------------------------


def _stated(value: object) -> object:
    """A JSON value as stated: null is a blank cell; a string is read like a printed cell."""
    if value is None:
        return Stated("")
    if isinstance(value, str):
        return cell_value(value)
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def _from_json(obj: object, name: str) -> tuple[int | None, dict[str, Any]]:
    if not isinstance(obj, Mapping):
        raise ReportFileError(
            f"文件 {name} 不是年度报告 JSON（应为含 proactive、requests、appeals 的对象）。"
        )
    absent = [k for k in ("proactive", "requests", "appeals") if not isinstance(obj.get(k), Mapping)]
    if absent:
        raise ReportFileError(
            f"文件 {name} 的年度报告 JSON 缺少 {'、'.join(absent)}（应为 2021 年格式，见 CONTRACT 第 4 节）。"
        )
    doc: dict[str, Any] = {"proactive": {}, "requests": {}, "appeals": {}}
    for path in _all_paths():
        value: Any = obj
        parts = path.split(".")
        keys = ["requests", ".".join(parts[1:-1]), parts[-1]] if parts[0] == "requests" else parts
        for key in keys:
            if not isinstance(value, Mapping) or key not in value:
                raise ReportFileError(
                    f"文件 {name} 的年度报告 JSON 缺少 {'.'.join(keys)}（{_where(path)}）。"
                )
            value = value[key]
        _set(doc, path, _stated(value))
    year = obj.get("year")
    return (year if isinstance(year, int) and not isinstance(year, bool) else None), doc


def _all_paths() -> Iterable[str]:
    for _label, paths, _headers in _TABLE2_ROWS:
        yield from paths
    for row in layout.TABLE3_ROWS:
        for key in COLUMNS:
            yield row.path(key)
    yield from layout.TABLE4_PATHS


def _where(path: str) -> str:
    """A JSON path named as staff read the table: 表三“一、本年新收…”“自然人”."""
    parts = path.split(".")
    if parts[0] == "requests":
        return f"表三“{_PRINTED['.'.join(parts[1:-1])]}”“{dict(layout.APPLICANT_COLUMNS)[parts[-1]]}”"
    if parts[0] == "appeals":
        return f"表四“{APPEAL_BLOCKS[parts[1]]}”“{APPEAL_COLUMNS[parts[2]]}”"
    label = next(label for label, paths, _ in _TABLE2_ROWS if path in paths)
    return f"表二“{label}”"


# -- entry point ----------------------------------------------------------------------------------------------------


def read_report_file(path: Path) -> ReportFile:
    """Read a published annual report (Gongkai's JSON, or HTML or DOCX in the official 2021 layout).

    Raises :class:`ReportFileError` (exit 2) when the file cannot be read or a table, row or column of the
    layout is not found — the message names the file and what was expected.
    """
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise ReportFileError(f"{path} 是文件夹，应为年度报告文件（JSON、HTML 或 DOCX）。")
        if path.stat().st_size > _MAX_BYTES:
            raise ReportFileError(f"文件 {name} 超过 {_MAX_BYTES // 1024 // 1024} MB，不像是年度报告。")
        raw = path.read_bytes()
    except OSError as exc:
        raise ReportFileError(f"无法读取文件 {path}（{exc.strerror or type(exc).__name__}）。") from None
    if raw.startswith(b"PK\x03\x04"):
        grids, text = _docx_tables(path)
        return ReportFile("docx", _year(text), _from_tables(grids, name), text)
    decoded = _decode(raw, path)
    if decoded.lstrip().startswith(("{", "[")):
        try:
            obj = json.loads(decoded)
        except json.JSONDecodeError as exc:
            raise ReportFileError(
                f"文件 {name} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）。"
            ) from None
        year, doc = _from_json(obj, name)
        return ReportFile("json", year, doc, "")
    if "<" not in decoded:
        raise ReportFileError(f"文件 {name} 不是年度报告：应为 JSON、HTML 或 DOCX 文件。")
    parser = _HtmlTables()
    parser.feed(decoded)
    parser.close()
    grids_html = [_lay_out(t) for t in parser.tables]
    if not grids_html:
        raise ReportFileError(f"文件 {name} 中没有表格：应为含表二、表三、表四的年度报告 HTML。")
    text = "".join(parser.outside)
    year = _year("".join(parser.title)) or _year(text)
    return ReportFile("html", year, _from_tables(grids_html, name), text)


__all__ = ["Grid", "ReportFile", "ReportFileError", "cell_value", "label_key", "read_report_file"]
