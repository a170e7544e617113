"""The ``nightly-backup`` flow: every night at ``[backup] time`` (office time zone), a consistent copy of the
whole database into ``[backup] folder``, the oldest of Gongkai's own backups beyond ``[backup] keep`` deleted.
When it fails, the administrators are told through the outbox (once per day) and the run fails in Prefect."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.backup import alert_backup_failed, backup_database
from gongkai.tasks.common import business_date, settings
from prefect import flow
from prefect.runtime import flow_run

FLOW_NAME = "nightly-backup"


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"{FLOW_NAME}-{as_of}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def nightly_backup(
    as_of: date | None = None, scheduled: bool = False, office: str | None = None
) -> dict[str, Any]:
    """夜间数据备份：把整个数据库一致地备份到 [backup] folder（文件 0600，文件夹 0700），只保留最近 [backup] keep 份
    本系统生成的备份；失败时通知管理员（每天一次），本次运行记为失败。"""
    day = business_date(as_of, settings())
    try:
        made = backup_database(day)
    except Exception as exc:
        alert_backup_failed(day, exc)
        raise
    return made.to_json()
