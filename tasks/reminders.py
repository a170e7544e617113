"""Tasks of the daily deadline-reminder flow: plan into the outbox, deliver, record the run.

Three task runs per flow run whatever the number of applications: the work is done in SQL and in
batches inside each task, not one task per application.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from gongkai.tasks.common import database, deliver_outbox, owed_summary, settings, unsettled
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gongkai.notify.outbox import write_outbox
from gongkai.register import repository as register
from gongkai.reminders.plan import plan_reminders
from gongkai.store.db import session_scope
from gongkai.store.models import ReminderRun, utcnow
from gongkai.store.schedule import record_completed


@task(name="plan-reminders", retries=2, retry_delay_seconds=10)
def plan_reminders_into_outbox(as_of: date) -> dict[str, int]:
    """Decide which reminders are due on the business date and write them to the outbox.

    Idempotent: the outbox's unique key makes a retried or overlapping run add nothing twice;
    pending reminders that today's plan no longer contains are superseded (no stale flood).
    """
    cfg = settings()
    with database() as engine, session_scope(engine) as session:
        calendar = register.load_calendar(session)
        planned = plan_reminders(session, settings=cfg, calendar=calendar, as_of=as_of)
        counts = write_outbox(session, planned, settings=cfg, as_of=as_of, now=datetime.now(UTC))
    result = {
        "due": counts.due,
        "new": counts.new,
        "already_sent": counts.already_sent,
        "superseded": counts.superseded,
        "escalated": counts.escalated,
        "unroutable": counts.unroutable,
    }
    get_run_logger().info("Planned reminders for %s: %s", as_of.isoformat(), result)
    return result


# No Prefect retries on sending: delivery is not idempotent by itself. The outbox is, and it
# retries failed channels with backoff within the run and again on the next run.
@task(name="send-reminders")
def send_reminders(as_of: date) -> dict[str, int]:
    """Send one digest per recipient and channel from the outbox; mark each sent only on success."""
    with database() as engine:
        counts = deliver_outbox(engine, settings(), as_of)
    result = {
        "sent": counts.sent,
        "messages": counts.messages,
        "failed": counts.failed,
        "possible_repeats": counts.possible_repeats,
        "alerts": counts.alerts,
    }
    get_run_logger().info("Delivered reminders for %s: %s", as_of.isoformat(), result)
    return result


@task(name="record-reminder-run")
def record_run(
    as_of: date, planned: dict[str, int], delivered: dict[str, int], flow_name: str, flow_run_id: str | None
) -> dict[str, Any]:
    """Store the run's summary, mark the business day done when every reminder is confirmed delivered
    (otherwise the day stays open: the next run or the service's retry finishes it), publish an artifact."""
    with database() as engine, session_scope(engine) as session:
        owed = unsettled(engine, settings())
        session.add(
            ReminderRun(
                as_of=as_of,
                finished_at=utcnow(),
                due=planned["due"],
                sent=delivered["sent"],
                failed=delivered["failed"],
                escalated=planned["escalated"],
                already_sent=planned["already_sent"],
                superseded=planned["superseded"],
                flow_run_id=flow_run_id,
            )
        )
        if owed.total == 0:
            record_completed(session, flow_name, as_of.isoformat())
    summary = {"as_of": as_of.isoformat(), **planned, **delivered, **owed_summary(owed)}
    create_markdown_artifact(
        key="deadline-reminders",
        markdown=summary_markdown(summary),
        description=f"期限提醒 {as_of.isoformat()}",
    )
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as a Markdown table for the Prefect UI (counts only, no personal data)."""
    labels = [
        ("due", "今日应提醒（条×渠道）"),
        ("new", "新写入待发"),
        ("sent", "已发送"),
        ("failed", "发送失败（下次重试）"),
        ("already_sent", "此前已发送"),
        ("superseded", "被更新的提醒取代"),
        ("escalated", "升级给负责人/管理员"),
        ("unroutable", "收件人未配置通知渠道"),
        ("messages", "发出的汇总消息"),
        ("possible_repeats", "可能重复的重发"),
        ("alerts", "发给管理员的送达告警"),
        ("outstanding", "尚未确认送达（将重试）"),
        ("interrupted", "其中发送被中断（租约到期后重发，标注可能重复）"),
    ]
    lines = [f"## 期限提醒 {summary['as_of']}", "", "| 项目 | 数量 |", "| --- | ---: |"]
    lines += [f"| {label} | {summary.get(key, 0)} |" for key, label in labels]
    if summary.get("retry_at"):
        lines += ["", f"最早可重试时间（UTC）：{summary['retry_at']}；本日期在全部送达前不记为已完成。"]
    return "\n".join(lines) + "\n"
