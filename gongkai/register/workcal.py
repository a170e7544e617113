"""The office's working-day calendar (ogi-rules.md section 2).

A date is a working day if it is a make-up working day of that year's State Council schedule, or a
Monday-to-Friday that is not a day off of that schedule. The calendar is data keyed by year:

* years the office has imported (``gongkai calendar import``) are the authority;
* otherwise announced years are seeded from python-holidays (2008-2026, where it agrees day for day
  with chinese-calendar and the State Council notices), shipped as data (:data:`SEED_FILE`) so that
  counting in them does not import python-holidays;
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

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from gongkai.core.dates import parse_date
from gongkai.core.errors import InputError

SEED_ANNOUNCED_YEARS: Final = range(2008, 2027)
"""Years whose State Council schedule the seed carries (:data:`SEED_FILE`, written from python-holidays)."""

MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2100

KINDS: Final = ("off", "makeup_workday")

STATUTORY_HOLIDAYS: Final = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
"""The statutory public holidays (ogi-rules.md 2.1) an imported year's schedule must cover."""

HOLIDAY_WINDOW_DAYS: Final = 3
"""Calendar days either side of a holiday's statutory dates where its days off plausibly lie."""


@dataclass(frozen=True)
class YearSchedule:
    """One year's days off and make-up working days, with where they came from."""

    year: int
    days_off: Mapping[date, str]
    makeup_workdays: Mapping[date, str]
    announced: bool
    source: str
    notes: tuple[str, ...] = field(default=())


SEED_FILE: Final = Path(__file__).with_name("seeded_calendar.json")
"""The seeded years' schedules as shipped data (package data of ``gongkai.register``), written from python-holidays
by :func:`write_seed_file`; a test holds it equal to python-holidays' China, so it cannot drift silently."""

_SEED_SOURCE: Final = "国务院办公厅{year}年部分节假日安排（python-holidays {version} 收录）"


@lru_cache(maxsize=1)
def _seeded_years() -> dict[int, YearSchedule]:
    """The schedules of :data:`SEED_FILE`, by year."""
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    version = data["python_holidays"]
    return {
        int(year): YearSchedule(
            int(year),
            {date.fromisoformat(d): name for d, name in days["off"].items()},
            {date.fromisoformat(d): name for d, name in days["makeup_workday"].items()},
            announced=True,
            source=_SEED_SOURCE.format(year=year, version=version),
        )
        for year, days in data["years"].items()
    }


@lru_cache(maxsize=256)
def seed_schedule(year: int) -> YearSchedule:
    """The built-in schedule for ``year``.

    For an announced year: every day off of the State Council schedule (weekday or not) and the make-up working
    days, read from :data:`SEED_FILE` (python-holidays is not imported: it loads every country's module, about
    100 ms). For any other year: statutory holidays only (:func:`estimated_schedule`), marked unannounced.
    """
    seeded = _seeded_years().get(year) if year in SEED_ANNOUNCED_YEARS else None
    return seeded if seeded is not None else estimated_schedule(year)


def holidays_schedule(year: int) -> YearSchedule:
    """The State Council schedule python-holidays gives for an announced ``year`` (what :data:`SEED_FILE` holds)."""
    import holidays  # deferred: it imports every country's module

    cn = holidays.China(years=year, language="zh_CN")  # type: ignore[attr-defined]
    off = {d: str(n) for d, n in cn.items() if d.year == year}
    makeup = {d: "调休上班" for d in cn.weekend_workdays if d.year == year}
    return YearSchedule(
        year,
        off,
        makeup,
        announced=True,
        source=_SEED_SOURCE.format(year=year, version=holidays.__version__),  # type: ignore[attr-defined]
    )


def seed_data() -> dict[str, Any]:
    """The content of :data:`SEED_FILE` as python-holidays gives it now (dates and names in date order)."""
    import holidays

    years: dict[str, dict[str, dict[str, str]]] = {}
    for year in SEED_ANNOUNCED_YEARS:
        s = holidays_schedule(year)
        years[str(year)] = {
            "off": {d.isoformat(): n for d, n in sorted(s.days_off.items())},
            "makeup_workday": {d.isoformat(): n for d, n in sorted(s.makeup_workdays.items())},
        }
    return {
        "about": "State Council holiday schedules (days off, make-up working days) as python-holidays' China gives "
        "them; written by gongkai.register.workcal.write_seed_file, checked by tests/gongkai/test_workcal_seed.py",
        "python_holidays": holidays.__version__,  # type: ignore[attr-defined]
        "years": years,
    }


def write_seed_file(path: Path = SEED_FILE) -> None:
    """(Re)write :data:`SEED_FILE` from python-holidays (after it gains a year: extend :data:`SEED_ANNOUNCED_YEARS`
    first)."""
    path.write_text(json.dumps(seed_data(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@lru_cache(maxsize=256)
def estimated_schedule(year: int) -> YearSchedule:
    """An unannounced ``year``: python-holidays' statutory holidays only (see the module docstring), no make-up
    days, marked unannounced."""
    import holidays  # deferred: only a year with neither an import nor a seed needs it

    cn = holidays.China(years=year, language="zh_CN", observed=False)  # type: ignore[attr-defined]
    off = {d: str(n) for d, n in cn.items() if d.year == year}
    return YearSchedule(
        year,
        off,
        {},
        announced=False,
        source=f"{year}年放假安排尚未公布：按法定节假日估算，不含调休（暂定）",
    )


@lru_cache(maxsize=256)
def statutory_windows(year: int) -> tuple[tuple[str, date, date], ...]:
    """Each statutory holiday of ``year`` with the window where its days off plausibly lie.

    The statutory dates (lunar and solar-term ones included) come from python-holidays without
    observed days; the window is those dates widened by :data:`HOLIDAY_WINDOW_DAYS` either side,
    kept inside the year (an import holds one year's dates). A holiday that was not statutory in
    ``year`` (Qingming, Dragon Boat and Mid-Autumn before 2008) is not listed.
    """
    import holidays

    cn = holidays.China(years=year, language="zh_CN", observed=False)  # type: ignore[attr-defined]
    spans: dict[str, tuple[date, date]] = {}
    for d, names in cn.items():
        if d.year != year:
            continue
        for raw in str(names).split(";"):
            name = "春节" if raw.strip() == "农历除夕" else raw.strip()
            if name in STATUTORY_HOLIDAYS:
                lo, hi = spans.get(name, (d, d))
                spans[name] = (min(lo, d), max(hi, d))
    wide = timedelta(days=HOLIDAY_WINDOW_DAYS)
    first, last = date(year, 1, 1), date(year, 12, 31)
    return tuple(
        (name, max(first, spans[name][0] - wide), min(last, spans[name][1] + wide))
        for name in STATUTORY_HOLIDAYS
        if name in spans
    )


def missing_statutory_holidays(schedule: YearSchedule) -> list[str]:
    """The statutory holidays with no day off in their window (:func:`statutory_windows`).

    A State Council schedule gives every statutory holiday at least one day off near its date (the
    day itself, or a weekday in lieu when it falls on a weekend), so a year missing one is not the
    announced schedule: typically a file that holds only some of it.
    """
    days = sorted(schedule.days_off)
    return [
        name
        for name, lo, hi in statutory_windows(schedule.year)
        if bisect_right(days, hi) == bisect_left(days, lo)
    ]


def validate_year_entries(
    year: int, entries: Iterable[tuple[date, str, str]], *, rows: Mapping[date, int] | None = None
) -> YearSchedule:
    """Check one year's imported rows (date, kind, holiday name) and build its schedule.

    Rules of ogi-rules.md 2.5: dates inside the year, no date both off and make-up, make-up days
    are Saturdays or Sundays. Raises :class:`InputError` listing every problem (with the file's row
    number when ``rows`` maps dates to rows).
    """
    off: dict[date, str] = {}
    makeup: dict[date, str] = {}
    problems: list[str] = []
    for d, kind, name in entries:
        where = f"第 {rows[d]} 行：" if rows and d in rows else ""
        if d.year != year:
            problems.append(f"{where}{d.isoformat()} 不在 {year} 年内")
            continue
        if kind == "off":
            off[d] = name
        elif kind == "makeup_workday":
            if d.weekday() < 5:
                problems.append(
                    f"{where}{d.isoformat()} 是工作日（周一至周五），调休上班日应为星期六或星期日"
                )
            makeup[d] = name
        else:
            problems.append(f"{where}{d.isoformat()} 的类型“{kind}”无效，应为 off 或 makeup_workday")
    for d in sorted(set(off) & set(makeup)):
        where = f"第 {rows[d]} 行：" if rows and d in rows else ""
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
        self._anchor = 0  # ordinal of the day that index 0 always names
        self._origin = 0  # position of that day in ``_ords``
        self._announced: dict[int, bool] = {}
        # Answers remembered per date (the schedules never change; batch work asks the same dates again)
        self._workdays: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}

    # -- schedules ---------------------------------------------------------------------------
    def schedule(self, year: int) -> YearSchedule:
        """The schedule in force for ``year`` (imported, else seeded or estimated)."""
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise InputError(f"日期超出支持范围：年份应在 {MIN_YEAR} 至 {MAX_YEAR} 之间，实际为 {year}。")
        return self._overrides.get(year) or seed_schedule(year)

    def is_announced(self, year: int) -> bool:
        """True when ``year``'s holiday schedule is known (imported or seeded)."""
        known = self._announced.get(year)
        if known is None:
            known = self._announced[year] = self.schedule(year).announced
        return known

    def is_workday(self, d: date) -> bool:
        """Whether the office works on ``d``."""
        known = self._workdays.get(d)
        if known is None:
            s = self.schedule(d.year)
            known = d in s.makeup_workdays or (d.weekday() < 5 and d not in s.days_off)
            self._workdays[d] = known
        return known

    # -- the index ---------------------------------------------------------------------------
    def _ensure(self, lo_year: int, hi_year: int) -> None:
        lo = min(lo_year, self._lo) if self._ords else lo_year
        hi = max(hi_year, self._hi) if self._ords else hi_year
        if self._ords and lo == self._lo and hi == self._hi:
            return
        ords: list[int] = []
        one = timedelta(days=1)
        for year in range(lo, hi + 1):
            s = self.schedule(year)
            d = date(year, 1, 1)
            end = date(year, 12, 31)
            while d <= end:
                if d in s.makeup_workdays or (d.weekday() < 5 and d not in s.days_off):
                    ords.append(d.toordinal())
                d += one
        # Indices handed out earlier must stay valid: keep them relative to a fixed anchor day, so
        # prepending earlier years only moves the anchor's position in the list.
        if self._ords:
            self._origin = bisect_left(ords, self._anchor)
        else:
            self._anchor = ords[0] if ords else 0
            self._origin = 0
        self._lo, self._hi, self._ords = lo, hi, ords

    def _cover(self, d: date, extra_years: int = 0) -> None:
        if not self._ords or d.year < self._lo or d.year + extra_years > self._hi:
            self._ensure(d.year, min(MAX_YEAR, d.year + extra_years))

    def index_after(self, d: date) -> int:
        """Index of the first working day strictly after ``d``.

        Indices are stable for the life of the calendar (extending it to other years does not
        change them), so they can be kept and compared while a clock is computed.
        """
        if not self._lo <= d.year < self._hi:
            self._cover(d, 1)
        return bisect_right(self._ords, d.toordinal()) - self._origin

    def index_on_or_after(self, d: date) -> int:
        """Index of the first working day on or after ``d`` (stable, see :meth:`index_after`)."""
        if not self._lo <= d.year < self._hi:
            self._cover(d, 1)
        return bisect_left(self._ords, d.toordinal()) - self._origin

    def day(self, index: int) -> date:
        """The working day at ``index`` (extending the index forward as needed)."""
        pos = index + self._origin
        if 0 <= pos < len(self._ords):
            return date.fromordinal(self._ords[pos])
        while index + self._origin >= len(self._ords):
            if self._hi >= MAX_YEAR:
                raise InputError(f"日期超出支持范围：期限超过 {MAX_YEAR} 年。")
            self._ensure(self._lo, self._hi + 1)
        pos = index + self._origin
        if pos < 0:
            raise InputError("日期超出支持范围。")
        return date.fromordinal(self._ords[pos])

    def add_workdays(self, d: date, n: int) -> date:
        """The ``n``-th working day after ``d`` (``d`` itself not counted; ``n`` >= 1).

        This is "within n working days from d" under the standard reading of ogi-rules.md 2.3.
        """
        found = self._added.get((d, n))
        if found is None:
            if n < 1:
                raise ValueError("n must be >= 1")
            found = self._added[d, n] = self.day(self.index_after(d) + n - 1)
        return found

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
        if b == a:
            return 0
        if b > a:
            return self.workdays_between(a, b) + (1 if self.is_workday(b) else 0)
        return -self.workdays_until(b, a)

    def unannounced_years(self, first: date, last: date) -> list[int]:
        """Years in ``[first, last]`` whose schedule has not been announced."""
        if first.year == last.year and self._announced.get(first.year):  # most spans
            return []
        return [y for y in range(first.year, last.year + 1) if not self.is_announced(y)]

    def prepare(self, first_year: int, last_year: int) -> None:
        """Build the index for a span of years up front (batch work over many dates)."""
        self._ensure(first_year, last_year)


_KIND_ALIASES: Final = {
    "off": "off",
    "放假": "off",
    "休息": "off",
    "休息日": "off",
    "makeup_workday": "makeup_workday",
    "上班": "makeup_workday",
    "调休上班": "makeup_workday",
    "补班": "makeup_workday",
}
CALENDAR_COLUMNS: Final = {
    "日期": "date",
    "date": "date",
    "类型": "kind",
    "kind": "kind",
    "名称": "name",
    "节日": "name",
    "holiday": "name",
    "name": "name",
}


def schedules_from_rows(
    name: str,
    header: list[str],
    rows: Iterable[tuple[int, list[object]]],
    *,
    allow_incomplete: bool = False,
) -> list[YearSchedule]:
    """Build the year schedules of a calendar file (columns 日期/date, 类型/kind, 名称/name).

    Each year that appears in the file is taken as that year's complete schedule. Every bad row is
    reported at once (:class:`InputError`), with its row number. A year that misses a statutory
    holiday (:func:`missing_statutory_holidays`) is refused unless ``allow_incomplete``.
    """
    cols: dict[str, int] = {}
    for i, h in enumerate(header):
        key = CALENDAR_COLUMNS.get(h.strip()) or CALENDAR_COLUMNS.get(h.strip().lower())
        if key is None and h.strip():
            raise InputError(f"文件 {name} 的列“{h}”无法识别：应为 日期(date)、类型(kind)、名称(name)。")
        if key is not None:
            cols[key] = i
    missing = [k for k in ("date", "kind") if k not in cols]
    if missing:
        raise InputError(
            f"文件 {name} 缺少列：{'、'.join(missing)}（应有 日期(date)、类型(kind)、名称(name)）。"
        )
    problems: list[str] = []
    by_year: dict[int, list[tuple[date, str, str]]] = {}
    seen: dict[date, int] = {}
    for row_no, cells in rows:

        def cell(key: str, cells: list[object] = cells) -> object:
            i = cols.get(key)
            return cells[i] if i is not None and i < len(cells) else None

        where = f"第 {row_no} 行："
        raw_date, raw_kind = cell("date"), cell("kind")
        try:
            d = parse_date(raw_date if raw_date is not None else "", field="日期")
        except InputError as exc:
            problems.append(where + str(exc))
            continue
        kind = _KIND_ALIASES.get(str(raw_kind or "").strip())
        if kind is None:
            problems.append(
                where + f"“类型”应为 off（放假）或 makeup_workday（调休上班），实际为“{raw_kind or ''}”。"
            )
            continue
        if d in seen:
            problems.append(where + f"{d.isoformat()} 与第 {seen[d]} 行重复。")
            continue
        seen[d] = row_no
        holiday = str(cell("name") or ("调休上班" if kind == "makeup_workday" else "放假")).strip()
        by_year.setdefault(d.year, []).append((d, kind, holiday))
    schedules: list[YearSchedule] = []
    for year in sorted(by_year):
        try:
            schedules.append(validate_year_entries(year, by_year[year], rows=seen))
        except InputError as exc:
            problems.append(f"{year} 年：{exc}")
    if problems:
        raise InputError(f"文件 {name} 有误，未导入任何数据：\n" + "\n".join(problems))
    if not schedules:
        raise InputError(f"文件 {name} 没有任何日期行。")
    incomplete = [(s.year, missing_statutory_holidays(s)) for s in schedules]
    incomplete = [(year, missing) for year, missing in incomplete if missing]
    if incomplete and not allow_incomplete:
        years = "；".join(f"{year} 年缺少{'、'.join(missing)}" for year, missing in incomplete)
        raise InputError(
            f"文件 {name} 的放假安排不完整，未导入任何数据：{years}（每个法定节假日在其日期前后 "
            f"{HOLIDAY_WINDOW_DAYS} 天内应至少有一天放假）；如确认按此不完整的安排导入，请加 --allow-incomplete。"
        )
    return schedules


def read_calendar_file(path: Path, *, allow_incomplete: bool = False) -> list[YearSchedule]:
    """Read a calendar file (.csv or .xlsx; columns 日期/date, 类型/kind, 名称/name) into schedules
    (``allow_incomplete``: see :func:`schedules_from_rows`)."""
    # openpyxl (through the table files) loads only when a calendar file is read: the deadline command is quick.
    from gongkai.files.tablefile import ENCODING_HINT, clean_header, clean_value, read_records

    records, encoding = read_records(path)
    try:
        numbered = [(n, [clean_value(v) for v in cells]) for n, cells in records]
    finally:
        records.close()
    numbered = [(n, cells) for n, cells in numbered if any(c is not None for c in cells)]
    if not numbered or numbered[0][0] != 1:
        raise InputError(f"文件 {path.name} 的第 1 行应为表头：日期(date)、类型(kind)、名称(name)。")
    header = [clean_header(c) for c in numbered[0][1]]
    if not any(CALENDAR_COLUMNS.get(h) or CALENDAR_COLUMNS.get(h.lower()) for h in header):
        raise InputError(
            f"文件 {path.name} 的表头无法识别，应为 日期(date)、类型(kind)、名称(name)；"
            f"如果列名显示为乱码，说明编码不对：{ENCODING_HINT}。"
        )
    return schedules_from_rows(path.name, header, numbered[1:], allow_incomplete=allow_incomplete)
