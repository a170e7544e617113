"""A streaming CSV writer for exports that staff open in Excel or WPS: UTF-8 with a byte-order mark (without it
Excel reads the file as the system's ANSI code page and the Chinese text is garbled), CRLF line ends, and text
that a spreadsheet would take for a formula written so that it is shown as text (CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Final

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make Excel or LibreOffice read a CSV cell as a formula."""
_CHUNK_ROWS: Final = 500


def csv_cell(value: str | date | None) -> str:
    """One cell's text: a date in ISO form, ``None`` empty, text that starts like a formula prefixed with ``'``
    (what Excel itself shows for a text cell typed that way)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[str | date | None]]) -> Iterator[bytes]:
    """The file in parts: the BOM and the header first, then :data:`_CHUNK_ROWS` rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    count = 0
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
        if count % _CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


__all__ = ["FORMULA_STARTS", "csv_cell", "csv_stream"]
