"""Tasks of the weekly content review: find and sync the tasks (with their notices, in one
transaction), then deliver. Two task runs whatever the number of items."""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import works
from prefect import get_run_logger, task

from gongkai.services import processes
from gongkai.services.actor import Actor

ACTOR = Actor.schedule("review")


@task(name="review-content", retries=2, retry_delay_seconds=10)
def review_content(as_of: date, flow_run_id: str | None = None) -> processes.ReviewFound:
    """Find what needs reviewing, open or close the review tasks, store the run and queue the notices.

    Idempotent: tasks and notices are keyed (a retried or overlapping run adds nothing twice) and all
    of it is written in one transaction, so a crash leaves either the whole run or nothing.
    """
    with works() as office:
        found = processes.review_content(office, ACTOR, as_of, flow_run_id)
    counts = {k: v for k, v in found.counts.to_json().items() if k not in ("by_kind", "figures")}
    get_run_logger().info("Content review %s: %s", as_of.isoformat(), counts)
    return found


# No Prefect retries on sending: the outbox retries failed channels itself (see tasks.reminders).
@task(name="send-review-notices")
def send_review_notices(as_of: date) -> processes.Delivered:
    """Deliver the queued notices (one digest per person and channel; each reminder once)."""
    with works() as office:
        return processes.deliver(office, ACTOR, as_of)
