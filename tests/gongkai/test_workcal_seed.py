"""The seeded years shipped as data (``gongkai/register/seeded_calendar.json``) against python-holidays' China.

The calendar reads the seeded years from the file so that a deadline does not import python-holidays (about 100 ms:
it loads every country's module). These tests keep the file equal to python-holidays for every seeded year, day for
day and name for name, so it cannot drift silently. When one fails after python-holidays was upgraded, regenerate:
``python -c "from gongkai.register.workcal import write_seed_file; write_seed_file()"`` and review the diff.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import holidays
import pytest

from gongkai.register.workcal import (
    SEED_ANNOUNCED_YEARS,
    SEED_FILE,
    WorkCalendar,
    seed_data,
    seed_schedule,
)


def _days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


def test_the_seed_file_holds_exactly_the_seeded_years() -> None:
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    assert sorted(int(y) for y in data["years"]) == list(SEED_ANNOUNCED_YEARS)


def test_the_seed_file_is_what_python_holidays_gives_now() -> None:
    """Dates and names of every day off and make-up day, year by year (the whole file, version aside)."""
    shipped = json.loads(SEED_FILE.read_text(encoding="utf-8"))["years"]
    assert shipped == seed_data()["years"], (
        "seeded_calendar.json differs from python-holidays: regenerate it (see this module's docstring)"
    )


@pytest.mark.parametrize("year", list(SEED_ANNOUNCED_YEARS))
def test_seeded_working_days_equal_python_holidays_china(year: int) -> None:
    """Every day of a seeded year: a working day for the calendar exactly when python-holidays' China says so."""
    cn = holidays.China(years=year, language="zh_CN")  # type: ignore[attr-defined]
    makeup = set(cn.weekend_workdays)
    expected = {d: d in makeup or (d.weekday() < 5 and d not in cn) for d in _days(year)}
    cal = WorkCalendar()
    assert {d: cal.is_workday(d) for d in _days(year)} == expected
    assert cal.is_announced(year)
    s = seed_schedule(year)
    assert s.source == f"国务院办公厅{year}年部分节假日安排（python-holidays {holidays.__version__} 收录）"  # type: ignore[attr-defined]
    assert dict(s.days_off) == {d: str(n) for d, n in cn.items() if d.year == year}


def test_a_year_without_seed_is_still_estimated_from_python_holidays() -> None:
    s = seed_schedule(2027)
    assert not s.announced and not s.makeup_workdays
    assert date(2027, 10, 1) in s.days_off and date(2027, 5, 3) not in s.days_off
