"""The ``catalogue-update`` flow: quarterly (and on demand) reconciliation of the disclosure catalogue
and guide. The per-item Art. 26 deadline is reminded daily by ``deadline-reminders``; this is the
reconciliation, not the only safeguard."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.catalogue import update_catalogue_task
from gongkai.tasks.common import artifact, business_date, period_done, settings, settle_period
from gongkai.tasks.notify import notify_administrators
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from gongkai.services.processes import CatalogueRunSummary, Skipped

FLOW_NAME = "catalogue-update"
PROCESS = "catalogue"


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"{FLOW_NAME}-{as_of}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def catalogue_update(
    as_of: date | None = None, scheduled: bool = False, office: str | None = None, follow_up: int = 0
) -> dict[str, Any]:
    """政府信息公开目录和指南季度更新：按数据生成目录（HTML、XLSX、CSV、Markdown）和指南，与上一期比较（新增、变更、
    废止、撤下），检查完整性（必填项、第二十六条逾期、未审核、已废止仍显示有效、指南联系方式、标准目录事项），
    保存快照并把摘要发给目录负责人。"""
    day = business_date(as_of, settings())
    if scheduled and period_done(PROCESS, day):
        get_run_logger().info("The catalogue update of %s was already done: nothing to do.", day.isoformat())
        return Skipped(day).to_json()
    update = update_catalogue_task(day)
    artifact("catalogue-update", update.markdown, f"公开目录 {update.counts.period}")
    notify_administrators(PROCESS, day, update.notice)
    # The quarter is done only once the owner's notice is confirmed delivered.
    return CatalogueRunSummary(update.counts, settle_period(PROCESS, day)).to_json()
