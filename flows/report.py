"""The annual-report flows: ``annual-report`` (the administrator triggers it each January) and
``annual-report-readiness`` (scheduled in January: what is still missing before 31 January)."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.common import artifact, business_date, period_done, settings, settle_period
from gongkai.tasks.notify import notify_administrators
from gongkai.tasks.report import build_annual_report, check_readiness
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from gongkai.services.processes import ReadinessRunSummary, Skipped

READINESS = "report_readiness"


def _report_year(year: int | None) -> int:
    return year if year is not None else business_date(None, settings()).year - 1


def _report_run_name() -> str:
    return f"annual-report-{_report_year(flow_run.parameters.get('year'))}"


@flow(name="annual-report", flow_run_name=_report_run_name)
def annual_report(
    year: int | None = None,
    as_of: date | None = None,
    scheduled: bool = False,
    requested_by: str | None = None,
    office: str | None = None,
) -> dict[str, Any]:
    """年度报告：按登记簿统计表二、表三、表四，检查勾稽关系 I1–I8，保存新版本并生成 JSON、HTML、Markdown、DOCX、PDF，
    在 Prefect 界面列出文件并通知管理员。year：报告年度（默认上一年）；requested_by：在工作台发起生成的人员标识；
    office：单位代码（配置文件夹中有多个单位时）。"""
    day = business_date(as_of, settings())
    built = build_annual_report(year if year is not None else day.year - 1, requested_by)
    artifact("annual-report", built.markdown(), f"{built.year} 年度报告第 {built.version} 版")
    notify_administrators("report", day, built.notice())
    return built.to_json()


def _readiness_run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"annual-report-readiness-{as_of}"


@flow(name="annual-report-readiness", flow_run_name=_readiness_run_name)
def annual_report_readiness(
    as_of: date | None = None, scheduled: bool = False, office: str | None = None, follow_up: int = 0
) -> dict[str, Any]:
    """年度报告准备情况（每年1月定时运行）：提醒管理员上一年度报告在1月31日前须发布，并列出尚缺的内容
    （未办结申请、其他系统的年度数据、叙述部分）。"""
    day = business_date(as_of, settings())
    if scheduled and period_done(READINESS, day):
        get_run_logger().info("The report readiness of %s was already done: nothing to do.", day.isoformat())
        return Skipped(day).to_json()
    checked = check_readiness(day)
    if checked.notice is not None:
        notify_administrators(READINESS, day, checked.notice)
    return ReadinessRunSummary(checked.readiness, settle_period(READINESS, day)).to_json()
