"""The one import engine for tables staff prepare (the request register, the catalogue items).

A table is described once (:class:`TableSpec`: its columns with their Chinese headers, other spellings
and English aliases, which are required, which hold personal data, their text limits); the engine
does the rest the same way for every table:

* reading (:func:`read_table`, or :func:`stream_table` row by row, on :mod:`gongkai.files.tablefile`: CSV in UTF-8/BOM/GB18030 or XLSX,
  the file, row and cell limits) and the header: Chinese names and aliases to keys, unknown,
  repeated and missing required columns refused in one message, a cell under no header refused;
* cells (:class:`RowCells`): text, required cells, dates in the accepted spellings, codes of a
  vocabulary, text limits, each bad cell one phrase naming the column, what was expected and (for
  values that are not personal data) what came, shortened;
* the error list (:func:`check_rows`, or :func:`checked_rows` row by row, :class:`ErrorList`): every bad row with its spreadsheet row
  number, a repeated key named with the row it repeats, and the refusal of the whole file
  (:class:`~gongkai.core.errors.ImportRejected`) so that nothing is written unless every row is good;
* bulk reading and writing helpers for the all-or-nothing write (:func:`rows_by_keys`,
  :func:`insert_batches`).

What a row means (the procedure of a request's events, the Art. 26 rules of an item, agreement with
what is registered, the year lock) stays with the table's own package.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from collections import defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gongkai.core.dates import DATE_FORMS, parse_date
from gongkai.core.errors import ImportRejected, InputError
from gongkai.core.officescope import in_office, office_of
from gongkai.files.tablefile import (
    ENCODING_HINT,
    MAX_DATA_ROWS,
    MAX_FILE_BYTES,
    cell_text,
    classify_header,
    clean_value,
    column_letter,
    read_records,
)

R = TypeVar("R")
Record = dict[str, object]
"""One data row: column key -> stripped string, ``date`` or None (empty cell)."""

SHOW_MAX: Final = 30
"""The most characters of a value a problem line shows."""
CHUNK: Final = 500
"""Keys per ``IN (...)`` list when reading what is already registered."""
INSERT_BATCH: Final = 5000
"""Rows per executemany when writing."""
DEFER_INDEXES_AFTER: Final = 50_000
"""Rows an import writes into a SQLite table before it defers that table's indexes (:class:`DeferredIndexes`)."""
BULK_CACHE_KIB: Final = 32 * 1024
"""SQLite's page cache while a large file is written (:func:`bulk_writing`; SQLite's default is 2 MB)."""


# -- the description of a table -----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: canonical key (its English alias) and its Chinese header.

    ``others``: further Chinese spellings accepted; ``personal``: personal data, never shown in a
    problem line; ``max_len``: the most characters of its text (checked by :meth:`RowCells.text`).
    """

    key: str
    zh: str
    others: tuple[str, ...] = ()
    required: bool = False
    personal: bool = False
    max_len: int | None = None

    @property
    def alias(self) -> str:
        """The English alias (the canonical key)."""
        return self.key


@dataclass(frozen=True)
class HeaderTexts:
    """How a table words the refusal of a file whose header cannot be used (``str.format`` fields:
    ``name`` the file, ``required`` the required columns, ``hint`` the accepted encodings, ``pos``,
    ``letter`` and ``row`` the cell under no header; ``shown``, ``names`` and ``examples`` for unknown
    columns; ``first``, ``text`` and ``zh`` for a repeat). The defaults are the register import's."""

    empty_file: str = "文件 {name} 是空文件：第 1 行应为表头，从第 2 行起为数据。"
    blank_header: str = "文件 {name} 的第 1 行应为表头（列名），实际为空行。"
    unnamed_column: str = (
        "文件 {name} 的第 {pos} 列（{letter} 列）没有列名，但第 {row} 行在该列有内容；请补上列名或删除该列。"
    )
    nothing_known_xlsx: str = "文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{required}）；第 1 行应为列名，中文或英文别名见导入说明。"
    # Big5 and other unsupported encodings decode as GB18030 garbage: say so first.
    nothing_known_gb18030: str = (
        "文件 {name} 的表头无法识别，没有找到任何必填列（{required}），通常是文件编码不对：{hint}。"
    )
    nothing_known: str = (
        "文件 {name} 的表头无法识别，没有找到任何必填列（{required}）。"
        "第 1 行应为列名（中文或英文别名）；如果列名显示为乱码，说明编码不对：{hint}。"
    )
    unknown: str = "有无法识别的列名 {shown}{hint}；可用的列名为 {names}（或对应的英文别名，如 {examples}）"
    unknown_hint_gb18030: str = "（如果列名显示为乱码，说明编码不对：{hint}）"
    repeat: str = "“{first}”与“{text}”都是“{zh}”"
    repeat_separator: str = "，"


@dataclass(frozen=True)
class TableSpec:
    """A table the engine imports: its columns, the key that must be unique, and its header wording.

    ``unique_key``'s column is named in the repeat problem ``编号“X”与第 N 行重复（{unique_note}）``.
    ``max_rows`` and ``max_bytes``: the limits of a CSV file of this table (see
    :func:`gongkai.files.tablefile.read_records`; XLSX keeps the defaults).
    """

    columns: tuple[Column, ...]
    unique_key: str
    unique_note: str
    texts: HeaderTexts = HeaderTexts()
    max_rows: int = MAX_DATA_ROWS
    max_bytes: int = MAX_FILE_BYTES
    by_key: dict[str, Column] = field(init=False, repr=False, compare=False)
    required_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    limits: dict[str, tuple[str, int]] = field(init=False, repr=False, compare=False)
    _headers: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", {c.key: c for c in self.columns})
        object.__setattr__(self, "required_keys", tuple(c.key for c in self.columns if c.required))
        limits = {c.key: (c.zh, c.max_len) for c in self.columns if c.max_len is not None}
        object.__setattr__(self, "limits", limits)
        headers = {c.alias.casefold(): c.key for c in self.columns}
        headers.update({c.zh: c.key for c in self.columns})
        headers.update({o: c.key for c in self.columns for o in c.others})
        object.__setattr__(self, "_headers", headers)

    def key_of(self, text: str) -> str | None:
        """The column key of a header cell (Chinese name, other spelling or alias in any case)."""
        return self._headers.get(text) or self._headers.get(text.casefold())

    def names(self, keys: Iterable[str]) -> str:
        """``“编号”、“收到日期”`` for these keys."""
        return "、".join(f"“{self.by_key[k].zh}”" for k in keys)


def show(value: object, limit: int = SHOW_MAX) -> str:
    """A value that is not personal data, on one line and shortened, for a problem line."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- reading ---------------------------------------------------------------------------------


def read_table(path: Path, spec: TableSpec) -> tuple[list[tuple[int, Record]], str]:
    """Read an import file into ``(row number, {key: raw value})`` pairs and its encoding.

    Row numbers are spreadsheet numbers (the header is row 1) for CSV and XLSX alike; blank rows are
    skipped. Raw values are stripped strings, ``date`` (XLSX date cells) or ``None`` for an empty
    cell; every column of the header has a key in each record. The encoding is ``utf-8``,
    ``utf-8-sig``, ``gb18030`` or ``xlsx``. Raises :class:`InputError` for a file that cannot be
    read as the table: wrong extension, undecodable or unsupported encoding, over the limits, no
    data rows, unknown, repeated or missing columns, content under no header.
    """
    records, encoding = stream_table(path, spec)
    with contextlib.closing(records):
        return list(records), encoding


def stream_table(path: Path, spec: TableSpec) -> tuple[Generator[tuple[int, Record], None, None], str]:
    """:func:`read_table` streaming: the file's encoding and header are checked at once (the same
    :class:`InputError`), the rows come one by one as they are read, and a problem found while reading
    them (a limit, content under no header, no data rows) is raised by the iterator. Close the
    iterator when stopping early (it holds the file)."""
    path = Path(path)
    table, encoding = read_records(path, max_rows=spec.max_rows, max_bytes=spec.max_bytes)
    try:
        keys = _header(spec, path.name, table, encoding)
    except BaseException:
        table.close()  # closes the workbook when a header problem stops the reading early
        raise
    return _records(spec, path.name, table, keys), encoding


def _header(
    spec: TableSpec, name: str, table: Iterator[tuple[int, list[object]]], encoding: str
) -> list[str | None]:
    first = next(table, None)
    if first is None:
        raise InputError(spec.texts.empty_file.format(name=name))
    header_no, header = first
    if header_no != 1 or not any(cell_text(v) for v in header):
        raise InputError(spec.texts.blank_header.format(name=name))
    return map_header(spec, name, header, encoding)


def _records(
    spec: TableSpec, name: str, table: Generator[tuple[int, list[object]], None, None], keys: list[str | None]
) -> Generator[tuple[int, Record], None, None]:
    """Every non-blank row as ``{key: value}``."""
    blank: Record = {k: None for k in keys if k is not None}
    named = [k for k in keys if k is not None]
    every_named = len(named) == len(keys)
    any_rows = False
    with contextlib.closing(table):
        for number, cells in table:
            values = [
                (v.strip() or None) if type(v) is str else clean_value(v)  # clean_value, inlined for CSV
                for v in cells
            ]
            if values.count(None) == len(values):
                continue
            any_rows = True
            if every_named and len(values) == len(named):  # the usual row: every column named, no more
                yield number, dict(zip(named, values, strict=True))
                continue
            record = dict(blank)
            for pos, value in enumerate(values):
                key = keys[pos] if pos < len(keys) else None
                if key is not None:
                    record[key] = value
                elif value is not None:
                    raise InputError(
                        spec.texts.unnamed_column.format(
                            name=name, pos=pos + 1, letter=column_letter(pos + 1), row=number
                        )
                    )
            yield number, record
    if not any_rows:
        raise InputError(f"文件 {name} 只有表头，没有数据行（数据从第 2 行开始）。")


def map_header(spec: TableSpec, name: str, header: Sequence[object], encoding: str) -> list[str | None]:
    """The column key per position (None for an empty header cell); refuses a header that cannot be
    used, naming every unknown, repeated and missing required column at once."""
    texts = spec.texts
    keys, unknown, repeats = classify_header(header, spec.key_of)
    seen = {k for k in keys if k is not None}
    if not seen & set(spec.required_keys):
        template = {"xlsx": texts.nothing_known_xlsx, "gb18030": texts.nothing_known_gb18030}.get(
            encoding, texts.nothing_known
        )
        raise InputError(
            template.format(name=name, required=spec.names(spec.required_keys), hint=ENCODING_HINT)
        )
    problems: list[str] = []
    if unknown:
        hint = texts.unknown_hint_gb18030.format(hint=ENCODING_HINT) if encoding == "gb18030" else ""
        problems.append(
            texts.unknown.format(
                shown="、".join(f"“{show(t)}”" for t in unknown),
                hint=hint,
                names="、".join(c.zh for c in spec.columns),
                examples="、".join(c.alias for c in spec.columns[:2]),
            )
        )
    if repeats:
        problems.append(
            "列名重复："
            + texts.repeat_separator.join(
                texts.repeat.format(first=first, text=text, zh=spec.by_key[key].zh)
                for first, text, key in repeats
            )
        )
    missing = [k for k in spec.required_keys if k not in seen]
    if missing:
        problems.append(f"缺少必填列 {spec.names(missing)}")
    if problems:
        raise InputError(f"文件 {name} 的表头有误：" + "；".join(problems) + "。")
    return keys


# -- cells -----------------------------------------------------------------------------------


def record_text(record: Record, key: str) -> str | None:
    """A cell as stripped text (a date cell as ISO text), None when empty."""
    value = record.get(key)
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    return text or None


class RowCells:
    """One row's cells, read by key; every bad cell adds one phrase to :attr:`problems`.

    A reading method returns the converted value, or None when the cell is empty or bad (then the
    problem is recorded). Phrases name the column by its Chinese header and say what was expected.
    """

    __slots__ = ("spec", "record", "problems")

    def __init__(self, spec: TableSpec, record: Record) -> None:
        self.spec = spec
        self.record = record
        self.problems: list[str] = []

    def given(self, key: str) -> bool:
        """Whether the cell has content."""
        return self.record.get(key) is not None

    def text(self, key: str, *, required: bool = False) -> str | None:
        """The cell's text, checked against the column's ``max_len`` (the value is never shown)."""
        raw = self.record.get(key)
        value: str | None
        if raw is None:
            value = None
        elif type(raw) is str:
            value = raw.strip() or None
        else:
            value = (raw.isoformat() if isinstance(raw, date) else str(raw).strip()) or None
        if value is None:
            if required:
                self.problems.append(f"“{self.spec.by_key[key].zh}”不能为空")
            return None
        limit = self.spec.limits.get(key)
        if limit is not None and len(value) > limit[1]:
            self.problems.append(f"“{limit[0]}”最长 {limit[1]} 个字符，实际为 {len(value)} 个字符")
        return value

    def date(self, key: str, *, required: bool = False) -> date | None:
        """The cell as a date in one of the accepted spellings (or a spreadsheet date cell)."""
        raw = self.record.get(key)
        if raw is None:
            if required:
                self.problems.append(f"“{self.spec.by_key[key].zh}”不能为空")
            return None
        zh = self.spec.by_key[key].zh
        try:
            return parse_date(raw, field=zh)
        except InputError:
            self.problems.append(f"“{zh}”应为有效日期（如 {DATE_FORMS}），实际为“{show(raw)}”")
            return None

    def code(
        self, key: str, find: Callable[[str], str | None], expected: str, *, required: bool = False
    ) -> str | None:
        """The code ``find`` gives for the cell's text (a label, an alias or the code itself);
        ``expected`` says what the column takes (``当面、邮寄……之一``)."""
        text = self.text(key, required=required)
        if text is None:
            return None
        found = find(text)
        if found is None:
            self.problems.append(f"“{self.spec.by_key[key].zh}”应为{expected}，实际为“{show(text)}”")
        return found

    def missing_required(self) -> None:
        """A problem for every required column left empty."""
        for key in self.spec.required_keys:
            if self.record.get(key) is None:
                self.problems.append(f"“{self.spec.by_key[key].zh}”不能为空")


# -- the error list --------------------------------------------------------------------------


class ErrorList:
    """The problems of a file, by spreadsheet row number."""

    def __init__(self) -> None:
        self._rows: defaultdict[int, list[str]] = defaultdict(list)

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __contains__(self, number: object) -> bool:
        return number in self._rows

    def add(self, number: int, *problems: str) -> None:
        """Record problems of row ``number``."""
        self._rows[number].extend(problems)

    def raise_if_any(self, name: str) -> None:
        """Refuse the whole file (:class:`ImportRejected`, one line per bad row) if any row is bad."""
        if not self._rows:
            return
        lines = [
            f"文件 {name} 第 {number} 行：" + "；".join(_part(p) for p in self._rows[number]) + "。"
            for number in sorted(self._rows)
        ]
        raise ImportRejected(f"文件 {name} 有 {len(lines)} 行有误，未导入任何数据：", lines)


def _part(text: str) -> str:
    return text.rstrip("。；;").strip()


def check_rows(
    spec: TableSpec,
    records: Iterable[tuple[int, Record]],
    check: Callable[[int, Record], tuple[R | None, list[str]]],
) -> tuple[list[R], ErrorList]:
    """Check every row with ``check`` (the row or its problems) and the unique key across rows.

    Returns the good rows and the error list (a repeated key is a problem of the later row, named
    first in its line).
    """
    errors = ErrorList()
    good = list(checked_rows(spec, records, check, errors))
    return good, errors


def checked_rows(
    spec: TableSpec,
    records: Iterable[tuple[int, Record]],
    check: Callable[[int, Record], tuple[R | None, list[str]]],
    errors: ErrorList,
) -> Iterator[R]:
    """:func:`check_rows` streaming: the good rows one by one, the problems added to ``errors`` as
    they are found. Only the unique keys seen (with their row numbers) are kept across rows."""
    first_row: dict[str, int] = {}
    column = spec.by_key[spec.unique_key]
    for number, record in records:
        row, problems = check(number, record)
        key = record_text(record, spec.unique_key)
        if key is not None:
            if key in first_row:
                problems.insert(
                    0, f"{column.zh}“{show(key)}”与第 {first_row[key]} 行重复（{spec.unique_note}）"
                )
                row = None
            else:
                first_row[key] = number
        if problems:
            errors.add(number, *problems)
        elif row is not None:
            yield row


# -- reading and writing in bulk --------------------------------------------------------------


def rows_by_keys(
    session: Session,
    columns: Sequence[sa.ColumnElement[Any]],
    key: sa.Column[Any],
    keys: Sequence[Any],
    *,
    scan_over: int | None = None,
) -> Iterator[Any]:  # SQLAlchemy rows (their column types vary by caller)
    """The rows whose ``key`` is one of ``keys``, read in chunks of ``IN (...)`` lists.

    With ``scan_over``, more keys than that read the whole table once instead (a large file: one scan
    beats hundreds of IN lists, which PostgreSQL may plan as sequential scans right after a bulk
    load, before its statistics are up to date); ``key`` must then be among ``columns``.
    """
    office = _office_criterion(session, key.table)
    if scan_over is not None and len(keys) > scan_over:
        wanted = set(keys)
        position = next(i for i, c in enumerate(columns) if c is key)
        yield from (r for r in session.execute(sa.select(*columns).where(office)) if r[position] in wanted)
        return
    for i in range(0, len(keys), CHUNK):
        yield from session.execute(sa.select(*columns).where(office, key.in_(list(keys[i : i + CHUNK]))))


def _office_criterion(session: Session, table: Any) -> sa.ColumnElement[bool]:
    """The session's office for a table that has one (every office-owned table), else no condition."""
    if isinstance(table, sa.Table) and "office_id" in table.c:
        return in_office(session, table)
    return sa.true()


@contextlib.contextmanager
def bulk_writing(session: Session) -> Iterator[None]:
    """On SQLite, a page cache of :data:`BULK_CACHE_KIB` for the session's connection while a file is
    written, then the connection's own size again. With SQLite's default of 2 MB the pages of a large
    table's indexes keep leaving the cache for the WAL file and coming back (a tenth of a 100,000-row
    import's time); elsewhere nothing changes."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {before}")


class DeferredIndexes:
    """On SQLite, the secondary indexes of a table dropped once a large import has written more rows than
    the table held before it (and at least :data:`DEFER_INDEXES_AFTER`), and created again from their own
    definitions when the writing ends (:meth:`restore`), in the same transaction.

    Keeping eight indexes over random dates up to date row by row is most of a million-row import's time
    (their pages no longer fit the cache); building them once at the end sorts each column once. The
    drop and the rebuild are in the caller's transaction: a refused or interrupted import rolls both back,
    and other connections keep reading the last committed state, indexes included. Indexes in ``keep``
    (those the import itself reads by: the ref, the events' application id) and unique ones are never
    dropped. Elsewhere than SQLite nothing is done (PostgreSQL would lock the table against readers)."""

    def __init__(self, session: Session, table: sa.Table, *, keep: Iterable[str] = ()) -> None:
        self._connection = session.connection()
        self._table = table
        self._keep = set(keep)
        self._dropped: list[tuple[str, str]] = []
        self._written = 0
        self._threshold: int | None = None
        if self._connection.dialect.name == "sqlite":
            before = self._connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            self._threshold = max(int(before), DEFER_INDEXES_AFTER)

    def wrote(self, rows: int) -> None:
        """Count rows written to the table; past the threshold, drop its secondary indexes (once)."""
        if self._threshold is None or self._dropped:
            return
        self._written += rows
        if self._written <= self._threshold:
            return
        found = self._connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (self._table.name,),
        ).all()
        for name, sql in found:
            if name in self._keep or str(sql).lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            self._connection.exec_driver_sql(f'DROP INDEX "{name}"')
            self._dropped.append((str(name), str(sql)))
        self._threshold = None

    def restore(self) -> None:
        """Create the dropped indexes again (call it before the transaction commits)."""
        for _name, sql in self._dropped:
            self._connection.exec_driver_sql(sql)
        self._dropped.clear()


_ALIKE_WHEN_EQUAL: Final = frozenset({date, str, int, bool})
"""Types whose equal values are alike in every way (two equal aware timestamps may differ in their zone)."""


def _converted(process: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``process`` applied to every value of a column, once per distinct value where that is safe:
    dates repeat a lot, and every row carries the same timestamp object (when it was written)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) == 1 and kinds <= _ALIKE_WHEN_EQUAL:
        done = {v: process(v) for v in set(values)}
        return list(map(done.__getitem__, values))
    if len(kinds) == 1:  # once per object
        by_id = {k: process(v) for k, v in {id(v): v for v in values}.items()}
        return list(map(by_id.__getitem__, map(id, values)))
    return list(map(process, values))


def insert_batches(session: Session, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    """Core bulk insert (executemany) in batches, so memory stays flat on a large file; returns the
    number of rows written. Every row has the keys of the first. Rows of an office-owned table are written
    for the session's office."""
    written = 0
    it = iter(rows)
    fixed = {"office_id": office_of(session)} if "office_id" in table.c else {}
    write: Callable[[list[dict[str, Any]]], None] | None = None
    while batch := list(itertools.islice(it, INSERT_BATCH)):  # itertools.batched is 3.12+
        if write is None:
            write = _batch_writer(session, table, [k for k in batch[0] if k not in fixed], fixed)
        write(batch)
        written += len(batch)
    return written


def _batch_writer(
    session: Session, table: sa.Table, keys: list[str], fixed: dict[str, Any]
) -> Callable[[list[dict[str, Any]]], None]:
    """How to write batches of rows with these keys, and the ``fixed`` values in every row (the office), in
    the session's transaction.

    On SQLite the driver's executemany gets tuples whose values went through the column types' own bind
    processors, one column at a time: the same values SQLAlchemy would send, without its per-row
    parameter handling (a fifth of a large import's time). Elsewhere, or when the statement needs
    parameters the rows do not carry (column defaults), SQLAlchemy Core's executemany.
    """
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        compiled = sa.insert(table).compile(dialect=dialect, column_keys=[*keys, *fixed])
        order = compiled.positiontup
        if order is not None and sorted(order) == sorted([*keys, *fixed]):
            sql = compiled.string
            getters = [operator.itemgetter(key) for key in order]
            processors = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in order]
            constants = {
                key: value if process is None else process(value)
                for key, value in fixed.items()
                for process in [processors[order.index(key)]]
            }

            def write_driver(batch: list[dict[str, Any]]) -> None:
                columns = [
                    [constants[key]] * len(batch)
                    if key in constants
                    else list(map(get, batch))
                    if process is None
                    else _converted(process, list(map(get, batch)))
                    for key, get, process in zip(order, getters, processors, strict=True)
                ]
                connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))

            return write_driver

    def write_core(batch: list[dict[str, Any]]) -> None:
        session.execute(sa.insert(table), [{**row, **fixed} for row in batch] if fixed else batch)

    return write_core


__all__ = [
    "Column",
    "DeferredIndexes",
    "ErrorList",
    "HeaderTexts",
    "Record",
    "RowCells",
    "TableSpec",
    "bulk_writing",
    "check_rows",
    "checked_rows",
    "insert_batches",
    "map_header",
    "read_table",
    "record_text",
    "rows_by_keys",
    "show",
    "stream_table",
]
