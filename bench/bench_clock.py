"""Clocks for 100,000 applications with random events, against a naive day-by-day loop.

Run: ``python bench/bench_clock.py [N]``. Prints the figures recorded in the README.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta

from gongkai.register.deadlines import Event, compute_clock
from gongkai.register.workcal import WorkCalendar


def random_case(rng: random.Random) -> tuple[date, list[Event]]:
    """A receipt date in 2024-2026 and a plausible event history."""
    received = date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))
    events: list[Event] = []
    day = received
    if rng.random() < 0.15:
        day += timedelta(days=rng.randint(1, 6))
        events.append(Event("correction_requested", day))
        day += timedelta(days=rng.randint(1, 10))
        events.append(Event("correction_received", day))
    if rng.random() < 0.2:
        day += timedelta(days=rng.randint(1, 8))
        events.append(Event("consultation_sent", day))
        if rng.random() < 0.8:
            day += timedelta(days=rng.randint(1, 18))
            events.append(Event("consultation_replied", day))
    if rng.random() < 0.1:
        day += timedelta(days=rng.randint(1, 5))
        events.append(Event("extension_approved", day, rng.choice([None, 10, 15])))
    if rng.random() < 0.7:
        day += timedelta(days=rng.randint(1, 15))
        events.append(Event("replied", day, outcome="3.1"))
    return received, events


def naive_due(cal: WorkCalendar, start: date, n: int) -> date:
    """The n-th working day after ``start``, one day at a time (the approach the index replaces)."""
    d, counted = start, 0
    while counted < n:
        d += timedelta(days=1)
        if cal.is_workday(d):
            counted += 1
    return d


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rng = random.Random(2025)
    cases = [random_case(rng) for _ in range(n)]
    as_of = date(2026, 11, 27)

    t0 = time.perf_counter()
    cal = WorkCalendar()
    cal.prepare(2024, 2027)  # build the index for the years the cases touch
    t_index = time.perf_counter() - t0

    def timed(explain: bool) -> float:
        runs = []
        for _ in range(3):
            cal = WorkCalendar()
            cal.prepare(2024, 2027)
            t0 = time.perf_counter()
            for received, events in cases:
                compute_clock(received, events, calendar=cal, as_of=as_of, explain=explain)
            runs.append(time.perf_counter() - t0)
        return statistics.median(runs)

    t_clock = timed(explain=False)
    t_explained = timed(explain=True)

    # The naive baseline: the same four counts (7, 20, 40 WD and the restart) day by day, on a
    # sample, scaled up. It computes less than compute_clock (no pauses, no explanations).
    sample = cases[: max(1, n // 50)]
    cal = WorkCalendar()
    t0 = time.perf_counter()
    for received, _events in sample:
        naive_due(cal, received, 7)
        naive_due(cal, received, 20)
        naive_due(cal, received, 40)
    t_naive = (time.perf_counter() - t0) * (n / len(sample))

    cal = WorkCalendar()
    t0 = time.perf_counter()
    for received, _events in cases:
        cal.add_workdays(received, 7)
        cal.add_workdays(received, 20)
        cal.add_workdays(received, 40)
    t_bisect = time.perf_counter() - t0

    print(f"applications:                       {n:,}")
    print(f"working-day index build (4 years):  {t_index * 1000:.1f} ms")
    print(
        f"compute_clock, all clocks + state:  {t_clock:.3f} s  (median of 3, {t_clock / n * 1e6:.1f} us each)"
    )
    print(f"  ... with the Chinese explanation: {t_explained:.3f} s  (what `request show` prints)")
    print(f"the same three counts, bisect:      {t_bisect:.3f} s")
    print(f"the same three counts, day by day:  {t_naive:.3f} s  (extrapolated from {len(sample):,})")
    print(f"day-by-day / bisect:                {t_naive / t_bisect:.0f}x")
    print(f"day-by-day / full compute_clock:    {t_naive / t_clock:.1f}x")


if __name__ == "__main__":
    main()
