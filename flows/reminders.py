"""The ``deadline-reminders`` flow: every working morning, the right reminder to the right person.

Runs daily from ``[schedules] reminders`` (default 08:30 in the office's time zone) and on demand
with ``gongkai run reminders --as-of DATE``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.common import business_date, period_done, settings
from gongkai.tasks.reminders import plan_reminders_into_outbox, record_run, send_reminders
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from gongkai.services.processes import Skipped

FLOW_NAME = "deadline-reminders"
PROCESS = "reminders"


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of")
    if as_of is None:
        as_of = business_date(None, settings())
    return f"{FLOW_NAME}-{as_of}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def deadline_reminders(
    as_of: date | None = None, scheduled: bool = False, office: str | None = None, follow_up: int = 0
) -> dict[str, Any]:
    """每日期限提醒：按业务日期计算每件未办结申请和待公开事项应发的提醒，写入待发队列后按人汇总发送，
    每条提醒只发一次；发送失败的留待重试，并提醒管理员。

    as_of: 业务日期（默认：本单位时区的今天）。scheduled: 定时运行时为 True —— 当天已完成则跳过。
    office: 单位代码（配置文件夹中有多个单位时）。follow_up: 县级部署中未送达提醒的补发运行序号（系统自动填写）。
    """
    day = business_date(as_of, settings())
    if scheduled and period_done(PROCESS, day):
        get_run_logger().info("Reminders for %s were already done: nothing to do.", day.isoformat())
        return Skipped(day).to_json()
    planned = plan_reminders_into_outbox(day)
    delivered = send_reminders(day)
    summary = record_run(day, planned, delivered, str(flow_run.id) if flow_run.id else None)
    return summary.to_json()
