"""Import 50,000 catalogue items (each with a review record) and import the same file again.

Run: ``python bench/bench_items.py [DATABASE_URL] [--items N]`` (default: a fresh SQLite file, 50,000 items).
Prints both timings. The items belong to the shipped configuration's office, made as every command makes it.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from benchoffice import bench_office

from gongkai.catalogue.itemimport import import_items
from gongkai.core.codes import ART20_CATEGORIES
from gongkai.register.repository import sync_staff
from gongkai.store.db import open_database, session_scope

HEADER = [
    "索引号",
    "名称",
    "内容概述",
    "生成日期",
    "类别",
    "五公开",
    "公开日期",
    "网址",
    "负责人",
    "审核人",
    "审核日期",
    "审核结果",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--items", type=int, default=50_000, help="catalogue items (default 50,000)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = args.url or f"sqlite:///{folder}/items.db"
    path = folder / "items.csv"
    categories = list(ART20_CATEGORIES)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(args.items):
            formed = date(2020, 1, 1) + timedelta(days=i % 2000)
            w.writerow(
                [
                    f"JX/{i:06d}",
                    f"信息{i}",
                    "概述",
                    formed.isoformat(),
                    categories[i % len(categories)],
                    "结果",
                    (formed + timedelta(days=3)).isoformat(),
                    f"https://x.example/{i}.html",
                    "wang",
                    "赵建国",
                    formed.isoformat(),
                    "同意公开",
                ]
            )
    engine = open_database(url)
    office_id = bench_office(engine)
    with session_scope(engine, office_id) as s:
        sync_staff(s, [("wang", "王丽", ("handler", "administrator"))])
    for label in ("first import", "same file again"):
        t0 = time.perf_counter()
        with session_scope(engine, office_id) as s:
            result = import_items(s, path, by="wang", staff_ids={"wang"}, categories=())
        print(f"{label:16} {time.perf_counter() - t0:.2f} s  {result}")
    engine.dispose()


if __name__ == "__main__":
    main()
