"""The ``content-review`` flow: the weekly review of published, withheld and pending information
(Art. 17, 18; ogi-rules.md 3.3). What it finds becomes review tasks for the items' owners, recorded
with ``gongkai review record``; tasks left undone are escalated daily by ``deadline-reminders``."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.common import artifact, business_date, period_done, settings, settle_period
from gongkai.tasks.review import review_content, send_review_notices
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from gongkai.services.processes import ReviewRunSummary, Skipped

FLOW_NAME = "content-review"
PROCESS = "review"


def _run_name() -> str:
    as_of = flow_run.parameters.get("as_of") or business_date(None, settings())
    return f"{FLOW_NAME}-{as_of}"


@flow(name=FLOW_NAME, flow_run_name=_run_name)
def content_review(
    as_of: date | None = None, scheduled: bool = False, office: str | None = None, follow_up: int = 0
) -> dict[str, Any]:
    """定期内容检查（每周）：已公开信息的定期复查、有效期届满、已废止仍标注有效、公开内容中的个人信息（身份证号码、
    手机号码）、网站栏目空白或长期未更新、不予公开信息的定期评估、待发布前审查的信息；发现的问题生成检查任务并通知
    负责人，处理结果用 gongkai review record 登记。"""
    day = business_date(as_of, settings())
    if scheduled and period_done(PROCESS, day):
        get_run_logger().info("The content review of the week of %s was already done: nothing to do.", day)
        return Skipped(day).to_json()
    found = review_content(day, str(flow_run.id) if flow_run.id else None)
    artifact("content-review", found.markdown, f"定期内容检查 {day.isoformat()}")
    delivered = send_review_notices(day)
    # The week is done only once its notices are confirmed delivered.
    return ReviewRunSummary(found.counts, delivered, settle_period(PROCESS, day)).to_json()
