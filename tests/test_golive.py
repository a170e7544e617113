"""Demo and live are two kinds of register (CONTRACT section 1): the shipped demo configuration loads the demo
office into a new register; a real office's configuration starts an empty one, and demo data never enters it.

Driven through Click's test runner on SQLite and PostgreSQL (``db_url``): the register kind is in the database.
The flows of a real office on an empty register are in ``tests/flows/test_golive_flow.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from gongkai.cli.main import Ctx, _env, _load_demo_if_empty, main
from tests.offices import LIVE_CONFIG

REPO = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO / "config" / "gongkai.toml"
CJK = re.compile(r"[\u4e00-\u9fff]")
AS_OF = "2026-11-27"


@pytest.fixture
def live_config(tmp_path: Path) -> Path:
    """A real office's configuration: its own name and staff, ``demo`` unset."""
    path = tmp_path / "live.toml"
    path.write_text(LIVE_CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("GONGKAI_HOME", str(folder))
    monkeypatch.setenv("GONGKAI_DATABASE_URL", db_url)
    return folder


def gk(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *args], catch_exceptions=True)


def ok(config: Path, *args: str) -> Result:
    result = gk(config, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def refused(config: Path, *args: str) -> str:
    """A command that must stop with exit 2 and one Chinese line on stderr; that line."""
    result = gk(config, *args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert CJK.search(lines[0]), lines[0]
    return lines[0]


def count(db_url: str, sql: str) -> int:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("application"):
                return 0
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


def register_info(db_url: str) -> list[tuple[str, str | None]]:
    """The offices' kinds and names (one office: the register's)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text("SELECT kind, name FROM office ORDER BY id"))]  # type: ignore[misc]
    finally:
        engine.dispose()


def demo_rows(db_url: str) -> int:
    return (
        count(db_url, "SELECT count(*) FROM application WHERE source = 'demo'")
        + count(db_url, "SELECT count(*) FROM proactive_item")
        + count(db_url, "SELECT count(*) FROM appeal")
    )


def test_real_office_on_an_empty_home_starts_an_empty_live_register(
    home: Path, db_url: str, live_config: Path
) -> None:
    out = ok(live_config, "init").output
    assert "河东街道办事处" in out and "演示" not in out
    assert register_info(db_url) == [("live", "河东街道办事处")]

    # serve's demo-loading step (what `gongkai serve` does before it starts the schedules)
    ctx = click.Context(main, obj=Ctx(config=str(live_config)))
    with _env(ctx, AS_OF) as env:
        assert _load_demo_if_empty(env) is False

    line = refused(live_config, "demo", "--as-of", AS_OF)
    assert "演示配置" in line and "demo = true" in line

    assert json.loads(ok(live_config, "request", "list", "--all", "--json", "--as-of", AS_OF).output) == []
    assert json.loads(ok(live_config, "item", "list", "--json", "--as-of", AS_OF).output) == []
    assert (
        json.loads(ok(live_config, "review", "list", "--status", "all", "--json", "--as-of", AS_OF).output)
        == []
    )
    report = json.loads(ok(live_config, "report", "build", "--year", "2025", "--format", "json").stdout)
    assert report["requests"]["1"]["total"] == 0
    assert demo_rows(db_url) == 0
    assert register_info(db_url) == [("live", "河东街道办事处")]


def test_demo_refused_for_a_real_office_writes_nothing(home: Path, live_config: Path) -> None:
    refused(live_config, "demo", "--as-of", AS_OF)
    assert list(home.iterdir()) == []


def test_real_config_on_a_demo_register_is_refused(home: Path, db_url: str, live_config: Path) -> None:
    assert "已载入演示数据" in ok(DEMO_CONFIG, "demo", "--as-of", AS_OF).output
    assert register_info(db_url) == [("demo", "嘉祥街道办事处")]
    before = count(db_url, "SELECT count(*) FROM application")
    assert before > 100

    for args in (
        ("init",),
        ("request", "list", "--as-of", AS_OF),
        ("run", "reminders", "--as-of", AS_OF),
        ("item", "list", "--as-of", AS_OF),
    ):
        line = refused(live_config, *args)
        assert "演示" in line and "虚构" in line, line
        assert "GONGKAI_HOME" in line and "gongkai init" in line, line
        assert "devpw" not in line  # the PostgreSQL test server's password is never shown
        assert sa.make_url(db_url).database in line  # names where the database is
    ok(live_config, "deadline", "--received", "2025-01-24")  # needs no register
    assert count(db_url, "SELECT count(*) FROM application") == before
    assert count(db_url, "SELECT count(*) FROM staff WHERE id = 'chen'") == 0  # nothing written
    assert register_info(db_url) == [("demo", "嘉祥街道办事处")]


def test_demo_config_on_a_live_register_is_refused(home: Path, db_url: str, live_config: Path) -> None:
    ok(
        live_config,
        "request",
        "add",
        "--received",
        "2026-11-20",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "张三",
        "--content",
        "测试",
        "--as-of",
        AS_OF,
    )
    line = refused(DEMO_CONFIG, "demo", "--as-of", AS_OF)
    assert "真实单位" in line and "不会" in line and "演示数据" in line
    refused(DEMO_CONFIG, "request", "list", "--as-of", AS_OF)
    assert count(db_url, "SELECT count(*) FROM application") == 1
    assert demo_rows(db_url) == 0
    assert register_info(db_url) == [("live", "河东街道办事处")]


def test_demo_config_on_an_empty_home_still_shows_the_demo_office(home: Path, db_url: str) -> None:
    """The README's first command: nothing to set up, the demo office appears."""
    out = ok(DEMO_CONFIG, "demo", "--as-of", AS_OF).output
    assert "已载入演示数据：嘉祥街道办事处" in out and "从严期限" in out
    assert register_info(db_url) == [("demo", "嘉祥街道办事处")]
    assert "演示" in ok(DEMO_CONFIG, "init").output
