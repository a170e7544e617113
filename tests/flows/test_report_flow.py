"""The annual-report flows under Prefect's test harness, on the demo office (console channel)."""

from __future__ import annotations

import asyncio
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
    assert CliRunner().invoke(main, ["demo", "--as-of", "2026-01-10"]).exit_code == 0
    return home


def test_readiness_tells_the_administrator_what_is_missing(office: Path) -> None:
    from gongkai.flows.report import annual_report_readiness

    state = annual_report_readiness(as_of=date(2026, 1, 2))
    assert state["year"] == 2025 and not state["final"]
    assert state["missing_figures"] == ["行政许可", "行政处罚", "行政强制", "行政事业性收费"]
    assert state["unfinished_narrative"] == [
        "一、总体情况",
        "五、存在的主要问题及改进情况",
        "六、其他需要报告的事项",
    ]
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    assert "2026-01-31 前公开发布" in console and "行政许可" in console
    # Run on a later day (the start-up catch-up of a missed January run), it says so.
    assert "（补做：本应于 2026-01-02 运行）2025 年度政府信息公开工作年度报告须于" in console
    # once per day: running again sends nothing new
    annual_report_readiness(as_of=date(2026, 1, 2))
    assert (office / "messages" / "console.log").read_text(encoding="utf-8").count("前公开发布") == 1


def test_annual_report_flow_writes_every_format_lists_them_and_notifies(office: Path) -> None:
    from gongkai.flows.report import annual_report
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    for key, value in (("行政许可", "12"), ("行政处罚", "3"), ("行政强制", "0"), ("行政事业性收费", "0.35")):
        r = CliRunner().invoke(
            main,
            [
                "report",
                "figures",
                "set",
                "--year",
                "2025",
                "--key",
                key,
                "--value",
                value,
                "--source",
                "演示",
            ],
        )
        assert r.exit_code == 0, r.output
    summary = annual_report(year=2025, as_of=date(2026, 1, 10))
    assert summary["failed_identities"] == [] and summary["missing"] == []
    assert set(summary["files"]) == {"json", "html", "md", "docx", "pdf"}
    for path in summary["files"].values():
        assert Path(path).stat().st_size > 500
    assert Path(summary["files"]["pdf"]).read_bytes().startswith(b"%PDF")

    async def artifacts() -> list[object]:
        async with get_client() as client:
            return list(
                await client.read_artifacts(
                    artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["annual-report"]))
                )
            )

    found = asyncio.run(artifacts())
    assert found and "annual-report-2025-v" in str(found[0].data)  # type: ignore[attr-defined]
    console = (office / "messages" / "console.log").read_text(encoding="utf-8")
    assert "2025 年度报告第" in console


def test_report_notice_names_the_folder_and_ends_each_sentence_once() -> None:
    from gongkai.services.processes import ReportBuilt

    summary = {
        "version": 3,
        "files": {"json": "/srv/gk/report/2025/v3/report.json", "pdf": "/srv/gk/report/2025/v3/report.pdf"},
        "failed_identities": [],
        "missing": [
            "2025 年度“行政许可”尚未录入（来自其他系统的数字，用文件或命令行录入）。",
            "有 2 件未分类，无法计入表四。",
        ],
        "unfinished": ["一、总体情况"],
        "narrative_file": "/srv/gk/report/2025/narrative.md",
    }
    text = ReportBuilt.from_json({"year": 2025, "warnings": [], **summary}).notice_text()

    assert "。；" not in text and "。。" not in text and "；。" not in text
    assert "文件在文件夹 /srv/gk/report/2025/v3 中" in text and "文件目录" not in text
    assert text == (
        "2025 年度报告第 3 版已生成（json、pdf），文件在文件夹 /srv/gk/report/2025/v3 中。勾稽关系检查通过。"
        "尚缺：2025 年度“行政许可”尚未录入（来自其他系统的数字，用文件或命令行录入）；有 2 件未分类，无法计入表四。"
        "叙述待填写：一、总体情况（编辑文件 /srv/gk/report/2025/narrative.md）。"
    )
