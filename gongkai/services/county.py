"""The county's read-only view of one year over every office in the database (``gongkai county report``).

Each office's tables are taken from the one definition its own report uses: its stored final report when it has
finalized the year (已定稿), else :func:`gongkai.report.stats.compute_statistics` on a session scoped to it
(未定稿（实时统计）). One statement lists the offices with their final reports; an office counted live then costs the
two statements of its own statistics, nothing per application.

Who may: an ``administrator`` (the command line, run by the server's administrator, acts as the trusted operator).
There is no county role yet: staff and their roles belong to one office (``[[staff]]``, the ``account`` table keyed
by office), so a county reader needs an account model of its own first (docs/design-offices.md).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from gongkai.services.actor import Actor, require

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gongkai.report.county import CountyReport

__all__ = ["county_report"]


def county_report(engine: Engine, actor: Actor, year: int) -> CountyReport:
    """Tables 二, 三 and 四 of ``year`` for every office (ordered by code), their total, and identities I1–I5 checked
    on each office and on the total. Raises :class:`~gongkai.core.errors.InputError` (exit 2) for a year outside
    the report's range, :class:`~gongkai.core.errors.NotAllowed` unless ``actor`` is an ``administrator``."""
    import sqlalchemy as sa

    from gongkai.core.errors import InputError
    from gongkai.report.county import FINAL, LIVE, CountyReport, OfficeTables, hard_failures
    from gongkai.report.stats import MAX_YEAR, MIN_YEAR, compute_statistics
    from gongkai.store.db import session_scope
    from gongkai.store.tables import OFFICE, REPORT

    require(actor, "administrator", "汇总各单位的年度报告数据")
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
