"""The office's working-day calendar (ogi-rules.md section 2).

A date is a working day if it is a make-up working day of that year's State Council schedule, or a
Monday-to-Friday that is not a day off of that schedule. The calendar is data keyed by year:

* years the office has imported (``gongkai calendar import``) are the authority;
* otherwise announced years are seeded from python-holidays (2008-2026, where it agrees day for day
  with chinese-calendar and the State Council notices);
* any other year is *unannounced*: its days off are estimated from the statutory holidays alone, it
  has no make-up days, and every deadline that counts a day in it is provisional.

Why statutory days only for an unannounced year: python-holidays also guesses "observed" days for
such years. Leaving the guesses out gives fewer days off, hence an earlier (applicant-protecting)
estimate; the missing make-up days push the other way, which is why the date is marked provisional
rather than trusted.

Counting uses a sorted index of working days (``bisect``), not a day-by-day loop: about 1,000x
faster, which matters when thousands of clocks are recomputed after a calendar import.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Final

from gongkai.errors import InputError

SEED_ANNOUNCED_YEARS: Final = range(2008, 2027)
"""Years whose State Council schedule the seed (python-holidays) carries."""

MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2100

KINDS: Final = ("off", "makeup_workday")


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off and make-up working days, with where they came from."""

    year: int
    days_off: Mapping[date, str]
    makeup_workdays: Mapping[date, str]
    announced: bool
    source: str
    notes: tuple[str, ...] = field(default=())


@lru_cache(maxsize=256)
def seed_schedule(year: int) -> YearSchedule:
    """The schedule python-holidays gives for ``year``.

    For an announced year: every listed day off (weekday or not) and the make-up working days.
    For any other year: statutory holidays only (see the module docstring), marked unannounced.
    """
    import holidays  # deferred: about 45 ms, and not every command counts days

    if year in SEED_ANNOUNCED_YEARS:
        cn = holidays.China(years=year, language="zh_CN")
        off = {d: str(n) for d, n in cn.items() if d.year == year}
        makeup = {d: "调休上班" for d in cn.weekend_workdays if d.year == year}
        return YearSchedule(
            year,
            off,
            makeup,
            announced=True,
            source=f"国务院办公厅{year}年部分节假日安排（python-holidays {holidays.__version__} 收录）",
        )
    cn = holidays.China(years=year, language="zh_CN", observed=False)
    off = {d: str(n) for d, n in cn.items() if d.year == year}
    return YearSchedule(
        year,
        off,
        {},
        announced=False,
        source=f"{year}年放假安排尚未公布：按法定节假日估算，不含调休（暂定）",
    )


def validate_year_entries(
    year: int, entries: Iterable[tuple[date, str, str]], *, where: str = ""
) -> YearSchedule:
    """Check one year's imported rows (date, kind, holiday name) and build its schedule.

    Rules of ogi-rules.md 2.5: dates inside the year, no date both off and make-up, make-up days
    are Saturdays or Sundays. Raises :class:`InputError` listing every problem.
    """
    off: dict[date, str] = {}
    makeup: dict[date, str] = {}
    problems: list[str] = []
    for d, kind, name in entries:
        if d.year != year:
            problems.append(f"{where}{d.isoformat()} 不在 {year} 年内")
            continue
        if kind == "off":
            off[d] = name
        elif kind == "makeup_workday":
            if d.weekday() < 5:
                problems.append(f"{where}{d.isoformat()} 是工作日（周一至周五），调休上班日应为星期六或星期日")
            makeup[d] = name
        else:
            problems.append(f"{where}{d.isoformat()} 的类型“{kind}”无效，应为 off 或 makeup_workday")
    for d in sorted(set(off) & set(makeup)):
        problems.append(f"{where}{d.isoformat()} 不能既是放假日又是调休上班日")
    if problems:
        raise InputError("；".join(problems) + "。")
    return YearSchedule(year, off, makeup, announced=True, source="本单位导入")


class WorkCalendar:
    """Working days over any span of years, with provisional marking for unannounced years.

    ``overrides`` are the years the office imported; they replace the seed for those years.
    """

    def __init__(self, overrides: Mapping[int, YearSchedule] | None = None) -> None:
        self._overrides: dict[int, YearSchedule] = dict(overrides or {})
        self._lo = 0
        self._hi = -1
        self._ords: list[int] = []

    # -- schedules ---------------------------------------------------------------------------
    def schedule(self, year: int) -> YearSchedule:
        """The schedule in force for ``year`` (imported, else seeded or estimated)."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"日期超出支持范围：年份应在 {MIN_YEAR} 至 {MAX_YEAR} 之间，实际为 {year}。")
        return self._overrides.get(year) or seed_schedule(year)

    def is_announced(self, year: int) -> bool:
        """True when ``year``'s holiday schedule is known (imported or seeded)."""
        return self.schedule(year).announced

    def is_workday(self, d: date) -> bool:
        """Whether the office works on ``d``."""
        s = self.schedule(d.year)
        if d in s.makeup_workdays:
            return True
        return d.weekday() < 5 and d not in s.days_off

    # -- the index ---------------------------------------------------------------------------
    def _ensure(self, lo_year: int, hi_year: int) -> None:
        lo = min(lo_year, self._lo) if self._ords else lo_year
        hi = max(hi_year, self._hi) if self._ords else hi_year
        if self._ords and lo == self._lo and hi == self._hi:
            return
        ords: list[int] = []
        for year in range(lo, hi + 1):
            s = self.schedule(year)
            d = date(year, 1, 1)
            end = date(year, 12, 31)
            one = timedelta(days=1)
            while d <= end:
                if d in s.makeup_workdays or (d.weekday() < 5 and d not in s.days_off):
                    ords.append(d.toordinal())
                d += one
        self._lo, self._hi, self._ords = lo, hi, ords

    def _cover(self, d: date, extra_years: int = 0) -> None:
        if not self._ords or d.year < self._lo or d.year + extra_years > self._hi:
            self._ensure(d.year, min(MAX_YEAR, d.year + extra_years))

    def index_after(self, d: date) -> int:
        """Index of the first working day strictly after ``d``."""
        self._cover(d, 1)
        return bisect_right(self._ords, d.toordinal())

    def index_on_or_after(self, d: date) -> int:
        """Index of the first working day on or after ``d``."""
        self._cover(d, 1)
        return bisect_left(self._ords, d.toordinal())

    def day(self, index: int) -> date:
        """The working day at ``index`` (extending the index forward as needed)."""
        while index >= len(self._ords):
            if self._hi >= MAX_YEAR:
                raise InputError(f"日期超出支持范围：期限超过 {MAX_YEAR} 年。")
            self._ensure(self._lo, self._hi + 1)
        if index < 0:
            raise InputError("日期超出支持范围。")
        return date.fromordinal(self._ords[index])

    def add_workdays(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself not counted; ``n`` >= 1).

        This is "within n working days from d" under the standard reading of ogi-rules.md 2.3.
        """
        if n < 1:
            raise ValueError("n must be >= 1")
        return self.day(self.index_after(d) + n - 1)

    def workdays_between(self, a: date, b: date) -> int:
        """Number of working days strictly between ``a`` and ``b`` (0 when b <= a + 1 day)."""
        if b <= a:
            return 0
        self._cover(a)
        self._cover(b)
        return max(0, bisect_left(self._ords, b.toordinal()) - bisect_right(self._ords, a.toordinal()))

    def workdays_until(self, a: date, b: date) -> int:
        """Working days in ``(a, b]``: how many working days from ``a`` until ``b`` inclusive.

        Negative when ``b`` is before ``a`` (the number of working days overdue, as a negative count).
        """
        if b >= a:
            return self.workdays_between(a, b) + (1 if self.is_workday(b) else 0)
        return -self.workdays_until(b, a)

    def unannounced_years(self, first: date, last: date) -> list[int]:
        """Years in ``[first, last]`` whose schedule has not been announced."""
        return [y for y in range(first.year, last.year + 1) if not self.is_announced(y)]
