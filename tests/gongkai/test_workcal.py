"""WorkCalendar against the specification (ogi-rules.md section 2).

The reference is the hand-typed 2025/2026 schedule of ``spec_calendar`` (section 2.2), never
python-holidays, which is what the code under test seeds from.
"""

from __future__ import annotations

from datetime import date

import pytest
from spec_calendar import (
    DAYS_OFF,
    MAKEUP,
    all_days,
    naive_add,
    naive_between,
    spec_is_workday,
)

from gongkai.core.errors import InputError
from gongkai.register.workcal import (
    WorkCalendar,
    missing_statutory_holidays,
    schedules_from_rows,
    validate_year_entries,
)


def D(s: str) -> date:
    return date.fromisoformat(s)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# -- the oracle itself (guards against typing errors in the hand-entered tables) -----------------


def test_spec_tables_are_consistent() -> None:
    # Make-up days are Saturdays or Sundays and never also days off (ogi-rules.md 2.5).
    assert all(d.weekday() >= 5 for d in MAKEUP)
    assert not (DAYS_OFF & MAKEUP)
    # Block lengths stated in 2.2: 2025 春节 8 days, 国庆 8 days; 2026 春节 9 days.
    assert sum(1 for d in DAYS_OFF if D("2025-01-28") <= d <= D("2025-02-04")) == 8
    assert sum(1 for d in DAYS_OFF if D("2025-10-01") <= d <= D("2025-10-08")) == 8
    assert sum(1 for d in DAYS_OFF if D("2026-02-15") <= d <= D("2026-02-23")) == 9
    assert len(MAKEUP) == 11
    # 261 weekdays each year; 2025: 18 weekday days off, 5 make-up days; 2026: 19 and 6 -> 248 each.
    assert sum(spec_is_workday(d) for d in all_days(2025)) == 248
    assert sum(spec_is_workday(d) for d in all_days(2026)) == 248


# -- is_workday over every day of 2025 and 2026 ---------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_is_workday_matches_spec_for_every_day(cal: WorkCalendar, year: int) -> None:
    wrong = [
        (d.isoformat(), cal.is_workday(d), spec_is_workday(d))
        for d in all_days(year)
        if cal.is_workday(d) != spec_is_workday(d)
    ]
    assert wrong == []
    assert cal.is_announced(year)


@pytest.mark.parametrize(
    "day",
    [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ],
)
def test_makeup_weekend_days_are_working_days(cal: WorkCalendar, day: str) -> None:
    d = D(day)
    assert d.weekday() >= 5
    assert cal.is_workday(d)


@pytest.mark.parametrize(
    "day",
    # weekday days off, and weekend days inside blocks (listed or not, they are off)
    [
        "2025-01-01",
        "2025-01-28",
        "2025-02-03",
        "2025-02-04",
        "2025-04-04",
        "2025-05-05",
        "2025-06-02",
        "2025-10-08",
        "2026-01-02",
        "2026-02-16",
        "2026-02-23",
        "2026-04-06",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-07",
        "2025-02-01",
        "2026-01-03",
        "2026-02-21",
        "2026-10-04",
    ],
)
def test_days_off_are_not_working_days(cal: WorkCalendar, day: str) -> None:
    assert not cal.is_workday(D(day))


# -- 2027: unannounced, statutory estimate only -----------------------------------------------------


def test_2027_is_unannounced_and_estimated(cal: WorkCalendar) -> None:
    assert not cal.is_announced(2027)
    s = cal.schedule(2027)
    assert not s.announced
    assert len(s.makeup_workdays) == 0
    # Statutory days on weekdays are off.
    assert not cal.is_workday(D("2027-01-01"))  # Fri, 元旦
    assert not cal.is_workday(D("2027-10-01"))  # Fri, 国庆
    assert not cal.is_workday(D("2027-02-05"))  # Fri, 除夕 (counted since the 2025 revision)
    assert not cal.is_workday(D("2027-02-08"))  # Mon, 正月初三
    assert not cal.is_workday(D("2027-04-05"))  # Mon, 清明
    # 1-2 May 2027 are Sat/Sun; python-holidays would guess Mon 3 May as "observed", but the module
    # excludes observed guesses (earlier, applicant-protecting estimate): Mon 3 May stays working.
    assert cal.is_workday(D("2027-05-03"))
    # 2-3 Oct 2027 are Sat/Sun: no observed substitute on Mon 4 Oct either.
    assert cal.is_workday(D("2027-10-04"))
    # No make-up days: ordinary weekends stay off all year.
    assert all(not cal.is_workday(d) for d in all_days(2027) if d.weekday() >= 5)
    # Every 2027 day off is a statutory holiday date (13 days, some on weekends).
    assert len(s.days_off) <= 13
    assert set(s.days_off) >= {D("2027-01-01"), D("2027-10-01"), D("2027-10-02"), D("2027-10-03")}


def test_unannounced_years_listing(cal: WorkCalendar) -> None:
    assert cal.unannounced_years(D("2025-01-01"), D("2026-12-31")) == []
    assert cal.unannounced_years(D("2026-12-15"), D("2027-01-20")) == [2027]
    assert cal.unannounced_years(D("2024-06-01"), D("2028-01-01")) == [2027, 2028]


def test_out_of_range_year_is_input_error(cal: WorkCalendar) -> None:
    with pytest.raises(InputError):
        cal.is_workday(date(1980, 1, 1))


def test_override_replaces_seed() -> None:
    # An office correction: an extra local day off on Fri 2025-03-07 and a make-up Sat 2025-03-08.
    sched = validate_year_entries(
        2025,
        [(d, "off", "x") for d in sorted(d for d in DAYS_OFF if d.year == 2025)]
        + [(d, "makeup_workday", "x") for d in sorted(d for d in MAKEUP if d.year == 2025)]
        + [(D("2025-03-07"), "off", "本地节日"), (D("2025-03-08"), "makeup_workday", "本地调休")],
    )
    cal = WorkCalendar({2025: sched})
    assert not cal.is_workday(D("2025-03-07"))
    assert cal.is_workday(D("2025-03-08"))
    assert cal.add_workdays(D("2025-03-06"), 1) == D("2025-03-08")
    assert cal.is_announced(2025)


# -- counting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Sun 2025-01-26 (make-up) is the 1st working day after Fri 24 Jan (example A).
        ("2025-01-24", 1, "2025-01-26"),
        ("2025-01-24", 2, "2025-01-27"),
        ("2025-01-24", 3, "2025-02-05"),  # the whole 春节 block skipped
        ("2025-01-24", 6, "2025-02-08"),  # Sat make-up day
        ("2025-01-24", 7, "2025-02-10"),
        ("2025-01-24", 20, "2025-02-27"),
        ("2025-01-24", 40, "2025-03-27"),
        ("2025-01-25", 1, "2025-01-26"),  # from an ordinary Saturday
        ("2025-01-27", 1, "2025-02-05"),  # from the last day before the block
        ("2025-02-07", 1, "2025-02-08"),
        ("2025-02-08", 1, "2025-02-10"),  # from a make-up day: Sun 9 Feb is off
        ("2025-04-25", 1, "2025-04-27"),  # Sun 27 Apr make-up
        ("2025-04-30", 1, "2025-05-06"),  # 劳动节 1-5 May
        ("2025-09-26", 1, "2025-09-28"),  # Sun 28 Sep make-up
        ("2025-09-30", 1, "2025-10-09"),  # 国庆 1-8 Oct
        ("2025-10-10", 1, "2025-10-11"),  # Sat 11 Oct make-up
        ("2025-12-31", 1, "2026-01-04"),  # 元旦 1-3 Jan then Sun 4 Jan make-up
        ("2025-12-31", 2, "2026-01-05"),
        ("2026-02-13", 1, "2026-02-14"),  # Sat 14 Feb make-up
        ("2026-02-14", 1, "2026-02-24"),  # 春节 15-23 Feb (9 days)
        ("2026-02-27", 1, "2026-02-28"),  # Sat 28 Feb make-up
        ("2026-04-03", 1, "2026-04-07"),  # 清明 4-6 Apr
        ("2026-04-30", 1, "2026-05-06"),  # 劳动节 1-5 May
        ("2026-05-08", 1, "2026-05-09"),  # Sat 9 May make-up
        ("2026-06-18", 1, "2026-06-22"),  # 端午 19-21 Jun
        ("2026-09-18", 1, "2026-09-20"),  # Sun 20 Sep make-up
        ("2026-09-24", 1, "2026-09-28"),  # 中秋 25-27 Sep
        ("2026-09-30", 1, "2026-10-08"),  # 国庆 1-7 Oct
        ("2026-10-09", 1, "2026-10-10"),  # Sat 10 Oct make-up
        ("2026-10-10", 1, "2026-10-12"),
    ],
)
def test_add_workdays_hand_checked(cal: WorkCalendar, start: str, n: int, expected: str) -> None:
    assert cal.add_workdays(D(start), n) == D(expected)
    assert naive_add(D(start), n) == D(expected)  # the oracle agrees with the hand count


def test_add_workdays_rejects_non_positive(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(D("2025-03-03"), 0)


def test_add_workdays_matches_oracle_everywhere(cal: WorkCalendar) -> None:
    # Every start day of 2025 and the first nine months of 2026, several lengths.
    for d in all_days(2025) + [x for x in all_days(2026) if x.month <= 9]:
        for n in (1, 7, 15, 20, 40):
            assert cal.add_workdays(d, n) == naive_add(d, n), (d, n)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2025-03-03", "2025-03-03", 0),
        ("2025-03-03", "2025-03-04", 0),  # nothing strictly between
        ("2025-03-03", "2025-03-05", 1),
        ("2025-03-05", "2025-03-03", 0),  # reversed
        ("2025-03-03", "2025-03-14", 8),  # example A continuation: 4-7 Mar and 10-13 Mar
        ("2025-01-24", "2025-02-10", 6),  # 26 Jan, 27 Jan, 5, 6, 7, 8 Feb
        ("2025-01-27", "2025-02-05", 0),  # the whole 春节 block
        ("2025-09-30", "2025-10-09", 0),  # the whole 国庆 block
        ("2025-09-26", "2025-09-29", 1),  # Sun 28 Sep make-up
        ("2025-12-31", "2026-01-05", 1),  # Sun 4 Jan make-up
        ("2026-02-13", "2026-02-24", 1),  # Sat 14 Feb make-up only
        ("2026-02-27", "2026-03-02", 1),  # Sat 28 Feb make-up
        ("2026-05-08", "2026-05-11", 1),  # Sat 9 May make-up
        ("2026-09-18", "2026-09-21", 1),  # Sun 20 Sep make-up
        ("2026-09-24", "2026-10-08", 3),  # 20 Sep no; 28, 29, 30 Sep
        ("2026-10-09", "2026-10-12", 1),  # Sat 10 Oct make-up
    ],
)
def test_workdays_between_hand_checked(cal: WorkCalendar, a: str, b: str, expected: int) -> None:
    assert cal.workdays_between(D(a), D(b)) == expected
    if D(b) > D(a):
        assert naive_between(D(a), D(b)) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2025-03-03", "2025-03-03", 0),
        ("2025-03-03", "2025-03-04", 1),
        ("2025-01-24", "2025-02-27", 20),  # example A: 20 WD until the due date inclusive
        ("2025-01-25", "2025-01-26", 1),  # make-up Sunday counts
        ("2025-02-07", "2025-02-09", 1),  # Sat 8 Feb counts, Sun 9 Feb does not
        ("2025-09-25", "2025-10-29", 20),  # example B
        ("2025-12-15", "2026-01-13", 20),  # example C
        ("2026-02-13", "2026-02-24", 2),
        ("2026-10-09", "2026-10-11", 1),
        ("2025-03-04", "2025-03-03", -1),  # overdue by one working day
        ("2025-02-27", "2025-01-24", -20),
        ("2025-02-05", "2025-01-27", -1),  # (27 Jan, 5 Feb]: only 5 Feb
    ],
)
def test_workdays_until_hand_checked(cal: WorkCalendar, a: str, b: str, expected: int) -> None:
    assert cal.workdays_until(D(a), D(b)) == expected


def test_workdays_until_matches_oracle(cal: WorkCalendar) -> None:
    days = all_days(2025) + all_days(2026)
    for i in range(0, len(days) - 60, 7):
        a = days[i]
        for j in (1, 2, 3, 10, 29, 45, 60):
            b = days[i + j]
            assert cal.workdays_until(a, b) == naive_between(a, b) + spec_is_workday(b), (a, b)


def test_index_roundtrip_after_queries_in_other_years() -> None:
    cal = WorkCalendar()
    assert cal.day(cal.index_after(D("2026-01-03"))) == D("2026-01-04")
    # A query for an earlier year extends the index backwards ...
    assert cal.day(cal.index_on_or_after(D("2025-01-25"))) == D("2025-01-26")
    # ... and fresh look-ups are still right afterwards.
    assert cal.day(cal.index_after(D("2026-01-03"))) == D("2026-01-04")
    assert cal.add_workdays(D("2026-02-13"), 2) == D("2026-02-24")


# -- validate_year_entries ------------------------------------------------------------------------


def test_validate_year_entries_accepts_spec_2026() -> None:
    rows = [(d, "off", "节假日") for d in sorted(d for d in DAYS_OFF if d.year == 2026)] + [
        (d, "makeup_workday", "调休上班") for d in sorted(d for d in MAKEUP if d.year == 2026)
    ]
    s = validate_year_entries(2026, rows)
    assert s.announced
    assert set(s.days_off) == {d for d in DAYS_OFF if d.year == 2026}
    assert set(s.makeup_workdays) == {d for d in MAKEUP if d.year == 2026}
    cal = WorkCalendar({2026: s})
    assert all(cal.is_workday(d) == spec_is_workday(d) for d in all_days(2026))


def test_validate_date_outside_year() -> None:
    with pytest.raises(InputError, match="2026-01-01"):
        validate_year_entries(2025, [(D("2026-01-01"), "off", "元旦")])


def test_validate_makeup_on_weekday() -> None:
    # Mon 2025-01-27 as make-up day: make-up days must be Saturdays or Sundays.
    with pytest.raises(InputError, match="2025-01-27"):
        validate_year_entries(2025, [(D("2025-01-27"), "makeup_workday", "春节")])


def test_validate_date_both_off_and_makeup() -> None:
    with pytest.raises(InputError, match="2025-02-08"):
        validate_year_entries(
            2025, [(D("2025-02-08"), "off", "春节"), (D("2025-02-08"), "makeup_workday", "春节")]
        )


def test_validate_bad_kind_and_lists_every_problem() -> None:
    with pytest.raises(InputError) as err:
        validate_year_entries(
            2025,
            [
                (D("2024-12-31"), "off", "x"),
                (D("2025-03-03"), "makeup_workday", "x"),
                (D("2025-03-04"), "holiday", "x"),
            ],
        )
    msg = str(err.value)
    assert "2024-12-31" in msg and "2025-03-03" in msg and "2025-03-04" in msg


def test_validate_weekend_days_off_are_allowed() -> None:
    # Days off may fall on any day of the week (2.5).
    s = validate_year_entries(2025, [(D("2025-02-01"), "off", "春节"), (D("2025-02-02"), "off", "春节")])
    assert set(s.days_off) == {D("2025-02-01"), D("2025-02-02")}


# -- an imported year must cover every statutory holiday (issue 11) --------------------------------

ALL_SEVEN = ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]


def _spec_rows(year: int) -> list[list[object]]:
    return [[d.isoformat(), "off", "节假日"] for d in sorted(d for d in DAYS_OFF if d.year == year)] + [
        [d.isoformat(), "makeup_workday", "调休上班"] for d in sorted(d for d in MAKEUP if d.year == year)
    ]


@pytest.mark.parametrize("year", [2025, 2026])
def test_spec_schedules_cover_every_statutory_holiday(year: int) -> None:
    """2.2: 2025 puts 中秋 (Mon 6 Oct) inside the National Day block; 2026 lists each holiday."""
    rows = [(D(str(r[0])), str(r[1]), str(r[2])) for r in _spec_rows(year)]
    assert missing_statutory_holidays(validate_year_entries(year, rows)) == []
    header = ["日期", "类型", "名称"]
    numbered = list(enumerate(_spec_rows(year), start=2))
    assert [s.year for s in schedules_from_rows("ok.csv", header, numbered)] == [year]


def test_only_new_year_and_one_makeup_day_is_refused_naming_the_missing_holidays() -> None:
    """The issue's 2027 file: 元旦 and one make-up day only (February would have 21 working days)."""
    rows = [(2, ["2027-01-01", "off", "元旦"]), (3, ["2027-02-20", "makeup_workday", "春节"])]
    schedule = validate_year_entries(2027, [(D(str(c[0])), str(c[1]), str(c[2])) for _, c in rows])
    assert missing_statutory_holidays(schedule) == ALL_SEVEN[1:]
    with pytest.raises(InputError) as err:
        schedules_from_rows("2027.csv", ["日期", "类型", "名称"], rows)
    msg = str(err.value)
    assert "2027.csv" in msg and "2027" in msg and "\n" not in msg
    assert all(name in msg for name in ALL_SEVEN[1:]) and "元旦" not in msg
    assert "--allow-incomplete" in msg
    accepted = schedules_from_rows("2027.csv", ["日期", "类型", "名称"], rows, allow_incomplete=True)
    assert set(accepted[0].days_off) == {D("2027-01-01")}


def test_a_holiday_is_covered_by_a_day_off_in_its_window_even_on_a_weekend() -> None:
    """Qingming 2027 is Mon 5 Apr (solar term): Sat 3 Apr counts (within 3 days); 10 Apr does not.
    元旦 is never looked for in the previous December (an import holds one year's dates)."""
    base = [
        ("2027-01-04", "元旦"),
        ("2027-02-08", "春节"),
        ("2027-05-03", "劳动节"),
        ("2027-06-09", "端午节"),
        ("2027-09-15", "中秋节"),
        ("2027-10-04", "国庆节"),
    ]

    def sched(extra: str) -> list[str]:
        rows = [(D(d), "off", n) for d, n in [*base, (extra, "清明节")]]
        return missing_statutory_holidays(validate_year_entries(2027, rows))

    assert sched("2027-04-03") == []
    assert sched("2027-04-10") == ["清明节"]


def test_every_announced_schedule_2008_2026_covers_its_statutory_holidays() -> None:
    """The window is wide enough for every real State Council schedule the seed carries (weekend
    holidays compensated on a weekday, Mid-Autumn inside the National Day block, ...)."""
    from gongkai.register.workcal import SEED_ANNOUNCED_YEARS, seed_schedule

    assert {y: missing_statutory_holidays(seed_schedule(y)) for y in SEED_ANNOUNCED_YEARS} == {
        y: [] for y in SEED_ANNOUNCED_YEARS
    }
