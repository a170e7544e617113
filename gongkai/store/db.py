"""Database engine, migrations and sessions.

SQLite is the embedded default (one file in the working folder, WAL mode, readable by its owner
only); PostgreSQL is used by giving ``GONGKAI_DATABASE_URL``. Every command calls
:func:`open_database`, which creates or upgrades the schema with Alembic as needed.
The URL is never logged or shown unredacted (it may hold a password).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import database_url, redact_url
from gongkai.store.scope import OFFICE_KEY  # also registers the office scoping on every session

HEAD = "0010"


class DatabaseError(GongkaiError):
    """The database cannot be opened or upgraded (message already redacted, in Chinese)."""


def _sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the folder (0700) and an empty database file (0600) before SQLite does.

    SQLite gives its -wal and -shm files the permissions of the database file, so creating the file
    owner-only here keeps every file of the database private to the service account.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)


def _on_sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with Gongkai's SQLite settings applied. Its errors never quote the statement's
    parameters (``hide_parameters``): they hold applicants' personal data and password hashes."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError(f"数据库地址格式不正确：{redact_url(url)}。") from None
    path = _sqlite_path(parsed)
    if path is not None:
        _prepare_sqlite_file(path)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, hide_parameters=True)
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    try:
        return sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"缺少数据库驱动（{exc.name}）：PostgreSQL 请安装 gongkai[postgres]。地址：{redact_url(url)}。"
        ) from None
    except sa.exc.NoSuchModuleError:
        hint = (
            "PostgreSQL 应写作 postgresql+psycopg://…"
            if parsed.drivername.startswith("postgres")
            else ("应为 sqlite:///路径 或 postgresql+psycopg://用户:密码@主机/库名")
        )
        raise DatabaseError(
            f"不支持的数据库地址类型“{parsed.drivername}”：{hint}（{redact_url(url)}）。"
        ) from None


def current_revision(engine: Engine) -> str | None:
    """The schema revision stored in the database, or None for an empty database."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run Alembic migrations up to ``revision`` in one transaction.

    On SQLite, foreign keys are off while the migrations run (SQLite's own procedure for rebuilding a table that
    others reference: a rebuilt table is dropped and renamed) and checked with ``PRAGMA foreign_key_check``
    before the commit: a migration that left a dangling reference commits nothing."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside any transaction, or SQLite ignores it
            conn.commit()
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if dangling is not None:
                        raise DatabaseError(
                            f"数据库升级后表 {dangling[0]} 中有指向不存在记录的外键，已撤销升级。"
                        )
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def open_database(url: str | None = None) -> Engine:
    """Open the configured database, creating or upgrading its schema when needed."""
    url = url or database_url()
    engine = make_engine(url)
    try:
        if current_revision(engine) != HEAD:
            upgrade(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        raise DatabaseError(
            f"无法打开数据库 {redact_url(url)}：{type(exc.orig).__name__}。请检查地址、权限和数据库服务是否可用。"
        ) from None
    return engine


@contextmanager
def session_scope(engine: Engine, office_id: int | None = None) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. ``office_id``: the session works for that
    office only (:mod:`gongkai.store.scope`); None for work on the shared tables (calendar, migrations, backup)."""
    info = {} if office_id is None else {OFFICE_KEY: office_id}
    with Session(engine, expire_on_commit=False, info=info) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_ignoring_conflicts(
    conn: sa.Connection | Session,
    table: sa.Table,
    rows: list[dict[str, Any]],
    *,
    conflict: list[str],
    returning: sa.ColumnElement[Any],
    batch: int = 5000,
) -> list[Any]:
    """Insert ``rows`` (dicts with the same keys), skipping any that hit the unique ``conflict`` columns;
    the ``returning`` values of the rows actually inserted (the database decides: an overlapping writer
    that inserted a row first keeps it).

    On PostgreSQL each batch is one ``INSERT … SELECT unnest(:col_values) …`` with one array parameter
    per column: a multi-row VALUES statement has thousands of placeholders, which psycopg re-parses in
    Python for every batch (6 s of 7 s for 70,000 rows, measured by bench/bench_review.py). Rows go in
    the order given, which keeps overlapping writers from deadlocking on each other.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    if not rows:
        return []
    bind = conn.get_bind() if isinstance(conn, Session) else conn
    out: list[Any] = []
    if bind.dialect.name != "postgresql":
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict).returning(returning)
        for start in range(0, len(rows), batch):
            out.extend(conn.execute(stmt, rows[start : start + batch]).scalars())
        return out
    columns = list(rows[0])
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        source = sa.select(
            *(
                sa.func.unnest(
                    sa.bindparam(
                        f"{c}_values", [r[c] for r in chunk], type_=postgresql.ARRAY(table.c[c].type)
                    )
                ).label(c)
                for c in columns
            )
        )
        stmt = (
            postgresql.insert(table)
            .from_select(columns, source)
            .on_conflict_do_nothing(index_elements=conflict)
            .returning(returning)
        )
        out.extend(conn.execute(stmt).scalars())
    return out


def keys_in(column: sa.ColumnElement[Any], keys: list[str], dialect: str) -> sa.ColumnElement[bool]:
    """``column IN (keys)`` — on PostgreSQL as a join-friendly ``= ANY(:array)`` with one parameter, so the
    statement stays small and the planner uses the index even before the table has statistics."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return column == sa.func.any(sa.bindparam("keys", keys, type_=postgresql.ARRAY(sa.String())))
    return column.in_(keys)
