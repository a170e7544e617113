"""No Prefect server outlives the ``gongkai`` process that started it: ``gongkai run`` and ``gongkai
serve`` killed with SIGKILL at random points leave no process of their home behind; a serve started
again on the same fixed port stops a server an earlier serve left behind, becomes healthy and stops
cleanly; a port taken by another program is refused (exit 2) and never respawned onto.
(Slow, about 2 minutes: real Prefect servers, run once.)"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from gongkai.flows.serve import PrefectServer, ServeError, free_port

from tests.servers import processes_of

REPO = Path(__file__).resolve().parent.parent
GONGKAI = str(Path(sys.executable).parent / "gongkai")

pytestmark = [
    pytest.mark.once,
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc"),
]


def _assert_nothing_left(home: Path, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while (left := processes_of(home)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        for line in left:  # do not leave them running for the next test
            os.kill(int(line.split(":")[0]), signal.SIGKILL)
        pytest.fail(f"{what}: still running {within:.0f} s later:\n" + "\n".join(left))


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """An environment for ``gongkai`` subprocesses: a temp home and a copy of the shipped config."""
    config = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    (tmp_path / "gongkai.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    home = tmp_path / "home"
    env.update(GONGKAI_HOME=str(home), GONGKAI_CONFIG=str(tmp_path / "gongkai.toml"))
    env["GONGKAI_DESK_PORT"] = str(
        free_port()
    )  # serve's staff desk, a child it supervises like Prefect's server
    yield env, home
    for line in processes_of(home):
        os.kill(int(line.split(":")[0]), signal.SIGKILL)


def _spawn(env: dict[str, str], cwd: Path, name: str, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    err = cwd / f"{name}.err"
    proc = subprocess.Popen(
        [GONGKAI, *args],
        stdout=(cwd / f"{name}.out").open("wb"),
        stderr=err.open("wb"),
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    return proc, err


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except OSError:
        return False


def _wait(predicate: object, timeout: float, what: str, proc: subprocess.Popen[bytes], err: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if proc.poll() is not None:
            pytest.fail(f"exited early ({proc.returncode}) waiting for {what}:\n{err.read_text()[-3000:]}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}:\n{err.read_text()[-3000:]}")


def test_sigkill_of_run_at_random_points_leaves_no_server(
    office: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, home = office
    rng = random.Random()  # noqa: S311 - kill points, not secrets
    points = sorted(rng.uniform(0.5, 12.0) for _ in range(3))
    for i, delay in enumerate(points):
        proc, err = _spawn(env, tmp_path, f"run{i}", "run", "reminders", "--json")
        time.sleep(delay)
        proc.kill()
        proc.wait()
        _assert_nothing_left(home, 12, f"gongkai run reminders killed after {delay:.1f} s")
    # and a run left to finish still works, and leaves nothing either
    proc, err = _spawn(env, tmp_path, "run-last", "run", "reminders", "--json")
    code = proc.wait(timeout=180)
    assert "Traceback" not in err.read_text()
    summary = json.loads((tmp_path / "run-last.out").read_text(encoding="utf-8"))
    if code != 0:  # a kill above landed in the middle of a send: that message waits for its lease, by design
        assert code == 1 and summary["interrupted"] > 0 and summary["failed"] == 0, err.read_text()[-3000:]
        assert "发送被中断" in err.read_text()
    _assert_nothing_left(home, 12, "a finished gongkai run")


def test_sigkill_of_serve_leaves_no_server_and_a_restart_on_the_same_port_works(
    office: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, home = office
    port = free_port()
    env["GONGKAI_PREFECT_PORT"] = str(port)
    rng = random.Random()  # noqa: S311 - kill points, not secrets

    # while it starts (demo load, server start-up), then once its server is healthy
    proc, err = _spawn(env, tmp_path, "serve0", "serve")
    time.sleep(rng.uniform(1.0, 8.0))
    proc.kill()
    proc.wait()
    _assert_nothing_left(home, 12, "gongkai serve killed while starting")
    proc, err = _spawn(env, tmp_path, "serve1", "serve")
    _wait(lambda: _healthy(port), 150, "the server", proc, err)
    time.sleep(rng.uniform(0.0, 3.0))
    proc.kill()
    proc.wait()
    _assert_nothing_left(home, 12, "gongkai serve killed once healthy")

    # A server an older serve left behind (supervisor and serve both killed at once) holds the port:
    # the next serve of this home stops it and starts its own on the same port.
    stale_env = {
        **env,
        "PREFECT_HOME": str(home / "prefect"),
        "GONGKAI_PREFECT_SERVER": "serve",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    stale = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=stale_env,
        start_new_session=True,
    )
    try:
        _wait(lambda: _healthy(port), 120, "the left-behind server", stale, tmp_path / "serve1.err")
        proc, err = _spawn(env, tmp_path, "serve2", "serve")
        _wait(lambda: stale.poll() is not None, 60, "the left-behind server to be stopped", proc, err)
        _wait(
            lambda: (home / "prefect" / "api-url").exists() and _healthy(port),
            150,
            "the new server",
            proc,
            err,
        )
        assert (home / "prefect" / "api-url").read_text().strip() == f"http://127.0.0.1:{port}/api"
    finally:
        if stale.poll() is None:
            stale.kill()
        stale.wait()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=90) == 0, err.read_text()[-3000:]
    assert "Stopping a Prefect server left behind" in err.read_text()
    _assert_nothing_left(home, 5, "gongkai serve stopped with SIGTERM")
    assert not _healthy(port)


def test_a_port_taken_by_another_program_is_refused(
    office: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, home = office
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc, err = _spawn(env, tmp_path, "taken", "serve", "--port", str(port))
        assert proc.wait(timeout=120) == 2
    message = err.read_text(encoding="utf-8")
    assert f"端口 {port} 已被其他程序占用" in message and "GONGKAI_PREFECT_PORT" in message
    assert "Traceback" not in message
    _assert_nothing_left(home, 5, "a refused serve")


def test_the_watchdog_does_not_respawn_onto_a_taken_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    (tmp_path / "prefect").mkdir()
    lost = threading.Event()
    server = PrefectServer(
        free_port(), tmp_path / "server.log", role="run", pidfile=tmp_path / "pid", on_lost=lost.set
    )
    server.start()
    assert server._ours()
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "other"))
    assert not server._ours(), "a Prefect server of another home answering on the port is not taken for ours"
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    taker = socket.socket()
    # As a real server does: without SO_REUSEADDR the health checks' TIME_WAIT sockets would keep the port
    # from this test for a minute, while the watchdog (which binds with it) could take it back.
    taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        import json

        os.killpg(json.loads((tmp_path / "pid").read_text())["server"], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:  # take the port as soon as the dead server's socket is gone
            try:
                taker.bind(("127.0.0.1", server.port))
                taker.listen()
                break
            except OSError:
                assert time.monotonic() < deadline, "the killed server's port never came free"
                time.sleep(0.05)
        assert lost.wait(20), "the watchdog must give up when the port is taken"
        assert server.lost
        first = server.proc
        time.sleep(6)  # longer than one watchdog round: nothing was spawned again
        assert server.proc is first and first is not None and first.poll() is not None
    finally:
        server.stop()
        taker.close()
    with pytest.raises(ServeError, match=f"端口 {server.port} 已被其他程序占用"):
        with socket.socket() as again:
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", server.port))
            again.listen()
            PrefectServer(server.port, tmp_path / "server.log").start()


def test_a_run_whose_server_cannot_start_says_so_in_one_sentence(
    office: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, home = office
    env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{tmp_path}/missing/dir/prefect.db"
    proc, err = _spawn(env, tmp_path, "broken", "run", "reminders")
    assert proc.wait(timeout=180) == 2
    message = err.read_text(encoding="utf-8").strip()
    assert message.startswith("错误：本地 Prefect 服务") and "\n" not in message, message[-2000:]
    _assert_nothing_left(home, 5, "a run whose server could not start")
