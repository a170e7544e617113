"""The deadline-reminders flow over 100,000 open applications on SQLite, and email delivery to a
loopback SMTP server, sequential vs batched.

Run: ``python bench/bench_reminders.py [N]`` (default 100,000; needs the test extras: aiosmtpd). Prints the
figures recorded in the README. The flow runs under Prefect's test harness (its ~10 s start is not timed).
"""

from __future__ import annotations

import logging
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AS_OF = date(2026, 11, 27)


def make_register(url: str, n: int) -> None:
    """``n`` open applications received over the 40 days before AS_OF, a tenth with a consultation, in the office
    of the configuration (``GONGKAI_CONFIG``), made as every command makes it."""
    import sqlalchemy as sa
    from benchoffice import bench_office

    from gongkai.register import repository as register
    from gongkai.store.db import open_database, session_scope
    from gongkai.store.models import utcnow
    from gongkai.store.tables import APP, EV

    engine = open_database(url)
    rng = random.Random(3)
    now = utcnow()
    office_id = bench_office(engine)
    with session_scope(engine, office_id) as s:
        register.sync_staff(
            s,
            [
                ("wang", "王丽", ["handler", "administrator"]),
                ("li", "李强", ["handler"]),
                ("zhao", "赵建国", ["unit_head"]),
            ],
        )
    apps = []
    for i in range(n):
        received = AS_OF - timedelta(days=rng.randint(0, 40))
        apps.append(
            {
                "office_id": office_id,
                "ref": f"B{i:07d}",
                "received_on": received,
                "channel": "online",
                "applicant_type": "natural_person",
                "applicant_name": f"申请人{i}",
                "content": "申请公开某事项",
                "assignee_id": rng.choice(["wang", "li"]),
                "state": "in_progress",
                "provisional": False,
                "clock_version": 1,
                "source": "bench",
                "created_at": now,
                "updated_at": now,
            }
        )
    with engine.begin() as conn:
        for k in range(0, n, 5000):
            conn.execute(sa.insert(APP), apps[k : k + 5000])
        ids = [r[0] for r in conn.execute(sa.select(APP.c.id).where(APP.c.office_id == office_id))]
        events = [
            {
                "office_id": office_id,
                "application_id": i,
                "kind": "consultation_sent",
                "occurred_on": AS_OF - timedelta(days=3),
                "recorded_at": now,
                "recorded_by": "bench",
            }
            for i in ids
            if i % 10 == 0
        ]
        for k in range(0, len(events), 5000):
            conn.execute(sa.insert(EV), events[k : k + 5000])
    engine.dispose()


def bench_flow(n: int) -> dict[str, Any]:
    from prefect.testing.utilities import prefect_test_harness

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GONGKAI_HOME"] = tmp
        os.environ["GONGKAI_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        # A live office's register (issue 10: the demo configuration refuses a register it did not load):
        # the shipped configuration with ``demo = false``.
        config = Path(tmp) / "gongkai.toml"
        shipped = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
        config.write_text(shipped.replace("\ndemo = true\n", "\ndemo = false\n", 1), encoding="utf-8")
        os.environ["GONGKAI_CONFIG"] = str(config)
        # The product's Prefect environment (telemetry off: its heartbeat otherwise locks the test server's
        # SQLite database, ``database is locked`` in the log), set before Prefect is imported.
        from gongkai.runtime.prefect_env import configure

        configure(Path(tmp))
        t0 = time.perf_counter()
        make_register(os.environ["GONGKAI_DATABASE_URL"], n)
        t_make = time.perf_counter() - t0
        # The demo config's staff use the console channel: keep its (huge) digests off the terminal.
        quiet = logging.NullHandler()
        quiet._gongkai_console = True  # type: ignore[attr-defined]
        logging.getLogger("gongkai.notify").addHandler(quiet)
        logging.getLogger("prefect").setLevel(logging.WARNING)

        from gongkai.core.settings import load_settings
        from gongkai.register import repository as register
        from gongkai.reminders.plan import plan_reminders
        from gongkai.store.db import open_database, session_scope
        from gongkai.store.registerkind import ensure_office

        engine = open_database()
        settings = load_settings(None)
        with session_scope(engine) as s:
            office_id = ensure_office(s, settings).id
        with session_scope(engine, office_id) as s:
            t0 = time.perf_counter()
            planned = plan_reminders(s, settings=settings, calendar=register.load_calendar(s), as_of=AS_OF)
            t_plan = time.perf_counter() - t0
        engine.dispose()

        with prefect_test_harness(server_startup_timeout=60):
            import asyncio

            from gongkai.flows.reminders import deadline_reminders
            from prefect.client.orchestration import get_client
            from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

            async def task_times(flow_run_id: Any) -> dict[str, float]:
                async with get_client() as client:
                    runs = await client.read_task_runs(
                        flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
                    )
                return {t.name.rsplit("-", 1)[0]: t.total_run_time.total_seconds() for t in runs}

            runs = []
            for _ in range(2):
                t0 = time.perf_counter()
                state = deadline_reminders(as_of=AS_OF, return_state=True)
                wall = time.perf_counter() - t0
                runs.append((wall, state.result(), asyncio.run(task_times(state.state_details.flow_run_id))))
    return {"make": t_make, "plan": t_plan, "planned": len(planned), "runs": runs}


def bench_email(n: int = 1000) -> dict[str, float]:
    import apprise
    from aiosmtpd.controller import Controller

    class Count:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            Count.received += len(envelope.rcpt_tos)
            return "250 OK"

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from tests.servers import free_port

    port = free_port()
    ctl = Controller(Count(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        from gongkai.notify.channels import Notifier

        os.environ["GONGKAI_BENCH_MAIL"] = f"mailto://127.0.0.1:{port}/?from=gk@example.com&to=a@example.com"
        notifier = Notifier()
        sample = 200
        t0 = time.perf_counter()
        for i in range(sample):
            notifier.send("env:GONGKAI_BENCH_MAIL", title=f"t{i}", text="x", html="<p>x</p>")
        seq = (time.perf_counter() - t0) / sample
        to = ",".join(f"u{i}@example.com" for i in range(n))
        t0 = time.perf_counter()
        ap = apprise.Apprise()
        ap.add(f"mailto://127.0.0.1:{port}/?from=gk@example.com&to={to}")
        ok = ap.notify(body="x", title="batched")
        batched = (time.perf_counter() - t0) / n
        assert ok
    finally:
        ctl.stop()
    return {"sequential_ms": seq * 1000, "batched_ms": batched * 1000, "received": float(Count.received)}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    f = bench_flow(n)
    print(f"open applications:                  {n:,} (register built in {f['make']:.1f} s)")
    print(f"plan_reminders alone:               {f['plan']:.2f} s  ({f['planned']:,} reminders planned)")
    for label, (wall, summary, tasks) in zip(("first run", "second run"), f["runs"], strict=True):
        plan = tasks.get("plan-reminders", 0.0)
        send = tasks.get("send-reminders", 0.0)
        print(
            f"flow, {label}: {wall:.2f} s wall; {len(tasks)} task runs; plan+outbox {plan:.2f} s, "
            f"send {send:.2f} s, record {tasks.get('record-reminder-run', 0.0):.2f} s; "
            f"due {summary['due']:,}, sent {summary['sent']:,} in {summary['messages']} digests, "
            f"already sent {summary['already_sent']:,}"
        )
        print(f"  excluding sending: {wall - send:.2f} s")
    e = bench_email()
    print(f"email, one message per recipient:  {e['sequential_ms']:.1f} ms each (Notifier.send, 200 sampled)")
    print(
        f"email, one SMTP session, 1,000 to: {e['batched_ms']:.2f} ms each ({e['received']:.0f} recipients received)"
    )


if __name__ == "__main__":
    main()
