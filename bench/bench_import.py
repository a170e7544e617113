"""Import a request register into a fresh SQLite database, then import it again (issue 15's goals).

Run: ``python bench/bench_import.py [--rows N]`` (default 100,000) or ``--million`` (1,000,000 rows,
once: the re-import is skipped). The CSV is generated streaming. Prints the time of each import and
the process's peak RSS, and exits 1 when a goal is missed:

* the first import of 100,000 rows (or fewer) in under :data:`GOAL_100K_S` seconds;
* the first import of 1,000,000 rows in under :data:`GOAL_1M_S` seconds (between them: proportionally);
* peak RSS under :data:`GOAL_RSS_MB` MB whatever the size;
* the re-import of the same file writes nothing.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from benchoffice import bench_office

from gongkai.register import repository as register
from gongkai.register.importer import import_register
from gongkai.store.db import open_database, session_scope

GOAL_100K_S = 8.0
"""Seconds for the first import of 100,000 rows."""
GOAL_1M_S = 90.0
"""Seconds for the first import of 1,000,000 rows."""
GOAL_RSS_MB = 300.0
"""Peak resident memory of the whole run, whatever the size."""

HEADER = [
    "编号",
    "收到日期",
    "申请方式",
    "申请人类型",
    "申请人",
    "联系方式",
    "申请内容",
    "承办人",
    "补正告知日期",
    "收到补正日期",
    "征求意见日期",
    "收到意见日期",
    "延期批准日期",
    "答复日期",
    "办理结果",
]
TYPES = ["自然人"] * 8 + ["商业企业", "法律服务机构", "科研机构", "社会公益组织", "其他"]
CHANNELS = ["当面", "邮寄", "平常信函", "网络", "传真"]
OUTCOMES = ["3.1", "3.1", "3.2", "3.4.1", "3.5.1", "3.3.4", "3.6.3"]


def write_register(path: Path, n: int) -> None:
    """A valid register of ``n`` applications received 2024-01-01 … 2026-06-30."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            received = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
            row = [
                f"B{i:07d}",
                received.isoformat(),
                rng.choice(CHANNELS),
                rng.choice(TYPES),
                f"申请人{i}",
                f"1{rng.randrange(10**10):010d}",
                f"申请公开第{i}号事项的相关文件",
                "wang",
            ]
            corr_req = corr_rec = cons = cons_rep = ext = ""
            day = received
            if rng.random() < 0.1:
                day += timedelta(days=3)
                corr_req = day.isoformat()
                day += timedelta(days=5)
                corr_rec = day.isoformat()
            if rng.random() < 0.1:
                day += timedelta(days=4)
                cons = day.isoformat()
                day += timedelta(days=7)
                cons_rep = day.isoformat()
            if rng.random() < 0.05:
                day += timedelta(days=2)
                ext = day.isoformat()
            day += timedelta(days=rng.randint(2, 20))
            replied, outcome = day.isoformat(), rng.choice(OUTCOMES)
            row += [corr_req, corr_rec, cons, cons_rep, ext, replied, outcome]
            w.writerow(row)


def goal_seconds(n: int) -> float:
    """The time goal of a first import of ``n`` rows."""
    if n <= 100_000:
        return GOAL_100K_S
    return GOAL_100K_S + (GOAL_1M_S - GOAL_100K_S) * (n - 100_000) / 900_000


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100,000)")
    parser.add_argument("--million", action="store_true", help="1,000,000 rows, one import")
    parser.add_argument("legacy_rows", nargs="?", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = 1_000_000 if args.million else args.legacy_rows or args.rows
    runs = 1 if args.million else 2
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        t0 = time.perf_counter()
        write_register(path, n)
        print(
            f"generated:            {path.stat().st_size / 1024 / 1024:.0f} MB CSV in {time.perf_counter() - t0:.1f} s"
        )
        engine = open_database(f"sqlite:///{tmp}/bench.db")
        office_id = bench_office(engine)
        with session_scope(engine, office_id) as s:
            register.sync_staff(s, [("wang", "王丽", ["handler"])])
        as_of = date(2026, 11, 27)
        timings = []
        for _ in range(runs):
            t0 = time.perf_counter()
            with session_scope(engine, office_id) as s:
                cal = register.load_calendar(s)
                result = import_register(
                    s, path, calendar=cal, as_of=as_of, recorded_by="bench", staff_ids={"wang"}
                )
            timings.append((time.perf_counter() - t0, result))
        with engine.connect() as c:
            mine = {"office": office_id}
            apps = c.execute(
                sa.text("SELECT count(*) FROM application WHERE office_id = :office"), mine
            ).scalar()
            events = c.execute(
                sa.text("SELECT count(*) FROM application_event WHERE office_id = :office"), mine
            ).scalar()
        engine.dispose()
    peak_mb = peak_rss_mb()
    t1, r1 = timings[0]
    print(f"rows:                 {n:,}  ({apps:,} applications, {events:,} events in the database)")
    print(f"first import:         {t1:.1f} s  (inserted {r1.inserted:,}, events {r1.events_added:,})")
    missed: list[str] = []
    if len(timings) > 1:
        t2, r2 = timings[1]
        print(
            f"re-import, same file: {t2:.1f} s  (inserted {r2.inserted}, events {r2.events_added}, unchanged {r2.unchanged:,})"
        )
        if r2.inserted or r2.events_added:
            missed.append("the re-import wrote rows")
    print(f"peak memory (RSS):    {peak_mb:.0f} MB")
    goal = goal_seconds(n)
    if t1 >= goal:
        missed.append(f"first import {t1:.1f} s, goal < {goal:.1f} s")
    if peak_mb >= GOAL_RSS_MB:
        missed.append(f"peak RSS {peak_mb:.0f} MB, goal < {GOAL_RSS_MB:.0f} MB")
    if r1.inserted != n:
        missed.append(f"inserted {r1.inserted:,} of {n:,}")
    for line in missed:
        print(f"GOAL MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
