"""Annual-report statistics against one hand-written GROUP BY, at several register sizes, on SQLite or PostgreSQL.

Run: ``python bench/bench_report.py [N ...] [--year YEAR] [--postgres URL]`` (default: 10,000, 100,000 and
1,000,000 applications, year 2025, a fresh SQLite file per size; with ``--postgres`` a throwaway database
``gk_bench_…`` is created on that server for each size and dropped afterwards). Builds a register spread over
2015–2026 with SQLAlchemy Core bulk inserts (realistic applicant types, outcomes, processing times, a few
long-running and never-concluded applications, withdrawals, catalogue items and appeals, all of the shipped
configuration's office, made as every command makes it; on PostgreSQL then
``VACUUM ANALYZE``, untimed, as autovacuum does after a bulk insert), then measures in a *fresh subprocess* —
so that building the data does not count towards its memory — within the same run:

* the baseline: one hand-written ``SELECT outcome_row, applicant_type, count(*) … WHERE office_id = the office
  AND concluded_on in the year GROUP BY outcome_row, applicant_type`` (the cheapest query that gives an office's
  table 三 outcome rows, over the same database and its covering index);
* :func:`gongkai.report.stats.compute_statistics` for the year (tables 二, 三, 四 and the checks), and the
  number of SQL statements it sends (counted by a ``before_cursor_execute`` listener);
* :func:`gongkai.report.chart.monthly_outcome_series` (the chart's data), and whether the database plans it
  as a read of the covering index ``ix_application_report_received`` alone (no table rows).

Each timing is the median of several runs after one warm-up; the subprocess's peak memory is ``ru_maxrss``.
Required at every size (the goals of issue 15): statistics ≤ ``MAX_RATIO`` × baseline or ≤ ``MAX_ABOVE_S``
above it, whichever allows more; statistics < ``MAX_SECONDS``; peak memory < ``MAX_RSS_MB``; the hard
identities hold; the chart's series read from the covering index. Exits 1 when a requirement is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2026, 12, 31)  # the register as of the end of 2026
RUNS = 7
SIZES = (10_000, 100_000, 1_000_000)
MAX_RATIO = 3.0  # statistics at most 3 × the baseline …
MAX_ABOVE_S = 0.020  # … or at most 20 ms above it, whichever allows more
MAX_SECONDS = 5.0
MAX_RSS_MB = 300.0
COVERING_INDEX = "ix_application_report_received"

TYPES = (
    ["natural_person"] * 78
    + ["commercial"] * 8
    + ["research"] * 2
    + ["public_interest"] * 2
    + ["legal_services"] * 7
    + ["other_org"] * 3
)
# Outcome rows by frequency (None: withdrawn, counted in 3.6.3).
OUTCOMES: list[str | None] = (
    ["3.1"] * 35
    + ["3.2"] * 10
    + ["3.3.1", "3.3.2", "3.3.3", "3.3.5", "3.3.8"]
    + ["3.3.4"] * 2
    + ["3.3.6"] * 2
    + ["3.3.7"] * 2
    + ["3.4.1"] * 18
    + ["3.4.2"] * 2
    + ["3.4.3"] * 2
    + ["3.5.1"] * 4
    + ["3.5.2", "3.5.3", "3.5.4", "3.5.5"]
    + ["3.6.1"] * 3
    + ["3.6.2"]
    + ["3.6.3"] * 2
    + [None] * 4
)
CHANNELS = ["in_person", "post", "letter", "online", "online", "online", "fax"]

BASELINE_SQL = (
    "SELECT outcome_row, applicant_type, count(*) FROM application "
    "WHERE office_id = :office_id AND concluded_on >= :jan1 AND concluded_on <= :dec31 "
    "GROUP BY outcome_row, applicant_type"
)


def _lag(rng: random.Random) -> int | None:
    """Days from receipt to conclusion: mostly within the statutory 20 working days, a long tail."""
    p = rng.random()
    if p < 0.001:
        return None  # never concluded (e.g. still waiting for a correction)
    if p < 0.86:
        return rng.randint(1, 30)
    if p < 0.98:
        return rng.randint(31, 90)
    return rng.randint(91, 400)


def build(url: str, n: int) -> dict[str, int]:
    """Write ``n`` applications, catalogue items, appeals and yearly figures with Core bulk inserts, all of the
    shipped configuration's office (made as every command makes it)."""
    import sqlalchemy as sa
    from benchoffice import bench_office

    from gongkai.store.db import open_database
    from gongkai.store.models import utcnow
    from gongkai.store.tables import APP, APPEAL, FIGURE, ITEM

    engine = open_database(url)
    office_id = bench_office(engine)
    rng = random.Random(2021)
    now = utcnow()
    span = (LAST_DAY - FIRST_DAY).days + 1
    open_count = 0
    with engine.begin() as conn:
        batch: list[dict[str, Any]] = []
        for i in range(n):
            received = FIRST_DAY + timedelta(days=rng.randrange(span))
            lag = _lag(rng)
            concluded = None if lag is None else received + timedelta(days=lag)
            if concluded is not None and concluded > LAST_DAY:
                concluded = None
            outcome = None if concluded is None else rng.choice(OUTCOMES)
            if concluded is None:
                open_count += 1
                state = "in_progress"
            else:
                state = "withdrawn" if outcome is None else "replied"
            batch.append(
                {
                    "office_id": office_id,
                    "ref": f"B{i:07d}",
                    "received_on": received,
                    "channel": rng.choice(CHANNELS),
                    "applicant_type": rng.choice(TYPES),
                    "applicant_name": f"申请人{i}",
                    "content": "申请公开某事项",
                    "outcome_row": outcome,
                    "concluded_on": concluded,
                    "state": state,
                    "provisional": False,
                    "clock_version": 1,
                    "source": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) == 20_000:
                conn.execute(sa.insert(APP), batch)
                batch = []
        if batch:
            conn.execute(sa.insert(APP), batch)
        items = []
        for i in range(400):
            generated = FIRST_DAY + timedelta(days=rng.randrange(span))
            normative = rng.random() < 0.3
            repealed = (
                generated + timedelta(days=rng.randint(200, 2000))
                if normative and rng.random() < 0.3
                else None
            )
            items.append(
                {
                    "office_id": office_id,
                    "index_no": f"IDX-{i:05d}",
                    "title": f"文件{i}",
                    "summary": "",
                    "generated_on": generated,
                    "category": "规范性文件" if normative else "其他",
                    "doc_type": "normative_document" if normative else "other",
                    "attribute": "proactive",
                    "validity": "repealed" if repealed and repealed <= LAST_DAY else "in_force",
                    "repealed_on": repealed if repealed and repealed <= LAST_DAY else None,
                    "published_on": generated + timedelta(days=5),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        conn.execute(sa.insert(ITEM), items)
        appeals = []
        for _ in range(300):
            filed = FIRST_DAY + timedelta(days=rng.randrange(span))
            decided = filed + timedelta(days=rng.randint(30, 200))
            kind = rng.choice(["reconsideration", "reconsideration", "litigation"])
            appeals.append(
                {
                    "office_id": office_id,
                    "kind": kind,
                    "route": None
                    if kind == "reconsideration"
                    else rng.choice(["direct", "after_reconsideration"]),
                    "filed_on": filed,
                    "concluded_on": decided if decided <= LAST_DAY else None,
                    "result": rng.choice(["upheld", "corrected", "other"])
                    if decided <= LAST_DAY
                    else "pending",
                }
            )
        conn.execute(sa.insert(APPEAL), appeals)
        conn.execute(
            sa.insert(FIGURE),
            [
                {
                    "office_id": office_id,
                    "year": y,
                    "key": k,
                    "value": v,
                    "source": "bench",
                    "entered_by": "bench",
                    "entered_at": now,
                }
                for y in range(2015, 2027)
                for k, v in (
                    ("licensing_decisions", 120),
                    ("penalty_decisions", 35),
                    ("coercion_decisions", 4),
                    ("fees_10k_yuan", 12.5),
                )
            ],
        )
    if engine.dialect.name == "postgresql":
        # Untimed, as autovacuum does after a bulk insert: statistics for the planner, and the visibility
        # map without which PostgreSQL cannot answer from an index alone. VACUUM marks a page all-visible
        # only once the inserting commit is flushed: on a server with synchronous_commit off (the development
        # server) that is a moment later, so it is repeated until the register's pages are all visible.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for _ in range(40):
                conn.execute(sa.text("VACUUM ANALYZE"))
                pages, visible = conn.execute(
                    sa.text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'application'")
                ).one()
                if visible >= pages:
                    break
                time.sleep(0.25)
    engine.dispose()
    return {"applications": n, "open": open_count, "office_id": office_id}


def measure(url: str, year: int, office_id: int) -> dict[str, Any]:
    """Runs in the fresh subprocess: baseline, statistics and chart timings for the office ``office_id``, and this
    process's peak memory."""
    import sqlalchemy as sa

    from gongkai.report.chart import monthly_outcome_series
    from gongkai.report.stats import compute_statistics
    from gongkai.store.db import open_database, session_scope

    rss_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    engine = open_database(url)
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    params = {"office_id": office_id, "jan1": date(year, 1, 1), "dec31": date(year, 12, 31)}
    baseline: list[float] = []
    stats: list[float] = []
    chart: list[float] = []
    with session_scope(engine, office_id) as session:
        session.execute(sa.text(BASELINE_SQL), params).all()  # warm-up: pages into the cache
        data = compute_statistics(session, year=year, office_name="基准测试街道办事处")
        monthly_outcome_series(session, year=year)
        sa.event.listen(engine, "before_cursor_execute", count)
        compute_statistics(session, year=year, office_name="基准测试街道办事处")
        sa.event.remove(engine, "before_cursor_execute", count)
        n_statements = len(statements)
        for _ in range(RUNS):
            t0 = time.perf_counter()
            rows = session.execute(sa.text(BASELINE_SQL), params).all()
            baseline.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            data = compute_statistics(session, year=year, office_name="基准测试街道办事处")
            stats.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            monthly_outcome_series(session, year=year)
            chart.append(time.perf_counter() - t0)
        plan = _chart_plan(session, year)
    engine.dispose()
    return {
        "dialect": engine.dialect.name,
        "baseline_s": statistics.median(baseline),
        "stats_s": statistics.median(stats),
        "stats_max_s": max(stats),
        "statements": n_statements,
        "chart_s": statistics.median(chart),
        "chart_plan": plan,
        "chart_index_only": _index_only(engine.dialect.name, plan),
        "baseline_groups": len(rows),
        "row1_total": data.requests["1"]["total"],
        "row2_total": data.requests["2"]["total"],
        "row37_total": data.requests["3.7"]["total"],
        "row4_total": data.requests["4"]["total"],
        "hard_checks_ok": not data.failed_hard_checks,
        "rss_after_imports_mb": rss_imports,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vm_hwm_mb": _vm_hwm_mb(),
    }


def _chart_plan(session: Any, year: int) -> str:
    """The database's plan of the chart's statement (as the listener saw it sent), one line per step."""
    import sqlalchemy as sa

    from gongkai.report.chart import monthly_outcome_series

    captured: list[tuple[str, Any]] = []
    bind = session.get_bind()

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        captured.append((statement, parameters))

    sa.event.listen(bind, "before_cursor_execute", grab)
    try:
        monthly_outcome_series(session, year=year)
    finally:
        sa.event.remove(bind, "before_cursor_execute", grab)
    statement, parameters = captured[-1]
    prefix = "EXPLAIN QUERY PLAN " if bind.dialect.name == "sqlite" else "EXPLAIN "
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return "\n".join(str(row[-1]) for row in rows)


def _index_only(dialect: str, plan: str) -> bool:
    """Whether ``plan`` reads the application rows of the year from the covering index alone."""
    if dialect == "sqlite":
        return f"USING COVERING INDEX {COVERING_INDEX}" in plan
    return f"Index Only Scan using {COVERING_INDEX}" in plan


def _vm_hwm_mb() -> float | None:
    """Peak RSS of this process's own address space (Linux ``VmHWM``), as a cross-check of ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _run(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _postgres_database(admin_url: str, action: str, name: str) -> dict[str, Any]:
    """Runs in a subprocess: create or drop the throwaway database ``name`` on the server of ``admin_url``."""
    import sqlalchemy as sa

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if action == "create":
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                version = str(conn.execute(sa.text("SHOW server_version")).scalar())
                url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
                return {"url": url, "version": version}
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return {}
    finally:
        admin.dispose()


def bench_one(n: int, year: int, postgres: str | None) -> bool:
    """Build a register of ``n`` applications, measure, print the figures; whether every goal is met."""
    with tempfile.TemporaryDirectory() as tmp:
        name = f"gk_bench_{uuid.uuid4().hex[:12]}"
        if postgres is None:
            url, where = f"sqlite:///{tmp}/bench.db", "SQLite (a fresh file)"
        else:
            db = _run("--pg", postgres, "create", name)
            url, where = db["url"], f"PostgreSQL {db['version']} (throwaway database {name})"
        try:
            t0 = time.perf_counter()
            built = _run("--build", url, str(n))
            build_s = time.perf_counter() - t0
            m = _run("--measure", url, str(year), str(built["office_id"]))
        finally:
            if postgres is not None:
                _run("--pg", postgres, "drop", name)
    ratio = m["stats_s"] / m["baseline_s"]
    allowed = max(MAX_RATIO * m["baseline_s"], m["baseline_s"] + MAX_ABOVE_S)
    hwm = f"; VmHWM {m['vm_hwm_mb']:.0f} MB" if m.get("vm_hwm_mb") else ""
    print(f"== {n:,} applications on {where}")
    print(
        f"register:               {built['applications']:,} applications 2015–2026 "
        f"({built['open']:,} open at the end), built in {build_s:.1f} s"
    )
    print(
        f"report year:            {year}: row 1 {m['row1_total']:,}, row 2 {m['row2_total']:,}, "
        f"row 3.7 {m['row37_total']:,}, row 4 {m['row4_total']:,}; hard identities "
        f"{'pass' if m['hard_checks_ok'] else 'FAIL'}"
    )
    print(
        f"baseline GROUP BY:      {m['baseline_s'] * 1000:.1f} ms (median of {RUNS}; {m['baseline_groups']} groups)"
    )
    print(
        f"compute_statistics:     {m['stats_s'] * 1000:.1f} ms (median of {RUNS}; slowest "
        f"{m['stats_max_s'] * 1000:.1f} ms; {m['statements']} SQL statements)"
    )
    print(
        f"ratio:                  {ratio:.2f} × baseline, {(m['stats_s'] - m['baseline_s']) * 1000:+.1f} ms "
        f"(limit {allowed * 1000:.1f} ms: {MAX_RATIO:.0f} × or +{MAX_ABOVE_S * 1000:.0f} ms, whichever is larger)"
    )
    print(
        f"chart's monthly series: {m['chart_s'] * 1000:.1f} ms (median of {RUNS}); "
        + ("from the covering index alone" if m["chart_index_only"] else "NOT from the covering index alone")
    )
    if not m["chart_index_only"]:
        print(
            "                        plan: "
            + m["chart_plan"].replace("\n", "\n                              ")
        )
    print(
        f"peak memory (RSS):      {m['rss_peak_mb']:.0f} MB ru_maxrss of the measuring process "
        f"({m['rss_after_imports_mb']:.0f} MB after its imports{hwm}; limit {MAX_RSS_MB:.0f} MB)"
    )
    ok = (
        m["stats_s"] <= allowed
        and m["stats_s"] < MAX_SECONDS
        and m["rss_peak_mb"] < MAX_RSS_MB
        and m["hard_checks_ok"]
        and m["chart_index_only"]
    )
    print("result:                 " + ("within limits" if ok else "LIMIT MISSED"), flush=True)
    return ok


def main() -> int:
    # Linux carries a parent's RSS high-water mark into a forked child's ru_maxrss, so this process
    # stays small (standard library only) and creating the database, building and measuring run in
    # subprocesses.
    if len(sys.argv) > 1 and sys.argv[1] == "--build":
        print(json.dumps(build(sys.argv[2], int(sys.argv[3]))))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--pg":
        print(json.dumps(_postgres_database(sys.argv[2], sys.argv[3], sys.argv[4])))
        return 0
    parser = argparse.ArgumentParser(description="Annual-report statistics against one bare GROUP BY.")
    parser.add_argument("sizes", nargs="*", type=int, help=f"numbers of applications (default {SIZES})")
    parser.add_argument("--year", type=int, default=2025, help="the report year (default 2025)")
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL server URL: each size runs in a throwaway database"
    )
    args = parser.parse_args()
    results = [bench_one(n, args.year, args.postgres) for n in args.sizes or SIZES]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
