"""An independent oracle for the 2025 and 2026 working-day calendar.

The days off and make-up working days below are typed in by hand from the tables of
``ogi-rules.md`` section 2.2 (State Council notices of 2024-11-12 and 2025-11-04). They are
deliberately NOT taken from python-holidays or from ``gongkai.register.workcal``, so that the tests compare
the code under test against the specification rather than against its own data source.

The counters are naive day-by-day loops (the code under test uses a bisect index).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

SPEC_YEARS: Final = (2025, 2026)
ONE_DAY: Final = timedelta(days=1)


def _span(first: date, last: date) -> set[date]:
    out: set[date] = set()
    d = first
    while d <= last:
        out.add(d)
        d += ONE_DAY
    return out


# -- 2025 (国办发明电〔2024〕12号, 2024-11-12) ------------------------------------------------------
DAYS_OFF_2025: Final[frozenset[date]] = frozenset(
    {date(2025, 1, 1)}  # 元旦 Wed 1 Jan
    | _span(date(2025, 1, 28), date(2025, 2, 4))  # 春节 Tue 28 Jan - Tue 4 Feb (8 days)
    | _span(date(2025, 4, 4), date(2025, 4, 6))  # 清明节 Fri 4 Apr - Sun 6 Apr
    | _span(date(2025, 5, 1), date(2025, 5, 5))  # 劳动节 Thu 1 May - Mon 5 May
    | _span(date(2025, 5, 31), date(2025, 6, 2))  # 端午节 Sat 31 May - Mon 2 Jun
    | _span(date(2025, 10, 1), date(2025, 10, 8))  # 国庆节、中秋节 Wed 1 Oct - Wed 8 Oct (8 days)
)
MAKEUP_2025: Final[frozenset[date]] = frozenset(
    {
        date(2025, 1, 26),  # Sun, 春节
        date(2025, 2, 8),  # Sat, 春节
        date(2025, 4, 27),  # Sun, 劳动节
        date(2025, 9, 28),  # Sun, 国庆节、中秋节
        date(2025, 10, 11),  # Sat, 国庆节、中秋节
    }
)

# -- 2026 (notice of 2025-11-04) ---------------------------------------------------------------------
DAYS_OFF_2026: Final[frozenset[date]] = frozenset(
    _span(date(2026, 1, 1), date(2026, 1, 3))  # 元旦 Thu 1 Jan - Sat 3 Jan
    | _span(date(2026, 2, 15), date(2026, 2, 23))  # 春节 Sun 15 Feb - Mon 23 Feb (9 days)
    | _span(date(2026, 4, 4), date(2026, 4, 6))  # 清明节 Sat 4 Apr - Mon 6 Apr
    | _span(date(2026, 5, 1), date(2026, 5, 5))  # 劳动节 Fri 1 May - Tue 5 May
    | _span(date(2026, 6, 19), date(2026, 6, 21))  # 端午节 Fri 19 Jun - Sun 21 Jun
    | _span(date(2026, 9, 25), date(2026, 9, 27))  # 中秋节 Fri 25 Sep - Sun 27 Sep
    | _span(date(2026, 10, 1), date(2026, 10, 7))  # 国庆节 Thu 1 Oct - Wed 7 Oct
)
MAKEUP_2026: Final[frozenset[date]] = frozenset(
    {
        date(2026, 1, 4),  # Sun, 元旦
        date(2026, 2, 14),  # Sat, 春节
        date(2026, 2, 28),  # Sat, 春节
        date(2026, 5, 9),  # Sat, 劳动节
        date(2026, 9, 20),  # Sun, 国庆节
        date(2026, 10, 10),  # Sat, 国庆节
    }
)

DAYS_OFF: Final[frozenset[date]] = DAYS_OFF_2025 | DAYS_OFF_2026
MAKEUP: Final[frozenset[date]] = MAKEUP_2025 | MAKEUP_2026


class OutsideSpec(ValueError):
    """The oracle only knows 2025 and 2026."""


def spec_is_workday(d: date) -> bool:
    """Working day per ogi-rules.md 2.1 over the 2.2 schedules (2025 and 2026 only)."""
    if d.year not in SPEC_YEARS:
        raise OutsideSpec(f"the spec calendar covers only 2025-2026, not {d.isoformat()}")
    if d in MAKEUP:
        return True
    return d.weekday() < 5 and d not in DAYS_OFF


def naive_add(d: date, n: int) -> date:
    """The n-th working day strictly after ``d`` (standard reading of 2.3), day by day."""
    assert n >= 1
    counted = 0
    while True:
        d += ONE_DAY
        if spec_is_workday(d):
            counted += 1
            if counted == n:
                return d


def naive_safe_add(d: date, n: int) -> date:
    """Applicant-protecting reading: ``d`` is day 1 when it is a working day."""
    assert n >= 1
    if spec_is_workday(d):
        return d if n == 1 else naive_add(d, n - 1)
    return naive_add(d, n)


def naive_between(a: date, b: date) -> int:
    """Working days strictly between ``a`` and ``b``."""
    n = 0
    d = a + ONE_DAY
    while d < b:
        n += spec_is_workday(d)
        d += ONE_DAY
    return n


def all_days(year: int) -> list[date]:
    """Every date of ``year``."""
    return sorted(_span(date(year, 1, 1), date(year, 12, 31)))
