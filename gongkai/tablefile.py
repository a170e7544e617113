"""Reading a table that staff prepared: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX.

Shared by the register import and the calendar import. The text encoding is decided by the
byte-order mark and strict decoding, never guessed: a wrong guess (Big5 read as GB18030, say) gives
plausible-looking garbage that would be stored for good. GB18030 decodes almost any byte string, so
callers check the header row against the column names they know and refuse a file whose header
matches none (the usual sign of a wrong encoding).

Rows are numbered as a spreadsheet shows them: the header is row 1; one CSV record is one row even
with a line break inside a cell.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Generator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from gongkai.errors import InputError

ACCEPTED_FORMS: Final = "CSV（UTF-8、带 BOM 的 UTF-8 或 GB18030 编码）或 XLSX"
ENCODING_HINT: Final = (
    "CSV 文件应为 UTF-8（可带 BOM）或 GB18030 编码，不支持 Big5 等繁体编码和 UTF-16；"
    "请在 Excel 或 WPS 中另存为“CSV UTF-8”或 XLSX 后重新导入"
)

Records = Generator[tuple[int, list[object]], None, None]


def read_records(path: Path) -> tuple[Records, str]:
    """Numbered raw records of a .csv or .xlsx file and its encoding (``utf-8``, ``utf-8-sig``,
    ``gb18030`` or ``xlsx``). Close the generator when stopping early (it holds the workbook)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".xlsx":
        return read_xlsx(path), "xlsx"
    raise InputError(f"文件 {path.name} 的格式无法导入：只接受 .csv 或 .xlsx 文件，即 {ACCEPTED_FORMS}。")


def read_csv(path: Path) -> tuple[Generator[tuple[int, list[object]], None, None], str]:
    """Decode by BOM or strictly (UTF-8, then GB18030); then yield numbered records."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"文件 {path.name} 不存在。") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {path.name}：{exc.strerror or type(exc).__name__}。") from None
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(f"文件 {path.name} 是 UTF-32 编码，无法导入。{ENCODING_HINT}。")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"文件 {path.name} 是 UTF-16（Unicode）编码，无法导入。{ENCODING_HINT}。")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(
                f"文件 {path.name} 以 UTF-8 的 BOM 开头，但第 {exc.start} 个字节起不是有效的 UTF-8。{ENCODING_HINT}。"
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            try:
                text, encoding = data.decode("gb18030"), "gb18030"
            except UnicodeDecodeError:
                raise InputError(
                    f"文件 {path.name} 既不是有效的 UTF-8 也不是有效的 GB18030 编码，无法导入。{ENCODING_HINT}。"
                ) from None
    if "\x00" in text:
        raise InputError(f"文件 {path.name} 含有空字符（NUL），不是文本格式的 CSV。{ENCODING_HINT}。")
    return csv_records(path.name, text), encoding


def csv_records(name: str, text: str) -> Generator[tuple[int, list[object]], None, None]:
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    try:
        for record in reader:
            # Spreadsheet numbering: one record is one row, even with a line break inside a cell.
            number += 1
            yield number, list(record)
    except csv.Error as exc:
        raise InputError(f"文件 {name} 第 {number + 1} 行不是有效的 CSV：{exc}。") from None


def read_xlsx(path: Path) -> Generator[tuple[int, list[object]], None, None]:
    """The first worksheet's rows (values; formulas as their cached results)."""
    import openpyxl  # deferred: only XLSX imports need it
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.exists():
        raise InputError(f"文件 {path.name} 不存在。")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise InputError(
            f"文件 {path.name} 不是有效的 XLSX 文件（可能已损坏、加密，或是改了扩展名的其他格式）。"
        ) from None
    return xlsx_records(wb)


def xlsx_records(wb: Any) -> Generator[tuple[int, list[object]], None, None]:
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        # Some programs write wrong sheet dimensions; read every row the sheet really has.
        ws.reset_dimensions()
        # openpyxl fills missing rows with empty ones, so enumerate() gives the sheet's numbers.
        for number, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)
    finally:
        wb.close()


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def clean_value(value: object) -> object:
    """A cell's value as a stripped string, a date, or None when empty."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))  # 2025001.0 from a spreadsheet is the ref 2025001
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    return text or None


def clean_header(value: object) -> str:
    return cell_text(value).replace("\ufeff", "").strip()


def column_letter(pos: int) -> str:
    letters = ""
    while pos:
        pos, rem = divmod(pos - 1, 26)
        letters = chr(65 + rem) + letters
    return letters




def classify_header(
    header: Sequence[object], lookup: Callable[[str], str | None]
) -> tuple[list[str | None], list[str], list[tuple[str, str, str]]]:
    """Map header cells to field keys with ``lookup`` (Chinese name or alias → key).

    Returns the key per column position (None for an empty, unknown or repeated cell), the unknown
    header texts, and the repeats as ``(first text, repeated text, key)``. Callers word the errors.
    """
    keys: list[str | None] = []
    unknown: list[str] = []
    repeats: list[tuple[str, str, str]] = []
    first_text: dict[str, str] = {}
    for cell in header:
        text = clean_header(cell)
        key = lookup(text) if text else None
        if not text:
            keys.append(None)
        elif key is None:
            unknown.append(text)
            keys.append(None)
        elif key in first_text:
            repeats.append((first_text[key], text, key))
            keys.append(None)
        else:
            first_text[key] = text
            keys.append(key)
    return keys, unknown, repeats
