"""The working-day calendar: a year's schedule as staff see it, and importing the State Council's holiday schedule
(``administrator`` only: it moves every provisional deadline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from gongkai.services.actor import Actor, require
from gongkai.services.office import Office, open_register


@dataclass(frozen=True)
class YearView:
    """One year's schedule: announced or provisional, its source, days off, make-up working days, working days
    per month (January first)."""

    year: int
    announced: bool
    source: str
    days_off: tuple[tuple[date, str], ...]
    makeup_workdays: tuple[tuple[date, str], ...]
    workdays_per_month: tuple[int, ...]


def calendar_year(year: int, *, url: str | None = None) -> YearView:
    """The year's schedule (imported, or the built-in one) from the database (created or migrated if needed;
    no configuration is read)."""
    from gongkai.register.repository import load_calendar

    with open_register(url) as session:
        cal = load_calendar(session)
    s = cal.schedule(year)
    months = []
    for m in range(1, 13):
        first = date(year, m, 1)
        last = date(year + (m == 12), m % 12 + 1, 1)
        months.append(cal.workdays_between(first - timedelta(days=1), last))
    return YearView(
        year,
        s.announced,
        s.source,
        tuple(sorted(s.days_off.items())),
        tuple(sorted(s.makeup_workdays.items())),
        tuple(months),
    )


@dataclass(frozen=True)
class YearImported:
    """A year of the file: its days off and make-up working days, and the statutory holidays it lacks."""

    year: int
    days_off: int
    makeup_workdays: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class MovedDeadline:
    """A deadline the import moved (``earlier``: staff must be alerted)."""

    ref: str
    old_due: date | None
    new_due: date
    old_safe_due: date | None
    new_safe_due: date
    earlier: bool


@dataclass(frozen=True)
class CalendarImported:
    """What a calendar import did."""

    years: tuple[YearImported, ...]
    moved: tuple[MovedDeadline, ...]


def import_calendar(
    office: Office, actor: Actor, path: Path, *, source: str | None = None, allow_incomplete: bool = False
) -> CalendarImported:
    """Import a holiday schedule file (only an ``administrator``): each year in it replaces that year, every
    provisional deadline is recomputed and those that moved are returned. A year missing a statutory holiday is
    refused unless ``allow_incomplete`` (then the stored source says which are missing)."""
    from gongkai.register import repository as register
    from gongkai.register.workcal import missing_statutory_holidays, read_calendar_file

    require(actor, "administrator", "导入放假安排")
    schedules = read_calendar_file(path, allow_incomplete=allow_incomplete)
    missing = {s.year: missing_statutory_holidays(s) for s in schedules}
    gaps = "；".join(f"{y} 年缺少{'、'.join(m)}" for y, m in missing.items() if m)
    origin = source or f"本单位导入（{path.name}）"
    if gaps:
        # The note stays in the stored source (at most 200 characters) even after a long --source.
        note = f"（按 --allow-incomplete 导入：{gaps}）"
        origin = (origin[: max(0, 200 - len(note))] + note)[:200]
    moved = register.import_calendar_years(
        office.session, schedules, by=actor.name, source=origin, as_of=office.as_of
    )
    return CalendarImported(
        tuple(
            YearImported(s.year, len(s.days_off), len(s.makeup_workdays), tuple(missing[s.year]))
            for s in schedules
        ),
        tuple(
            MovedDeadline(m.ref, m.old_due, m.new_due, m.old_safe_due, m.new_safe_due, m.earlier)
            for m in moved
        ),
    )


@dataclass(frozen=True)
class ImportedYear:
    """A year whose schedule the office imported: where it came from, when and by whom."""

    year: int
    source: str
    imported_at: datetime
    imported_by: str


def imported_years(office: Office, actor: Actor) -> list[ImportedYear]:
    """The imported years (``calendar_year``), the latest first (any staff member may read them)."""
    from sqlmodel import col, select

    from gongkai.store.models import CalendarYear

    del actor
    rows = office.session.exec(select(CalendarYear).order_by(col(CalendarYear.year).desc())).all()
    return [ImportedYear(r.year, r.source, r.imported_at, r.imported_by) for r in rows]
