"""One office's rows out of a database into a file, and into another database as a new office
(``gongkai office export`` / ``gongkai office import``).

The file is gzip'd JSON lines (see README "Moving one office between databases"): a header (format name and
version, the schema revision, the office's row, each table's columns and row count), then one line per row
``["table", [values…]]`` in foreign-key order, then a footer with the total. Values are JSON's own (text,
integers, booleans, null) or text for the rest: dates and timestamps in ISO 8601 (timestamps in UTC with their
offset), decimals as their digits, bytes in base64; the column's type says how to read a value back.

Which tables, which ids are new and which columns point at them are read from the SQLAlchemy metadata: every table
with an ``office_id`` column is the office's (the shared ones have none); a table whose primary key is one
autoincrement integer gets new ids in the target (another office may hold the old ones), and every foreign key to
such a key is remapped. Staff ids are per office and keep their values. The only hand-written list is
:data:`KEY_IDS`: the keys (reminder outbox, review tasks) that name a row by its id inside a string.
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from gongkai.core.errors import GongkaiError
from gongkai.store import models  # noqa: F401  (the tables must be in the metadata)
from gongkai.store.db import HEAD
from gongkai.store.tables import OFFICE

FORMAT: Final = "gongkai-office-export"
VERSION: Final = 1
_CODE: Final = re.compile(r"[a-z0-9-]{1,32}")
BATCH: Final = 5000
"""Rows per executemany batch (and per server-side fetch on export)."""

KEY_IDS: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "reminder_outbox": ("key", {"app": "application", "item": "proactive_item", "review": "review_task",
                                "change": "deadline_change"}),
    "review_task": ("key", {p: "proactive_item"
                            for p in ("draft", "withheld", "pii", "repealed", "validity", "rereview")}),
}  # fmt: skip
"""Keys that name a row by its id (``app:17:reply:…``, ``draft:5:2026-03-02``): table -> (column, key prefix ->
the table whose id follows the prefix). The reminder plan and the review compare these keys with the ones already
written, so the id in them is rewritten with the row's new id; a key with any other prefix is kept as it is."""


class OfficeMoveError(GongkaiError):
    """An export or import that cannot be done (Chinese, names the file or the office); nothing written."""


@dataclass(frozen=True)
class Moved:
    """An export written or an import done: the office's code and the rows per table; ``ids`` (import only):
    per table whose ids are new, old id -> new id."""

    code: str
    office_id: int
    counts: dict[str, int]
    ids: dict[str, dict[int, int]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------------------
# What the metadata says.


def _is_new_id(table: sa.Table) -> bool:
    """Whether ``table``'s rows get new ids in the target: one integer autoincrement primary key."""
    pk = list(table.primary_key.columns)
    return (
        len(pk) == 1
        and isinstance(pk[0].type, sa.Integer)
        and pk[0].autoincrement in (True, "auto")
        and not pk[0].foreign_keys
    )


def _id_refs(table: sa.Table) -> dict[str, str]:
    """The columns of ``table`` that hold another row's id (which gets a new value): column -> that table."""
    refs: dict[str, str] = {}
    for fk in table.foreign_keys:
        target = fk.column.table
        if fk.parent.name != "office_id" and _is_new_id(target) and fk.column.primary_key:
            refs[fk.parent.name] = target.name
    return refs


def office_tables() -> list[sa.Table]:
    """The office-owned tables (those with ``office_id``), parents before children (foreign keys and the
    :data:`KEY_IDS` references)."""
    owned = [t for t in SQLModel.metadata.tables.values() if "office_id" in t.c]
    by_name = {t.name: t for t in owned}
    extra = [
        (by_name[target], by_name[name])
        for name, (_, prefixes) in KEY_IDS.items()
        for target in prefixes.values()
    ]
    return list(sa.schema.sort_tables(owned, extra_dependencies=extra))


def _columns(table: sa.Table) -> list[sa.Column[Any]]:
    return [c for c in table.c if c.name != "office_id"]


# --------------------------------------------------------------------------------------------------------------
# Values.


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(column: sa.Column[Any]) -> Any:
    """How to read back a value of ``column`` from the file (None: as JSON gave it)."""
    kind_of = column.type.impl_instance if isinstance(column.type, sa.types.TypeDecorator) else column.type
    try:
        kind = kind_of.python_type
    except NotImplementedError:
        return None
    if kind is datetime:
        return datetime.fromisoformat
    if kind is date:
        return date.fromisoformat
    if kind is Decimal:
        return Decimal
    if kind is bytes:
        return base64.b64decode
    return None


# --------------------------------------------------------------------------------------------------------------
# Export.


@contextlib.contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """One read transaction that sees one state of the database: REPEATABLE READ (a snapshot) on PostgreSQL; on
    SQLite an explicit ``BEGIN`` (the driver would otherwise run each SELECT in a transaction of its own)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        ) as conn:
            with conn.begin():
                yield conn
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN")
        try:
            yield conn
        finally:
            conn.rollback()


def new_private_file(path: Path) -> IO[bytes]:
    """A new file at ``path`` created ``0600`` from its first byte (never an existing one)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise OfficeMoveError(f"文件 {path} 已存在：不会覆盖，请换一个文件名。") from None
    except OSError as exc:
        raise OfficeMoveError(
            f"无法创建文件 {path}：{exc.strerror}。请检查文件夹是否存在、权限和磁盘空间。"
        ) from None
    return os.fdopen(fd, "wb")


def export_office(engine: Engine, code: str, output: Path, *, now: datetime) -> Moved:
    """Write every row of office ``code`` (its ``office`` row and the office-owned tables) to the new file
    ``output`` (``0600``), read in one transaction; the file is removed again if anything fails."""
    tables = office_tables()
    with _snapshot(engine) as conn:
        office = conn.execute(sa.select(OFFICE).where(OFFICE.c.code == code)).mappings().first()
        if office is None:
            held = conn.execute(sa.select(OFFICE.c.code).order_by(OFFICE.c.code)).scalars().all()
            raise OfficeMoveError(
                f"数据库中没有单位代码为“{code}”的单位（现有：{'、'.join(held) or '无'}），未生成导出文件。"
            )
        oid = int(office["id"])
        counts = {
            t.name: int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(t).where(t.c.office_id == oid)
                ).scalar_one()
            )
            for t in tables
        }
        header = {
            "format": FORMAT,
            "version": VERSION,
            "revision": conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one(),
            "exported_at": now.astimezone(UTC).isoformat(),
            "office": {k: _encode(v) for k, v in office.items() if k != "id"},
            "tables": [{"name": t.name, "columns": [c.name for c in _columns(t)], "rows": counts[t.name]}
                       for t in tables],
        }  # fmt: skip
        raw = new_private_file(output)
        try:
            with raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                gz.write(_line(header))
                for t in tables:
                    cols = _columns(t)
                    result = conn.execution_options(yield_per=BATCH).execute(
                        sa.select(*cols).where(t.c.office_id == oid).order_by(*t.primary_key.columns)
                    )
                    for part in result.partitions():
                        gz.write(b"".join(_line([t.name, [_encode(v) for v in row]]) for row in part))
                gz.write(_line({"end": sum(counts.values())}))
        except BaseException:
            output.unlink(missing_ok=True)
            raise
    return Moved(code, oid, counts)


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


# --------------------------------------------------------------------------------------------------------------
# Import.


def _corrupt(path: Path, what: str) -> OfficeMoveError:
    return OfficeMoveError(
        f"{path} 不是完整的 Gongkai 单位导出文件（{what}），未导入任何数据。请用 gongkai office export 重新导出。"
    )


def read_header(path: Path, lines: Iterator[bytes]) -> dict[str, Any]:
    """The export's header, checked (format, version, schema revision against this Gongkai's)."""
    try:
        header = json.loads(next(lines))
    except StopIteration:
        raise _corrupt(path, "文件为空") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _corrupt(path, "没有单位导出文件的文件头")
    if header.get("version") != VERSION:
        raise _corrupt(path, f"文件格式版本 {header.get('version')}，本程序读取版本 {VERSION}")
    revision = str(header.get("revision"))
    if revision != HEAD:
        if revision < HEAD:
            advice = (
                "请先在导出的服务器上升级 Gongkai 并运行 gongkai init，再重新导出（gongkai office export）"
            )
        else:
            advice = "请先把本服务器的 Gongkai 升级到导出时的版本（升级后运行 gongkai init），再导入"
        raise OfficeMoveError(
            f"{path} 的数据库架构版本为 {revision}，本数据库为 {HEAD}：两者须相同，未导入任何数据。{advice}。"
        )
    return header


def _held_rows(conn: Connection, office_id: int) -> list[str]:
    return [
        t.name
        for t in office_tables()
        if conn.execute(
            sa.select(sa.literal(1)).select_from(t).where(t.c.office_id == office_id).limit(1)
        ).first()
    ]


def _new_ids(conn: Connection, table: sa.Table, n: int, state: dict[str, int]) -> list[int]:
    """``n`` ids for new rows of ``table``, taken from the database: PostgreSQL's sequence (its values stay
    above every id written), on SQLite the ids after the largest (the import holds the write lock)."""
    if conn.dialect.name == "postgresql":
        return list(
            conn.execute(
                sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                {"t": table.name, "n": n},
            ).scalars()
        )
    if table.name not in state:
        state[table.name] = int(
            conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar_one()
        )
    start = state[table.name] + 1
    state[table.name] += n
    return list(range(start, start + n))


def import_office(engine: Engine, path: Path) -> Moved:
    """Import the export ``path`` into the database as a new office with the file's code, in one transaction
    (all or nothing). Refused when an office with that code already has rows, when the schema revisions differ,
    or when the file is damaged or not an export."""
    try:
        with gzip.open(path, "rb") as raw:
            lines = iter(raw)
            header = read_header(path, lines)
            with engine.begin() as conn:
                return _import(conn, path, header, lines)
    except FileNotFoundError:
        raise OfficeMoveError(f"找不到文件 {path}，未导入任何数据。") from None
    except IsADirectoryError:
        raise OfficeMoveError(f"{path} 是文件夹，应为 gongkai office export 生成的文件。") from None
    except (gzip.BadGzipFile, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise _corrupt(path, f"{type(exc).__name__}：不是 gzip 文件或文件不完整") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise _corrupt(path, f"内容不符合格式：{type(exc).__name__}") from None
    except sa.exc.IntegrityError as exc:
        raise _corrupt(path, f"数据之间的引用不一致：{type(exc.orig).__name__}") from exc


def _new_office(conn: Connection, path: Path, office: dict[str, Any]) -> tuple[str, int]:
    """The office row for the file's office: new, or one with the same code that holds no row at all (made by a
    command run with that office's configuration before the import). Its code and id."""
    code = str(office["code"])
    if not _CODE.fullmatch(code):
        raise _corrupt(path, f"单位代码“{code[:40]}”不符合格式")
    existing = conn.execute(sa.select(OFFICE.c.id).where(OFFICE.c.code == code)).scalar()
    values = {c.name: (dec(office[c.name]) if (dec := _decoder(c)) and office[c.name] is not None
                       else office[c.name]) for c in OFFICE.c if c.name != "id"}  # fmt: skip
    if existing is None:
        return code, int(conn.execute(sa.insert(OFFICE).values(values).returning(OFFICE.c.id)).scalar_one())
    held = _held_rows(conn, int(existing))
    if held:
        raise OfficeMoveError(
            f"本数据库已有单位代码为“{code}”的单位，且已有数据（{'、'.join(held[:5])} 等表），未导入任何数据。"
            "导入只接收新单位：同一文件不能导入两次；要替换它须先恢复导入前的备份。"
        )
    conn.execute(sa.update(OFFICE).where(OFFICE.c.id == existing).values(values))
    return code, int(existing)


def _declared(path: Path, header: dict[str, Any], tables: dict[str, sa.Table]) -> dict[str, Any]:
    """The header's tables (name -> entry), checked against this database's: the same tables and columns, each
    after the tables whose new ids its rows need."""
    declared = {str(entry["name"]): entry for entry in header["tables"]}
    order = list(declared)
    if set(order) != set(tables):
        raise _corrupt(path, "表的清单与本数据库不同")
    for at, name in enumerate(order):
        if list(declared[name]["columns"]) != [c.name for c in _columns(tables[name])]:
            raise _corrupt(path, f"表 {name} 的列与本数据库不同")
        early = _parents(tables[name]) - set(order[:at])
        if early:
            raise _corrupt(path, f"表 {name} 排在它引用的表 {'、'.join(sorted(early))} 之前")
    return declared


def _import(conn: Connection, path: Path, header: dict[str, Any], lines: Iterator[bytes]) -> Moved:
    code, office_id = _new_office(conn, path, dict(header["office"]))
    tables = {t.name: t for t in office_tables()}
    declared = _declared(path, header, tables)
    order = list(declared)
    ids: dict[str, dict[int, int]] = {name: {} for name, t in tables.items() if _is_new_id(t)}
    counts = dict.fromkeys(tables, 0)
    sqlite_state: dict[str, int] = {}
    current: str | None = None
    batch: list[list[Any]] = []

    def flush() -> None:
        if current is not None and batch:
            _write(conn, tables[current], batch, office_id, ids, sqlite_state, path)
            counts[current] += len(batch)
            batch.clear()

    total: int | None = None
    for raw in lines:
        item = json.loads(raw)
        if isinstance(item, dict):
            total = int(item["end"])
            break
        name, row = str(item[0]), list(item[1])
        if name != current:
            flush()
            if name not in declared or (current is not None and order.index(name) < order.index(current)):
                raise _corrupt(path, f"表 {name} 不在文件头中或不按文件头的顺序")
            current = name
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    if total is None or next(lines, None) is not None:
        raise _corrupt(path, "文件不完整：缺少结尾")
    wrong = [n for n, e in declared.items() if int(e["rows"]) != counts[n]]
    if wrong or total != sum(counts.values()):
        raise _corrupt(path, f"行数与文件头不符：{'、'.join(wrong) or '合计'}")
    return Moved(code, office_id, counts, ids)


def _parents(table: sa.Table) -> set[str]:
    """The office-owned tables whose new ids ``table``'s rows need."""
    parents = set(_id_refs(table).values())
    if table.name in KEY_IDS:
        parents |= set(KEY_IDS[table.name][1].values())
    return parents - {table.name}


def _write(
    conn: Connection,
    table: sa.Table,
    rows: list[list[Any]],
    office_id: int,
    ids: dict[str, dict[int, int]],
    sqlite_state: dict[str, int],
    path: Path,
) -> None:
    """Insert one batch of the file's rows of ``table`` for ``office_id`` (one executemany), with new ids and
    every reference to a remapped id rewritten."""
    cols = _columns(table)
    names = [c.name for c in cols]
    decoders = [_decoder(c) for c in cols]
    refs = _id_refs(table)
    key_col, prefixes = KEY_IDS.get(table.name, ("", {}))
    new_ids = _new_ids(conn, table, len(rows), sqlite_state) if table.name in ids else None
    out: list[dict[str, Any]] = []
    for n, values in enumerate(rows):
        if len(values) != len(names):
            raise _corrupt(path, f"表 {table.name} 的一行有 {len(values)} 个值，应为 {len(names)} 个")
        row = {
            k: (v if v is None or dec is None else dec(v))
            for k, v, dec in zip(names, values, decoders, strict=True)
        }
        row["office_id"] = office_id
        for column, target in refs.items():
            if row[column] is not None:
                row[column] = ids[target][int(row[column])]
        if key_col:
            row[key_col] = _rekey(str(row[key_col]), prefixes, ids)
        if new_ids is not None:
            ids[table.name][int(row["id"])] = new_ids[n]
            row["id"] = new_ids[n]
        out.append(row)
    conn.execute(sa.insert(table), out)


def _rekey(key: str, prefixes: dict[str, str], ids: dict[str, dict[int, int]]) -> str:
    parts = key.split(":", 2)
    target = prefixes.get(parts[0])
    if target is None or len(parts) < 2 or not parts[1].isdigit():
        return key
    parts[1] = str(ids[target][int(parts[1])])
    return ":".join(parts)


__all__ = ["FORMAT", "KEY_IDS", "Moved", "OfficeMoveError", "export_office", "import_office", "office_tables"]
