"""The county's read-only view over every office in the database: one year's report tables (``gongkai county
report``) and each office's work as it stands (``gongkai county status``, the desk's ``/county`` page).

Each office's tables are taken from the one definition its own report uses: its stored final report when it has
finalized the year (已定稿), else :func:`gongkai.report.stats.compute_statistics` on a session scoped to it
(未定稿（实时统计）). One statement lists the offices with their final reports; an office counted live then costs the
two statements of its own statistics, nothing per application.

Who may: a ``county`` person (the county's open-government office is one more office of the configuration folder;
its staff sign in to its desk like any staff and change nothing anywhere) or an ``administrator`` (the command line,
run by the server's administrator, acts as the trusted operator).

The overview (:func:`county_overview`) counts with the definitions each office's own pages use: an application is
overdue when open past its cached ``safe_due`` (the 待办 and the unit head's list), due soon when not overdue and at
most :data:`DUE_SOON_DAYS` working days are left before it (``request list --due-within``: not while awaiting the
applicant's correction), an item awaits publication as
in ``item list --unpublished`` and is late past its Art. 26 date (:func:`~gongkai.register.deadlines.publication_due`),
a review task is overdue when open past its ``due_on``, an outbox row is unconfirmed while ``pending`` or ``sending``
(alerts apart, as :func:`gongkai.notify.outbox.outstanding`), and the report's readiness is that of the January
check (:func:`gongkai.report.build.readiness`: final, or the yearly figures still missing). Each is one statement
grouped by office over all offices together (eight statements whatever the number of offices).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from gongkai.services.actor import Actor, require_any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gongkai.report.county import CountyReport

__all__ = [
    "COUNTY_REPORT_FORMATS",
    "DUE_SOON_DAYS",
    "CountyOverview",
    "OfficeStatus",
    "county_overview",
    "county_report",
    "county_report_document",
]

COUNTY_READERS: Final = ("county",)
"""Who reads across offices: the county's people (and the trusted operator at the server's terminal, who holds every
role). An office's own administrator does not: data of one office is never visible to another (CONTRACT section 7)."""
DUE_SOON_DAYS: Final = 3
"""Working days left before ``safe_due`` within which an open application counts as due soon (not yet overdue)."""


def county_report(engine: Engine, actor: Actor, year: int) -> CountyReport:
    """Tables 二, 三 and 四 of ``year`` for every office (ordered by code), their total, and identities I1–I5 checked
    on each office and on the total. Raises :class:`~gongkai.core.errors.InputError` (exit 2) for a year outside
    the report's range, :class:`~gongkai.core.errors.NotAllowed` unless ``actor`` is ``county`` (or the
    operator)."""
    import sqlalchemy as sa

    from gongkai.core.errors import InputError
    from gongkai.report.county import FINAL, LIVE, CountyReport, OfficeTables, hard_failures
    from gongkai.report.stats import MAX_YEAR, MIN_YEAR, compute_statistics
    from gongkai.store.db import session_scope
    from gongkai.store.tables import OFFICE, REPORT

    require_any(actor, COUNTY_READERS, "汇总各单位的年度报告数据")
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InputError(f"报告年度应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，实际为“{year}”。")
    final = (
        sa.select(REPORT.c.office_id, REPORT.c.version, REPORT.c.data)
        .where(REPORT.c.year == year, REPORT.c.status == "final")
        .subquery()
    )
    listing = (
        sa.select(OFFICE.c.id, OFFICE.c.code, OFFICE.c.name, final.c.version, final.c.data)
        .select_from(OFFICE.outerjoin(final, final.c.office_id == OFFICE.c.id))
        .order_by(OFFICE.c.code, final.c.version.desc())
    )
    # Not scoped to one office: it reads the office list and each office's final report of the year (figures only).
    with session_scope(engine) as session:
        rows = session.execute(listing).all()
    offices: list[OfficeTables] = []
    seen: set[int] = set()
    for office_id, code, name, version, data in rows:
        if office_id in seen:  # an older final version (only the latest one counts)
            continue
        seen.add(office_id)
        shown = (name or "").strip() or code
        if data is not None:
            doc = json.loads(data)
            offices.append(
                OfficeTables(
                    code,
                    shown,
                    FINAL,
                    int(version),
                    doc["proactive"],
                    doc["requests"],
                    doc["appeals"],
                    hard_failures(doc),
                )
            )
            continue
        with session_scope(engine, office_id) as session:
            stats = compute_statistics(session, year=year, office_name=shown)
        offices.append(
            OfficeTables(
                code,
                shown,
                LIVE,
                None,
                stats.proactive,
                stats.requests,
                stats.appeals,
                hard_failures(stats.to_json()),
                stats.missing,
            )
        )
    return CountyReport.of(year, offices)


REPORT_NONE: Final = "none"
REPORT_DRAFT: Final = "draft"
REPORT_FINAL: Final = "final"


@dataclass(frozen=True)
class OfficeStatus:
    """One office's work as of the overview's date (see the module's docstring for each count)."""

    code: str
    name: str
    open_applications: int = 0
    overdue: int = 0
    due_soon: int = 0
    pending_extensions: int = 0
    items_unpublished: int = 0
    items_late: int = 0
    review_open: int = 0
    review_overdue: int = 0
    outbox_unconfirmed: int = 0
    outbox_failed: int = 0
    """Unconfirmed rows whose sending already failed at least once."""
    report_status: str = REPORT_NONE
    """Last year's report: ``none`` (no version built), ``draft`` or ``final``."""
    report_version: int | None = None
    """The latest version (the final one once final)."""
    missing_figures: tuple[str, ...] = ()
    """Labels of last year's yearly figures not entered (none once final)."""

    @property
    def report_label(self) -> str:
        """Last year's report in Chinese: 未生成, 草稿第 N 版, 已定稿（第 N 版）."""
        if self.report_status == REPORT_FINAL:
            return f"已定稿（第 {self.report_version} 版）"
        if self.report_status == REPORT_DRAFT:
            return f"草稿第 {self.report_version} 版"
        return "未生成"

    def to_json(self) -> dict[str, Any]:
        """The keys of ``gongkai county status --json`` (README)."""
        return {
            "code": self.code,
            "name": self.name,
            "open_applications": self.open_applications,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "pending_extensions": self.pending_extensions,
            "items_unpublished": self.items_unpublished,
            "items_late": self.items_late,
            "review_open": self.review_open,
            "review_overdue": self.review_overdue,
            "outbox_unconfirmed": self.outbox_unconfirmed,
            "outbox_failed": self.outbox_failed,
            "report_status": self.report_status,
            "report_version": self.report_version,
            "missing_figures": list(self.missing_figures),
        }


COUNTED: Final = (
    "open_applications",
    "overdue",
    "due_soon",
    "pending_extensions",
    "items_unpublished",
    "items_late",
    "review_open",
    "review_overdue",
    "outbox_unconfirmed",
    "outbox_failed",
)
"""The counts of :class:`OfficeStatus` that add up over the county."""


@dataclass(frozen=True)
class CountyOverview:
    """Every office's status (ordered by code), the county's totals, the date counted as of and the report year
    (the year before it)."""

    as_of: date
    report_year: int
    offices: tuple[OfficeStatus, ...]
    totals: Mapping[str, int] = field(default_factory=dict)

    @property
    def january(self) -> bool:
        """Whether the date is in January, when last year's report is due (by 31 January): shown prominently."""
        return self.as_of.month == 1

    @property
    def reports_final(self) -> int:
        """How many offices have made last year's report final."""
        return sum(1 for o in self.offices if o.report_status == REPORT_FINAL)

    def to_json(self) -> dict[str, Any]:
        """``gongkai county status --json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "report_year": self.report_year,
            "offices": [o.to_json() for o in self.offices],
            "totals": {**self.totals, "offices": len(self.offices), "reports_final": self.reports_final},
        }


def county_overview(engine: Engine, actor: Actor, as_of: date) -> CountyOverview:
    """Each office's open, overdue and unpublished work and last year's report readiness as of ``as_of``, one row
    per office in the database (ordered by code) and the totals. :class:`~gongkai.core.errors.NotAllowed` unless
    ``actor`` is ``county`` (or the operator). Reads only."""
    import sqlalchemy as sa

    from gongkai.catalogue.items import awaiting_publication
    from gongkai.notify.outbox import ALERT_KIND, PENDING, SENDING
    from gongkai.register import repository as register
    from gongkai.register.deadlines import publication_due
    from gongkai.report.stats import FIGURE_KEYS
    from gongkai.store.db import session_scope
    from gongkai.store.tables import APP, EXTENSION_REQUEST, FIGURE, ITEM, OFFICE, OUTBOX, REPORT, REVIEW_TASK

    require_any(actor, COUNTY_READERS, "查看全县各单位的工作状态")
    year = as_of.year - 1
    counts: dict[int, dict[str, int]] = {}

    def add(office_id: int, **values: int) -> None:
        row = counts.setdefault(int(office_id), {})
        for key, value in values.items():
            row[key] = row.get(key, 0) + value

    def when(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    # Not scoped to one office: it counts every office's rows, grouped by office (figures only, no personal data).
    with session_scope(engine) as session:
        calendar = register.load_calendar(session)
        soon_before = calendar.add_workdays(as_of, DUE_SOON_DAYS + 1)  # working days left <= DUE_SOON_DAYS
        offices = session.execute(
            sa.select(OFFICE.c.id, OFFICE.c.code, OFFICE.c.name).order_by(OFFICE.c.code)
        ).all()
        a = APP.c
        for office_id, total, overdue, soon in session.execute(
            sa.select(
                a.office_id,
                sa.func.count(),
                when(a.safe_due < as_of),
                # a clock stopped for the applicant's correction has no working days left (``--due-within`` leaves it out)
                when(
                    sa.and_(a.safe_due >= as_of, a.safe_due < soon_before, a.state != "awaiting_correction")
                ),
            )
            .where(a.concluded_on.is_(None))
            .group_by(a.office_id)
        ):
            add(office_id, open_applications=int(total), overdue=int(overdue), due_soon=int(soon))
        x = EXTENSION_REQUEST.c
        for office_id, pending in session.execute(
            sa.select(x.office_id, sa.func.count()).where(x.status == "pending").group_by(x.office_id)
        ):
            add(office_id, pending_extensions=int(pending))
        i = ITEM.c
        dates = (i.attribute, i.withdrawn_on, i.published_on, i.changed_on, i.generated_on)
        for row in session.execute(
            sa.select(i.office_id, *dates, sa.func.count().label("n"))
            .where(*awaiting_publication())
            .group_by(i.office_id, *dates)
        ):
            due = publication_due(row, calendar)
            add(
                row.office_id,
                items_unpublished=int(row.n),
                items_late=int(row.n) if due and due < as_of else 0,
            )
        t = REVIEW_TASK.c
        for office_id, total, overdue in session.execute(
            sa.select(t.office_id, sa.func.count(), when(t.due_on < as_of))
            .where(t.status == "open")
            .group_by(t.office_id)
        ):
            add(office_id, review_open=int(total), review_overdue=int(overdue))
        o = OUTBOX.c
        for office_id, total, failed in session.execute(
            sa.select(o.office_id, sa.func.count(), when(o.attempts > 0))
            .where(o.status.in_([PENDING, SENDING]), o.kind != ALERT_KIND)
            .group_by(o.office_id)
        ):
            add(office_id, outbox_unconfirmed=int(total), outbox_failed=int(failed))
        r = REPORT.c
        reports: dict[int, tuple[str, int]] = {}
        for office_id, status, version in session.execute(
            sa.select(r.office_id, r.status, sa.func.max(r.version))
            .where(r.year == year)
            .group_by(r.office_id, r.status)
        ):
            seen = reports.get(int(office_id))
            if status == REPORT_FINAL or seen is None or (seen[0] != REPORT_FINAL and int(version) > seen[1]):
                reports[int(office_id)] = (
                    REPORT_FINAL if status == REPORT_FINAL else REPORT_DRAFT,
                    int(version),
                )
        f = FIGURE.c
        entered: dict[int, set[str]] = {}
        for office_id, key in session.execute(sa.select(f.office_id, f.key).where(f.year == year)):
            entered.setdefault(int(office_id), set()).add(str(key))
    rows = []
    for office_id, code, name in offices:
        status, version = reports.get(int(office_id), (REPORT_NONE, None))
        have = entered.get(int(office_id), set())
        missing = (
            () if status == REPORT_FINAL else tuple(lb for key, lb in FIGURE_KEYS.items() if key not in have)
        )
        rows.append(
            OfficeStatus(
                code,
                (name or "").strip() or code,
                **counts.get(int(office_id), {}),
                report_status=status,
                report_version=version,
                missing_figures=missing,
            )
        )
    totals = {key: sum(int(getattr(o, key)) for o in rows) for key in COUNTED}
    return CountyOverview(as_of, year, tuple(rows), totals)


COUNTY_REPORT_FORMATS: Final = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
"""The formats the desk offers the county report in, with their media types."""


def county_report_document(engine: Engine, actor: Actor, year: int, fmt: str) -> bytes:
    """The county report of ``year`` (:func:`county_report`, same rights) as an HTML page or an XLSX workbook
    (``fmt``: a key of :data:`COUNTY_REPORT_FORMATS`), for a download."""
    import tempfile
    from pathlib import Path

    from gongkai.core.errors import NotFound
    from gongkai.report.county import render_html, write_xlsx

    if fmt not in COUNTY_REPORT_FORMATS:
        raise NotFound(f"全县汇总没有“{fmt}”格式，可下载 {'、'.join(COUNTY_REPORT_FORMATS)}。")
    report = county_report(engine, actor, year)
    if fmt == "html":
        return render_html(report).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="gongkai-county-") as folder:
        return write_xlsx(report, Path(folder) / f"county-report-{year}.xlsx").read_bytes()
