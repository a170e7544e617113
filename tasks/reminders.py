"""Tasks of the daily deadline-reminder flow: plan into the outbox, deliver, record the run.

Three task runs per flow run whatever the number of applications: the work is done in SQL and in
batches inside each service call, not one task per application.
"""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import artifact, follow_up, works
from prefect import get_run_logger, task

from gongkai.services import processes
from gongkai.services.actor import Actor

ACTOR = Actor.schedule("reminders")


@task(name="plan-reminders", retries=2, retry_delay_seconds=10)
def plan_reminders_into_outbox(as_of: date) -> processes.PlanCounts:
    """Decide which reminders are due on the business date and write them to the outbox.

    Idempotent: the outbox's unique key makes a retried or overlapping run add nothing twice;
    pending reminders that today's plan no longer contains are superseded (no stale flood).
    """
    with works() as office:
        counts = processes.plan_reminders(office, ACTOR, as_of)
    get_run_logger().info("Planned reminders for %s: %s", as_of.isoformat(), counts.to_json())
    return counts


# No Prefect retries on sending: delivery is not idempotent by itself. The outbox is, and it
# retries failed channels with backoff within the run and again on the next run.
@task(name="send-reminders")
def send_reminders(as_of: date) -> processes.Delivered:
    """Send one digest per recipient and channel from the outbox; mark each sent only on success."""
    with works() as office:
        counts = processes.deliver(office, ACTOR, as_of)
    get_run_logger().info("Delivered reminders for %s: %s", as_of.isoformat(), counts.to_json())
    return counts


@task(name="record-reminder-run")
def record_run(
    as_of: date, planned: processes.PlanCounts, delivered: processes.Delivered, flow_run_id: str | None
) -> processes.ReminderRunSummary:
    """Store the run's summary, mark the business day done when every reminder is confirmed delivered
    (otherwise the day stays open: the next run or the service's retry finishes it), publish an artifact."""
    with works() as office:
        summary = processes.record_reminder_run(office, ACTOR, as_of, planned, delivered, flow_run_id)
    artifact("deadline-reminders", summary.markdown(), f"期限提醒 {as_of.isoformat()}")
    follow_up("reminders", as_of, summary.settled)
    return summary
