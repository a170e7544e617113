"""The year lock: a year whose annual report is final keeps its data (ogi-rules.md 6.3).

A final report's figures must stay what was published, so every change that would alter them is refused
until an administrator reopens the year with a logged reason (``gongkai.report.stats.reopen_year``). The
register, the item commands and imports, the content review's outcomes and the report's own figures all
ask here before writing; it reads ``annual_report`` only, so every package that writes can use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import EventError
from gongkai.core.officescope import in_office
from gongkai.store.tables import REPORT


class YearLocked(EventError):
    """A change that would alter the figures of a year whose report is final."""


def final_years(session: Session, *, among: Iterable[int] | None = None) -> set[int]:
    """The years whose annual report is final (their data is locked); only those ``among`` the given years
    when given."""
    stmt = sa.select(REPORT.c.year).where(in_office(session, REPORT), REPORT.c.status == "final")
    if among is not None:
        wanted = sorted(set(among))
        if not wanted:
            return set()
        stmt = stmt.where(REPORT.c.year.in_(wanted))
    return set(session.execute(stmt.distinct()).scalars().all())


def is_year_final(session: Session, year: int) -> bool:
    """True when ``year`` has a final report (its data is locked)."""
    return bool(final_years(session, among=[year]))


def locked_years_touched(final: set[int], *, since: date, until: date | None) -> list[int]:
    """Which of the ``final`` years a change from ``since`` until ``until`` (None: open) would alter."""
    last = None if until is None else max(until, since).year
    return sorted(y for y in final if y >= since.year and (last is None or y <= last))


def ensure_unlocked(session: Session, *, since: date, until: date | None = None) -> None:
    """Refuse a change whose effect on the statistics starts on ``since`` and lasts until ``until``.

    A change to the register alters the figures of every year from the year of ``since`` to the year
    of ``until`` (``None``: still open, so every later year). Call it before writing:

    * a new application: ``since=received_on``, ``until=concluded_on`` (after its events);
    * a new event: ``since=event date``, ``until=the application's conclusion after it`` (``None`` if open);
    * a catalogue or appeal change: ``since=the date changed``, ``until=None``.

    Raises :class:`YearLocked` naming the final years; an administrator reopens them
    (``gongkai report reopen``).
    """
    last = None if until is None else max(until, since).year
    stmt = sa.select(REPORT.c.year).where(
        in_office(session, REPORT), REPORT.c.status == "final", REPORT.c.year >= since.year
    )
    if last is not None:
        stmt = stmt.where(REPORT.c.year <= last)
    years = sorted(set(session.execute(stmt.distinct()).scalars().all()))
    if years:
        shown = "、".join(str(y) for y in years)
        raise YearLocked(
            f"{shown} 年度报告已定稿，该年度的数据已锁定，不能再修改（本次修改涉及 {since.isoformat()} 起的数据）；"
            f"如确需修改，请由管理员先重新开启该年度并写明原因（gongkai report reopen --year {years[0]}）。"
        )


__all__ = ["YearLocked", "ensure_unlocked", "final_years", "is_year_final", "locked_years_touched"]
