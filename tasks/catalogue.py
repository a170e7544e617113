"""Tasks of the quarterly catalogue update."""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import works
from prefect import get_run_logger, task

from gongkai.services import processes
from gongkai.services.actor import Actor


@task(name="update-catalogue")
def update_catalogue_task(as_of: date) -> processes.CatalogueUpdated:
    """Build the catalogue and the guide, diff against the last snapshot, check completeness, store."""
    with works() as office:
        update = processes.update_catalogue(office, Actor.schedule("catalogue"), as_of)
    counts = update.counts
    get_run_logger().info(
        "Catalogue %s: %d entries, %d finding(s)", counts.period, counts.entries, counts.findings
    )
    return update
