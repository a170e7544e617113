"""The county shape for real, on loopback: a Prefect server on PostgreSQL (pg_trgm, an auth string, CSRF protection
on), three offices configured as one folder in one register on PostgreSQL, ``gongkai deploy`` of the whole folder
(twice: it updates, never duplicates), one ``prefect worker start --pool gongkai`` (process worker) with Gongkai's
environment, every office's staff notified on a loopback SMTP server.

1. Three runs of each office's reminders deployment at once (a late pile-up after days off): each deployment's limit
   runs its office's one after another, the first sends each of that office's staff their digest, with that
   office's reminders only, the others find the day done: once each.
2. A new working morning, the SMTP server slow: the worker and its flow run are killed (SIGKILL, as systemd stops a
   unit's whole cgroup) in the middle of sending; the killed run is marked Crashed (what Prefect's zombie-run
   automation or an administrator does; otherwise its concurrency slot is freed when its lease runs out), the
   worker restarted, and the next run after the outbox's lease sends what was not confirmed: nothing lost, at most
   one repeat, labelled （可能重复）.
No process of the stack outlives the test. Slow (about 2–3 minutes): runs once, in the TZ=UTC pass; needs
GONGKAI_TEST_POSTGRES_URL (skipped without it locally, a failure under CI)."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from gongkai.cli.main import main
from gongkai.core.clockseam import office_today
from tests.conftest import _postgres_database
from tests.offices import demo_county
from tests.servers import SmtpSink, free_port, processes_of

AUTH = "county-admin:Pr3fectAuth"
BIN = Path(sys.executable).parent
STAFF = ("wang", "li", "zhao")
OFFICES = ("hebei", "hedong", "hexi")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{tail}")


class Api:
    """Prefect's REST API as a browser or another client sees it: basic auth, and a CSRF token on every change."""

    def __init__(self, url: str) -> None:
        self.client_id = str(uuid.uuid4())
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}
        )
        self.token: str | None = None

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        if self.token is None:
            self.token = self.get(f"/csrf-token?client={self.client_id}")["token"]
        headers = {"Prefect-Csrf-Token": self.token, "Prefect-Csrf-Client": self.client_id}
        response = self.http.post(path, json=body, headers=headers)
        response.raise_for_status()
        return response.json() if response.content else None


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the Prefect server, with pg_trgm (a trusted extension: the database's
    owner may create it, no superuser needed), as an asyncpg URL."""
    for url in _postgres_database():
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        engine.dispose()
        yield sa.make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


@pytest.fixture
def register_database() -> Iterator[str]:
    yield from _postgres_database()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}


@pytest.fixture
def prefect_server(tmp_path: Path, prefect_database: str) -> Iterator[str]:
    """``prefect server start`` on a free loopback port, on PostgreSQL, auth string set, CSRF protection on; in its
    own session, always stopped with its whole process group."""
    port = free_port()
    log = tmp_path / "prefect-server.log"
    env = _clean_env() | {
        "PREFECT_HOME": str(tmp_path / "prefect-server"),
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database,
        "PREFECT_SERVER_API_AUTH_STRING": AUTH,
        "PREFECT_SERVER_CSRF_PROTECTION_ENABLED": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # Runs waiting for the deployment's slot are looked at again after 2 s, not 30 s.
        "PREFECT_SERVER_CONCURRENCY_MAXIMUM_CONCURRENCY_SLOT_WAIT_SECONDS": "2",
    }
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:

        def healthy() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"prefect server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                return httpx.get(f"{url}/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, 120, "the Prefect server", log)
        yield url
    finally:
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


def _kill_all(home: Path) -> list[str]:
    """SIGKILL every process of the worker's "unit" (its environment names ``home``), as systemd does."""
    victims = processes_of(home)
    for line in victims:
        try:
            os.kill(int(line.split(":", 1)[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return victims


@pytest.mark.once
@pytest.mark.postgres
def test_county_stack_runs_reminders_once_and_survives_a_killed_worker(
    tmp_path: Path,
    smtp: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
    prefect_server: str,
    register_database: str,
) -> None:
    folder = tmp_path / "county"
    addresses = demo_county(folder, OFFICES)  # every office's staff notified by email on `smtp`
    for office in folder.glob("he*.toml"):
        office.write_text(office.read_text(encoding="utf-8").replace("lease_minutes = 10", "lease_minutes = 1"),
                          encoding="utf-8")  # fmt: skip
    home = tmp_path / "home"
    monkeypatch.setenv("GONGKAI_HOME", str(home))
    monkeypatch.setenv("GONGKAI_DATABASE_URL", register_database)
    monkeypatch.setenv("GONGKAI_CONFIG", str(folder))
    for code in OFFICES:
        assert CliRunner().invoke(main, ["--office", code, "demo"]).exit_code == 0
    today = office_today("Asia/Shanghai")
    register = sa.create_engine(register_database)

    def rows(sql: str) -> list[Any]:
        with register.connect() as conn:
            return list(conn.execute(sa.text(sql)).all())

    # The environment a worker's unit gets: Gongkai's (absolute paths: the flow runs start in a temporary
    # folder; the configuration folder of all offices, no office: each run names its own), the notification
    # variables, the Prefect server and its auth string; nothing else of ours.
    env = _clean_env() | {
        "GONGKAI_HOME": str(home),
        "GONGKAI_CONFIG": str(folder),
        "GONGKAI_DATABASE_URL": register_database,
        **{variable: smtp.url(address) for variable, address in addresses.items()},
        "PREFECT_API_URL": prefect_server,
        "PREFECT_API_AUTH_STRING": AUTH,
        "PREFECT_HOME": str(tmp_path / "worker-prefect"),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    api = Api(prefect_server)
    workers: list[subprocess.Popen[bytes]] = []

    def start_worker() -> Path:
        log = tmp_path / f"worker-{len(workers)}.log"
        workers.append(
            subprocess.Popen(
                [str(BIN / "prefect"), "worker", "start", "--pool", "gongkai", "--type", "process"],
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=tmp_path,
                start_new_session=True,
            )
        )
        return log

    try:
        for _ in range(2):  # the second time it updates what the first registered
            done = subprocess.run(
                [str(BIN / "gongkai"), "deploy"],
                env=env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            assert "deadline-reminders/gongkai-reminders-" in done.stdout, done.stdout
        deployments = api.post("/deployments/filter", {})
        assert len(deployments) == 3 * 5 + 1, [d["name"] for d in deployments]  # not twice; one backup
        reminders = {
            d["parameters"]["office"]: d for d in deployments if d["name"].startswith("gongkai-reminders-")
        }
        assert sorted(reminders) == sorted(OFFICES)
        for code, deployment in reminders.items():
            assert deployment["name"] == f"gongkai-reminders-{code}"
            assert deployment["work_pool_name"] == "gongkai"
            assert deployment["global_concurrency_limit"]["limit"] == 1
            assert [s["schedule"]["timezone"] for s in deployment["schedules"]] == ["Asia/Shanghai"]
        assert api.get("/work_pools/gongkai")["type"] == "process"

        def run_reminders(code: str) -> str:
            run = api.post(f"/deployments/{reminders[code]['id']}/create_flow_run", {})
            return str(run["id"])

        def state(run_id: str) -> str:
            return str(api.get(f"/flow_runs/{run_id}")["state"]["type"])

        # 1. A pile-up of three runs per office: one at a time per office, each office's digests once.
        log = start_worker()
        runs = {code: [run_reminders(code) for _ in range(3)] for code in OFFICES}
        every = [r for piled in runs.values() for r in piled]
        wait_for(lambda: all(state(r) == "COMPLETED" for r in every), 180, "nine runs to complete", log)
        for code, piled in runs.items():
            _one_after_another(api, code, piled)
        _each_person_once_with_their_offices_reminders(smtp, addresses)
        per_office = rows(
            "SELECT o.code, count(*) FROM reminder_outbox r JOIN office o ON o.id = r.office_id GROUP BY o.code"
        )
        assert len(per_office) == 3 and len({n for _code, n in per_office}) == 1  # the same demo year each
        assert (
            rows("SELECT count(*) FROM reminder_outbox WHERE status <> 'sent' AND status <> 'superseded'")[0][
                0
            ]
            == 0
        )
        first = len(smtp.messages)
        before = rows("SELECT max(id) FROM reminder_outbox")[0][0]

        # 2. The next working morning, two new applications due a reminder, the mail server slow.
        for n, who in enumerate(("wang", "li")):
            added = CliRunner().invoke(main, [
                "--office", "hexi", "request", "add", "--ref", f"C-{n}", "--received", (today - timedelta(days=18)).isoformat(),
                "--applicant-type", "自然人", "--applicant-name", "测试申请人", "--content", f"县级部署测试 {n}",
                "--assignee", who, "--by", "wang"])  # fmt: skip
            assert added.exit_code == 0, added.output
        with register.begin() as conn:
            conn.execute(sa.text("DELETE FROM schedule_progress WHERE flow = 'deadline-reminders' AND office_id = "
                                 "(SELECT id FROM office WHERE code = 'hexi')"))  # fmt: skip
        smtp.delay = 3.0
        killed_run = run_reminders("hexi")
        wait_for(lambda: bool(rows("SELECT 1 FROM reminder_outbox WHERE status = 'sending'")), 90,
                 "the run to claim its reminders", log)  # fmt: skip
        time.sleep(1.0)  # inside the first SMTP conversation
        victims = _kill_all(home)
        assert any("prefect.engine" in v for v in victims) and any("worker start" in v for v in victims), (
            victims
        )
        wait_for(lambda: not processes_of(home), 15, "the killed processes to go")
        assert state(killed_run) == "RUNNING"  # nobody is left to say otherwise
        api.post(f"/flow_runs/{killed_run}/set_state",
                 {"state": {"type": "CRASHED", "name": "Crashed", "message": "worker killed"}, "force": True})  # fmt: skip
        smtp.delay = 0.0

        # The next run, once the interrupted send's lease (1 minute here) has run out.
        claimed = rows("SELECT max(claimed_at) FROM reminder_outbox WHERE status = 'sending'")[0][0]
        assert claimed is not None
        log = start_worker()
        time.sleep(max(0.0, (claimed + timedelta(minutes=1, seconds=2) - _now(register)).total_seconds()))
        rerun = run_reminders("hexi")
        wait_for(lambda: state(rerun) == "COMPLETED", 120, "the run after the kill", log)

        assert rows("SELECT count(*) FROM reminder_outbox WHERE status IN ('pending', 'sending')")[0][0] == 0
        assert rows("SELECT count(*) FROM schedule_progress WHERE flow = 'deadline-reminders'")[0][0] == 3
        later = smtp.messages[first:]
        new_rows = rows(
            f"SELECT recipient, text FROM reminder_outbox WHERE id > {before} AND status = 'sent'"
        )
        assert new_rows
        problems, repeats = _once_or_a_labelled_repeat(later, new_rows, "hexi")
        assert not problems, "\n".join(problems)
        assert repeats <= 1
        # The rows the killed run had claimed went out again, labelled (whether or not the first copy arrived).
        assert any("可能重复" in m.subject for m in later)
        assert any("C-0" in m.text for m in later) and any("C-1" in m.text for m in later)
        assert all(m.to[0].endswith("-hexi@example.com") for m in later)  # hexi's run sent hexi's only
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=5)
        _kill_all(home)
        register.dispose()
        api.http.close()
    wait_for(lambda: not processes_of(home), 15, "no worker or flow run left behind")


def _one_after_another(api: Api, code: str, runs: list[str]) -> None:
    spans = sorted(
        (api.get(f"/flow_runs/{r}")["start_time"], api.get(f"/flow_runs/{r}")["end_time"]) for r in runs
    )
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), f"{code} overlapped: {spans}"


def _once_or_a_labelled_repeat(later: list[Any], sent: list[Any], code: str) -> tuple[list[str], int]:
    """Each reminder sent after the kill reached its person once, or twice with the second labelled."""
    problems: list[str] = []
    repeats = 0
    for recipient, text in sent:
        got = [m for m in later if f"{recipient}-{code}@example.com" in m.to and str(text) in m.text]
        if not 1 <= len(got) <= 2:
            problems.append(f"{recipient} received {len(got)}x: {text}")
        elif len(got) == 2:
            repeats += 1
            if "可能重复" not in got[1].subject:
                problems.append(f"{recipient} received an unlabelled repeat: {text}")
    return problems, repeats


def _each_person_once_with_their_offices_reminders(smtp: SmtpSink, addresses: dict[str, str]) -> None:
    assert sorted(m.to[0] for m in smtp.messages) == sorted(addresses.values())
    for mail in smtp.messages:
        code = mail.to[0].split("-", 1)[1].split("@")[0]
        assert f"{code}街道办事处" in mail.text, mail.to
        assert not any(f"{other}街道办事处" in mail.text for other in OFFICES if other != code)


def _now(engine: sa.Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT now()")).scalar_one()
