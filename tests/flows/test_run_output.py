"""What ``gongkai run …`` prints with the shipped configuration (console channel): with ``--json`` stdout carries
exactly one JSON object and the console channel's text goes to stderr, once (CONTRACT section 1); a run that
exits 1 says why in one Chinese line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gongkai.cli.main import main

REPO = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-27"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GONGKAI_HOME", str(home))
    monkeypatch.setenv("GONGKAI_CONFIG", str(REPO / "config" / "gongkai.toml"))
    assert CliRunner().invoke(main, ["demo", "--as-of", AS_OF]).exit_code == 0
    return home


@pytest.mark.parametrize(
    ("process", "extra"),
    [("reminders", []), ("catalogue", []), ("review", []), ("report", ["--year", "2025"])],
)
def test_run_json_prints_one_object_and_the_console_text_once_on_stderr(
    office: Path, process: str, extra: list[str]
) -> None:
    result = CliRunner().invoke(main, ["run", process, "--as-of", AS_OF, "--json", *extra])
    assert result.exit_code in (0, 1), result.output
    summary = json.loads(result.stdout)  # the whole of stdout, nothing before or after
    assert isinstance(summary, dict)
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    titles = [line.removeprefix("=== ") for line in console.splitlines() if line.startswith("=== ")]
    assert titles, "the shipped configuration notifies someone on the console channel"
    for title in titles:
        assert title not in result.stdout
        assert result.stderr.count(title) == console.count(f"=== {title}\n"), title


def test_run_report_that_exits_1_says_why_in_one_line(office: Path) -> None:
    for args in (["--year", "2025"], ["--year", "2025", "--json"]):
        result = CliRunner().invoke(main, ["run", "report", "--as-of", AS_OF, *args])
        assert result.exit_code == 1, result.output
        why = [line for line in result.stderr.splitlines() if "尚不能定稿" in line]
        assert len(why) == 1, result.stderr
        line = why[0]
        assert line.startswith("2025 年度报告第 ") and line.endswith("。")
        for figure in ("行政许可", "行政处罚", "行政强制", "行政事业性收费"):
            assert figure in line
        assert "叙述部分待填写：一、总体情况" in line and "narrative-2025.md" in line
