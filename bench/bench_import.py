"""Import a 100,000-row request register into a fresh SQLite database, then import it again.

Run: ``python bench/bench_import.py [N]``. The first import must stay under 30 s; the second
(idempotent re-import) writes nothing.
"""

from __future__ import annotations

import csv
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

from gongkai.register import repository as register
from gongkai.register.importer import import_register
from gongkai.store.db import open_database, session_scope

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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        write_register(path, n)
        engine = open_database(f"sqlite:///{tmp}/bench.db")
        with session_scope(engine) as s:
            register.sync_staff(s, [("wang", "王丽", ["handler"])])
        as_of = date(2026, 11, 27)
        timings = []
        for _ in range(2):
            t0 = time.perf_counter()
            with session_scope(engine) as s:
                cal = register.load_calendar(s)
                result = import_register(
                    s, path, calendar=cal, as_of=as_of, recorded_by="bench", staff_ids={"wang"}
                )
            timings.append((time.perf_counter() - t0, result))
        with engine.connect() as c:
            apps = c.execute(sa.text("SELECT count(*) FROM application")).scalar()
            events = c.execute(sa.text("SELECT count(*) FROM application_event")).scalar()
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (t1, r1), (t2, r2) = timings
    print(f"rows:                 {n:,}  ({apps:,} applications, {events:,} events in the database)")
    print(f"first import:         {t1:.1f} s  (inserted {r1.inserted:,}, events {r1.events_added:,})")
    print(
        f"re-import, same file: {t2:.1f} s  (inserted {r2.inserted}, events {r2.events_added}, unchanged {r2.unchanged:,})"
    )
    print(f"peak memory (RSS):    {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
