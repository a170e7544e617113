"""Roles on the command line (services/actor.py): ``--by``/``GONGKAI_USER`` naming a ``[[staff]]`` id acts with that
person's roles, so a handler cannot approve an extension (Art. 33), import a calendar, or finalize or reopen a
report; a refusal is exit 2, one Chinese sentence, and nothing written. Driven on the shipped demo configuration:
``li`` is a handler, ``zhao`` the unit head, ``wang`` a handler and the administrator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gongkai.cli.main import main

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "gongkai.toml"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("GONGKAI_HOME", str(folder))
    monkeypatch.setenv("GONGKAI_CONFIG", str(CONFIG))
    monkeypatch.delenv("GONGKAI_USER", raising=False)
    return folder


def gk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def ok(*args: str) -> Result:
    result = gk(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def not_allowed(*args: str) -> str:
    """Run a command the actor may not run: exit 2, one Chinese line naming the role; return it."""
    result = gk(*args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "无权" in lines[0], lines[0]
    return lines[0]


def _add(ref: str) -> None:
    ok("request", "add", "--ref", ref, "--received", "2025-01-24", "--applicant-type", "自然人",
       "--applicant-name", "张小明", "--content", "请求公开某文件", "--by", "li", "--as-of", "2025-01-24")  # fmt: skip


def test_only_the_unit_head_records_an_extension(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _add("R-1")
    before = ok("request", "show", "R-1", "--as-of", "2025-02-20", "--json").stdout
    line = not_allowed(
        "request", "event", "R-1", "extension_approved:2025-02-20", "--by", "li", "--as-of", "2025-02-20"
    )
    assert line.startswith("错误：li 无权批准延期答复") and "unit_head" in line
    monkeypatch.setenv("GONGKAI_USER", "li")  # the environment names the person as --by does
    not_allowed("request", "event", "R-1", "extension_approved:2025-02-20", "--as-of", "2025-02-20")
    monkeypatch.delenv("GONGKAI_USER")
    assert ok("request", "show", "R-1", "--as-of", "2025-02-20", "--json").stdout == before

    # A handler records every other event; the unit head approves the extension.
    ok("request", "event", "R-1", "correction_requested:2025-02-05", "--by", "li", "--as-of", "2025-02-20")
    ok("request", "event", "R-1", "correction_received:2025-02-12", "--by", "li", "--as-of", "2025-02-20")
    ok("request", "event", "R-1", "extension_approved:2025-02-20", "--by", "zhao", "--as-of", "2025-02-20")
    shown = json.loads(ok("request", "show", "R-1", "--as-of", "2025-02-20", "--json").stdout)
    assert shown["extended"] is True
    assert [(e["kind"], e["recorded_by"]) for e in shown["events"]][-1] == ("extension_approved", "zhao")


def test_someone_not_on_the_staff_list_is_the_trusted_operator(home: Path) -> None:
    _add("R-2")
    ok(
        "request",
        "event",
        "R-2",
        "extension_approved:2025-02-20",
        "--by",
        "operator1",
        "--as-of",
        "2025-02-20",
    )
    shown = json.loads(ok("request", "show", "R-2", "--as-of", "2025-02-20", "--json").stdout)
    assert shown["extended"] is True and shown["events"][-1]["recorded_by"] == "operator1"


CALENDAR_2027 = """日期,类型,名称
2027-01-01,off,元旦
2027-02-08,off,春节
2027-04-05,off,清明节
2027-05-03,off,劳动节
2027-06-09,off,端午节
2027-09-15,off,中秋节
2027-10-01,off,国庆节
"""


def test_only_an_administrator_imports_a_calendar(home: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(CALENDAR_2027, encoding="utf-8")
    line = not_allowed("calendar", "import", str(csv_file), "--by", "li", "--as-of", "2026-12-07")
    assert "导入放假安排" in line and "administrator" in line
    not_allowed("calendar", "import", str(csv_file), "--by", "zhao", "--as-of", "2026-12-07")
    assert "2027 年：未公布" in ok("calendar", "show", "2027").stdout
    ok("calendar", "import", str(csv_file), "--by", "wang", "--as-of", "2026-12-07")
    assert "2027 年：已公布" in ok("calendar", "show", "2027").stdout


def test_only_an_administrator_finalizes_or_reopens_a_report(home: Path) -> None:
    ok("demo", "--as-of", "2026-01-10")
    for key, value in (("行政许可", "12"), ("行政处罚", "3"), ("行政强制", "0"), ("行政事业性收费", "0.35")):
        ok("report", "figures", "set", "--year", "2025", "--key", key, "--value", value, "--source", "演示")
    ok("report", "build", "--year", "2025", "--format", "json")
    path = home / "report" / "narrative-2025.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "【待填写】（请补充主动公开的主要内容、平台建设和监督保障情况）", "主动公开工作平稳开展。"
    )
    path.write_text(text.replace("【待填写】", "已整改。"), encoding="utf-8")
    ok("report", "build", "--year", "2025", "--format", "md", "--by", "li")  # building is anyone's work

    line = not_allowed("report", "finalize", "--year", "2025", "--by", "li", "--as-of", "2026-01-10")
    assert "定稿年度报告" in line and "administrator" in line
    # Nothing was locked: a handler may still add a 2025 application.
    ok("request", "add", "--received", "2025-12-30", "--applicant-type", "自然人", "--applicant-name", "补录",
       "--content", "补录的申请", "--by", "li", "--as-of", "2026-01-10")  # fmt: skip
    ok("report", "build", "--year", "2025", "--format", "md", "--by", "li")
    assert (
        "已定稿" in ok("report", "finalize", "--year", "2025", "--by", "wang", "--as-of", "2026-01-10").stdout
    )

    not_allowed("report", "reopen", "--year", "2025", "--reason", "补录", "--by", "li")
    late = gk("request", "add", "--received", "2025-12-30", "--applicant-type", "自然人", "--applicant-name",
              "补录", "--content", "又一件", "--by", "li", "--as-of", "2026-01-10")  # fmt: skip
    assert late.exit_code == 2 and "已定稿" in late.stderr  # still final
    ok("report", "reopen", "--year", "2025", "--reason", "补录", "--by", "wang")


def test_a_register_import_recording_an_extension_needs_the_unit_head(home: Path, tmp_path: Path) -> None:
    """Art. 33 holds for an import too: a handler's file with an extension is refused whole, row named; the unit
    head's is imported."""
    register = tmp_path / "register.csv"
    register.write_text(
        "编号,收到日期,申请人类型,申请人,申请内容,延期批准日期,延期天数\n"
        "R-7,2025-01-24,自然人,张小明,请求公开某文件,2025-02-20,20\n"
        "R-8,2025-01-27,自然人,李四,请求公开另一文件,,\n",
        encoding="utf-8",
    )
    result = gk("request", "import", str(register), "--by", "li", "--as-of", "2025-03-03")
    assert result.exit_code == 2, (result.output, result.exception)
    assert "第 2 行" in result.stderr and "unit_head" in result.stderr, result.stderr
    assert json.loads(ok("request", "list", "--all", "--json", "--as-of", "2025-03-03").stdout) == []
    ok("request", "import", str(register), "--by", "zhao", "--as-of", "2025-03-03")
    shown = json.loads(ok("request", "show", "R-7", "--json", "--as-of", "2025-03-03").stdout)
    assert shown["extended"] is True, shown
