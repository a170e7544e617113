"""``gongkai office export`` / ``gongkai office import`` (issue 14): one office moved from one database into another
that already holds an office with the same references and overlapping ids. Every row of every office table arrives
(ids new, references remapped), the statistics are the same, the reminder plan and the review find their keys (no
reminder sent twice, no task raised again), the other office is untouched; refusals write nothing. Real SQLite and
PostgreSQL databases, and SQLite into PostgreSQL."""

from __future__ import annotations

import gzip
import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.cli.main import main
from gongkai.report.stats import compute_statistics
from gongkai.services import processes
from gongkai.services.actor import Actor
from gongkai.services.officemove import OfficeMoveError, export_office, import_office
from gongkai.store.db import make_engine, open_database, session_scope
from gongkai.store.officemove import office_tables
from tests.conftest import _postgres_database, _sqlite_url
from tests.gongkai.test_office_isolation import AS_OF, NOW, A, B, _load, _make_office

ZONE = ZoneInfo("Asia/Shanghai")
# The test's own list of what holds another row's id (the code derives it from the metadata).
ID_COLUMNS = {"application_id": "application", "item_id": "proactive_item", "task_id": "review_task"}
KEYS = {
    "reminder_outbox": re.compile(r"^(app|item|review|change):(\d+)"),
    "review_task": re.compile(r"^(draft|withheld|pii|repealed|validity|rereview):(\d+)"),
}
KEY_TABLE = {
    "app": "application",
    "item": "proactive_item",
    "review": "review_task",
    "change": "deadline_change",
}


def _url(kind: str, tmp: Path) -> Iterator[str]:
    if kind == "sqlite":
        tmp.mkdir()
        yield _sqlite_url(tmp)
    else:
        yield from _postgres_database()


@pytest.fixture(
    params=[
        pytest.param(("sqlite", "sqlite"), id="sqlite"),
        pytest.param(("postgresql", "postgresql"), id="postgresql", marks=pytest.mark.postgres),
        pytest.param(("sqlite", "postgresql"), id="sqlite-to-postgresql", marks=pytest.mark.postgres),
    ]
)
def two_databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    source_kind, target_kind = request.param
    for source in _url(source_kind, tmp_path / "source"):
        for target in _url(target_kind, tmp_path / "target"):
            yield source, target


def _populate(url: str, settings: Any, home: Path) -> None:
    """A demo office with everything the services write: reminders sent, review tasks, a catalogue snapshot, a
    stored report, desk accounts (with their audit entries) and a desk session."""
    from gongkai.accounts import sessions
    from gongkai.services.accounts import ensure_demo_passwords
    from gongkai.services.office import open_office

    _make_office(url, settings.office.code)
    _load(settings, url, home)
    with processes.open_works(settings, home=home, url=url, now=lambda: NOW) as works:
        processes.update_catalogue(works, Actor.schedule("catalogue"), AS_OF)
        processes.build_annual_report(works, Actor.schedule("annual-report"), 2025)
        office_id = works.office_id
    with open_office(settings, AS_OF, url=url) as office:
        ensure_demo_passwords(office)
    engine = open_database(url)
    try:
        sessions.write_session(engine, office_id, f"sid-{settings.office.code}", b'{"staff_id": "wang"}', 600)
    finally:
        engine.dispose()


def _office_id(conn: sa.Connection, code: str) -> int:
    return int(conn.execute(sa.text("SELECT id FROM office WHERE code = :c"), {"c": code}).scalar_one())


def _rows(url: str, code: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            oid = _office_id(conn, code)
            return {
                t.name: [
                    {k: v for k, v in r.items() if k != "office_id"}
                    for r in conn.execute(
                        sa.select(t).where(t.c.office_id == oid).order_by(*t.primary_key.columns)
                    ).mappings()
                ]
                for t in office_tables()
            }
    finally:
        engine.dispose()


def _mapped(rows: dict[str, list[dict[str, Any]]], ids: dict[str, dict[int, int]]) -> dict[str, list[str]]:
    """``rows`` with every id and reference to an id replaced by its mapping, as sorted comparable text."""
    out: dict[str, list[str]] = {}
    for table, table_rows in rows.items():
        mapped = []
        for row in table_rows:
            row = dict(row)
            if table in ids:
                row["id"] = ids[table][row["id"]]
            for column, target in ID_COLUMNS.items():
                if row.get(column) is not None:
                    row[column] = ids[target][row[column]]
            if table in KEYS:
                found = KEYS[table].match(row["key"])
                if found:
                    target = KEY_TABLE.get(found[1], "proactive_item")
                    row["key"] = f"{found[1]}:{ids[target][int(found[2])]}{row['key'][found.end() :]}"
            mapped.append(repr(sorted(row.items())))
        out[table] = sorted(mapped)
    return out


def _identity(rows: dict[str, list[dict[str, Any]]]) -> dict[str, dict[int, int]]:
    return {
        t: {r["id"]: r["id"] for r in rs}
        for t, rs in rows.items()
        if rs and "id" in rs[0] and t != "desk_session"
    }


def _statistics(url: str, code: str) -> list[dict[str, Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            oid = _office_id(conn, code)
        with session_scope(engine, oid) as session:
            return [compute_statistics(session, year=y, office_name="x").to_json() for y in (2025, 2026)]
    finally:
        engine.dispose()


def _run_again(settings: Any, url: str, home: Path) -> None:
    with processes.open_works(settings, home=home, url=url, now=lambda: NOW) as works:
        processes.plan_reminders(works, Actor.schedule("reminders"), AS_OF)
        processes.review_content(works, Actor.schedule("review"), AS_OF)


def test_an_office_moves_into_a_database_holding_another_with_the_same_ids(
    two_databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = two_databases
    _populate(source, A, tmp_path / "a")
    _populate(target, B, tmp_path / "b")  # office B: the same refs, and the ids office A's rows had
    before_a, before_b = _rows(source, "jiaxiang"), _rows(target, "hedong")
    assert all(before_a[t] for t in ("application", "reminder_outbox", "review_task", "annual_report", "account",
                                     "audit_entry", "desk_session", "catalogue_snapshot", "staff"))  # fmt: skip

    path, exported = export_office(
        source, "jiaxiang", output=None, folder=tmp_path / "backups", tz=ZONE, now=NOW
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.name == "gongkai-office-jiaxiang-20261127-090000.jsonl.gz"
    moved = import_office(target, path)
    assert moved.counts == exported.counts == {t: len(r) for t, r in before_a.items()}

    after_a = _rows(target, "jiaxiang")
    for table, ids in moved.ids.items():  # new ids: one for each old one, exactly the rows written
        assert sorted(ids.values()) == sorted(r["id"] for r in after_a[table])
    assert any(moved.ids["application"][r["id"]] != r["id"] for r in before_a["application"])
    assert _mapped(before_a, moved.ids) == _mapped(after_a, _identity(after_a))
    assert _statistics(target, "jiaxiang") == _statistics(source, "jiaxiang")
    assert _rows(target, "hedong") == before_b

    # The next runs find every key already there: nothing planned or raised again, in the target as in the source.
    _run_again(A, target, tmp_path / "a2")
    _run_again(A, source, tmp_path / "a")
    again = _rows(target, "jiaxiang")
    assert sorted(r["key"] for r in again["reminder_outbox"]) == sorted(
        r["key"] for r in after_a["reminder_outbox"]
    )
    assert sorted(r["key"] for r in again["review_task"]) == sorted(r["key"] for r in after_a["review_task"])
    assert len(_rows(source, "jiaxiang")["reminder_outbox"]) == len(before_a["reminder_outbox"])


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {n: int(conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names}
    finally:
        engine.dispose()


def _rewrite(path: Path, out: Path, change: Any) -> Path:
    lines = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    with gzip.open(out, "wb") as gz:
        gz.write(b"".join(json.dumps(x, ensure_ascii=False).encode() + b"\n" for x in change(lines)))
    return out


def test_refusals_write_nothing(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    sqlite_url = _sqlite_url(tmp_path / "src")
    _populate(sqlite_url, A, tmp_path / "a")
    path, _ = export_office(sqlite_url, "jiaxiang", output=tmp_path / "a.jsonl.gz", folder=tmp_path, tz=ZONE,
                            now=NOW)  # fmt: skip
    _populate(db_url, B, tmp_path / "b")

    def refused(file: Path, says: str) -> None:
        before = _counts(db_url)
        with pytest.raises(OfficeMoveError, match=says):
            import_office(db_url, file)
        assert _counts(db_url) == before

    def bad_reference(lines: list[Any]) -> list[Any]:
        row = next(x for x in lines if isinstance(x, list) and x[0] == "application_event")
        row[1][1] = 999_999  # application_id of no application in the file
        return lines

    def old_schema(lines: list[Any]) -> list[Any]:
        lines[0]["revision"] = "0009"
        return lines

    data = path.read_bytes()
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    refused(tmp_path / "cut.gz", "不是完整的 Gongkai 单位导出文件")
    refused(_rewrite(path, tmp_path / "short.gz", lambda lines: lines[:-2]), "不完整|行数")
    refused(_rewrite(path, tmp_path / "ref.gz", bad_reference), "不是完整的 Gongkai 单位导出文件")
    refused(_rewrite(path, tmp_path / "old.gz", old_schema), r"0009.*gongkai init.*重新导出")
    (tmp_path / "text.gz").write_text("申请人,内容\n", encoding="utf-8")
    refused(tmp_path / "text.gz", "不是完整的 Gongkai 单位导出文件")
    refused(tmp_path / "missing.gz", "找不到文件")

    import_office(db_url, path)
    refused(path, "已有单位代码为“jiaxiang”的单位，且已有数据")  # twice


def test_the_commands(sqlite_url: str, tmp_path: Path) -> None:
    """The CLI: the configured office exported into the backup folder (0600, the path printed), imported into
    another database (the importing configuration names another office), a second import refused with exit 2."""
    from tests.gongkai.test_office_isolation import REPO

    _populate(sqlite_url, A, tmp_path / "a")
    config = tmp_path / "jiaxiang.toml"
    config.write_text((REPO / "config" / "gongkai.toml").read_text(encoding="utf-8").replace(
        "[office]\n", '[office]\ncode = "jiaxiang"\n', 1), encoding="utf-8")  # fmt: skip
    env = {
        "GONGKAI_DATABASE_URL": sqlite_url,
        "GONGKAI_HOME": str(tmp_path / "home"),
        "GONGKAI_CONFIG": str(config),
    }
    result = CliRunner().invoke(main, ["office", "export"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path / "home" / "backups" and path.name.startswith("gongkai-office-jiaxiang-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    target = {**env, "GONGKAI_DATABASE_URL": f"sqlite:///{tmp_path}/county.db", "GONGKAI_CONFIG": ""}
    done = CliRunner().invoke(main, ["office", "import", str(path)], env=target, catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert "jiaxiang" in done.stdout and "application:" in done.stdout
    again = CliRunner().invoke(main, ["office", "import", str(path)], env=target, catch_exceptions=False)
    assert again.exit_code == 2 and "已有数据" in again.stderr
    assert datetime.now(UTC)  # the commands take the real clock; nothing above depends on it
