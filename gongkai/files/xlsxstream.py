"""A streaming writer of one-sheet XLSX workbooks: a header row and rows of text and date cells.

The catalogue's spreadsheet (50,000 items and more) took most of a catalogue update through openpyxl, which builds
an object per cell. Here each row becomes its XML text at once and goes straight into the compressed sheet part, so
the time is a string join per row and the memory is one chunk of rows plus the compressed output.

What it writes, and no more: one worksheet; a bold header row, frozen; column widths; text cells as inline
strings; dates as date cells (``yyyy-mm-dd``); text that starts with one of ``quote_prefix`` gets the
``quotePrefix`` style (Excel shows it literally and does not read it as a formula, even after an edit; an inline
string cell is never a formula anyway). Empty and ``None`` values are empty cells. Control characters that XML 1.0
cannot carry are written as Excel writes them (``_x000B_``), and a literal ``_xHHHH_`` in the text is protected the
same way, so Excel reads back exactly the text given.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import IO, Any, Final, cast

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES: Final = (
    _XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS: Final = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS: Final = (
    _XML_DECL + f'<Relationships xmlns="{_PKG_REL_NS}">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell formats (the ``s`` attribute of a cell): 0 plain, 1 header (bold), 2 quote prefix, 3 date.
_HEADER: Final = 1
_QUOTED: Final = 2
_DATE: Final = 3
_STYLES: Final = (
    _XML_DECL + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

# What XML text cannot carry as is: markup, CR (a parser reads it as LF), characters outside XML 1.0, and a
# literal ``_xHHHH_`` (Excel reads it as an escaped character).
_NEEDS_ESCAPE: Final = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
# Characters of :data:`_NEEDS_ESCAPE` (a character class is the quickest search): text without them, without
# "_x" and without leading or trailing whitespace (which needs xml:space) is written as it stands.
_SPECIAL: Final = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_ESCAPE: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_XML_TEXT: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_SHEET_NAME_FORBIDDEN: Final = frozenset("[]:*?/\\")
_CHUNK_ROWS: Final = 2000


def _text(value: str) -> str:
    """``value`` as the content of an XML text element (see :data:`_NEEDS_ESCAPE`)."""
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    value = _EXCEL_ESCAPE.sub(lambda m: f"_x{ord(m[0]):04X}_", value)
    return value.translate(_XML_TEXT)


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _string_cell(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{_text(text)}</t></is></c>'


def _sheet_head(widths: Sequence[float]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, start=1)
    )
    return (
        _XML_DECL + f'<worksheet xmlns="{_MAIN_NS}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
        "</sheetView></sheetViews>"
        '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
    )


def xlsx_bytes(
    sheet_name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str | date | None]],
    *,
    widths: Sequence[float] = (),
    quote_prefix: tuple[str, ...] = (),
) -> bytes:
    """A workbook of one sheet ``sheet_name``: the ``header`` row (bold, frozen), then ``rows``, streamed.

    Cells are text (``str``), dates (``date``; a ``datetime`` keeps only its date) or empty (``None``, ``""``);
    ``widths`` are column widths in characters, from column A; text starting with one of ``quote_prefix`` gets the
    ``quotePrefix`` style. Raises ``ValueError`` for a sheet name Excel would refuse (empty, longer than 31
    characters or containing ``[ ] : * ? / \\``).
    """
    _check_sheet_name(sheet_name)
    out = io.BytesIO()
    for _ in _write_workbook(out, sheet_name, header, rows, widths, quote_prefix):
        pass
    return out.getvalue()


def xlsx_stream(
    sheet_name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str | date | None]],
    *,
    widths: Sequence[float] = (),
    quote_prefix: tuple[str, ...] = (),
) -> Iterator[bytes]:
    """The workbook of :func:`xlsx_bytes` in parts, each yielded as soon as it is compressed (a download can
    start before the last row is read, and the file is never whole in memory). The archive is written without
    seeking (sizes in data descriptors), which Excel, LibreOffice and openpyxl read alike."""
    _check_sheet_name(sheet_name)
    sink = _Sink()
    for _ in _write_workbook(cast(IO[bytes], sink), sheet_name, header, rows, widths, quote_prefix):
        part = sink.take()
        if part:
            yield part
    part = sink.take()
    if part:
        yield part


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what was written until :meth:`take` (it cannot seek or tell, so
    :mod:`zipfile` writes the archive in one pass)."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        """What was written since the last call."""
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def _check_sheet_name(sheet_name: str) -> None:
    if not sheet_name or len(sheet_name) > 31 or _SHEET_NAME_FORBIDDEN & set(sheet_name):
        raise ValueError(f"invalid sheet name {sheet_name!r}")


def _write_workbook(
    out: IO[bytes],
    sheet_name: str,
    header: Sequence[str],
    rows: Iterable[Sequence[str | date | None]],
    widths: Sequence[float],
    quote_prefix: tuple[str, ...],
) -> Iterator[None]:
    """Write the workbook to ``out``, pausing (yielding) after each chunk of the sheet."""
    # Level 1: the sheet of 50,000 items compresses in a third of the time of the default level, 40 % larger.
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:

        def put(name: str, text: str) -> None:
            archive.writestr(name, text.encode("utf-8"))

        put("[Content_Types].xml", _CONTENT_TYPES)
        put("_rels/.rels", _ROOT_RELS)
        name = sheet_name.translate(_XML_TEXT).replace('"', "&quot;")
        put(
            "xl/workbook.xml",
            _XML_DECL + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            '<bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        put("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        put("xl/styles.xml", _STYLES)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            for text in _sheet_chunks(header, rows, widths, quote_prefix):
                sheet.write(text.encode("utf-8"))
                yield


def _sheet_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[str | date | None]],
    widths: Sequence[float],
    quote_prefix: tuple[str, ...],
) -> Iterator[str]:
    """The sheet's XML in chunks of :data:`_CHUNK_ROWS` rows."""
    letters = _column_letters(max(len(header), len(widths)))
    epoch = _EXCEL_EPOCH.toordinal()
    head = "".join(_string_cell(f"{col}1", text, _HEADER) for col, text in zip(letters, header, strict=False))
    chunk = [_sheet_head(widths), f'<row r="1">{head}</row>']
    number = 1
    for row in rows:
        number += 1
        if len(row) > len(letters):
            letters = _column_letters(len(row))
        cells = []
        for col, value in zip(letters, row, strict=False):
            if isinstance(value, str):
                if not value:
                    cells.append(f'<c r="{col}{number}"/>')
                elif quote_prefix and value.startswith(quote_prefix):
                    cells.append(_string_cell(f"{col}{number}", value, _QUOTED))
                elif (
                    _SPECIAL.search(value) is None
                    and "_x" not in value
                    and not value[0].isspace()
                    and not value[-1].isspace()
                ):
                    cells.append(f'<c r="{col}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
                else:
                    cells.append(_string_cell(f"{col}{number}", value, 0))
            elif value is None:
                cells.append(f'<c r="{col}{number}"/>')
            else:
                serial = (value.date() if isinstance(value, datetime) else value).toordinal() - epoch
                if 0 < serial <= 60:  # Excel's day 60 is the 29 February 1900 that never was
                    serial -= 1
                cells.append(f'<c r="{col}{number}" s="{_DATE}"><v>{serial}</v></c>')
        chunk.append(f'<row r="{number}">{"".join(cells)}</row>')
        if len(chunk) >= _CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    chunk.append("</sheetData></worksheet>")
    yield "".join(chunk)


__all__ = ["xlsx_bytes", "xlsx_stream"]
