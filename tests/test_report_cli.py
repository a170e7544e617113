"""The annual report from the command line on the demo office: build in every format, the readiness of
the narrative and the figures, finalize, the year lock on the register and the import, reopen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gongkai.cli.main import main

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-01-10"


def gk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("GONGKAI_HOME", str(home))
    monkeypatch.setenv("GONGKAI_CONFIG", str(REPO / "config" / "gongkai.toml"))
    monkeypatch.setenv("GONGKAI_USER", "wang")
    assert gk("demo", "--as-of", AS_OF).exit_code == 0
    return home


def _figures() -> None:
    for key, value in (("行政许可", "12"), ("行政处罚", "3"), ("行政强制", "0"), ("行政事业性收费", "0.35")):
        result = gk(
            "report", "figures", "set", "--year", "2025", "--key", key, "--value", value, "--source", "演示"
        )
        assert result.exit_code == 0, result.output


def _finish_narrative(home: Path) -> Path:
    path = home / "report" / "narrative-2025.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "【待填写】（请补充主动公开的主要内容、平台建设和监督保障情况）", "主动公开工作平稳开展。"
    )
    text = text.replace("【待填写】", "已整改。")
    path.write_text(text, encoding="utf-8")
    return path


def test_build_json_prints_the_contract_form(office: Path) -> None:
    result = gk("report", "build", "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "2021" and doc["year"] == 2025
    assert len(doc["requests"]) == 25
    assert all(len(row) == 7 for row in doc["requests"].values())
    assert [c["id"] for c in doc["checks"]] == [f"I{i}" for i in range(1, 9)]
    assert all(c["ok"] for c in doc["checks"] if c["id"] in {"I1", "I2", "I3", "I4", "I5"})
    assert "尚未录入" in result.stderr  # the missing yearly figures are named


def test_documents_wait_for_the_yearly_figures(office: Path) -> None:
    result = gk("report", "build", "--year", "2025", "--format", "html")
    assert result.exit_code == 1
    assert "尚缺数据" in result.output
    _figures()
    for fmt in ("html", "md", "docx", "pdf"):
        out = office / f"report.{fmt}"
        result = gk("report", "build", "--year", "2025", "--format", fmt, "--output", str(out))
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    assert (office / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "本年新收政府信息公开申请数量" in (office / "report.html").read_text(encoding="utf-8")


def test_finalize_needs_the_narrative_then_locks_the_year(office: Path) -> None:
    _figures()
    assert gk("report", "build", "--year", "2025", "--format", "json").exit_code == 0
    refused = gk("report", "finalize", "--year", "2025")
    assert refused.exit_code == 1 and "待填写" in refused.stderr

    _finish_narrative(office)
    assert gk("report", "build", "--year", "2025", "--format", "md").exit_code == 0
    done = gk("report", "finalize", "--year", "2025")
    assert done.exit_code == 0, done.output
    assert "已定稿" in done.output

    # The year's data is locked: a late event on a 2025 application is refused, with the way out named.
    rows = json.loads(gk("request", "list", "--all", "--year", "2025", "--json", "--as-of", AS_OF).stdout)
    open_2025 = [r for r in rows if r["concluded_on"] is None]
    concluded_2025 = [r for r in rows if r["concluded_on"] and r["concluded_on"] < "2026-01-01"]
    assert concluded_2025
    late = gk(
        "request",
        "add",
        "--received",
        "2025-12-30",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "补录",
        "--content",
        "补录的申请",
        "--as-of",
        AS_OF,
    )
    assert late.exit_code == 2 and "已定稿" in late.stderr and "reopen" in late.stderr
    # ... but an event in 2026 on an application carried over from 2025 only changes 2026: allowed.
    if open_2025:
        ref = open_2025[0]["ref"]
        ok = gk("request", "event", ref, "withdrawn:2026-01-09", "--as-of", AS_OF)
        assert ok.exit_code == 0, ok.output

    reopened = gk("report", "reopen", "--year", "2025", "--reason", "补录一件漏登的申请")
    assert reopened.exit_code == 0, reopened.output
    again = gk(
        "request",
        "add",
        "--received",
        "2025-12-30",
        "--applicant-type",
        "自然人",
        "--applicant-name",
        "补录",
        "--content",
        "补录的申请",
        "--as-of",
        AS_OF,
    )
    assert again.exit_code == 0, again.output


def test_import_into_a_final_year_is_refused_row_by_row(office: Path, tmp_path: Path) -> None:
    _figures()
    assert gk("report", "build", "--year", "2025", "--format", "json").exit_code == 0
    _finish_narrative(office)
    assert gk("report", "build", "--year", "2025", "--format", "json").exit_code == 0
    assert gk("report", "finalize", "--year", "2025").exit_code == 0
    register = tmp_path / "late.csv"
    register.write_text(
        "编号,收到日期,申请人类型,申请人,申请内容\n"
        "L-1,2025-12-29,自然人,某某,补登申请\n"
        "L-2,2026-01-05,自然人,某某,新年申请\n",
        encoding="utf-8",
    )
    result = gk("request", "import", str(register), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "第 2 行" in result.stderr and "已定稿" in result.stderr
    assert "第 3 行" not in result.stderr


def test_pre2019_template_renders_the_old_sections(office: Path) -> None:
    _figures()
    out = office / "old.html"
    result = gk(
        "report", "build", "--year", "2025", "--format", "html", "--template", "pre2019", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "存在的主要问题及改进措施" in html and "依申请公开" in html


def _versions() -> int:
    import sqlalchemy as sa

    from gongkai.store.db import open_database

    engine = open_database()
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM annual_report")).scalar_one())
    finally:
        engine.dispose()


def test_output_onto_an_existing_folder_is_refused_before_anything_is_stored(office: Path) -> None:
    _figures()
    folder = office / "out"
    folder.mkdir()
    before = _versions()
    for fmt in ("json", "html"):
        result = gk("report", "build", "--year", "2025", "--format", fmt, "--output", str(folder))
        assert result.exit_code == 2, result.output
        assert str(folder) in result.stderr and "文件夹" in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _versions() == before
    assert list(folder.iterdir()) == []


def test_output_onto_an_existing_file_needs_force(office: Path) -> None:
    target = office / "report.json"
    target.write_text("keep me", encoding="utf-8")
    before = _versions()
    refused = gk("report", "build", "--year", "2025", "--format", "json", "--output", str(target))
    assert refused.exit_code == 2, refused.output
    assert str(target) in refused.stderr and "--force" in refused.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    assert _versions() == before

    forced = gk("report", "build", "--year", "2025", "--format", "json", "--output", str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert json.loads(target.read_text(encoding="utf-8"))["year"] == 2025
    assert _versions() == before + 1


def test_output_into_a_missing_folder_creates_it(office: Path) -> None:
    target = office / "new" / "sub" / "report.json"
    result = gk("report", "build", "--year", "2025", "--format", "json", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text(encoding="utf-8"))["year"] == 2025


def test_output_under_a_file_is_refused_before_anything_is_stored(office: Path) -> None:
    blocker = office / "notes.txt"
    blocker.write_text("x", encoding="utf-8")
    before = _versions()
    result = gk(
        "report", "build", "--year", "2025", "--format", "json", "--output", str(blocker / "report.json")
    )
    assert result.exit_code == 2, result.output
    assert str(blocker) in result.stderr
    assert _versions() == before


def test_finalize_is_refused_before_the_year_has_ended(office: Path) -> None:
    _figures()
    assert gk("report", "build", "--year", "2025", "--format", "json", "--as-of", "2025-12-31").exit_code == 0
    early = gk("report", "finalize", "--year", "2025", "--as-of", "2025-12-31")
    assert early.exit_code == 2, early.output
    assert (
        "2025 年度尚未结束" in early.stderr and "2026-01-01" in early.stderr and "待填写" not in early.stderr
    )
    future = gk("report", "finalize", "--year", "2025", "--as-of", "2099-01-01")
    assert future.exit_code == 2 and "晚于今天" in future.stderr
    _finish_narrative(office)
    assert gk("report", "build", "--year", "2025", "--format", "json", "--as-of", "2026-01-01").exit_code == 0
    done = gk("report", "finalize", "--year", "2025", "--as-of", "2026-01-01")
    assert done.exit_code == 0, done.output


def test_build_as_of_sets_the_default_year_and_is_never_in_the_future(office: Path) -> None:
    result = gk("report", "build", "--format", "json", "--as-of", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["year"] == 2025
    future = gk("report", "build", "--format", "json", "--as-of", "2099-01-01")
    assert future.exit_code == 2 and "晚于今天" in future.stderr and future.stdout == ""


def test_a_check_not_run_is_shown_as_not_checked_never_as_passed(office: Path) -> None:
    result = gk("report", "build", "--year", "2025", "--format", "json")
    assert result.exit_code == 0, result.output
    lines = {
        line.strip()[:2]: line.strip()
        for line in result.stderr.splitlines()
        if line.strip()[:2] in {f"I{i}" for i in range(1, 9)}
    }
    assert lines["I6"].startswith("I6 未核对：") and "通过" not in lines["I6"]  # no final 2024 report
    assert lines["I1"].startswith("I1 通过：")
    checks = {c["id"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["I6"]["checked"] is False and checks["I1"]["checked"] is True


def test_figures_show_counts_as_integers_and_fees_with_their_decimals(office: Path) -> None:
    _figures()
    result = gk(
        "report",
        "figures",
        "set",
        "--year",
        "2025",
        "--key",
        "行政事业性收费",
        "--value",
        "1.50",
        "--source",
        "演示",
    )
    assert result.exit_code == 0 and "1.5 万元" in result.stdout and "0000" not in result.stdout
    shown = gk("report", "figures", "show", "--year", "2025")
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert "行政许可：12（来源：演示）" in lines and "行政强制：0（来源：演示）" in lines
    assert "行政事业性收费：1.5 万元（来源：演示）" in lines
    assert "0000" not in shown.stdout
