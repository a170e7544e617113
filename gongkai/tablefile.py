"""Reading a table that staff prepared: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX.

The text encoding is decided by the byte-order mark and strict decoding, never guessed: a UTF-8 BOM
means UTF-8; otherwise the bytes must decode strictly as UTF-8, else strictly as GB18030; anything
else is refused. GB18030 decodes almost any byte string, so a Big5 file "decodes" into nonsense:
callers must check the header row against the column names they know and refuse the file when no
known column is found (:func:`header_problem`).
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from gongkai.errors import InputError

ENCODING_HINT = "请在 Excel 或 WPS 中“另存为”CSV UTF-8 或 GB18030（GBK）编码，或直接使用 .xlsx 文件；Big5 等繁体编码不受支持"


@dataclass(frozen=True)
class Table:
    """The cells of a table file: the header row and the data rows with their row numbers.

    Row numbers are spreadsheet numbers: the header is row 1, the first data row is row 2.
    Cell values are ``str`` (stripped), ``date`` (XLSX date cells) or ``None`` (empty).
    """

    name: str
    encoding: str
    header: list[str]
    rows: list[tuple[int, list[str | date | None]]]


def decode_csv_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode by BOM and strict decoding; returns (text, encoding label)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8（带 BOM）"
        except UnicodeDecodeError:
            raise InputError(f"文件 {name} 以 UTF-8 BOM 开头，但内容不是有效的 UTF-8。{ENCODING_HINT}。") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputError(f"文件 {name} 是 UTF-16/UTF-32 编码，不受支持。{ENCODING_HINT}。")
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise InputError(f"文件 {name} 既不是 UTF-8 也不是 GB18030 编码。{ENCODING_HINT}。") from None


def _cell(value: object) -> str | date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def read_table(path: Path) -> Table:
    """Read a CSV or XLSX file; raises :class:`InputError` for unreadable files."""
    name = path.name
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"找不到文件 {path}。")
    if suffix == ".csv":
        text, encoding = decode_csv_bytes(path.read_bytes(), name)
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            raw = list(reader)
        except csv.Error as exc:
            raise InputError(f"文件 {name} 不是有效的 CSV：{exc}。") from None
        records: list[list[object]] = [list(r) for r in raw]
    elif suffix == ".xlsx":
        from openpyxl import load_workbook  # deferred: only imports of spreadsheets need it

        encoding = "XLSX"
        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many unrelated types for a damaged file
            raise InputError(f"文件 {name} 不是有效的 XLSX 工作簿（{type(exc).__name__}）。") from None
        try:
            ws = wb.worksheets[0]
            records = [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    else:
        raise InputError(f"文件 {name} 的类型不受支持：应为 .csv 或 .xlsx。")
    # Skip trailing and leading empty records but keep row numbering of the sheet.
    numbered = [(i + 1, [_cell(v) for v in rec]) for i, rec in enumerate(records)]
    numbered = [(n, cells) for n, cells in numbered if any(c is not None for c in cells)]
    if not numbered:
        raise InputError(f"文件 {name} 是空的：第 1 行应为表头。")
    header_cells = numbered[0][1]
    header = [str(c).lstrip("\ufeff").strip() if c is not None else "" for c in header_cells]
    return Table(name, encoding, header, numbered[1:])


def header_problem(table: Table, known: set[str]) -> str | None:
    """A message when none of the header cells is a known column (e.g. a Big5 file), else None."""
    if any(h.lower() in known or h in known for h in table.header if h):
        return None
    return (
        f"文件 {table.name}（按 {table.encoding} 读取）的表头无法识别，没有找到任何预期的列名。"
        f"可能是文件编码不对：{ENCODING_HINT}。"
    )
