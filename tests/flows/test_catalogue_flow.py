"""The catalogue-update flow under Prefect's test harness on the demo office."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GONGKAI_HOME", str(home))
    monkeypatch.setenv("GONGKAI_CONFIG", str(REPO / "config" / "gongkai.toml"))
    assert CliRunner().invoke(main, ["demo", "--as-of", "2026-06-20"]).exit_code == 0
    return home


def test_quarterly_update_builds_stores_diffs_and_notifies(office: Path) -> None:
    from gongkai.flows.catalogue import catalogue_update

    first = catalogue_update(as_of=date(2026, 7, 1))
    assert first["period"] == "2026-Q2"
    assert first["entries"] > 0 and first["diff"]["added"] == first["entries"]
    for name in (
        "catalogue.html",
        "catalogue.xlsx",
        "catalogue.csv",
        "catalogue.md",
        "guide.html",
        "guide.md",
    ):
        assert Path(first["files"][name]).stat().st_size > 200
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    assert "2026-Q2 政府信息公开目录和指南已更新" in console

    # Next quarter: one item repealed and one withdrawn in the register → the diff says so.
    db = office / "gongkai.db"
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT id FROM proactive_item WHERE published_on IS NOT NULL AND attribute = 'proactive' "
            "AND withdrawn_on IS NULL AND validity = 'in_force' ORDER BY id LIMIT 2"
        ).fetchall()
        conn.execute(
            "UPDATE proactive_item SET validity = 'repealed', repealed_on = '2026-08-03' WHERE id = ?",
            rows[0],
        )
        conn.execute("UPDATE proactive_item SET withdrawn_on = '2026-08-04' WHERE id = ?", rows[1])
    second = catalogue_update(as_of=date(2026, 10, 1))
    assert second["period"] == "2026-Q3"
    assert second["diff"]["repealed"] >= 1 and second["diff"]["withdrawn"] == 1
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT period, diff FROM catalogue_snapshot ORDER BY as_of").fetchall()
    assert [p for p, _ in stored] == ["2026-Q2", "2026-Q3"]
    assert len(json.loads(stored[1][1])["withdrawn"]) == 1


def test_scheduled_run_does_a_quarter_once(office: Path) -> None:
    from gongkai.flows.catalogue import catalogue_update

    assert "skipped" not in catalogue_update(as_of=date(2026, 10, 1), scheduled=True)
    assert catalogue_update(as_of=date(2026, 10, 2), scheduled=True)["skipped"] is True


def test_catalogue_notice_names_the_file_the_address_and_a_late_catch_up(
    office: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gongkai.flows.catalogue import catalogue_update

    from gongkai.core.clockseam import office_today

    config = tmp_path / "office.toml"
    text = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('owner = "wang"\n', 'owner = "wang"\npublic_url = "https://www.example.gov.cn/xxgk/ml/"\n', 1),
                      encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("GONGKAI_CONFIG", str(config))

    late = catalogue_update(as_of=date(2026, 10, 1))  # the quarter's run, caught up on a later day
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    page = Path(late["files"]["catalogue.html"])
    assert "（补做：本应于 2026-10-01 运行）2026-Q3 政府信息公开目录和指南已更新" in console
    assert f"目录文件：{page}" in console and str(page.parent) in console
    assert "网站上的公开目录：https://www.example.gov.cn/xxgk/ml/" in console
    assert "文件目录中" not in console

    today = office_today("Asia/Shanghai")
    catalogue_update(as_of=today)  # on time: no 补做
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    assert console.count("（补做：") == 1
