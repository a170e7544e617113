"""Reading a table that staff prepared: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX.

Shared by the register import and the calendar import. The text encoding is decided by the
byte-order mark and strict decoding, never guessed: a wrong guess (Big5 read as GB18030, say) gives
plausible-looking garbage that would be stored for good. GB18030 decodes almost any byte string, so
callers check the header row against the column names they know and refuse a file whose header
matches none (the usual sign of a wrong encoding).

Rows are numbered as a spreadsheet shows them: the header is row 1; one CSV record is one row even
with a line break inside a cell.

Limits (every import: register, items, calendar, yearly figures), checked while reading so that a
file over them costs little: at most :data:`MAX_FILE_BYTES` on disk, at most :data:`MAX_DATA_ROWS`
rows under the header, at most :data:`MAX_CELL_CHARS` characters in a cell. A caller may allow a larger CSV
(``max_rows``, ``max_bytes``: the register import takes up to :data:`MAX_CSV_ROWS`); CSV is read streaming,
so its size costs time, not memory. XLSX keeps the default limits whatever the caller asks. The row limit is on the
spreadsheet's row numbers: reading stops at the first row numbered beyond it, blank or not, because
telling a blank row from a filled one means reading it, and a sheet of a million formatted blank rows
(what formatting whole rows in a spreadsheet program leaves) would otherwise take half a minute and
half a gigabyte. Blank rows within the limit are skipped by the callers.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Generator, Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

from gongkai.core.errors import InputError

ACCEPTED_FORMS: Final = "CSV（UTF-8、带 BOM 的 UTF-8 或 GB18030 编码）或 XLSX"
ENCODING_HINT: Final = (
    "CSV 文件应为 UTF-8（可带 BOM）或 GB18030 编码，不支持 Big5 等繁体编码和 UTF-16；"
    "请在 Excel 或 WPS 中另存为“CSV UTF-8”或 XLSX 后重新导入"
)

Records = Generator[tuple[int, list[object]], None, None]

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
"""The largest file an import reads (20 MB: a 100,000-row register in CSV is about 13 MB)."""
MAX_DATA_ROWS: Final = 100_000
"""The most rows under the header an import reads (an office registers a few hundred a year)."""
MAX_CELL_CHARS: Final = 32_767
"""The most characters in one cell (Excel's own limit); fields have lower limits of their own."""
MAX_CSV_ROWS: Final = 1_000_000
"""The most rows a caller may allow in a CSV file (the register import allows them)."""
MAX_CSV_BYTES: Final = 256 * 1024 * 1024
"""The largest CSV file a caller may allow (a 1,000,000-row register is about 140 MB)."""
_READ_CHUNK: Final = 1 << 20


def _check_size(path: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"文件 {path.name} 不存在。") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {path.name}：{exc.strerror or type(exc).__name__}。") from None
    if size > max_bytes:
        raise InputError(
            f"文件 {path.name} 有 {size / 1024 / 1024:.1f} MB，超过导入文件的上限 {max_bytes // 1024 // 1024} MB；"
            "请删除多余的内容，或分成几个文件导入。"
        )


def _limited(name: str, rows: Iterable[tuple[int, list[object]]], max_rows: int = MAX_DATA_ROWS) -> Records:
    """``rows`` with the row and cell limits applied (see the module docstring)."""
    header: list[object] = []
    for number, cells in rows:
        if number > max_rows + 1:
            raise InputError(
                f"文件 {name} 超过导入上限：表头下最多 {max_rows:,} 行数据（即到第 {max_rows + 1:,} 行），"
                f"但第 {number:,} 行起还有行（有内容，或是带格式的空行）；请删除数据下方多余的行"
                "（在表格软件中选中后“删除行”，仅清除内容不够），或分成几个文件导入。"
            )
        if number == 1:
            header = cells
        try:
            longest = max(map(len, cells), default=0)  # type: ignore[arg-type]  # a CSV row is all text
        except TypeError:  # an XLSX row: numbers, dates, empty cells
            longest = MAX_CELL_CHARS + 1
        if longest <= MAX_CELL_CHARS:
            yield number, cells
            continue
        for pos, value in enumerate(cells):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                title = cell_text(header[pos]) if number > 1 and pos < len(header) else ""
                column = f"{column_letter(pos + 1)} 列" + (f"（“{title[:30]}”）" if title else "")
                raise InputError(
                    f"文件 {name} 第 {number:,} 行 {column}有 {len(value):,} 个字符，"
                    f"超过每个单元格 {MAX_CELL_CHARS:,} 个字符的上限；请检查该单元格（可能误粘贴了大段内容）。"
                )
        yield number, cells


def read_records(
    path: Path, *, max_rows: int = MAX_DATA_ROWS, max_bytes: int = MAX_FILE_BYTES
) -> tuple[Records, str]:
    """Numbered raw records of a .csv or .xlsx file and its encoding (``utf-8``, ``utf-8-sig``,
    ``gb18030`` or ``xlsx``). ``max_rows`` and ``max_bytes`` (at most :data:`MAX_CSV_ROWS` and
    :data:`MAX_CSV_BYTES`) apply to CSV; XLSX keeps the defaults. Close the generator when stopping
    early (it holds the file or the workbook)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, max_rows=min(max_rows, MAX_CSV_ROWS), max_bytes=min(max_bytes, MAX_CSV_BYTES))
    if suffix == ".xlsx":
        return read_xlsx(path), "xlsx"
    raise InputError(f"文件 {path.name} 的格式无法导入：只接受 .csv 或 .xlsx 文件，即 {ACCEPTED_FORMS}。")


def read_csv(
    path: Path, *, max_rows: int = MAX_DATA_ROWS, max_bytes: int = MAX_FILE_BYTES
) -> tuple[Generator[tuple[int, list[object]], None, None], str]:
    """Decode by BOM or strictly (UTF-8, then GB18030); then yield numbered records.

    The whole file is decoded once, chunk by chunk, before the first record (a file that is not
    text is refused before anything is read from it); the records are then read streaming.
    """
    _check_size(path, max_bytes)
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            encoding = _csv_encoding(path.name, fh, head)
    except FileNotFoundError:
        raise InputError(f"文件 {path.name} 不存在。") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {path.name}：{exc.strerror or type(exc).__name__}。") from None
    return csv_file_records(path, encoding, max_rows=max_rows), encoding


def _csv_encoding(name: str, fh: BinaryIO, head: bytes) -> str:
    """The encoding of an open CSV file, read from the start (``head``: its first 4 bytes)."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(f"文件 {name} 是 UTF-32 编码，无法导入。{ENCODING_HINT}。")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"文件 {name} 是 UTF-16（Unicode）编码，无法导入。{ENCODING_HINT}。")
    if head.startswith(b"\xef\xbb\xbf"):
        fh.seek(3)
        failed_at, nul = _decodes(fh, "utf-8")
        if failed_at is not None:
            raise InputError(
                f"文件 {name} 以 UTF-8 的 BOM 开头，但第 {failed_at} 个字节起不是有效的 UTF-8。{ENCODING_HINT}。"
            )
        encoding = "utf-8-sig"
    else:
        encoding = "utf-8"
        fh.seek(0)
        failed_at, nul = _decodes(fh, "utf-8")
        if failed_at is not None:
            encoding = "gb18030"
            fh.seek(0)
            failed_at, nul = _decodes(fh, "gb18030")
            if failed_at is not None:
                raise InputError(
                    f"文件 {name} 既不是有效的 UTF-8 也不是有效的 GB18030 编码，无法导入。{ENCODING_HINT}。"
                )
    if nul:
        raise InputError(f"文件 {name} 含有空字符（NUL），不是文本格式的 CSV。{ENCODING_HINT}。")
    return encoding


def _decodes(fh: BinaryIO, encoding: str) -> tuple[int | None, bool]:
    """Decode the rest of ``fh`` strictly: the offset of the first byte that fails (None when all
    decode) and whether the text has a NUL character."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    nul = False
    while True:
        chunk = fh.read(_READ_CHUNK)
        # The decoder keeps an incomplete sequence from the previous chunk in front of this one.
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            return offset - pending + exc.start, nul
        nul = nul or "\x00" in text
        if not chunk:
            return None, nul
        offset += len(chunk)


def csv_file_records(
    path: Path, encoding: str, *, max_rows: int = MAX_DATA_ROWS
) -> Generator[tuple[int, list[object]], None, None]:
    """Numbered records of a CSV file known to decode as ``encoding``, read streaming, with the row
    and cell limits applied."""
    # The csv module refuses a cell over 128 KB with an English error that names no column; the whole
    # file is at most MAX_CSV_BYTES, so raising its (process-wide) limit to that lets the cell check
    # below name the row and column instead.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_BYTES))
    with path.open(encoding=encoding, newline="") as fh:
        yield from _limited(path.name, _csv_rows(path.name, fh), max_rows)


def _csv_rows(name: str, lines: Iterable[str]) -> Records:
    reader = csv.reader(lines)
    number = 0
    try:
        for record in reader:
            # Spreadsheet numbering: one record is one row, even with a line break inside a cell.
            number += 1
            yield number, list(record)
    except csv.Error:
        raise InputError(
            f"文件 {name} 第 {number + 1:,} 行不是有效的 CSV（多半是引号不配对）；"
            "请在表格软件中打开检查该行，另存为 CSV 后重新导入。"
        ) from None


def read_xlsx(path: Path) -> Generator[tuple[int, list[object]], None, None]:
    """The first worksheet's rows (values; formulas as their cached results)."""
    import openpyxl  # deferred: only XLSX imports need it
    from openpyxl.utils.exceptions import InvalidFileException

    _check_size(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise InputError(
            f"文件 {path.name} 不是有效的 XLSX 文件（可能已损坏、加密，或是改了扩展名的其他格式）。"
        ) from None
    return xlsx_records(wb, path.name)


def xlsx_records(wb: Any, name: str) -> Generator[tuple[int, list[object]], None, None]:
    """The first sheet's numbered rows, streamed (read-only workbook), with the row and cell limits."""
    try:
        if not wb.worksheets:
            return
        ws = wb.worksheets[0]
        # Some programs write wrong sheet dimensions; read every row the sheet really has, but never a row
        # past the one that shows the limit is exceeded (the stream stops there, see _limited).
        ws.reset_dimensions()
        rows = ws.iter_rows(min_row=1, max_row=MAX_DATA_ROWS + 2, values_only=True)
        # openpyxl fills missing rows with empty ones, so enumerate() gives the sheet's numbers.
        yield from _limited(name, ((number, list(values)) for number, values in enumerate(rows, start=1)))
    finally:
        wb.close()


def cell_text(value: object) -> str:
    return "" if value is None else str(value).strip()


def clean_value(value: object) -> object:
    """A cell's value as a stripped string, a date, or None when empty."""
    if type(value) is str:  # every cell of a CSV file
        return value.strip() or None
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
