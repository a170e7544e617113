"""The weekly content review over 50,000 catalogue items (issue 6: "a review run over 50,000 items in under 10 s").

Run: ``python bench/bench_review.py [--items N] [--postgres URL] [--profile]`` (default: 50,000 items in a fresh
SQLite file under a temporary folder; with ``--postgres`` a throwaway database is created on that server and
dropped afterwards). The demo configuration gets a ``[review]`` section with six ``[[review.columns]]``.

The catalogue is built with Core bulk inserts in a *subprocess* (so that building it does not count towards the
measured peak memory): about 80 % published items in force over the last five years in the Art. 20 categories
(some past their ``valid_until``, some repealed but still marked in force, 1 % with a fictional resident ID
number — region 990101 — or mobile number in the summary, a few changed after publication), properly repealed
and withdrawn items, 5 % withheld (``not_public``), 3 % unpublished drafts, some on-request items, and about
30,000 pre-publication reviews (``item_review``), all of the configuration's office (made as every command makes
it; every session below is scoped to it). Then, each timed in its own transaction like the flow's task
(``tasks.review.review_content``): the calendar, :func:`gongkai.review.periodic.run_review`, writing its notices to the
outbox and the commit (the notices are then marked sent, untimed, as the flow's delivery task would), for

* the first run (every finding opens a task),
* the second run a week later (the tasks exist; only what fell due during the week is new),
* outcomes recorded for about 1,000 tasks, one transaction each (what ``gongkai review record`` does),
* the third run another week later,

and the next day's reminder planning (:func:`gongkai.reminders.plan.plan_reminders`, with the first run's tasks
overdue) with its outbox. Prints the figures, the peak RSS, and whether every review run (calendar + review +
outbox + commit) stayed under 10 s; exits 1 when one did not. ``--profile`` prints the top functions of a
cProfile of the first run. On PostgreSQL, ``ANALYZE`` runs (untimed) after the build and after each weekly run,
standing in for autovacuum between runs that are days apart in real life and seconds apart here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TARGET_S = 10.0
AS_OF = date(2026, 11, 23)  # a Monday: the review runs on Mondays (schedules.review = "0 9 * * 1")
SECOND = AS_OF + timedelta(days=7)
THIRD = AS_OF + timedelta(days=14)
REMINDERS_DAY = THIRD + timedelta(days=1)  # the first run's tasks (due in 10 working days) are overdue
SPAN_DAYS = 5 * 365
RECORD_TARGET = 1000

REVIEW_SECTION = """

# -- added by bench/bench_review.py --------------------------------------------------------------
[review]
owner = "wang"
interval_days = 365
category_intervals = { "规范性文件" = 180, "行政处罚" = 730 }
withheld_interval_days = 180

[[review.columns]]
name = "通知公告"
kind = "news"
categories = ["其他法定公开信息", "应急管理"]

[[review.columns]]
name = "政策文件"
kind = "policy"
categories = ["规范性文件", "规划计划"]

[[review.columns]]
name = "财政资金"
kind = "other"
categories = ["财政预决算", "行政事业性收费", "政府采购"]

[[review.columns]]
name = "行政执法公示"
kind = "news"
categories = ["行政许可", "行政处罚", "行政强制"]
stale_days = 30

[[review.columns]]
name = "人事招录"
kind = "news"
categories = ["招考录用"]

[[review.columns]]
name = "信息公开年报"
kind = "other"
categories = ["政府信息公开"]
"""
# 人事招录: nothing published for the last 90 days (stale); 信息公开年报: no items at all (empty).
QUIET_CATEGORY, QUIET_DAYS = "招考录用", 90

# Relative frequency of each Art. 20 category (enforcement and procurement dominate a street office's catalogue).
CATEGORY_WEIGHTS = {
    "规范性文件": 4, "机构职能": 1, "规划计划": 2, "统计信息": 3, "行政许可": 10, "行政处罚": 14, "行政强制": 2,
    "财政预决算": 2, "行政事业性收费": 1, "政府采购": 8, "重大建设项目": 2, "社会救助": 10, "就业社保": 6,
    "应急管理": 4, "监督检查": 5, "招考录用": 1, "其他法定公开信息": 6,
}  # fmt: skip
KINDS_OF_DOC = ["通知", "公告", "决定", "批复", "公示", "通报", "报告"]
WITHHOLD_REASONS = [
    "涉及商业秘密，第三方不同意公开（条例第十五条）",
    "内部事务信息（条例第十六条第一款）",
    "过程性信息（条例第十六条第二款）",
    "公开后可能危及社会稳定（条例第十四条）",
]


# -- the data --------------------------------------------------------------------------------------------------


def fictional_id(rng: random.Random) -> str:
    """A resident ID number with a valid check character in the unused region 990101 (never a real person's)."""
    from gongkai.core.idnumber import id_check_digit

    born = date(1950, 1, 1) + timedelta(days=rng.randrange(50 * 365))
    first17 = f"990101{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def order_number(rng: random.Random) -> str:
    """An 18-digit project number whose last digit is not an ID check character (must not be flagged)."""
    from gongkai.core.idnumber import id_check_digit

    first17 = f"{rng.randrange(10**17):017d}"
    check = id_check_digit(first17)
    return first17 + next(d for d in "0123456789" if d != check)


def summary(rng: random.Random, category: str, generated: date, pii: bool) -> str:
    """A summary like real ones: dates, amounts, landlines, some project numbers (digits for the scan to read)."""
    parts = [
        f"根据有关规定，现将{generated.year}年{generated.month}月{generated.day}日{category}有关事项公开如下",
        f"涉及金额{rng.randint(1000, 9_999_999)}元，办理时限{rng.randint(1, 30)}个工作日",
        f"咨询电话0537-{rng.randint(1_000_000, 9_999_999)}，监督电话12345",
        "请相关单位和个人按照要求认真执行，如有疑问请在工作日办公时间咨询",
        f"项目编号{order_number(rng)}，实施期限至{generated.year + 1}年12月31日",
    ]
    text = "；".join(rng.sample(parts, rng.randint(1, 4)))
    if pii:
        text += (f"；联系人张某，身份证号{fictional_id(rng)}" if rng.random() < 0.5
                 else f"；联系人李某，手机{rng.choice(['139', '186', '177'])} {rng.randrange(10**4):04d} "
                      f"{rng.randrange(10**4):04d}")  # fmt: skip
    return text + "。"


def _finish_row(
    rng: random.Random,
    i: int,
    kind: str,
    row: dict[str, Any],
    generated: date,
    published: date,
    pii: bool,
    reviews: list[tuple[int, dict[str, Any]]],
    mix: Counter[str],
) -> None:
    """Give ``row`` the dates and reviews of its ``kind`` (same random draws, in order, as before the split)."""
    mix[kind] += 1
    if kind in ("published", "repealed", "withdrawn"):
        row["published_on"] = published
        if rng.random() < 0.62:  # reviewed before publication (the rest predate the review register)
            reviews.append((i, {"reviewer": "赵建国", "reviewed_on": published - timedelta(days=rng.randint(0, 1)),
                                "result": "publish" if rng.random() < 0.9 else "publish_redacted"}))  # fmt: skip
    if kind == "published":
        q = rng.random()
        if q < 0.05:  # a validity period: about half of them over by now
            row["valid_until"] = generated + timedelta(days=365 * rng.randint(1, 5))
            mix["  of which valid_until set"] += 1
            mix["  of which valid_until past"] += row["valid_until"] < AS_OF
        elif q < 0.06:  # repealed by a later document, the catalogue not updated
            row["repealed_on"] = published + timedelta(days=rng.randint(1, max(1, (AS_OF - published).days)))
            mix["  of which repealed_on past, in force"] += 1
        elif q < 0.065:  # changed after publication (Art. 26 runs again from the change)
            row["changed_on"] = AS_OF - timedelta(days=rng.randint(0, 30))
            mix["  of which changed after publication"] += 1
        mix["  of which personal data in summary"] += pii
    elif kind == "repealed":
        row["validity"] = "repealed"
        row["repealed_on"] = published + timedelta(days=rng.randint(1, max(1, (AS_OF - published).days)))
    elif kind == "withdrawn":
        row["withdrawn_on"] = min(AS_OF, published + timedelta(days=rng.randint(10, 300)))
    elif kind == "not_public":
        row["attribute"], row["attribute_reason"] = "not_public", rng.choice(WITHHOLD_REASONS)
        if rng.random() < 0.7:
            reviews.append((i, {"reviewer": "赵建国", "reviewed_on": min(AS_OF, generated + timedelta(days=3)),
                                "result": "withhold", "legal_ground": row["attribute_reason"]}))  # fmt: skip
    elif kind == "draft":
        row["review_required"] = rng.random() < 0.95
        if rng.random() < 0.3:  # reviewed, waiting to be published
            reviews.append((i, {"reviewer": "赵建国", "reviewed_on": min(AS_OF, generated + timedelta(days=2)),
                                "result": "publish"}))  # fmt: skip
    elif kind == "on_request":
        row["attribute"] = "on_request"


def make_catalogue(n: int) -> tuple[list[dict[str, Any]], list[tuple[int, dict[str, Any]]], Counter[str]]:
    """``n`` item rows (as of AS_OF), the pre-publication reviews as (item position, row), and the mix."""
    from gongkai.core.codes import ART20_CATEGORIES

    rng = random.Random(6)
    categories = list(ART20_CATEGORIES)
    weights = [CATEGORY_WEIGHTS[c] for c in categories]
    items: list[dict[str, Any]] = []
    reviews: list[tuple[int, dict[str, Any]]] = []
    mix: Counter[str] = Counter()
    for i in range(n):
        category = rng.choices(categories, weights)[0]
        p = rng.random()
        kind = ("published" if p < 0.80 else "repealed" if p < 0.88 else "not_public" if p < 0.93
                else "draft" if p < 0.96 else "on_request" if p < 0.98 else "withdrawn")  # fmt: skip
        oldest = QUIET_DAYS if category == QUIET_CATEGORY else 0
        if kind == "draft":
            generated = AS_OF - timedelta(
                days=rng.randint(0, 45) if rng.random() < 0.9 else rng.randint(46, 400)
            )
        else:
            generated = AS_OF - timedelta(days=rng.randint(oldest + 25, SPAN_DAYS))
        published = generated + timedelta(days=rng.randint(1, 25))
        pii = kind == "published" and rng.random() < 0.01
        row: dict[str, Any] = {
            "index_no": f"11370829-{generated.year}-{i:07d}",
            "title": f"关于{category}第{i}号事项的{rng.choice(KINDS_OF_DOC)}",
            "summary": summary(rng, category, generated, pii),
            "generated_on": generated, "changed_on": None,
            "doc_number": f"嘉街发〔{generated.year}〕{i % 300 + 1}号" if rng.random() < 0.4 else None,
            "issuing_body": "嘉祥街道办事处", "category": category,
            "doc_type": "normative_document" if category == "规范性文件" else "other",
            "five_publics": rng.choice(["结果", "执行", None]), "attribute": "proactive", "attribute_reason": None,
            "validity": "in_force", "valid_from": None, "valid_until": None, "repealed_on": None,
            "published_on": None, "withdrawn_on": None, "channel": "政府网站",
            "url": f"https://jiaxiang-demo.example/xxgk/{i}.html",
            "owner_id": rng.choice(["wang", "li", "li", None]), "review_required": True,
        }  # fmt: skip
        _finish_row(rng, i, kind, row, generated, published, pii, reviews, mix)
        for key in ("published_on", "withdrawn_on", "repealed_on", "changed_on"):
            if row[key] is not None and row[key] > AS_OF:
                row[key] = AS_OF if key != "published_on" else None
        items.append(row)
    return items, reviews, mix


def build(url: str, n: int, config: str) -> dict[str, Any]:
    """Runs in a subprocess: a migrated database with the configuration's office, its staff, ``n`` items and their
    reviews (Core inserts)."""
    import sqlalchemy as sa
    from benchoffice import bench_office

    from gongkai.core.settings import load_settings
    from gongkai.register import repository as register
    from gongkai.store.db import open_database, session_scope
    from gongkai.store.models import utcnow
    from gongkai.store.tables import ITEM, ITEM_REVIEW

    t0 = time.perf_counter()
    items, reviews, mix = make_catalogue(n)
    t_make = time.perf_counter() - t0
    settings = load_settings(config)
    engine = open_database(url)
    office_id = bench_office(engine, settings)
    with session_scope(engine, office_id) as s:
        register.sync_staff(s, [(p.id, p.name, p.role) for p in settings.staff])
    now = utcnow()
    t0 = time.perf_counter()
    with engine.begin() as conn:
        rows = [{**r, "office_id": office_id, "created_at": now, "updated_at": now} for r in items]
        for k in range(0, len(rows), 5000):
            conn.execute(sa.insert(ITEM), rows[k : k + 5000])
        mine = sa.select(ITEM.c.index_no, ITEM.c.id).where(ITEM.c.office_id == office_id)
        ids = dict(conn.execute(mine).tuples().all())
        review_rows = [
            {"office_id": office_id, "item_id": ids[items[i]["index_no"]], "legal_ground": None, "referral": False, "note": None, **r,
             "recorded_at": now, "recorded_by": "bench"}
            for i, r in reviews
        ]  # fmt: skip
        for k in range(0, len(review_rows), 5000):
            conn.execute(sa.insert(ITEM_REVIEW), review_rows[k : k + 5000])
    t_insert = time.perf_counter() - t0
    engine.dispose()
    return {
        "office_id": office_id,
        "make_s": t_make,
        "insert_s": t_insert,
        "items": len(items),
        "reviews": len(review_rows),
        "mix": mix,
    }


def bench_config(demo: str) -> str:
    """The demo configuration with its ``[review]`` tables (if any) replaced by :data:`REVIEW_SECTION`."""
    kept, skipping = [], False
    for line in demo.splitlines():
        header = re.match(r"\s*\[\[?\s*([^\]\s]+)\s*\]", line)
        if header:
            skipping = header[1] == "review" or header[1].startswith("review.")
        if not skipping:
            kept.append(line)
    return "\n".join(kept) + "\n" + REVIEW_SECTION


# -- the measurements ------------------------------------------------------------------------------------------


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        sys.stdout.write("cProfile of the first run (top 30 by cumulative time):\n")
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)


def review_run(engine: Any, office_id: int, settings: Any, as_of: date, label: str) -> dict[str, Any]:
    """One weekly run as the flow's task does it: calendar, run_review, notices to the outbox, one commit."""
    from gongkai.notify.outbox import write_outbox
    from gongkai.register import repository as register
    from gongkai.review.periodic import run_review
    from gongkai.store.db import session_scope

    t0 = time.perf_counter()
    with session_scope(engine, office_id) as session:
        calendar = register.load_calendar(session)
        t1 = time.perf_counter()
        result = run_review(session, settings=settings, calendar=calendar, as_of=as_of)
        t2 = time.perf_counter()
        queued = write_outbox(session, result.notices, settings=settings, as_of=as_of, now=datetime.now(UTC),
                              supersede=False)  # fmt: skip
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    delivered(engine, office_id)
    c = result.counts
    return {
        "label": label, "as_of": as_of, "calendar": t1 - t0, "review": t2 - t1, "outbox": t3 - t2, "commit": t4 - t3,
        "total": t4 - t0, "found": c["found"], "new": c["new"], "still_open": c["still_open"],
        "already_done": c["already_done"], "closed": c["closed"], "open": c["open"], "urgent": c["urgent"],
        "overdue": c["overdue"], "notices": len(result.notices), "outbox_rows": queued.due, "outbox_new": queued.new,
        "by_kind": c["by_kind"], "rss": rss_mb(),
    }  # fmt: skip


def delivered(engine: Any, office_id: int) -> None:
    """Untimed: mark the queued notices sent, as the flow's next task (``send-review-notices``) would; then
    :func:`analyzed`, the week to the next run standing in for autovacuum."""
    import sqlalchemy as sa

    from gongkai.store.tables import OUTBOX

    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.office_id == office_id, OUTBOX.c.status == "pending")
            .values(status="sent", sent_at=datetime.now(UTC))
        )
    analyzed(engine)


def analyzed(engine: Any) -> None:
    """Untimed, PostgreSQL only: ``ANALYZE``, as autovacuum does within a minute of a bulk change. Runs here are
    days apart but the script runs them seconds apart: without it the planner would see tables it never
    analysed, and the outbox's per-500-key lookups become sequential scans (0.75 s each once psycopg prepares
    them)."""
    import sqlalchemy as sa

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))


OUTCOME_FOR: dict[str, list[str]] = {
    "pii": ["withdraw", "keep"],
    "repealed_listed": ["repealed"],
    "validity_ended": ["repealed", "repealed", "keep"],
    "rereview": ["keep"] * 16 + ["update"] * 3 + ["withdraw"],
    "column_empty": ["update"],
    "column_stale": ["update"],
    "withheld": ["withhold"] * 4 + ["publish"],
    "draft": ["publish"],
}


def record_outcomes(engine: Any, office_id: int, as_of: date) -> dict[str, Any]:
    """About RECORD_TARGET open tasks, every kind represented, each recorded in its own transaction."""
    from gongkai.review.periodic import list_tasks, record_outcome
    from gongkai.store.db import session_scope

    rng = random.Random(8)
    with session_scope(engine, office_id) as session:
        tasks = list_tasks(session, as_of=as_of)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for t in tasks:
        by_kind.setdefault(t["kind"], []).append(t)
    chosen = [
        t for kind, ts in by_kind.items() if kind != "rereview" for t in rng.sample(ts, min(len(ts), 40))
    ]
    rest = by_kind.get("rereview", [])
    chosen += rng.sample(rest, min(len(rest), max(0, RECORD_TARGET - len(chosen))))
    times: list[float] = []
    outcomes: Counter[str] = Counter()
    for t in chosen:
        outcome = rng.choice(OUTCOME_FOR[t["kind"]])
        t0 = time.perf_counter()
        with session_scope(engine, office_id) as session:
            record_outcome(session, t["id"], outcome=outcome, reviewer="赵建国", reviewed_on=as_of,
                           reason="经复查，按登记的处理结果办理", by="wang", as_of=as_of)  # fmt: skip
        times.append(time.perf_counter() - t0)
        outcomes[f"{t['kind']}:{outcome}"] += 1
    return {"n": len(times), "total": sum(times), "times": times, "outcomes": outcomes, "rss": rss_mb()}


def daily_reminders(engine: Any, office_id: int, settings: Any, as_of: date) -> dict[str, Any]:
    """The daily reminder planning with overdue review tasks present, and its outbox (supersede on)."""
    import sqlalchemy as sa

    from gongkai.core.officescope import in_office
    from gongkai.notify.outbox import write_outbox
    from gongkai.register import repository as register
    from gongkai.reminders.plan import plan_reminders
    from gongkai.store.db import session_scope
    from gongkai.store.tables import REVIEW_TASK as TASK

    with session_scope(engine, office_id) as session:
        overdue = session.execute(
            sa.select(sa.func.count())
            .select_from(TASK)
            .where(in_office(session, TASK), TASK.c.status == "open", TASK.c.due_on < as_of)
        ).scalar_one()
        calendar = register.load_calendar(session)
        t0 = time.perf_counter()
        planned = plan_reminders(session, settings=settings, calendar=calendar, as_of=as_of)
        t1 = time.perf_counter()
        queued = write_outbox(session, planned, settings=settings, as_of=as_of, now=datetime.now(UTC))
        t2 = time.perf_counter()
    t3 = time.perf_counter()
    kinds = Counter(p.kind for p in planned)
    return {"plan": t1 - t0, "outbox": t2 - t1, "commit": t3 - t2, "planned": len(planned), "kinds": kinds,
            "overdue_tasks": overdue, "outbox_rows": queued.due, "superseded": queued.superseded,
            "rss": rss_mb()}  # fmt: skip


# -- the databases ---------------------------------------------------------------------------------------------


@contextmanager
def fresh_database(tmp: str, postgres: str | None) -> Iterator[tuple[str, str]]:
    """A URL to an empty database (SQLite in ``tmp``, or a throwaway PostgreSQL database) and its description."""
    if postgres is None:
        yield f"sqlite:///{tmp}/bench.db", "SQLite (a fresh file in a temporary folder)"
        return
    import sqlalchemy as sa

    name = f"gk_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        try:
            url = sa.make_url(postgres).set(database=name).render_as_string(hide_password=False)
            yield url, f"PostgreSQL {version} (throwaway database {name})"
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# -- the report ------------------------------------------------------------------------------------------------


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters take two)."""
    return text + " " * max(1, width - sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))


def report(db: str, built: dict[str, Any], runs: list[dict[str, Any]], rec: dict[str, Any],
           rem: dict[str, Any], rss_imports: float, rss_peak: float) -> bool:  # fmt: skip
    from gongkai.review.periodic import KINDS

    out = sys.stdout.write
    mix = built["mix"]
    out(f"database:        {db}\n")
    out(f"catalogue:       {built['items']:,} items, {built['reviews']:,} item_review rows, 6 review columns; "
        f"built in {built['make_s'] + built['insert_s']:.1f} s (not timed)\n")  # fmt: skip
    out("  mix:           " + ", ".join(f"{k} {v:,}" for k, v in mix.items() if not k.startswith(" ")) + "\n")
    out(
        "  published:     "
        + ", ".join(f"{k.strip()[9:]} {v:,}" for k, v in mix.items() if k.startswith(" "))
        + "\n"
    )
    out("\n")
    head = (f"{'run':<13}{'as of':<12}{'calendar':>9}{'review':>8}{'outbox':>8}{'commit':>8}{'total':>8}"
            f"{'found':>8}{'new':>8}{'open':>8}{'done':>6}{'closed':>7}{'notices':>9}{'outbox rows':>12}{'peak RSS':>10}")  # fmt: skip
    out(head + "\n" + "-" * len(head) + "\n")
    for r in runs:
        out(f"{r['label']:<13}{r['as_of'].isoformat():<12}{r['calendar']:>8.2f}s{r['review']:>7.2f}s"
            f"{r['outbox']:>7.2f}s{r['commit']:>7.2f}s{r['total']:>7.2f}s{r['found']:>8,}{r['new']:>8,}"
            f"{r['open']:>8,}{r['already_done']:>6,}{r['closed']:>7,}{r['notices']:>9,}{r['outbox_new']:>12,}"
            f"{r['rss']:>7.0f} MB\n")  # fmt: skip
    out("\nfindings by kind\n")
    head = f"{'kind':<18}{'':<22}" + "".join(f"{r['label']:>13}" for r in runs)
    out(head + "\n" + "-" * (len(head) + 6) + "\n")
    for kind, label in KINDS.items():
        out(f"{kind:<18}{pad(label, 22)}" + "".join(f"{r['by_kind'][kind]:>13,}" for r in runs) + "\n")
    out(f"{'':<18}{'open tasks':<22}" + "".join(f"{r['open']:>13,}" for r in runs) + "\n")
    out(f"{'':<18}{'of them urgent':<22}" + "".join(f"{r['urgent']:>13,}" for r in runs) + "\n")
    times = sorted(rec["times"])
    if times:
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        out(f"\nrecord_outcome:  {rec['n']:,} tasks, one transaction each, {rec['total']:.2f} s in all: "
            f"mean {statistics.mean(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms (peak RSS {rec['rss']:.0f} MB)\n")  # fmt: skip
        out("  outcomes:      " + ", ".join(f"{k} {v}" for k, v in sorted(rec["outcomes"].items())) + "\n")
    out(f"plan_reminders:  {rem['plan']:.2f} s on {REMINDERS_DAY.isoformat()} with {rem['overdue_tasks']:,} overdue "
        f"review tasks: {rem['planned']:,} reminders planned ("
        + ", ".join(f"{k} {v:,}" for k, v in rem["kinds"].most_common()) + ")\n"
        f"  its outbox:    {rem['outbox']:.2f} s + commit {rem['commit']:.2f} s ({rem['outbox_rows']:,} rows, "
        f"{rem['superseded']:,} superseded; peak RSS {rem['rss']:.0f} MB)\n")  # fmt: skip
    out(f"peak memory:     {rss_peak:.0f} MB ru_maxrss ({rss_imports:.0f} MB after the imports; the catalogue "
        "was built in a subprocess)\n")  # fmt: skip
    slowest = max(runs, key=lambda r: r["total"])
    ok = float(slowest["total"]) < TARGET_S
    out(f"result:          slowest review run {slowest['total']:.2f} s ({slowest['label']}): "
        f"{'under' if ok else 'OVER'} the {TARGET_S:.0f} s target\n")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the weekly content review.")
    parser.add_argument("--items", type=int, default=50_000, help="catalogue items (default 50,000)")
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server URL: runs in a throwaway database"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the first run")
    parser.add_argument("--build-into", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_into:  # the subprocess
        sys.stdout.write(json.dumps(build(args.build_into, args.items, args.config)) + "\n")
        return 0

    import logging

    from gongkai.core.settings import load_settings
    from gongkai.store.db import open_database

    logging.getLogger("gongkai").setLevel(logging.ERROR)
    rss_imports = rss_mb()
    with tempfile.TemporaryDirectory() as tmp, fresh_database(tmp, args.postgres) as (url, db):
        os.environ["GONGKAI_HOME"] = tmp
        config = Path(tmp) / "gongkai.toml"
        config.write_text(
            bench_config((REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")), encoding="utf-8"
        )
        settings = load_settings(config)
        out = subprocess.run(
            [sys.executable, __file__, "--build-into", url, "--items", str(args.items), "--config", str(config)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        built = json.loads(out.stdout.strip().splitlines()[-1])
        office_id = int(built["office_id"])
        engine = open_database(url)
        analyzed(engine)
        try:
            runs = []
            with profiled(args.profile):
                runs.append(review_run(engine, office_id, settings, AS_OF, "first"))
            runs.append(review_run(engine, office_id, settings, SECOND, "second"))
            rec = record_outcomes(engine, office_id, SECOND)
            runs.append(review_run(engine, office_id, settings, THIRD, "third"))
            rem = daily_reminders(engine, office_id, settings, REMINDERS_DAY)
        finally:
            engine.dispose()
    ok = report(db, built, runs, rec, rem, rss_imports, rss_mb())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
