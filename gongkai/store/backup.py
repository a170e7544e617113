"""A consistent copy of the whole database, and its restore into an empty one.

SQLite is copied with SQLite's online backup API (one step: a snapshot even while the service writes; never a
file copy, which could catch a half-written page or miss the WAL); PostgreSQL with ``pg_dump`` in its custom
format. A backup file is created owner-only (``0600``) before a byte is written: it holds applicants' personal
data. The database URL's password reaches ``pg_dump``/``pg_restore`` through their environment (``PGPASSWORD``),
never their command line (which ``ps`` shows), and never a message.

A restore goes into an empty database only (no table at all: nothing to overwrite or merge with), and leaves
nothing half-restored: SQLite is restored into a temporary file next to the target, verified (integrity check,
schema revision present and known), upgraded to the current schema and only then moved into place; PostgreSQL is
restored by ``pg_restore --single-transaction --exit-on-error`` and then upgraded.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import sqlalchemy as sa

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import redact_url
from gongkai.store.db import HEAD, make_engine, upgrade

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
PGDUMP_MAGIC: Final = b"PGDMP"
SUFFIX: Final[dict[str, str]] = {"sqlite": "sqlite", "postgresql": "dump"}
"""The file extension of a backup per database kind."""


class BackupError(GongkaiError):
    """A backup or restore that cannot be done (message in Chinese, the URL's password masked); nothing written."""


@dataclass(frozen=True)
class Restored:
    """A finished restore: the schema revision the backup had and the one the database has now."""

    from_revision: str
    to_revision: str


def backend(url: str) -> str:
    """``sqlite`` or ``postgresql`` (anything else is refused)."""
    try:
        name = sa.make_url(url).get_backend_name()
    except sa.exc.ArgumentError:
        raise BackupError(f"数据库地址格式不正确：{redact_url(url)}。") from None
    if name not in SUFFIX:
        raise BackupError(f"不支持备份此类数据库（{name}）：只支持 SQLite 和 PostgreSQL。")
    return name


def _sqlite_file(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份或恢复：请用文件数据库（sqlite:///路径）。")
    return Path(database)


@contextlib.contextmanager
def _new_private_file(path: Path) -> Iterator[int]:
    """A new file at ``path`` created ``0600`` (never an existing one); removed again if the block fails."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise BackupError(f"备份文件 {path} 已存在：不会覆盖，请换一个文件名。") from None
    except OSError as exc:
        raise BackupError(
            f"无法创建备份文件 {path}：{exc.strerror}。请检查文件夹是否存在、权限和磁盘空间。"
        ) from None
    try:
        yield fd
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        path.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        os.close(fd)


# --------------------------------------------------------------------------------------------------------------
# Backup.


def backup_database(url: str, output: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to the new file ``output`` (mode ``0600``; an existing
    file is never overwritten) and return its path."""
    kind = backend(url)
    if kind == "sqlite":
        _backup_sqlite(_sqlite_file(url), output)
    else:
        _backup_postgres(url, output)
    return output


def _backup_sqlite(source: Path, output: Path) -> None:
    if not source.is_file():
        raise BackupError(f"数据库文件 {source} 不存在：没有可备份的数据。")
    with _new_private_file(output):
        try:
            src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
            try:
                src.execute("PRAGMA busy_timeout=30000")
                dst = sqlite3.connect(output)
                try:
                    # pages=-1: the whole database in one step, under one read transaction — a snapshot.
                    src.backup(dst, pages=-1)
                    # One self-contained file (no -wal beside it) whatever the source's journal mode.
                    dst.execute("PRAGMA journal_mode=DELETE")
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise BackupError(
                f"备份数据库 {source} 失败（{type(exc).__name__}：{exc}），未生成备份文件。"
            ) from None


def _pg_environ(url: str) -> tuple[dict[str, str], str]:
    """The libpq environment for ``url`` (host, port, user, password, SSL mode) and the database name."""
    parsed = sa.make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGHOST": parsed.host,
        "PGPORT": str(parsed.port) if parsed.port else None,
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGSSLMODE": parsed.query.get("sslmode"),
    }
    env.update({k: str(v) for k, v in values.items() if v})
    return env, parsed.database or ""


_VERSION_RE: Final = re.compile(r"\)\s*(\d+)(?:\.(\d+))?")


def _tool_version(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    found = _VERSION_RE.search(out)
    return (int(found[1]), int(found[2] or 0)) if found else None


def find_pg_tool(name: str, server_major: int) -> str:
    """The path of ``pg_dump`` or ``pg_restore`` to use with a server of major version ``server_major``: the
    highest version found on ``PATH`` or in ``/usr/lib/postgresql/*/bin``, which must be at least the server's."""
    candidates = {p for p in [shutil.which(name), *glob.glob(f"/usr/lib/postgresql/*/bin/{name}")] if p}
    found = [(v, p) for p in candidates if (v := _tool_version(p)) is not None]
    if not found:
        raise BackupError(
            f"未找到 {name}（在 PATH 和 /usr/lib/postgresql/*/bin 中查找）：请安装 PostgreSQL 客户端"
            f"（版本不低于数据库服务器的 {server_major}，如 apt-get install postgresql-client-{server_major}）。"
        )
    version, path = max(found)
    if version[0] < server_major:
        raise BackupError(
            f"找到的 {name} 版本为 {version[0]}，低于数据库服务器的版本 {server_major}：请安装版本不低于 "
            f"{server_major} 的 PostgreSQL 客户端（如 apt-get install postgresql-client-{server_major}）。"
        )
    return path


def _server_major(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            info = conn.dialect.server_version_info or (0,)
    except sa.exc.OperationalError as exc:
        raise BackupError(
            f"无法连接数据库 {redact_url(url)}：{type(exc.orig).__name__}。请检查地址、权限和数据库服务是否可用。"
        ) from None
    finally:
        engine.dispose()
    return int(info[0])


def _tool_failed(url: str, what: str, stderr: str) -> BackupError:
    password = sa.make_url(url).password
    text = redact_url(stderr.strip())
    if password:
        text = text.replace(str(password), "***")
    return BackupError(f"{what}失败：{text[-800:] or '（无输出）'}")


def _backup_postgres(url: str, output: Path) -> None:
    tool = find_pg_tool("pg_dump", _server_major(url))
    env, database = _pg_environ(url)
    with _new_private_file(output) as fd:
        done = subprocess.run(
            [tool, "--format=custom", "--no-password", database],
            stdout=fd,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise _tool_failed(url, f"pg_dump 备份数据库 {redact_url(url)} ", done.stderr)


# --------------------------------------------------------------------------------------------------------------
# Restore.


def backup_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql`` by the file's first bytes; :class:`BackupError` for anything else."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"备份文件 {path} 不存在。") from None
    except OSError as exc:
        raise BackupError(f"无法读取备份文件 {path}：{exc.strerror}。") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(
        f"{path} 不是 Gongkai 的备份文件：应为 gongkai backup 生成的 SQLite 备份（.sqlite）或 PostgreSQL 备份（.dump）。"
    )


_LABEL: Final = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def restore_database(backup: Path, url: str) -> Restored:
    """Restore ``backup`` into the empty database at ``url`` and upgrade it to the current schema.

    Refused (:class:`BackupError`, nothing written) when the database is not empty, when the backup is of the
    other kind of database, or when it is not a valid backup (truncated, corrupt, not Gongkai's)."""
    target = backend(url)
    kind = backup_kind(backup)
    if kind != target:
        raise BackupError(
            f"{backup} 是 {_LABEL[kind]} 的备份，而目标数据库是 {_LABEL[target]}（{redact_url(url)}）："
            "不支持跨数据库类型恢复，请恢复到同类数据库。"
        )
    if target == "sqlite":
        return _restore_sqlite(backup, _sqlite_file(url))
    return _restore_postgres(backup, url)


def _not_empty(where: str, tables: list[str]) -> BackupError:
    shown = "、".join(sorted(tables)[:5]) + ("等" if len(tables) > 5 else "")
    return BackupError(
        f"目标数据库 {where} 不是空的（已有 {len(tables)} 张表：{shown}）：只能恢复到空数据库，未做任何改动。"
        "请把 GONGKAI_HOME 指向一个新的空文件夹（或 GONGKAI_DATABASE_URL 指向新建的空数据库），"
        "恢复前不要运行 gongkai init 或其他命令。"
    )


def _sqlite_tables(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return [str(r[0]) for r in rows]


def _known_revisions() -> set[str]:
    folder = Path(__file__).parent / "migrations" / "versions"
    return {p.name.split("_", 1)[0] for p in folder.glob("[0-9]*_*.py")}


def _check_revision(revision: str | None, backup: Path) -> str:
    if revision is None:
        raise BackupError(
            f"{backup} 中没有 Gongkai 的数据库架构版本（alembic_version）：不是 Gongkai 的备份，未恢复。"
        )
    if revision not in _known_revisions():
        raise BackupError(
            f"{backup} 来自更新版本的 Gongkai（数据库架构版本 {revision}，本程序最高为 {HEAD}）："
            "请先升级 Gongkai 再恢复。未做任何改动。"
        )
    return revision


def _restore_sqlite(backup: Path, target: Path) -> Restored:
    if target.exists() and target.stat().st_size > 0:
        try:
            tables = _sqlite_tables(target)
        except sqlite3.Error:
            raise BackupError(
                f"目标 {target} 已存在且不是空的 SQLite 数据库：只能恢复到空数据库，未做任何改动。"
            ) from None
        if tables:
            raise _not_empty(str(target), tables)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    for leftover in (temp, Path(f"{temp}-journal")):
        leftover.unlink(missing_ok=True)
    try:
        with _new_private_file(temp):
            pass
        revision = _copy_and_verify(backup, temp)
        engine = make_engine(f"sqlite:///{temp}")
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        # The empty target's own -wal/-shm must not be replayed onto the restored file.
        for side in ("-wal", "-shm", "-journal"):
            Path(f"{target}{side}").unlink(missing_ok=True)
        os.replace(temp, target)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm"), Path(f"{temp}-journal")):
            leftover.unlink(missing_ok=True)
    return Restored(revision, HEAD)


def _copy_and_verify(backup: Path, temp: Path) -> str:
    """Copy ``backup`` into ``temp`` with the backup API, check it whole; its schema revision."""
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(temp)
            try:
                src.backup(dst, pages=-1)
                check = [str(r[0]) for r in dst.execute("PRAGMA integrity_check").fetchall()]
                if check != ["ok"]:
                    raise sqlite3.DatabaseError("integrity_check: " + "; ".join(check[:3]))
                has_version = dst.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                ).fetchone()[0]
                revision = (
                    dst.execute("SELECT version_num FROM alembic_version").fetchone() if has_version else None
                )
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(
            f"备份文件 {backup} 已损坏或不完整（{type(exc).__name__}：{exc}）：未恢复，目标数据库未改动。"
        ) from None
    return _check_revision(str(revision[0]) if revision else None, backup)


def _pg_tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(sa.inspect(conn).get_table_names())
    except sa.exc.OperationalError as exc:
        raise BackupError(
            f"无法连接数据库 {redact_url(url)}：{type(exc.orig).__name__}。请检查地址、权限和数据库服务是否可用。"
        ) from None
    finally:
        engine.dispose()


_COPY_VERSION_RE: Final = re.compile(r"COPY \S*alembic_version \(version_num\) FROM stdin;\n([^\n\\]+)\n")


def _restore_postgres(backup: Path, url: str) -> Restored:
    tables = _pg_tables(url)
    if tables:
        raise _not_empty(redact_url(url), tables)
    tool = find_pg_tool("pg_restore", _server_major(url))
    env, database = _pg_environ(url)
    # The schema revision, read from the file before anything is written (it also proves the file readable).
    listed = subprocess.run(
        [tool, "--data-only", "--table=alembic_version", "--file=-", str(backup)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    if listed.returncode != 0:
        raise BackupError(
            f"备份文件 {backup} 已损坏或不完整（pg_restore 无法读取）：未恢复，目标数据库未改动。"
        )
    found = _COPY_VERSION_RE.search(listed.stdout)
    revision = _check_revision(found[1].strip() if found else None, backup)
    done = subprocess.run(
        [tool, "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--no-password",
         "--dbname", database, str(backup)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise _tool_failed(
            url,
            f"备份文件 {backup} 已损坏或无法恢复（已全部回滚，目标数据库未改动）；pg_restore ",
            done.stderr,
        )
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return Restored(revision, HEAD)
