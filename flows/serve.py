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
import json
import logging
import os
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gongkai.flows.deploy import deployment_name, deployments_for

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import Settings, gongkai_home
from gongkai.core.webaddress import desk_address, desk_bind_warning
from gongkai.runtime.prefect_env import configure
from gongkai.runtime.supervise import RUNNER_PID_ENV

log = logging.getLogger("gongkai.serve")


class ServeError(GongkaiError):
    """The local Prefect server could not be started (message in Chinese)."""


# Not Prefect's own ``server.pid`` in the same folder: ``prefect server start`` reads that one to
# report a "background server" and ``prefect server stop`` would signal whatever pid it holds.
PIDFILE_NAME = "gongkai-server.pid"
START_TIMEOUT = 120.0  # a fresh Prefect database on a busy 2-core machine takes well over Prefect's own 20 s
RUN_CONTROL_NAME = (
    "run-control"  # where serve says how ``gongkai run`` reaches it: port and a per-start token
)
_ROLE_ENV = "GONGKAI_PREFECT_SERVER"  # "serve" or "run": marks the processes we start, read back from /proc


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port`` (Prefect's usual 4200 is preferred for the UI)."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _port_taken(port: int) -> ServeError:
    return ServeError(
        f"端口 {port} 已被其他程序占用（不是本工作目录的 Prefect 服务）：请停止占用该端口的程序，"
        "或用 --port 或环境变量 GONGKAI_PREFECT_PORT 指定另一个空闲端口。"
    )


class PrefectServer:
    """A ``prefect server start`` on 127.0.0.1 under :mod:`gongkai.runtime.supervise` (it dies with us,
    whatever kills us), restarted if it dies unless its port has been taken meanwhile.

    ``role`` "serve" is the service's server (UI, scheduler; ``pidfile`` lets the next start find
    it if it was left behind); "run" is a one-off run's private server with the same services as
    Prefect's temporary server (no UI, no scheduler: it must not start scheduled runs itself).
    """

    def __init__(
        self,
        port: int,
        log_path: Path,
        *,
        role: str = "serve",
        pidfile: Path | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/api"
        self.log_path = log_path
        self.role = role
        self.pidfile = pidfile
        self.on_lost = on_lost
        self.lost = False
        self.proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    def _spawn(self) -> None:
        env = {
            **os.environ,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            _ROLE_ENV: self.role,
        }
        env.pop("PREFECT_API_URL", None)
        if self.role == "run":
            # Prefect's own switch for its temporary server: the services a run needs (task-run
            # recorder, event persister), no scheduler, no late-run marking.
            env.update(PREFECT__SERVER_EPHEMERAL="1", PREFECT_SERVER_UI_ENABLED="false")
        supervise = [sys.executable, "-m", "gongkai.runtime.supervise"]
        if self.pidfile is not None:
            supervise += ["--pidfile", str(self.pidfile)]
        server = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        # The supervisor watches the pipe on its stdin: it reaches end of file when we stop it or die.
        # (On Linux its parent-death signal is tied to the spawning thread: the main thread or the
        # watchdog, which both live as long as the server is wanted.)
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                [*supervise, "--", *server],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
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

    def _ours(self) -> bool:
        """Whether the server answering on our port uses our ``PREFECT_HOME`` (another program may
        have taken the port between our check and our server's start: our server then exits)."""
        home = os.environ.get("PREFECT_HOME")
        if home is None:
            return True
        try:
            with urllib.request.urlopen(f"{self.url}/admin/settings", timeout=5) as resp:  # noqa: S310 - loopback
                return bool(json.loads(resp.read()).get("home") == home)
        except (OSError, ValueError):
            return False

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start the server and wait until it answers; then watch it. The port must be free: an
        answer from another server on it is never taken for ours."""
        if not port_free(self.port):
            if self.role == "desk":
                raise ServeError(
                    f"员工工作台的端口 {self.port} 已被其他程序占用：请停止占用该端口的程序，或在配置文件 [desk] 段把 port 改为另一个空闲端口。"
                )
            raise _port_taken(self.port)
        with self._lock:
            self._spawn()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                if not port_free(self.port):
                    raise _port_taken(self.port)
                what = "员工工作台" if self.role == "desk" else "本地 Prefect 服务"
                raise ServeError(f"{what}启动失败（退出码 {self.proc.returncode}），详见 {self.log_path}。")
            if self.healthy() and self._ours():
                break
            if time.monotonic() > deadline:
                self.stop()
                raise ServeError(f"本地 Prefect 服务在 {timeout:.0f} 秒内没有就绪，详见 {self.log_path}。")
            time.sleep(0.5)
        self._watchdog = threading.Thread(target=self._watch, name="prefect-server-watchdog", daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while not self._stopping.wait(5):
            with self._lock:
                if self._stopping.is_set() or self.proc is None or self.proc.poll() is None:
                    continue
                if not port_free(self.port):
                    # Respawning onto a taken port would fail every 5 s forever: give up once, loudly,
                    # and let the service exit non-zero (systemd restarts it).
                    log.error(
                        "Prefect server exited with %s and port %s is now taken by another program; giving up",
                        self.proc.returncode,
                        self.port,
                    )
                    self.lost = True
                    if self.on_lost is not None:
                        self.on_lost()
                    return
                log.error("Prefect server exited with %s; restarting it", self.proc.returncode)
                self._spawn()

    def stop(self) -> None:
        """Stop the server: close the supervisor's pipe (it stops the server's whole process group,
        SIGTERM then SIGKILL) and wait for it; kill the supervisor if it does not finish."""
        with self._lock:
            self._stopping.set()
            proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()  # the server then gets its parent-death signal (Linux)
            proc.wait(timeout=5)


class DeskServer(PrefectServer):
    """The staff desk (``python -m gongkai.desk.server``) as a supervised child, like the Prefect server: it
    dies with us, is restarted if it dies, and stops with SIGTERM. It inherits ``PREFECT_API_URL`` (the
    administrator's report button runs the ``annual-report`` deployment through it)."""

    def __init__(
        self,
        bind: str,
        port: int,
        log_path: Path,
        prefect_ui: str,
        *,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(port, log_path, role="desk", on_lost=on_lost)
        self.bind = bind
        host = "127.0.0.1" if bind in ("0.0.0.0", "localhost") else (f"[{bind}]" if ":" in bind else bind)
        self.url = f"http://{'[::1]' if bind == '::' else host}:{port}"
        self.prefect_ui = prefect_ui

    def _spawn(self) -> None:
        env = {
            **os.environ,
            "GONGKAI_DESK_PORT": str(self.port),
            "GONGKAI_PREFECT_UI": self.prefect_ui,
            _ROLE_ENV: "desk",
        }
        supervise = [
            sys.executable,
            "-m",
            "gongkai.runtime.supervise",
            "--",
            sys.executable,
            "-m",
            "gongkai.desk.server",
        ]
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                supervise,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:  # noqa: S310 - our own desk
                return bool(resp.status == 200)
        except OSError:
            return False

    def _ours(self) -> bool:
        return True


def _proc_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _proc_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (part.decode("utf-8", "replace").partition("=") for part in raw.split(b"\0") if part)
    return {key: value for key, _, value in pairs}


def _proc_ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _is_server_process(cmdline: list[str]) -> bool:
    joined = " ".join(cmdline)
    return (
        ("gongkai.runtime.supervise" in joined or "gongkai.supervise" in joined)
        or "prefect server start" in joined
        or "prefect.server.api" in joined
    )


def _our_servers(prefect_home: Path) -> list[int]:
    """Processes (Linux, same user) that are the service's supervisor or Prefect server for this
    ``PREFECT_HOME``: the pidfile's and any other found in /proc. A one-off run's server is not one."""
    candidates: set[int] = set()
    pidfile = prefect_home / PIDFILE_NAME
    with contextlib.suppress(OSError, ValueError, AttributeError):
        record = json.loads(pidfile.read_text(encoding="utf-8"))
        candidates.update(int(record[key]) for key in ("supervisor", "server") if record.get(key))
    with contextlib.suppress(OSError):
        candidates.update(int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit())
    mine = os.getpid()
    found = []
    for pid in sorted(candidates):
        if pid == mine or not _is_server_process(_proc_cmdline(pid)):
            continue
        env = _proc_environ(pid)
        if env.get("PREFECT_HOME") == str(prefect_home) and env.get(_ROLE_ENV) == "serve":
            found.append(pid)
    return found


def stop_stale_server(prefect_home: Path, *, timeout: float = 20.0) -> list[int]:
    """Stop a Prefect server that an earlier ``gongkai serve`` of this home left behind (its
    supervisor and server verified from /proc: command line, ``PREFECT_HOME`` and our role mark;
    nothing else is ever signalled). Refuses if that earlier serve is still running. Returns the
    pids stopped."""
    pids = _our_servers(prefect_home)
    for pid in pids:
        if "gongkai.runtime.supervise" not in " ".join(_proc_cmdline(pid)):
            continue
        parent = _proc_ppid(pid)
        if parent not in (None, 0, 1) and "gongkai" in " ".join(_proc_cmdline(parent)):
            raise ServeError(
                f"另一个 gongkai serve（进程 {parent}）正在使用同一工作目录 {prefect_home.parent}："
                "同一目录只能运行一个服务，请先停止它。"
            )
    if not pids:
        return []
    log.warning("Stopping a Prefect server left behind by an earlier serve of this home: pids %s", pids)
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if (
                    os.getpgid(pid) == pid
                ):  # a group we created (start_new_session): the server and its children
                    os.killpg(pid, sig)
                else:
                    os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.2)
        if not any(_alive(pid) for pid in pids):
            break
    with contextlib.suppress(FileNotFoundError):
        (prefect_home / PIDFILE_NAME).unlink()
    return pids


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (its parent has not reaped it yet) is gone for our purpose
    with contextlib.suppress(OSError):
        if (
            Path(f"/proc/{pid}/stat")
            .read_text(encoding="utf-8", errors="replace")
            .rsplit(")", 1)[1]
            .split()[0]
            == "Z"
        ):
            return False
    return True


def catch_up(cfg: Settings, now: datetime | None = None, stop: threading.Event | None = None) -> list[str]:
    """Run, once each, the scheduled processes whose current period is not done yet (and still
    worth doing: a period older than the process's ``stale_after_days`` is only recorded)."""
    from gongkai.flows.registry import FLOWS
    from prefect.exceptions import TerminationSignal

    from gongkai.services import processes
    from gongkai.services.actor import Actor
    from gongkai.store.db import open_database
    from gongkai.store.schedule import PROCESSES

    now = now or datetime.now(UTC)
    done: list[str] = []
    engine = open_database()
    try:
        office = processes.works_on(cfg, engine, cfg.files_home(gongkai_home()))
        for process in PROCESSES:
            if stop is not None and stop.is_set():
                break
            due = processes.open_period(office, process.name, now)
            if due is None:
                continue
            day = due.as_of
            if due.stale:
                log.info("Skipping %s for %s: too old to be useful now", process.flow_name, day.isoformat())
                processes.close_stale_period(office, Actor.schedule(process.name), due)
                continue
            log.info("Catching up %s for %s", process.flow_name, day.isoformat())
            try:
                FLOWS[process.name](as_of=day, scheduled=True)
            except TerminationSignal:
                # A stop request (systemd's SIGTERM) while the flow ran: Prefect's own handler ended it. Its
                # period stays open and the next start does it again; stop in order, not with a traceback.
                log.info("Stop requested during the catch-up of %s", process.flow_name)
                if stop is not None:
                    stop.set()
                break
            except Exception as exc:  # the failed run is in the Prefect UI; the retry watcher runs it again
                log.error(
                    "Catch-up of %s for %s failed: %s", process.flow_name, day.isoformat(), type(exc).__name__
                )
                continue
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
    from gongkai.services import processes
    from gongkai.store.db import open_database
    from gongkai.store.schedule import PROCESSES, last_occurrence

    due: list[tuple[str, date]] = []
    engine = open_database()
    try:
        office = processes.works_on(cfg, engine, cfg.files_home(gongkai_home()))
        for process in PROCESSES:
            cron = getattr(cfg.schedules, process.name)
            current = processes.open_period(office, process.name, now)
            if current is None or current.stale:
                continue
            owed = processes.owed_messages(office, process.name, now)
            mine = state.setdefault(process.name, RetryState())
            if mine.period != current.period:
                mine.period, mine.attempts, mine.last = current.period, 0, None
            if owed.total:
                # An interrupted send is taken up as soon as its lease has run out (a run before that moment
                # could not have); anything else owed (a failed channel) at most every RETRY_GAP.
                lease_ran_out = owed.lease_expired_at is not None and (
                    mine.last is None or mine.last < owed.lease_expired_at
                )
                gap_passed = mine.last is None or now - mine.last >= RETRY_GAP
                if not lease_ran_out and not (
                    gap_passed and owed.retry_at is not None and owed.retry_at <= now
                ):
                    continue
            elif (now - last_occurrence(cron, cfg.tz, now) < RERUN_AFTER or mine.attempts >= MAX_RERUNS
                  or (mine.last is not None and now - mine.last < RERUN_AFTER)):  # fmt: skip
                continue
            mine.attempts, mine.last = mine.attempts + 1, now
            due.append((process.name, current.as_of))
    finally:
        engine.dispose()
    return due


def _retry_watch(cfg: Settings, stop: threading.Event, interval: float = 30.0) -> None:
    """Every ``interval`` seconds, start a run of each process :func:`retries_due` names through its
    deployment (so the runner executes it and it shows in the Prefect UI)."""
    from prefect.deployments import run_deployment

    from gongkai.store.schedule import PROCESSES

    flows = {p.name: p.flow_name for p in PROCESSES}
    state: dict[str, RetryState] = {}
    while not stop.wait(interval):
        try:
            for name, day in retries_due(cfg, datetime.now(UTC), state):
                log.info(
                    "Retrying %s for %s: its messages are not all confirmed yet", flows[name], day.isoformat()
                )
                run_deployment(f"{flows[name]}/{deployment_name(name)}",
                               parameters={"as_of": day.isoformat(), "scheduled": True}, timeout=0)  # fmt: skip
        except Exception as exc:  # the watcher must outlive a database or API hiccup; the next round retries
            log.warning("Retry watcher: %s", type(exc).__name__)


def deployments(cfg: Settings) -> list[Any]:
    """The deployments serve's runner serves: :func:`gongkai.flows.deploy.deployments_for` without a work pool
    (one definition with ``gongkai deploy``'s)."""
    return list(deployments_for(cfg))


def run(
    cfg: Settings,
    *,
    port: int | None = None,
    announce: Callable[[str], None] | None = None,
    log_file: Path | None = None,
) -> None:
    """Start the local server, catch up, and serve every schedule until SIGTERM/SIGINT."""
    # A stop request can come at any moment (systemd sends SIGTERM). Until Prefect's runner has
    # installed its own handler, only note it: the catch-up finishes its current flow, and a request
    # that arrives while the runner is starting is handed on to it once it can take it (a SIGTERM in
    # that window would otherwise be lost and the service would not stop).
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    home = gongkai_home()
    prefect_home = configure(home)
    stop_stale_server(prefect_home)
    port = (
        port or int(os.environ.get("GONGKAI_PREFECT_PORT", "0")) or (4200 if port_free(4200) else free_port())
    )
    server = PrefectServer(
        port, prefect_home / "server.log", pidfile=prefect_home / PIDFILE_NAME, on_lost=stop.set
    )
    log.info("Starting the local Prefect server on 127.0.0.1:%s", port)
    server.start()
    os.environ["PREFECT_API_URL"] = server.url
    os.environ[RUNNER_PID_ENV] = str(os.getpid())  # the runner's flow-run subprocesses die with us
    (prefect_home / "api-url").write_text(server.url + "\n", encoding="utf-8")
    desk_port = int(os.environ.get("GONGKAI_DESK_PORT", "0")) or cfg.desk.port
    desk = DeskServer(
        cfg.desk.bind, desk_port, (log_file.parent if log_file else prefect_home) / "desk.log",
        f"http://127.0.0.1:{port}", on_lost=stop.set,
    )  # fmt: skip
    try:
        log.info("Starting the staff desk on %s:%s", cfg.desk.bind, desk_port)
        desk.start()
    except BaseException:
        server.stop()
        raise
    if announce is not None:
        warning = desk_bind_warning(cfg.desk.bind)
        if warning:
            announce(warning)
        announce(f"员工工作台：{desk_address(cfg.desk.bind, desk_port)}")
    try:
        caught_up: list[str] = []
        if not stop.is_set():
            caught_up = catch_up(cfg, stop=stop)
            for item in caught_up:
                log.info("Caught up: %s", item)

        def started() -> None:
            if announce is not None:
                announce(startup_summary(cfg, port, caught_up, prefect_home / "server.log", log_file))

        if not stop.is_set():
            with run_requests(prefect_home):
                _serve(deployments(cfg), stop, port, cfg, on_started=started)
    finally:
        with contextlib.suppress(FileNotFoundError):
            (prefect_home / "api-url").unlink()
        desk.stop()
        _drain_prefect_workers()
        server.stop()
        log.info("Stopped.")
    if server.lost:
        raise ServeError(
            f"本地 Prefect 服务意外退出，而端口 {port} 已被其他程序占用，无法重新启动：服务已停止"
            "（systemd 会重启它）；请查明占用该端口的程序。"
        )


@contextlib.contextmanager
def one_off_server(prefect_home: Path, *, timeout: float = START_TIMEOUT) -> Iterator[str]:
    """A private Prefect server for one ``gongkai run`` (instead of Prefect's temporary server,
    which is not tied to our process and gives up after 20 s): on a free port, supervised, waited
    for up to ``timeout`` seconds, ``PREFECT_API_URL`` pointing at it while the block runs, stopped
    afterwards. Raises :class:`ServeError` when it cannot start."""
    for attempt in range(3):
        server = PrefectServer(free_port(), prefect_home / "run-server.log", role="run")
        try:
            server.start(timeout)
            break
        except ServeError:
            if attempt == 2 or port_free(server.port):  # only a port taken meanwhile is worth a retry
                raise
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = server.url
    _refresh_prefect_settings()
    try:
        yield server.url
    finally:
        _drain_prefect_workers()
        server.stop()
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        _refresh_prefect_settings()


class RunInterrupted(GongkaiError):
    """A run handed to ``gongkai serve`` got no answer: serve stopped or failed while it ran."""

    exit_code = 1


class ServedRunError(GongkaiError):
    """The error a run handed to ``gongkai serve`` ended with, as it would have been shown (message, exit status)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _served_run(request: dict[str, Any]) -> dict[str, Any]:
    """Run the flow a ``gongkai run`` asked for, in this (serve's) process, against serve's Prefect API:
    the flow's summary, the console channel's messages meanwhile, or the Chinese error a run would have shown."""
    from gongkai.flows.registry import FLOWS

    if (
        request.get("config") != os.environ.get("GONGKAI_CONFIG")
        or request.get("office") != os.environ.get("GONGKAI_OFFICE")
        or request.get("database") != os.environ.get("GONGKAI_DATABASE_URL")
    ):
        return {"declined": "another configuration, office or database than serve's"}
    console = gongkai_home() / "messages" / "console.log"
    seen = console.stat().st_size if console.exists() else 0
    day = date.fromisoformat(request["as_of"])
    log.info("Running %s for %s, asked for by gongkai run", request["process"], day.isoformat())
    reply: dict[str, Any]
    try:
        if request["process"] == "report":
            result = FLOWS["report"](year=int(request["year"]), as_of=day)
        else:
            result = FLOWS[request["process"]](as_of=day)
        reply = {"result": result}
    except GongkaiError as err:
        reply = {"error": str(err), "exit_code": err.exit_code}
    except Exception as err:  # the caller says it in Chinese; the traceback stays in serve's log
        log.exception("A run of %s asked for by gongkai run failed", request["process"])
        reply = {"failed": type(err).__name__}
    if console.exists():
        with console.open("rb") as f:
            f.seek(seen)
            reply["console"] = f.read().decode("utf-8", "replace")
    return reply


class _RunRequests(socketserver.ThreadingTCPServer):
    daemon_threads = False
    block_on_close = True  # a stop waits for the runs it accepted before the Prefect server stops

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__(("127.0.0.1", 0), _RunRequestHandler)


class _RunRequestHandler(socketserver.StreamRequestHandler):
    server: _RunRequests

    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline(65536))
        except ValueError:
            return
        if not isinstance(request, dict):
            return
        try:
            if not secrets.compare_digest(str(request.get("token", "")), self.server.token):
                raise PermissionError("token")
            reply = _served_run(request)
        except Exception as exc:  # a malformed request: the caller runs it itself
            reply = {"declined": type(exc).__name__}
        self.wfile.write(json.dumps(reply, ensure_ascii=False).encode("utf-8") + b"\n")


@contextlib.contextmanager
def run_requests(prefect_home: Path) -> Iterator[None]:
    """While serve serves: take ``gongkai run`` requests on 127.0.0.1 (a random port and a token in
    ``prefect_home/run-control``, readable by the service account only) and run their flows in this process,
    whose Prefect is already imported and connected: a one-off run then costs the work, not a Python process
    that imports Prefect and runs its engine from cold. On exit the file goes first, then the runs under way
    finish."""
    token = secrets.token_hex(16)
    server = _RunRequests(token)
    threading.Thread(target=server.serve_forever, name="run-requests", daemon=True).start()
    control = prefect_home / RUN_CONTROL_NAME
    fd = os.open(control, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"port": server.server_address[1], "token": token, "pid": os.getpid()}, out)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            control.unlink()
        server.shutdown()
        server.server_close()


def run_in_serve(
    prefect_home: Path,
    process: str,
    as_of: date,
    year: int | None,
    *,
    meanwhile: Callable[[], object] | None = None,
) -> dict[str, Any] | None:
    """Ask the ``gongkai serve`` of this home to run ``process`` as of ``as_of`` and wait for it: the reply
    (``result``: the flow's summary, or ``error`` and ``exit_code``, or ``failed``; ``console``: the console
    channel's messages), or None when no serve takes it (none running, or one with another configuration or
    database): the caller then runs the flow itself. Raises :class:`RunInterrupted` when serve took the run and
    stopped before answering. ``meanwhile`` runs in a thread while serve works (this thread only waits then,
    so the two never import at the same time) and has finished when this returns. Does not import Prefect."""
    try:
        control = json.loads((prefect_home / RUN_CONTROL_NAME).read_text(encoding="utf-8"))
        if not _alive(int(control["pid"])):  # left behind by a serve that was killed
            return None
        conn = socket.create_connection(("127.0.0.1", int(control["port"])), timeout=2)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    request = {
        "token": control.get("token"),
        "process": process,
        "as_of": as_of.isoformat(),
        "year": year,
        "config": os.environ.get("GONGKAI_CONFIG"),
        "office": os.environ.get("GONGKAI_OFFICE"),
        "database": os.environ.get("GONGKAI_DATABASE_URL"),
    }
    with conn:
        try:
            conn.sendall(json.dumps(request).encode("utf-8") + b"\n")
            conn.settimeout(None)  # a run takes as long as its work
            reader = conn.makefile("rb")
            helper = threading.Thread(target=meanwhile or (lambda: None), name="meanwhile", daemon=True)
            helper.start()
            try:
                line = reader.readline()
            finally:
                helper.join()
        except OSError:
            line = b""
    if not line:
        raise RunInterrupted(
            f"本次运行已交给正在运行的 gongkai serve，但它在运行结束前停止了（详见 {prefect_home.parent / 'logs'}）："
            "已认领但未确认送达的提醒会在下次运行时重发；请再次运行本命令。"
        )
    reply: dict[str, Any] = json.loads(line)
    return None if "declined" in reply else reply


def prefect_api_configured() -> bool:
    """Whether runs already go to a Prefect server (ours, an administrator's, or a test harness's)."""
    if "prefect" not in sys.modules:  # the usual case: decided before Prefect reads its settings
        return "PREFECT_API_URL" in os.environ
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def _refresh_prefect_settings() -> None:
    # Prefect reads the environment once, when first imported; a run usually imports it later.
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context

        refresh_global_settings_context()


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


PROCESS_LABELS: dict[str, str] = {
    "reminders": "期限提醒",
    "catalogue": "公开目录和指南更新",
    "review": "定期内容检查",
    "report_readiness": "年度报告准备情况",
}


def startup_summary(
    cfg: Settings,
    port: int,
    caught_up: list[str],
    server_log: Path,
    log_file: Path | None,
    now: datetime | None = None,
) -> str:
    """What the person who started the service needs, in Chinese, once: where the Prefect UI is, what was caught
    up, when each schedule runs next, where the logs are, how to stop."""
    from cronsim import CronSim

    from gongkai.store.schedule import PROCESSES

    now = (now or datetime.now(UTC)).astimezone(cfg.tz)
    done = []
    for item in caught_up:
        name, _, day = item.partition(":")
        done.append(f"{PROCESS_LABELS.get(name, name)}（{day}）")
    lines = [
        f"Gongkai 已在运行：{cfg.office.name}" + ("（演示配置）" if cfg.office.demo else ""),
        f"  Prefect 界面（定时任务和运行记录）：http://127.0.0.1:{port}",
        f"  启动时补做：{'、'.join(done) if done else '无（各定时任务的本期均已完成）'}",
        f"  定时任务（{cfg.office.timezone}）：",
    ]
    for process in PROCESSES:
        cron = getattr(cfg.schedules, process.name)
        upcoming = next(CronSim(cron, now.replace(second=0, microsecond=0)))
        lines.append(f"    {PROCESS_LABELS[process.name]}：{cron}，下次 {upcoming:%Y-%m-%d %H:%M}")
    upcoming = next(CronSim(cfg.backup.cron, now.replace(second=0, microsecond=0)))
    lines.append(
        f"    夜间数据备份：每天 {cfg.backup.time}，下次 {upcoming:%Y-%m-%d %H:%M}"
        f"（保留 {cfg.backup.keep} 份，文件夹 {cfg.backup.folder_in(gongkai_home())}）"
    )
    if log_file is not None:
        lines.append(f"  运行日志：{log_file}")
    lines.append(f"  Prefect 服务日志：{server_log}")
    lines.append("  停止：Ctrl-C（或 systemctl stop gongkai）；停止后再启动会补做错过的一期。")
    return "\n".join(lines)


def _serve(
    deps: list[Any],
    stop: threading.Event,
    port: int,
    cfg: Settings,
    on_started: Callable[[], None] | None = None,
) -> None:
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
        if on_started is not None and not finished.is_set():
            on_started()
        _retry_watch(cfg, finished, float(os.environ.get("GONGKAI_RETRY_INTERVAL", "30")))

    threading.Thread(target=watch, name="retry-watcher", daemon=True).start()
    log.info("Serving %d deployment(s); Prefect UI at http://127.0.0.1:%s", len(deps), port)
    try:
        asyncio.run(runner.start())
    except (KeyboardInterrupt, TerminationSignal):
        log.info("Stop requested, shutting down")
    finally:
        finished.set()
