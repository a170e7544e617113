"""Tasks of the annual-report flows: build the documents, check readiness, tell the administrator."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from gongkai.tasks.common import database, deliver_outbox, settings
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from gongkai.core.messages import PlannedReminder
from gongkai.core.settings import gongkai_home
from gongkai.notify.outbox import write_outbox
from gongkai.store.db import session_scope


@task(name="build-annual-report")
def build_annual_report(year: int, by: str = "annual-report") -> dict[str, Any]:
    """Compute the statistics, check the identities, store a new version and write every format."""
    from gongkai.report.build import build_report

    cfg = settings()
    with database() as engine, session_scope(engine) as session:
        result = build_report(
            session,
            settings=cfg,
            year=year,
            home=gongkai_home(),
            by=by,
            formats=("json", "html", "md", "docx", "pdf"),
        )
    summary = {
        "year": year,
        "version": result.version,
        "files": {fmt: str(path) for fmt, path in result.files.items()},
        "failed_identities": [c.id for c in result.hard_failures],
        "warnings": [f"{c.id}：{c.message}" for c in result.warnings],
        "missing": result.missing,
        "unfinished": result.unfinished,
        "narrative_file": str(result.narrative_file),
    }
    get_run_logger().info(
        "Annual report %s v%s: %d file(s), failed identities %s",
        year,
        result.version,
        len(result.files),
        summary["failed_identities"] or "none",
    )
    return summary


@task(name="report-readiness")
def check_readiness(year: int) -> dict[str, Any]:
    """What is still missing before the report of ``year`` can be made final."""
    from gongkai.report.build import readiness

    with database() as engine, session_scope(engine) as session:
        return readiness(session, year=year, home=gongkai_home())


@task(name="notify-administrators")
def notify_administrators(
    as_of: date, key: str, kind: str, text: str, ref: str | None = None, recipients: tuple[str, ...] = ()
) -> dict[str, int]:
    """One message to the administrators (or ``recipients``) through the outbox: once per key, retried
    like reminders."""
    cfg = settings()
    admins = recipients or tuple(s.id for s in cfg.staff if s.has_role("administrator"))
    planned = [
        PlannedReminder(key=key, recipients=admins, kind=kind, ref=ref, deadline=None, urgency=1, text=text)
    ]
    with database() as engine:
        with session_scope(engine) as session:
            # Only this key: an empty plan for everything else must not supersede today's reminders.
            counts = write_outbox(
                session, planned, settings=cfg, as_of=as_of, now=datetime.now(UTC), supersede=False
            )
        sent = deliver_outbox(engine, cfg, as_of)
    return {"due": counts.due, "sent": sent.sent, "failed": sent.failed}


def artifact(key: str, markdown: str, description: str) -> None:
    """Publish a markdown artifact (keys: lowercase letters, digits and dashes)."""
    create_markdown_artifact(key=key, markdown=markdown, description=description)
