"""The county on PostgreSQL: 20 offices × 5,000 applications in one register (issue 14's goals).

Run: ``python bench/bench_county.py POSTGRES_URL [--offices 20] [--apps 5000] [--quick] [--restore-url URL]``
(needs the test extras: aiosmtpd). ``POSTGRES_URL`` (``postgresql+psycopg://user:pw@host:port/db``) names a
database the bench fills: it must be empty, or hold only the bench's own data (offices ``bench-01``… and nothing
else), which is dropped first; any other database is refused (exit 2). Steps, each timed and printed:

1. Seed: a configuration folder of N real offices (the shipped configuration with ``[office] code`` ``bench-NN``,
   ``demo = false``, every person notified by email on a loopback SMTP sink the bench runs), and per office
   ``--apps`` applications received over the last 14 months with their events (replies, withdrawals, extensions,
   consultations), so that the open ones near or past their deadline are due a reminder today. Core bulk inserts
   as the other benches; then ``VACUUM ANALYZE``. Not a goal.
2. Reminders for all offices on one worker, the county shape: ``prefect server start`` (its own database on
   PostgreSQL, a new one on the same server, as in production; ``--prefect-sqlite``: SQLite under a temporary
   ``PREFECT_HOME``; its scheduler off, so that no scheduled run joins in), ``gongkai deploy`` of the folder, one ``prefect worker start --pool gongkai`` process worker
   (polling every 2 s; ``--worker-limit N`` passes ``--limit N``: at most N flow runs at once), then one run of
   every office's reminders deployment created at once, as the 08:30 schedules do. Timed from the first creation until every run is COMPLETED. Goal: < 60 s. "Excluding mail":
   the digests go to the loopback sink, which answers at once; no real mail server is waited for.
3. ``county_report`` (gongkai/services/county.py) for last year and for this year over all offices: the first
   (cold) call, then the median of 5. Goal: < 2 s.
4. ``gongkai backup`` of the whole database (``pg_dump -Fc``) and ``gongkai restore`` into a new empty database
   (created on the same server with the URL's credentials, dropped afterwards; ``--restore-url`` names one
   instead when the role may not create databases): times and file size, no goal.
5. ``gongkai office export`` of one office and ``gongkai office import`` into another new empty database
   (skipped when none can be created): times, no goal.

``--quick`` skips steps 4 and 5. Exits 1 when a goal is missed or a step fails, 2 for a refused database.
Every process the bench starts (Prefect server, worker, flow runs) and its temporary folder are removed at the
end, also after a failure, Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BIN = Path(sys.executable).parent
SPAN_DAYS = 425  # about 14 months of applications
REMINDERS_GOAL_S = 60.0
REPORT_GOAL_S = 2.0
REPORT_RUNS = 5
POOL = "gongkai"
BENCH_CODE = re.compile(r"bench-\d{2,}")
STAFF = (
    ("wang", "王丽", ["handler", "administrator"]),
    ("li", "李强", ["handler"]),
    ("zhao", "赵建国", ["unit_head"]),
)


class Refused(Exception):
    """The database given is not the bench's to fill (exit 2)."""


class StepFailed(Exception):
    """A step did not complete (exit 1)."""


def say(line: str) -> None:
    print(line, flush=True)


# -- databases ---------------------------------------------------------------------------------------------------


def take_database(url: str) -> None:
    """Make ``url``'s database empty for the bench: fine if it has no tables, wiped if it holds only the bench's own
    offices (``bench-NN``), else :class:`Refused`."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        tables = sa.inspect(engine).get_table_names()
        if not tables:
            return
        codes: list[str] = []
        if "office" in tables:
            with engine.connect() as conn:
                codes = [str(c) for c in conn.execute(sa.text("SELECT code FROM office")).scalars()]
        if not codes or not all(BENCH_CODE.fullmatch(c) for c in codes):
            raise Refused(
                f"database {sa.make_url(url).database!r} is not empty ({len(tables)} tables"
                + (f", offices {', '.join(sorted(codes)[:5])}" if codes else "")
                + "): give an empty database, or one only this bench has filled"
            )
        meta = sa.MetaData()
        meta.reflect(engine)
        meta.drop_all(engine)
    finally:
        engine.dispose()


@contextmanager
def new_database(url: str, label: str) -> Iterator[str | None]:
    """A new empty database on ``url``'s server (its credentials), dropped afterwards; None if it may not be made."""
    import sqlalchemy as sa

    name = f"gk_bench_{label}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except sa.exc.DBAPIError as exc:
            say(f"  (could not create a database: {str(exc.orig).strip().splitlines()[0]})")
            yield None
            return
        try:
            yield sa.make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            for _ in range(20):
                try:
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    break
                except sa.exc.DBAPIError:
                    time.sleep(0.5)
    finally:
        admin.dispose()


def count(url: str, sql: str) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


# -- step 1: the county's configuration and register --------------------------------------------------------------


def write_folder(folder: Path, codes: list[str]) -> dict[str, str]:
    """The configuration folder: tests/offices.py's demo county made real offices (``demo = false``: their registers
    start empty and take the bench's rows). Returns ``{variable: address}`` of every person's notification."""
    from tests.offices import demo_county

    addresses = demo_county(folder, codes)
    for code in codes:
        path = folder / f"{code}.toml"
        text = path.read_text(encoding="utf-8")
        assert "\ndemo = true\n" in text
        path.write_text(text.replace("\ndemo = true\n", "\ndemo = false\n", 1), encoding="utf-8")
    return addresses


def _lag(rng: random.Random) -> tuple[int | None, bool]:
    """Days from receipt to conclusion (None: never concluded) and whether the reply period was extended."""
    p = rng.random()
    if p < 0.001:
        return None, False
    if p < 0.90:
        return rng.randint(1, 27), False  # within the 20 working days
    return rng.randint(28, 52), True  # extended by 20 working days (approved before the original deadline)


def seed_office(conn: Any, office_id: int, n: int, today: date, rng: random.Random) -> tuple[int, int]:
    """``n`` applications of one office with their events (Core bulk inserts); returns (applications open, events)."""
    import sqlalchemy as sa
    from bench_report import CHANNELS, OUTCOMES, TYPES

    from gongkai.store.models import utcnow
    from gongkai.store.tables import APP, EV

    now = utcnow()
    apps: list[dict[str, Any]] = []
    plans: list[list[tuple[str, date, dict[str, Any]]]] = []
    open_count = 0
    for i in range(n):
        received = today - timedelta(days=rng.randrange(SPAN_DAYS))
        lag, extended = _lag(rng)
        concluded = (
            None if lag is None or received + timedelta(days=lag) > today else received + timedelta(days=lag)
        )
        events: list[tuple[str, date, dict[str, Any]]] = []
        if extended:
            approved = received + timedelta(days=rng.randint(12, 18))
            if approved <= today:
                events.append(("extension_approved", approved, {"days": 20}))
        if rng.random() < 0.05:  # a third party consulted (Art. 32)
            sent = received + timedelta(days=rng.randint(2, 6))
            replied = sent + timedelta(days=rng.randint(3, 10))
            if sent <= today and (concluded is None or sent < concluded):
                events.append(("consultation_sent", sent, {}))
                if replied <= today and (concluded is None or replied <= concluded):
                    events.append(("consultation_replied", replied, {}))
        outcome = None if concluded is None else rng.choice(OUTCOMES)
        if concluded is None:
            state = "in_progress"
            open_count += 1
        elif outcome is None:
            state = "withdrawn"
            events.append(("withdrawn", concluded, {}))
        else:
            state = "replied"
            events.append(("replied", concluded, {"outcome_row": outcome}))
        plans.append(events)
        apps.append(
            {
                "office_id": office_id,
                "ref": f"B{i:07d}",
                "received_on": received,
                "channel": rng.choice(CHANNELS),
                "applicant_type": rng.choice(TYPES),
                "applicant_name": f"申请人{i}",
                "content": "申请公开某事项",
                "assignee_id": rng.choice(["wang", "li"]),
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
    for k in range(0, n, 5000):
        conn.execute(sa.insert(APP), apps[k : k + 5000])
    ids = dict(conn.execute(sa.select(APP.c.ref, APP.c.id).where(APP.c.office_id == office_id)).all())
    rows = [
        {
            "office_id": office_id,
            "application_id": ids[app["ref"]],
            "kind": kind,
            "occurred_on": on,
            "recorded_at": now,
            "recorded_by": "bench",
            "days": extra.get("days"),
            "outcome_row": extra.get("outcome_row"),
        }
        for app, events in zip(apps, plans, strict=True)
        for kind, on, extra in events
    ]
    for k in range(0, len(rows), 5000):
        conn.execute(sa.insert(EV), rows[k : k + 5000])
    return open_count, len(rows)


def seed(url: str, folder: Path, codes: list[str], n: int, today: date) -> dict[str, int]:
    """Every office made as every command makes it (``ensure_office`` from the folder), its staff, its register."""
    import sqlalchemy as sa

    from gongkai.core.settings import load_settings
    from gongkai.register import repository as register
    from gongkai.store.db import open_database, session_scope
    from gongkai.store.registerkind import ensure_office

    engine = open_database(url)
    rng = random.Random(14)
    totals = {"applications": 0, "open": 0, "events": 0}
    try:
        for code in codes:
            with session_scope(engine) as s:
                office_id = ensure_office(s, load_settings(folder, code)).id
            with session_scope(engine, office_id) as s:
                register.sync_staff(s, STAFF)
            with engine.begin() as conn:
                opened, events = seed_office(conn, office_id, n, today, rng)
            totals["applications"] += n
            totals["open"] += opened
            totals["events"] += events
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))  # as autovacuum does after a bulk load
    finally:
        engine.dispose()
    return totals


# -- step 2: the county stack --------------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> float:
    """Poll ``predicate`` every 0.25 s; the seconds waited. Raises :class:`StepFailed` after ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return time.monotonic() - t0
        time.sleep(0.25)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise StepFailed(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


def start(
    stack: ExitStack, args: list[str], env: dict[str, str], log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    """A child in its own session, stopped with its whole process group when ``stack`` closes."""
    proc = subprocess.Popen(
        args,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )

    def stop() -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=20)
                break
            except subprocess.TimeoutExpired:
                continue

    stack.callback(stop)
    return proc


def kill_leftovers(home: Path) -> None:
    """SIGKILL any process still carrying the bench's GONGKAI_HOME (a flow run its worker left behind)."""
    from tests.servers import processes_of

    for line in processes_of(home):
        try:
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass


def prefect_server(stack: ExitStack, tmp: Path, database: str | None) -> str:
    """``prefect server start`` on a free loopback port, its database on PostgreSQL (``database``, a psycopg URL; the
    production shape) or, without one, SQLite under its own PREFECT_HOME."""
    import httpx
    import sqlalchemy as sa

    from tests.servers import free_port

    port = free_port()
    log = tmp / "prefect-server.log"
    on_postgres: dict[str, str] = {}
    if database is not None:
        engine = sa.create_engine(database)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        engine.dispose()
        asyncpg = sa.make_url(database).set(drivername="postgresql+asyncpg")
        on_postgres = {"PREFECT_API_DATABASE_CONNECTION_URL": asyncpg.render_as_string(hide_password=False)}
    env = (
        clean_env()
        | on_postgres
        | {
            "PREFECT_HOME": str(tmp / "prefect-server"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_UI_ENABLED": "false",
            "DO_NOT_TRACK": "1",
        }
    )
    proc = start(
        stack,
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
        log,
        tmp,
    )
    url = f"http://127.0.0.1:{port}/api"

    def healthy() -> bool:
        if proc.poll() is not None:
            raise StepFailed(f"prefect server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(healthy, 120, "the Prefect server", log)
    return url


def post(api: Any, path: str, body: dict[str, Any]) -> Any:
    """POST to Prefect's API, retrying 503 and 429 as Prefect's own client does (its SQLite database may be busy)."""
    for attempt in range(10):
        response = api.post(path, json=body)
        if response.status_code not in (429, 503):
            return response.raise_for_status().json()
        time.sleep(min(0.2 * 2**attempt, 5.0))
    return response.raise_for_status().json()


def reminders_on_one_worker(
    stack: ExitStack, tmp: Path, env: dict[str, str], codes: list[str], limit: int | None
) -> dict[str, Any]:
    """Deploy, start one worker, create every office's reminders run at once, wait until all are COMPLETED."""
    import httpx

    t0 = time.perf_counter()
    deployed = subprocess.run(
        [str(BIN / "gongkai"), "deploy"], env=env, cwd=tmp, capture_output=True, text=True, timeout=600
    )
    if deployed.returncode != 0:
        raise StepFailed(f"gongkai deploy exited with {deployed.returncode}:\n{deployed.stderr[-3000:]}")
    t_deploy = time.perf_counter() - t0
    api = httpx.Client(base_url=env["PREFECT_API_URL"], timeout=30)
    stack.callback(api.close)
    found = post(api, "/deployments/filter", {"limit": 200})
    reminders = {
        d["parameters"]["office"]: d["id"] for d in found if d["name"].startswith("gongkai-reminders-")
    }
    if sorted(reminders) != sorted(codes):
        raise StepFailed(f"deployed reminders for {sorted(reminders)}, expected {codes}")
    log = tmp / "worker.log"
    command = [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--type", "process"]
    if limit:
        command += ["--limit", str(limit)]
    worker = start(stack, command, env, log, tmp)

    def worker_ready() -> bool:
        if worker.poll() is not None:
            raise StepFailed(f"the worker exited with {worker.returncode}:\n{log.read_text()[-3000:]}")
        got = api.post(f"/work_pools/{POOL}/workers/filter", json={})
        return got.status_code == 200 and bool(got.json())

    wait_for(worker_ready, 120, "the worker to register with the pool", log)

    t0 = time.perf_counter()
    runs = [post(api, f"/deployments/{reminders[code]}/create_flow_run", {})["id"] for code in codes]
    t_create = time.perf_counter() - t0
    states: dict[str, str] = {}

    def all_done() -> bool:
        got = post(api, "/flow_runs/filter", {"flow_runs": {"id": {"any_": runs}}, "limit": 200})
        states.update({r["id"]: r["state"]["type"] for r in got})
        bad = {i: s for i, s in states.items() if s in ("FAILED", "CRASHED", "CANCELLED")}
        if bad:
            raise StepFailed(
                f"{len(bad)} reminders runs ended {sorted(set(bad.values()))}:\n{log.read_text()[-3000:]}"
            )
        return len(states) == len(runs) and all(s == "COMPLETED" for s in states.values())

    wait_for(all_done, 900, f"{len(runs)} reminders runs to complete", log)
    wall = time.perf_counter() - t0
    flows = post(api, "/flow_runs/filter", {"flow_runs": {"id": {"any_": runs}}, "limit": 200})
    tasks = post(api, "/task_runs/filter", {"flow_runs": {"id": {"any_": runs}}, "limit": 200})
    created = min(datetime.fromisoformat(r["created"]) for r in flows)

    def after(field: str, pick: Callable[..., datetime]) -> float:
        return (pick(datetime.fromisoformat(r[field]) for r in flows) - created).total_seconds()

    return {
        "deploy": t_deploy,
        "create": t_create,
        "wall": wall,
        "flow_time": sum(float(r["total_run_time"]) for r in flows),
        "task_time": sum(float(r["total_run_time"]) for r in tasks),
        "tasks": len(tasks),
        "first_start": after("start_time", min),
        "last_start": after("start_time", max),
        "first_end": after("end_time", min),
        "last_end": after("end_time", max),
    }


# -- step 3: the county report -------------------------------------------------------------------------------------


def report_times(url: str, year: int) -> tuple[float, list[float], int]:
    """The first call's time, the next ``REPORT_RUNS`` calls' times, and the number of offices reported."""
    from gongkai.services.actor import Actor
    from gongkai.services.county import county_report
    from gongkai.store.db import open_database

    engine = open_database(url)
    try:
        actor = Actor.operator("bench")
        times = []
        for _ in range(REPORT_RUNS + 1):
            t0 = time.perf_counter()
            report = county_report(engine, actor, year)
            times.append(time.perf_counter() - t0)
        return times[0], times[1:], len(report.offices)
    finally:
        engine.dispose()


def overview_times(url: str, as_of: date) -> tuple[float, list[float], int]:
    """:func:`county_overview` (the desk's 全县概况 and ``gongkai county status``): the first call's time, the next
    ``REPORT_RUNS`` calls' times, and the number of offices shown."""
    from gongkai.services.actor import Actor
    from gongkai.services.county import county_overview
    from gongkai.store.db import open_database

    engine = open_database(url)
    try:
        times = []
        for _ in range(REPORT_RUNS + 1):
            t0 = time.perf_counter()
            overview = county_overview(engine, Actor.operator("bench"), as_of)
            times.append(time.perf_counter() - t0)
        return times[0], times[1:], len(overview.offices)
    finally:
        engine.dispose()


# -- steps 4 and 5: backup, restore, export, import ----------------------------------------------------------------


def gongkai(args: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    done = subprocess.run([str(BIN / "gongkai"), *args], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise StepFailed(f"gongkai {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def show_logs(tmp: Path) -> bool:
    """After a failure: the end of the Prefect server's and the worker's logs (their folder is removed next)."""
    for log in sorted(tmp.glob("*.log")):
        say(f"--- end of {log.name}:\n{log.read_text(errors='replace')[-2000:]}")
    return False


def mib(path: Path) -> str:
    return f"{path.stat().st_size / 2**20:.1f} MiB"


def backup_and_restore(url: str, restore_url: str | None, env: dict[str, str], tmp: Path, apps: int) -> None:
    dump = tmp / "county.dump"
    t_backup = gongkai(["--office", "bench-01", "backup", "--output", str(dump)], env, tmp)
    say(f"backup (gongkai backup, pg_dump -Fc of the whole database): {t_backup:.1f} s, {mib(dump)}")
    with ExitStack() as stack:
        target = restore_url or stack.enter_context(new_database(url, "restore"))
        if target is None:
            raise StepFailed(
                "cannot create a database to restore into: give --restore-url (an empty database)"
            )
        t_restore = gongkai(["restore", str(dump)], env | {"GONGKAI_DATABASE_URL": target}, tmp)
        restored = count(target, "SELECT count(*) FROM application")
        if restored != apps:
            raise StepFailed(f"the restored database holds {restored:,} applications, not {apps:,}")
        say(
            f"restore (gongkai restore into an empty database): {t_restore:.1f} s ({restored:,} applications)"
        )


def export_and_import(url: str, env: dict[str, str], tmp: Path, per_office: int) -> None:
    exported = tmp / "bench-01.jsonl.gz"
    t_export = gongkai(["--office", "bench-01", "office", "export", "--output", str(exported)], env, tmp)
    with new_database(url, "import") as target:
        if target is None:
            say("office import: skipped (no database could be created to import into)")
            return
        t_import = gongkai(["office", "import", str(exported)], env | {"GONGKAI_DATABASE_URL": target}, tmp)
        imported = count(target, "SELECT count(*) FROM application")
    if imported != per_office:
        raise StepFailed(f"the import holds {imported:,} applications, not {per_office:,}")
    say(
        f"one office: gongkai office export {t_export:.1f} s ({mib(exported)}), "
        f"gongkai office import into an empty database {t_import:.1f} s ({imported:,} applications)"
    )


# -- the whole bench -----------------------------------------------------------------------------------------------


def run(opts: argparse.Namespace, stack: ExitStack) -> list[str]:
    """The steps; returns the goals missed."""
    import logging

    import sqlalchemy as sa

    from gongkai.core.clockseam import office_today
    from tests.servers import SmtpSink

    url = opts.url
    take_database(url)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gk-bench-county-")))
    home = tmp / "home"
    stack.push(lambda failed, _e, _tb: failed is not None and show_logs(tmp))
    stack.callback(kill_leftovers, home)
    folder = tmp / "county"
    codes = [f"bench-{k:02d}" for k in range(1, opts.offices + 1)]
    addresses = write_folder(folder, codes)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    stack.callback(sink.stop)
    today = office_today("Asia/Shanghai")

    t0 = time.perf_counter()
    seeded = seed(url, folder, codes, opts.apps, today)
    say(
        f"seed: {opts.offices} offices × {opts.apps:,} applications ({seeded['applications']:,}, "
        f"{seeded['open']:,} open on {today}, {seeded['events']:,} events) in {time.perf_counter() - t0:.1f} s "
        "(with VACUUM ANALYZE; not a goal)"
    )
    missed: list[str] = []

    prefect_db = None if opts.prefect_sqlite else stack.enter_context(new_database(url, "prefect"))
    server = prefect_server(stack, tmp, prefect_db)
    say(f"Prefect server's database: {'PostgreSQL' if prefect_db else 'SQLite'}")
    env = clean_env() | {
        "GONGKAI_HOME": str(home),
        "GONGKAI_CONFIG": str(folder),
        "GONGKAI_DATABASE_URL": url,
        **{variable: sink.url(address) for variable, address in addresses.items()},
        "PREFECT_API_URL": server,
        "PREFECT_HOME": str(tmp / "worker-prefect"),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    r = reminders_on_one_worker(stack, tmp, env, codes, opts.worker_limit)
    say(
        f"gongkai deploy of the folder ({opts.offices} offices, {5 * opts.offices + 1} deployments): {r['deploy']:.1f} s"
    )
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        outbox = dict(
            conn.execute(sa.text("SELECT status, count(*) FROM reminder_outbox GROUP BY status")).all()
        )
    engine.dispose()
    say(
        f"reminders, {opts.offices} runs created at once ({r['create']:.2f} s to create) on one process worker: "
        f"all COMPLETED {r['wall']:.1f} s after the first was created (goal < {REMINDERS_GOAL_S:.0f} s; "
        f"mail to a loopback SMTP sink)"
    )
    say(
        f"  flow runs' own time {r['flow_time']:.1f} s in sum, {r['tasks']} task runs {r['task_time']:.1f} s in sum; "
        f"{sum(outbox.values()):,} reminders ({', '.join(f'{k} {v:,}' for k, v in sorted(outbox.items()))}), "
        f"{len(sink.messages)} digests received by the sink"
    )
    say(
        f"  server's timeline from the first creation: runs started {r['first_start']:.1f}–{r['last_start']:.1f} s, "
        f"ended {r['first_end']:.1f}–{r['last_end']:.1f} s"
        + (f" (worker --limit {opts.worker_limit})" if opts.worker_limit else " (worker without --limit)")
    )
    if r["wall"] >= REMINDERS_GOAL_S:
        missed.append(f"reminders for all offices took {r['wall']:.1f} s (goal < {REMINDERS_GOAL_S:.0f} s)")
    if outbox.get("pending") or outbox.get("sending") or outbox.get("failed"):
        missed.append(f"reminders left unsent: {outbox}")

    for year in (today.year - 1, today.year):
        first, times, offices = report_times(url, year)
        median = statistics.median(times)
        say(
            f"county report {year} over {offices} offices: median {median:.3f} s of {REPORT_RUNS} "
            f"(first call {first:.3f} s; goal < {REPORT_GOAL_S:.0f} s)"
        )
        if max(median, first) >= REPORT_GOAL_S:
            missed.append(f"county report {year}: {max(median, first):.2f} s (goal < {REPORT_GOAL_S:.0f} s)")

    first, times, offices = overview_times(url, today)
    median = statistics.median(times)
    say(
        f"county overview (全县概况) over {offices} offices: median {median:.3f} s of {REPORT_RUNS} "
        f"(first call {first:.3f} s; goal < {REPORT_GOAL_S:.0f} s, as the report's)"
    )
    if max(median, first) >= REPORT_GOAL_S:
        missed.append(f"county overview: {max(median, first):.2f} s (goal < {REPORT_GOAL_S:.0f} s)")

    if opts.quick:
        say("backup, restore, export and import: skipped (--quick)")
    else:
        backup_and_restore(url, opts.restore_url, env, tmp, seeded["applications"])
        export_and_import(url, env, tmp, opts.apps)
    return missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "url", metavar="POSTGRES_URL", help="a database the bench may fill (empty or its own)"
    )
    parser.add_argument("--offices", type=int, default=20)
    parser.add_argument("--apps", type=int, default=5000, help="applications per office")
    parser.add_argument("--quick", action="store_true", help="skip backup/restore and export/import")
    parser.add_argument(
        "--worker-limit",
        type=int,
        help="runs the worker starts at once (prefect worker start --limit; default: all)",
    )
    parser.add_argument("--restore-url", help="an empty database to restore into (default: create one)")
    parser.add_argument(
        "--prefect-sqlite",
        action="store_true",
        help="the Prefect server's database on SQLite (default: a new PostgreSQL database, as in production)",
    )
    opts = parser.parse_args()
    if not opts.url.startswith("postgresql") or not 1 <= opts.offices <= 99 or opts.apps < 1:
        parser.error("POSTGRES_URL must be postgresql+psycopg://…; --offices 1 to 99; --apps at least 1")

    def interrupted(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, interrupted)
    t0 = time.perf_counter()
    try:
        with ExitStack() as stack:
            missed = run(opts, stack)
    except Refused as exc:
        say(f"refused: {exc}")
        return 2
    except StepFailed as exc:
        say(f"FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted: every process and temporary folder of the bench removed")
        return 1
    say(f"total {time.perf_counter() - t0:.0f} s")
    for line in missed:
        say(f"GOAL MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
