"""Tasks of the annual-report flows: build the documents, check readiness."""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import works
from prefect import get_run_logger, task

from gongkai.services import processes
from gongkai.services.actor import Actor


@task(name="build-annual-report")
def build_annual_report(year: int, requested_by: str | None = None) -> processes.ReportBuilt:
    """Compute the statistics, check the identities, store a new version and write every format; the version
    is recorded as built by ``requested_by`` (the staff member who pressed the desk's button) when given."""
    with works() as office:
        actor = Actor.staff(office.settings, requested_by) if requested_by else Actor.schedule("report")
        built = processes.build_annual_report(office, actor, year)
    get_run_logger().info(
        "Annual report %s v%s: %d file(s), failed identities %s",
        year,
        built.version,
        len(built.files),
        list(built.failed_identities) or "none",
    )
    return built


@task(name="report-readiness")
def check_readiness(as_of: date) -> processes.ReadinessChecked:
    """What is still missing before last year's report can be made final."""
    with works() as office:
        return processes.check_readiness(office, Actor.schedule("report_readiness"), as_of)
