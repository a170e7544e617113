"""Tasks of the weekly content review: find and sync the tasks (with their notices, in one
transaction), then deliver. Two task runs whatever the number of items."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from gongkai.tasks.common import database, deliver_outbox, settings
from prefect import get_run_logger, task

from gongkai.notify.outbox import write_outbox
from gongkai.register import repository as register
from gongkai.store.db import session_scope


@task(name="review-content", retries=2, retry_delay_seconds=10)
def review_content(as_of: date, flow_run_id: str | None = None) -> dict[str, Any]:
    """Find what needs reviewing, open or close the review tasks, store the run and queue the notices.

    Idempotent: tasks and notices are keyed (a retried or overlapping run adds nothing twice) and all
    of it is written in one transaction, so a crash leaves either the whole run or nothing.
    """
    from datetime import timedelta

    from gongkai.review.periodic import history, run_review, summary_markdown, year_figures

    cfg = settings()
    with database() as engine, session_scope(engine) as session:
        result = run_review(
            session,
            settings=cfg,
            calendar=register.load_calendar(session),
            as_of=as_of,
            flow_run_id=flow_run_id,
        )
        # Supersedes only this flow's notices of earlier weeks still pending (this week's plan replaces them).
        queued = write_outbox(session, result.notices, settings=cfg, as_of=as_of, now=datetime.now(UTC),
                              supersede={"review"})  # fmt: skip
        figures = year_figures(session, as_of.year)
        recent = history(session, since=as_of - timedelta(days=7))
    names = {s.id: s.name for s in cfg.staff}
    get_run_logger().info("Content review %s: %s", as_of.isoformat(), {k: v for k, v in result.counts.items()
                                                                      if k != "by_kind"})  # fmt: skip
    return {
        "as_of": as_of.isoformat(),
        "period": result.period,
        **result.counts,
        "notices": queued.due,
        "figures": figures,
        "markdown": summary_markdown(result, figures, names=names, recent=recent),
    }


# No Prefect retries on sending: the outbox retries failed channels itself (see tasks.reminders).
@task(name="send-review-notices")
def send_review_notices(as_of: date) -> dict[str, int]:
    """Deliver the queued notices (one digest per person and channel; each reminder once)."""
    with database() as engine:
        counts = deliver_outbox(engine, settings(), as_of)
    return {"sent": counts.sent, "failed": counts.failed, "messages": counts.messages}
