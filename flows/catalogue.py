"""The ``catalogue-update`` flow: quarterly (and on demand) reconciliation of the disclosure catalogue
and guide. The per-item Art. 26 deadline is reminded daily by ``deadline-reminders``; this is the
reconciliation, not the only safeguard."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.common import business_date, settings
from gongkai.tasks.report import artifact, notify_administrators
from prefect import flow
from prefect.runtime import flow_run

FLOW_NAME = "catalogue-update"


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"{FLOW_NAME}-{as_of}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def catalogue_update(as_of: date | None = None, scheduled: bool = False) -> dict[str, Any]:
    """政府信息公开目录和指南季度更新：按数据生成目录（HTML、XLSX、CSV、Markdown）和指南，与上一期比较（新增、变更、
    废止、撤下），检查完整性（必填项、第二十六条逾期、未审核、已废止仍显示有效、指南联系方式、标准目录事项），
    保存快照并把摘要发给目录负责人。"""
    from gongkai.tasks.catalogue import update_catalogue_task
    from gongkai.tasks.common import database, record_if_settled

    from gongkai.store.db import session_scope
    from gongkai.store.schedule import is_done, period_of

    cfg = settings()
    day = business_date(as_of, cfg)
    period = period_of("quarter", day)
    if scheduled:
        with database() as engine, session_scope(engine) as session:
            if is_done(session, FLOW_NAME, period):
                return {"as_of": day.isoformat(), "skipped": True}
    result = update_catalogue_task(day)
    artifact("catalogue-update", result.pop("markdown"), f"公开目录 {result['period']}")
    owner = cfg.catalogue.owner or next(s.id for s in cfg.staff if s.has_role("administrator"))
    notify_administrators(
        day,
        f"catalogue:{result['period']}:{day.isoformat()}",
        "catalogue",
        result.pop("digest"),
        ref=result["period"],
        recipients=(owner,),
    )
    # The quarter is done only once the owner's notice is confirmed delivered.
    return {**result, **record_if_settled(FLOW_NAME, period, cfg)}
