"""The annual-report flows: ``annual-report`` (the administrator triggers it each January) and
``annual-report-readiness`` (scheduled in January: what is still missing before 31 January)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from gongkai.tasks.common import business_date, settings
from gongkai.tasks.report import artifact, build_annual_report, check_readiness, notify_administrators
from prefect import flow
from prefect.runtime import flow_run


def _report_year(year: int | None) -> int:
    return year if year is not None else business_date(None, settings()).year - 1


def _report_run_name() -> str:
    return f"annual-report-{_report_year(flow_run.parameters.get('year'))}"


@flow(name="annual-report", flow_run_name=_report_run_name)
def annual_report(
    year: int | None = None, as_of: date | None = None, scheduled: bool = False
) -> dict[str, Any]:
    """年度报告：按登记簿统计表二、表三、表四，检查勾稽关系 I1–I8，保存新版本并生成 JSON、HTML、Markdown、DOCX、PDF，
    在 Prefect 界面列出文件并通知管理员。year：报告年度（默认上一年）。"""
    from gongkai.files.render import md_code, md_escape

    day = business_date(as_of, settings())
    report_year = year if year is not None else day.year - 1
    summary = build_annual_report(report_year)
    lines = [f"## {report_year} 年度报告第 {summary['version']} 版", "", "| 格式 | 文件 |", "| --- | --- |"]
    lines += [f"| {md_escape(fmt)} | {md_code(path)} |" for fmt, path in summary["files"].items()]
    lines += ["", f"勾稽关系不成立：{md_escape('、'.join(summary['failed_identities']) or '无')}"]
    lines += [f"- 提示 {md_escape(w)}" for w in summary["warnings"]]
    lines += [f"- 缺数据：{md_escape(m)}" for m in summary["missing"]]
    if summary["unfinished"]:
        lines.append(
            f"- 叙述待填写：{md_escape('、'.join(summary['unfinished']))}（{md_code(summary['narrative_file'])}）"
        )
    artifact("annual-report", "\n".join(lines) + "\n", f"{report_year} 年度报告第 {summary['version']} 版")
    text = report_notice_text(report_year, summary)
    notify_administrators(
        day, f"report:{report_year}:v{summary['version']}", "report", text, ref=str(report_year)
    )
    return summary


def report_notice_text(year: int, summary: dict[str, Any]) -> str:
    """The administrator's message about a new report version: formats and the folder they are in, the
    identities, what is missing, what the narrative still needs. Sentences end once (the parts quoted may end
    with their own 。)."""

    def clause(text: str) -> str:
        return text.rstrip("。；; ")

    files = {fmt: Path(path) for fmt, path in summary["files"].items()}
    parts = [f"{year} 年度报告第 {summary['version']} 版已生成（{'、'.join(files) or '无文件'}）"]
    if files:
        folder = next(iter(files.values())).parent
        parts[0] += f"，文件在文件夹 {folder} 中"
    failed = summary["failed_identities"]
    parts.append(f"勾稽关系不成立：{'、'.join(failed)}" if failed else "勾稽关系检查通过")
    if summary["missing"]:
        parts.append("尚缺：" + "；".join(clause(m) for m in summary["missing"]))
    if summary["unfinished"]:
        parts.append(
            f"叙述待填写：{'、'.join(summary['unfinished'])}（编辑文件 {summary['narrative_file']}）"
        )
    return "".join(f"{clause(p)}。" for p in parts)


def _readiness_run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"annual-report-readiness-{as_of}"


@flow(name="annual-report-readiness", flow_run_name=_readiness_run_name)
def annual_report_readiness(as_of: date | None = None, scheduled: bool = False) -> dict[str, Any]:
    """年度报告准备情况（每年1月定时运行）：提醒管理员上一年度报告在1月31日前须发布，并列出尚缺的内容
    （未办结申请、其他系统的年度数据、叙述部分）。"""
    from gongkai.tasks.common import record_if_settled

    from gongkai.core.clockseam import office_today
    from gongkai.core.messages import late_note
    from gongkai.report.build import readiness_text

    cfg = settings()
    day = business_date(as_of, cfg)
    state = check_readiness(day.year - 1)
    if not state["final"]:
        text = late_note(day, office_today(cfg.tz)) + readiness_text(state)
        notify_administrators(
            day,
            f"report-readiness:{day.year - 1}:{day.isoformat()}",
            "report_readiness",
            text,
            ref=str(day.year - 1),
        )
    return {**state, **record_if_settled("annual-report-readiness", day.isoformat(), cfg)}
