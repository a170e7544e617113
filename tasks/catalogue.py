"""Tasks of the quarterly catalogue update."""

from __future__ import annotations

from datetime import date
from typing import Any

from gongkai.tasks.common import database, settings
from prefect import get_run_logger, task

from gongkai.core.settings import gongkai_home
from gongkai.register import repository as register
from gongkai.store.db import session_scope


@task(name="update-catalogue")
def update_catalogue_task(as_of: date) -> dict[str, Any]:
    """Build the catalogue and the guide, diff against the last snapshot, check completeness, store."""
    from gongkai.catalogue.build import digest_text, quarter_of, summary_markdown, update_catalogue
    from gongkai.core.clockseam import office_today
    from gongkai.core.messages import late_note

    cfg = settings()
    period, _, _ = quarter_of(as_of)
    with database() as engine, session_scope(engine) as session:
        update = update_catalogue(
            session,
            settings=cfg,
            calendar=register.load_calendar(session),
            as_of=as_of,
            out_dir=gongkai_home() / "catalogue" / period,
        )
    get_run_logger().info(
        "Catalogue %s: %d entries, %d finding(s)", period, update.entries, len(update.findings)
    )
    return {
        "as_of": as_of.isoformat(),
        "period": update.period,
        "entries": update.entries,
        "diff": {k: len(v) for k, v in update.diff.as_dict().items()},
        "findings": len(update.findings),
        "files": {k: str(v) for k, v in update.files.items()},
        "markdown": summary_markdown(update),
        "digest": digest_text(
            update, public_url=cfg.catalogue.public_url, late_note=late_note(as_of, office_today(cfg.tz))
        ),
    }
