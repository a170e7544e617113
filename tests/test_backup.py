"""``gongkai backup`` and ``gongkai restore`` (CONTRACT section 7) on real SQLite and PostgreSQL databases: private
files, a consistent copy while others write, a restore identical to the original, refusals that change nothing,
an old schema upgraded, retention that deletes only Gongkai's own files, no password anywhere."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from gongkai.cli.main import main
from gongkai.store.db import HEAD, current_revision, make_engine, session_scope, upgrade
from tests.offices import FIRST_OFFICE

AS_OF = date(2026, 11, 27)


def _cli(args: list[str], url: str, home: Path, **env: str) -> Result:
    return CliRunner().invoke(
        main,
        args,
        env={"GONGKAI_DATABASE_URL": url, "GONGKAI_HOME": str(home), **env},
        catch_exceptions=False,
    )


def _demo(url: str, home: Path) -> None:
    result = _cli(["demo", "--as-of", AS_OF.isoformat()], url, home)
    assert result.exit_code == 0, result.output


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {n: int(conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one()) for n in names}
    finally:
        engine.dispose()


def _statistics(url: str, year: int) -> dict[str, Any]:

    from gongkai.report.stats import compute_statistics

    engine = make_engine(url)
    try:
        with session_scope(engine, FIRST_OFFICE) as session:
            return compute_statistics(session, year=year, office_name="x").to_json()
    finally:
        engine.dispose()


def _empty_database(db_url: str, folder: Path) -> Iterator[str]:
    """A new empty database of the same kind as ``db_url`` (SQLite in ``folder``)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{folder}/gongkai.db"
    else:
        from tests.conftest import _postgres_database

        yield from _postgres_database()


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as ``db_url`` (the "new machine")."""
    yield from _empty_database(db_url, tmp_path / "new-home")


def _backup(url: str, home: Path, *extra: str) -> Path:
    result = _cli(["backup", *extra], url, home)
    assert result.exit_code == 0, result.output
    return Path(result.output.strip().splitlines()[-1])


def test_backup_file_is_created_private_in_a_private_folder(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _demo(db_url, home)
    old = os.umask(0)  # a file written with default permissions and tightened later would show 0666 here
    try:
        made = _backup(db_url, home)
    finally:
        os.umask(old)
    assert made.parent == home / "backups"
    assert made.name.startswith("gongkai-") and made.suffix == (".sqlite" if "sqlite" in db_url else ".dump")
    assert made.stem.endswith(
        "-manual"
    )  # taken by hand (e.g. before an upgrade): the nightly retention keeps it
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    # --output: an existing file is never overwritten
    out = tmp_path / "by-hand.bak"
    assert _backup(db_url, home, "--output", str(out)) == out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = _cli(["backup", "--output", str(out)], db_url, home)
    assert again.exit_code == 2 and "已存在" in again.output


def test_restore_into_a_new_home_is_identical(db_url: str, other_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _demo(db_url, home)
    made = _backup(db_url, home)
    new_home = tmp_path / "new-home"
    result = _cli(["restore", str(made)], other_url, new_home)
    assert result.exit_code == 0, result.output
    assert "gongkai serve" in result.output
    before, after = _counts(db_url), _counts(other_url)
    assert before == after and before["application"] > 100
    for year in (AS_OF.year - 1, AS_OF.year):
        assert _statistics(db_url, year) == _statistics(other_url, year)
    # the restored register works: the annual report builds the same JSON from it
    reports = [
        _cli(["report", "build", "--year", "2025", "--as-of", AS_OF.isoformat()], url, h)
        for url, h in ((db_url, home), (other_url, new_home))
    ]
    assert [r.exit_code for r in reports] == [reports[0].exit_code] * 2
    assert json.loads(reports[0].stdout) == json.loads(reports[1].stdout)


def test_restore_into_a_database_that_is_not_empty_is_refused(db_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _demo(db_url, home)
    made = _backup(db_url, home)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM appeal"))  # the target now differs from the backup
    engine.dispose()
    before = _counts(db_url)
    result = _cli(["restore", str(made)], db_url, home)
    assert result.exit_code == 2
    assert "不是空的" in result.output and "未做任何改动" in result.output
    assert _counts(db_url) == before and before["appeal"] == 0


def test_a_database_after_init_is_not_empty(sqlite_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    _demo(sqlite_url, home)
    made = _backup(sqlite_url, home)
    target = f"sqlite:///{tmp_path}/fresh/gongkai.db"
    assert _cli(["init"], target, tmp_path / "fresh").exit_code in (0, 1)
    result = _cli(["restore", str(made)], target, tmp_path / "fresh")
    assert result.exit_code == 2 and "gongkai init" in result.output


def test_corrupt_or_foreign_backup_is_refused_and_leaves_the_target_empty(
    db_url: str, other_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    _demo(db_url, home)
    made = _backup(db_url, home)
    data = made.read_bytes()
    truncated = tmp_path / f"truncated{made.suffix}"
    truncated.write_bytes(data[: len(data) * 2 // 3])
    garbage = tmp_path / "notes.sqlite"
    garbage.write_text("not a backup", encoding="utf-8")
    for bad in (truncated, garbage):
        result = _cli(["restore", str(bad)], other_url, tmp_path / "new-home")
        assert result.exit_code == 2, result.output
        assert str(bad) in result.output
        assert _counts(other_url) == {}, f"{bad.name} left tables behind"
    assert not [p for p in (tmp_path / "new-home").glob("*restoring*")]


def test_backup_of_the_other_kind_of_database_is_refused(db_url: str, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.bak"
    wrong.write_bytes(
        b"PGDMP" + b"\0" * 100 if db_url.startswith("sqlite") else b"SQLite format 3\x00" + b"\0" * 100
    )
    result = _cli(["restore", str(wrong)], db_url, tmp_path / "home")
    assert result.exit_code == 2 and "不支持跨数据库类型恢复" in result.output


def test_backup_of_an_older_schema_is_upgraded_on_restore(
    db_url: str, other_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO register_info (id, kind, office_name, set_by, created_at) "
                             "VALUES (1, 'live', '测试办事处', 'config', CURRENT_TIMESTAMP)"))  # fmt: skip
    engine.dispose()
    home = tmp_path / "home"
    made = _backup(db_url, home)
    result = _cli(["restore", str(made)], other_url, tmp_path / "new-home")
    assert result.exit_code == 0, result.output
    assert f"0008 → {HEAD}" in result.output
    restored = make_engine(other_url)
    try:
        assert current_revision(restored) == HEAD
        assert sa.inspect(restored).has_table("desk_session")
    finally:
        restored.dispose()
    assert _counts(other_url)["office"] == 1  # register_info became office 1 (revision 0010)


def test_backup_is_consistent_while_others_write(db_url: str, other_url: str, tmp_path: Path) -> None:
    """A backup taken while another connection holds an open write transaction does not wait for it and has none
    of its rows; one taken while a writer commits pairs of rows in a loop has every pair whole."""
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:  # this test's own tables: each pair is written in one transaction
        conn.execute(sa.text("CREATE TABLE drill_a (n INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("CREATE TABLE drill_b (n INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO drill_a (n) VALUES (0)"))
        conn.execute(sa.text("INSERT INTO drill_b (n) VALUES (0)"))
    holder = engine.connect()
    pending = holder.begin()
    holder.execute(sa.text("INSERT INTO drill_a (n) VALUES (-1)"))  # never committed
    try:
        started = time.monotonic()
        during_open_write = _backup(db_url, tmp_path / "home", "--output", str(tmp_path / "open.bak"))
        assert time.monotonic() - started < 8  # not waiting for the writer (SQLite's busy timeout is 10 s)
    finally:
        pending.rollback()
        holder.close()

    stop = threading.Event()
    written = [0]

    def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            with engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO drill_a (n) VALUES (:n)"), {"n": n})
                time.sleep(0.001)
                conn.execute(sa.text("INSERT INTO drill_b (n) VALUES (:n)"), {"n": n})
            written[0] = n

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        while written[0] < 20:
            time.sleep(0.01)
        during_writes = _backup(db_url, tmp_path / "home")
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
        engine.dispose()
    assert _cli(["restore", str(during_open_write)], other_url, tmp_path / "new-home").exit_code == 0
    restored = make_engine(other_url)
    try:
        with restored.connect() as conn:
            assert conn.execute(sa.text("SELECT min(n), count(*) FROM drill_a")).one() == (0, 1)
    finally:
        restored.dispose()
    third = _empty_database(db_url, tmp_path / "third-home")
    third_url = next(third)
    try:
        assert _cli(["restore", str(during_writes)], third_url, tmp_path / "third-home").exit_code == 0
        restored = make_engine(third_url)
        try:
            with restored.connect() as conn:
                a = conn.execute(sa.text("SELECT count(*), max(n) FROM drill_a")).one()
                b = conn.execute(sa.text("SELECT count(*), max(n) FROM drill_b")).one()
        finally:
            restored.dispose()
    finally:
        third.close()
    assert a == b and a[0] >= 21
    assert a[1] < written[0]  # the writer went on after the copy was taken


def test_password_is_never_shown(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://gongkai:S3cretPw@127.0.0.1:1/gongkai"
    for args in (["backup"], ["restore", str(tmp_path / "x.dump")]):
        if args[0] == "restore":
            (tmp_path / "x.dump").write_bytes(b"PGDMP" + b"\0" * 100)
        result = _cli(args, url, tmp_path / "home")
        assert result.exit_code == 2, result.output
        assert "S3cretPw" not in result.output and "***" in result.output
    captured = capfd.readouterr()
    assert "S3cretPw" not in captured.out + captured.err


@pytest.mark.postgres
def test_pg_dump_gets_the_password_from_its_environment_not_its_command_line(tmp_path: Path) -> None:
    """A ``pg_dump`` of a higher version first on PATH records its arguments and environment, then runs the real
    one: the password is in ``PGPASSWORD`` only. Backup and restore say nothing of it either."""
    admin = os.environ.get("GONGKAI_TEST_POSTGRES_URL", "").strip()
    if not admin:
        pytest.skip("PostgreSQL not configured: set GONGKAI_TEST_POSTGRES_URL")
    from tests.conftest import _postgres_database

    password = sa.make_url(admin).password
    assert password
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.txt"
    import shutil

    for tool in ("pg_dump", "pg_restore"):
        real = shutil.which(tool)
        assert real, f"{tool} is needed for the PostgreSQL tests"
        script = bin_dir / tool
        script.write_text(
            "#!/bin/sh\n"
            f'if [ "$1" = "--version" ]; then echo "{tool} (PostgreSQL) 99.0"; exit 0; fi\n'
            f'echo "$0 $*" >> {record}\n'
            f'if [ -n "$PGPASSWORD" ]; then echo "PGPASSWORD set" >> {record}; fi\n'
            f'exec {real} "$@"\n',
            encoding="utf-8",
        )
        script.chmod(0o755)
    source, target = _postgres_database(), _postgres_database()
    src_url, dst_url = next(source), next(target)
    try:
        path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
        _demo(src_url, tmp_path / "home")
        backup = _cli(["backup"], src_url, tmp_path / "home", PATH=path)
        assert backup.exit_code == 0, backup.output
        restore = _cli(["restore", backup.output.strip()], dst_url, tmp_path / "new", PATH=path)
        assert restore.exit_code == 0, restore.output
        seen = record.read_text(encoding="utf-8")
        assert "pg_dump" in seen and "pg_restore" in seen and "PGPASSWORD set" in seen
        assert password not in seen
        assert password not in backup.output + restore.output
    finally:
        for gen in (source, target):
            for _ in gen:
                pass


def test_retention_keeps_the_newest_and_deletes_only_its_own(tmp_path: Path) -> None:
    from gongkai.services.backup import prune

    folder = tmp_path / "backups"
    folder.mkdir()
    own = [folder / f"gongkai-202611{day:02d}-023000.sqlite" for day in range(1, 21)]
    own.append(folder / "gongkai-20261120-023000-1.sqlite")  # a second one in the same second
    foreign = [
        folder / n
        for n in (
            "notes.txt",
            "gongkai-before-upgrade.sqlite",
            "gongkai-20261101-023000.sqlite.old",
            "gongkai-20261101-023000-manual.sqlite",  # gongkai backup's own default name: never pruned
        )
    ]
    for p in own + foreign:
        p.write_text("x", encoding="utf-8")
    deleted = prune(folder, 14)
    assert sorted(deleted) == sorted(own[:7])
    assert sorted(folder.iterdir()) == sorted(own[7:] + foreign)


def test_bad_backup_configuration_is_named(tmp_path: Path) -> None:
    from gongkai.core.errors import ConfigError
    from gongkai.core.settings import load_settings

    shipped = (Path(__file__).resolve().parents[1] / "config" / "gongkai.toml").read_text(encoding="utf-8")
    path = tmp_path / "gongkai.toml"
    path.write_text(shipped.replace('time = "02:30"', 'time = "25:00"').replace("keep = 14", "keep = 0"),
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    text = str(caught.value)
    assert str(path) in text and "backup.time" in text and "HH:MM" in text and "backup.keep" in text
    ok = load_settings(Path(__file__).resolve().parents[1] / "config" / "gongkai.toml").backup
    assert (ok.time, ok.keep, ok.cron) == ("02:30", 14, "30 2 * * *")
    assert ok.folder_in(tmp_path) == tmp_path / "backups"


def test_serve_schedules_the_nightly_backup() -> None:
    from gongkai.flows.serve import deployments, startup_summary

    from gongkai.core.settings import load_settings

    cfg = load_settings(Path(__file__).resolve().parents[1] / "config" / "gongkai.toml")
    deps = deployments(cfg)
    backup = next(d for d in deps if d.name == "gongkai-backup")
    assert backup.schedules[0].schedule.cron == "30 2 * * *"
    assert backup.schedules[0].schedule.timezone == "Asia/Shanghai"
    assert deps[-1].name == "gongkai-annual-report"
    summary = startup_summary(cfg, 4200, [], Path("server.log"), None, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert "夜间数据备份：每天 02:30，下次 2026-12-02 02:30" in summary
