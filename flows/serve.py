"""``gongkai serve``: every schedule, unattended, on a bare server.

Prefect's in-process (ephemeral) API does not schedule anything, so Gongkai starts and supervises a
local Prefect server on 127.0.0.1 (SQLite under ``$GONGKAI_HOME/prefect``), serves one deployment per
scheduled process built from ``[schedules]`` (one source of truth, explicit time zone, stable names
so a restart neither duplicates nor drops schedules), and keeps its own record of the last completed
period per process: on start it runs exactly the period that was missed, once.

A clean stop (SIGTERM, as systemd sends) pauses the deployments and deletes their future runs
(Prefect's ``pause_on_shutdown``); the next start re-activates them and catches up from Gongkai's
record, so nothing is replayed in a burst and nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gongkai.errors import GongkaiError
from gongkai.prefect_env import configure
from gongkai.settings import Settings, gongkai_home

log = logging.getLogger("gongkai.serve")


class ServeError(GongkaiError):
    """The local Prefect server could not be started (message in Chinese)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (Prefect's usual 4200 is preferred for the UI)."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class PrefectServer:
    """A ``prefect server start`` child process on 127.0.0.1, restarted if it dies."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/api"
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _spawn(self) -> None:
        env = {**os.environ, "PREFECT_SERVER_API_HOST": "127.0.0.1", "PREFECT_SERVER_API_PORT": str(self.port)}
        env.pop("PREFECT_API_URL", None)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we stop it in order
            )

    def healthy(self) -> bool:
        """Whether the API answers its health check."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as resp:  # noqa: S310 - loopback
                return bool(resp.status == 200)
        except OSError:
            return False

    def start(self, timeout: float = 90.0) -> None:
        """Start the server and wait until it answers; then watch it."""
        self._spawn()
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self.proc is not None and self.proc.poll() is not None:
                raise ServeError(f"本地 Prefect 服务启动失败（退出码 {self.proc.returncode}），详见 {self.log_path}。")
            if time.monotonic() > deadline:
                self.stop()
                raise ServeError(f"本地 Prefect 服务在 {timeout:.0f} 秒内没有就绪，详见 {self.log_path}。")
            time.sleep(0.5)
        self._watchdog = threading.Thread(target=self._watch, name="prefect-server-watchdog", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while not self._stopping.wait(5):
            if self.proc is not None and self.proc.poll() is not None:
                log.error("Prefect server exited with %s; restarting it", self.proc.returncode)
                self._spawn()

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        self._stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def catch_up(cfg: Settings, now: datetime | None = None, stop: threading.Event | None = None) -> list[str]:
    """Run, once each, the scheduled processes whose current period is not done yet (and still
    worth doing: a period older than the process's ``stale_after_days`` is only recorded)."""
    from flows.registry import FLOWS
    from gongkai.db import open_database, session_scope
    from gongkai.schedule import PROCESSES, is_stale, missed, period_of, record_completed

    now = now or datetime.now(UTC)
    done: list[str] = []
    engine = open_database()
    try:
        for process in PROCESSES:
            if stop is not None and stop.is_set():
                break
            cron = getattr(cfg.schedules, process.name)
            with session_scope(engine) as session:
                day = missed(session, process, cron, cfg.tz, now)
                if day is not None and is_stale(process, day, now.astimezone(cfg.tz).date()):
                    log.info("Skipping %s for %s: too old to be useful now", process.flow_name, day.isoformat())
                    record_completed(session, process.flow_name, period_of(process.period, day))
                    continue
            if day is None:
                continue
            log.info("Catching up %s for %s", process.flow_name, day.isoformat())
            FLOWS[process.name](as_of=day, scheduled=True)
            done.append(f"{process.name}:{day.isoformat()}")
    finally:
        engine.dispose()
    return done


# The service finishes a period whose messages are still unconfirmed (a run killed mid-send, a channel down)
# without waiting for the next schedule: as soon as the outbox can retry them, and at most every RETRY_GAP.
RETRY_GAP = timedelta(minutes=5)
# A period neither done nor owing anything (its run crashed before planning) is run again after this long,
# a few times only: a fault that persists is for the administrator (the failed runs show in the Prefect UI).
RERUN_AFTER = timedelta(minutes=30)
MAX_RERUNS = 6


@dataclass
class RetryState:
    """What the retry watcher triggered for one process in its current period."""

    period: str = ""
    attempts: int = 0
    last: datetime | None = None


def retries_due(cfg: Settings, now: datetime, state: dict[str, RetryState]) -> list[tuple[str, date]]:
    """The scheduled processes to run again now, with their business date: the current period is not done
    (and not stale), and either its messages can be retried (an interrupted row's lease ran out, a failed
    channel's backoff passed) or the period's run never got as far as recording anything. Updates ``state``."""
    from gongkai.db import open_database, session_scope
    from gongkai.outbox import outstanding
    from gongkai.schedule import PROCESSES, is_stale, last_occurrence, missed, period_of

    due: list[tuple[str, date]] = []
    engine = open_database()
    try:
        for process in PROCESSES:
            cron = getattr(cfg.schedules, process.name)
            with session_scope(engine) as session:
                day = missed(session, process, cron, cfg.tz, now)
                if day is None or is_stale(process, day, now.astimezone(cfg.tz).date()):
                    continue
                owed = outstanding(session, settings=cfg, now=now, kinds=process.outbox_kinds)
            mine = state.setdefault(process.name, RetryState())
            period = period_of(process.period, day)
            if mine.period != period:
                mine.period, mine.attempts, mine.last = period, 0, None
            if mine.last is not None and now - mine.last < RETRY_GAP:
                continue
            if owed.total:
                if owed.retry_at is None or owed.retry_at > now:
                    continue
            elif (now - last_occurrence(cron, cfg.tz, now) < RERUN_AFTER or mine.attempts >= MAX_RERUNS
                  or (mine.last is not None and now - mine.last < RERUN_AFTER)):  # fmt: skip
                continue
            mine.attempts, mine.last = mine.attempts + 1, now
            due.append((process.name, day))
    finally:
        engine.dispose()
    return due


def deployment_name(process: str) -> str:
    """The Prefect deployment name of a scheduled process (``gongkai-report-readiness``: dashes only)."""
    return f"gongkai-{process.replace('_', '-')}"


def _retry_watch(cfg: Settings, stop: threading.Event, interval: float = 30.0) -> None:
    """Every ``interval`` seconds, start a run of each process :func:`retries_due` names through its
    deployment (so the runner executes it and it shows in the Prefect UI)."""
    from prefect.deployments import run_deployment

    from gongkai.schedule import PROCESSES

    flows = {p.name: p.flow_name for p in PROCESSES}
    state: dict[str, RetryState] = {}
    while not stop.wait(interval):
        try:
            for name, day in retries_due(cfg, datetime.now(UTC), state):
                log.info("Retrying %s for %s: its messages are not all confirmed yet", flows[name], day.isoformat())
                run_deployment(f"{flows[name]}/{deployment_name(name)}",
                               parameters={"as_of": day.isoformat(), "scheduled": True}, timeout=0)  # fmt: skip
        except Exception as exc:  # the watcher must outlive a database or API hiccup; the next round retries
            log.warning("Retry watcher: %s", type(exc).__name__)


def deployments(cfg: Settings) -> list[Any]:
    """One deployment per scheduled process, from ``[schedules]`` in the office's time zone, and the
    annual report's deployment without a schedule."""
    from prefect.schedules import Cron

    from flows.registry import FLOWS
    from gongkai.schedule import PROCESSES

    out = []
    for process in PROCESSES:
        cron = getattr(cfg.schedules, process.name)
        out.append(
            FLOWS[process.name].to_deployment(
                name=deployment_name(process.name),
                schedules=[Cron(cron, timezone=cfg.office.timezone, slug=deployment_name(process.name))],
                parameters={"scheduled": True},
                paused=False,  # a clean stop paused it; serving again re-activates it
                description=f"Gongkai: {process.flow_name} ({cron}, {cfg.office.timezone})",
            )
        )
    # Triggered by hand each January (from the Prefect UI or `gongkai run report`): no schedule.
    out.append(
        FLOWS["report"].to_deployment(
            name="gongkai-annual-report",
            description="Gongkai: annual-report (run from the UI; parameter year, default last year)",
        )
    )
    return out


def run(cfg: Settings, *, port: int | None = None) -> None:
    """Start the local server, catch up, and serve every schedule until SIGTERM/SIGINT."""
    # A stop request can come at any moment (systemd sends SIGTERM). Until Prefect's runner has
    # installed its own handler, only note it: the catch-up finishes its current flow, and a request
    # that arrives while the runner is starting is handed on to it once it can take it (a SIGTERM in
    # that window would otherwise be lost and the service would not stop).
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    home = gongkai_home()
    prefect_home = configure(home)
    port = port or int(os.environ.get("GONGKAI_PREFECT_PORT", "0")) or (4200 if port_free(4200) else free_port())
    server = PrefectServer(port, prefect_home / "server.log")
    log.info("Starting the local Prefect server on 127.0.0.1:%s", port)
    server.start()
    os.environ["PREFECT_API_URL"] = server.url
    (prefect_home / "api-url").write_text(server.url + "\n", encoding="utf-8")
    try:
        if not stop.is_set():
            for item in catch_up(cfg, stop=stop):
                log.info("Caught up: %s", item)
        if stop.is_set():
            return
        _serve(deployments(cfg), stop, port, cfg)
    finally:
        with contextlib.suppress(FileNotFoundError):
            (prefect_home / "api-url").unlink()
        _drain_prefect_workers()
        server.stop()
        log.info("Stopped.")


def _drain_prefect_workers() -> None:
    """Send the logs and events still queued for the API before the server stops (otherwise Prefect's
    workers retry against a closed port while the process exits)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=10)
        except Exception as exc:  # best effort on the way out; never block the stop
            log.warning("Could not flush %s: %s", worker.__name__, type(exc).__name__)


def _serve(deps: list[Any], stop: threading.Event, port: int, cfg: Settings) -> None:
    """Prefect's runner over ``deps``, with the retry watcher; SIGTERM pauses the deployments and returns."""
    import asyncio

    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=True)
    for deployment in deps:
        runner.add_deployment(deployment)
    finished = threading.Event()

    def relay() -> None:
        stop.wait()
        while not runner.started and not finished.is_set():
            time.sleep(0.1)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGTERM)  # now the runner's own handler takes it

    threading.Thread(target=relay, name="sigterm-relay", daemon=True).start()

    def watch() -> None:
        while not runner.started and not finished.is_set():
            time.sleep(0.5)
        _retry_watch(cfg, finished, float(os.environ.get("GONGKAI_RETRY_INTERVAL", "30")))

    threading.Thread(target=watch, name="retry-watcher", daemon=True).start()
    log.info("Serving %d deployment(s); Prefect UI at http://127.0.0.1:%s", len(deps), port)
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal):
        log.info("Stop requested, shutting down")
    finally:
        finished.set()
