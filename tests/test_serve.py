"""``gongkai serve`` for real: a subprocess that starts its own Prefect server on 127.0.0.1, catches up
the missed day once, serves the schedules, and stops cleanly on SIGTERM; a restart does not redo the
day. (Slow: two Prefect server starts, about 30 s.)"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.offices import LIVE_CONFIG

REPO = Path(__file__).resolve().parent.parent

# Whole services started as subprocesses (minutes): they run in the TZ=UTC pass only. Every date serve computes is
# in the office's zone from its configuration; the catch-up and period logic under it (flows, services) is tested
# in both zones' passes.
pytestmark = pytest.mark.once


def _runs(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM reminder_run").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _wait(predicate: object, timeout: float, what: str, proc: subprocess.Popen[bytes], err: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        if proc.poll() is not None:
            pytest.fail(
                f"serve exited early ({proc.returncode}) waiting for {what}:\n{err.read_text()[-3000:]}"
            )
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}:\n{err.read_text()[-3000:]}")


def _start(tmp_path: Path, name: str) -> tuple[subprocess.Popen[bytes], Path, Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    env.update(GONGKAI_HOME=str(tmp_path / "home"), GONGKAI_CONFIG=str(tmp_path / "gongkai.toml"))
    env["GONGKAI_DESK_PORT"] = os.environ["GONGKAI_DESK_PORT"]  # a free port per test (tests/conftest.py)
    out, err = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gongkai"), "serve"],
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    return proc, out, err


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        err = Path(proc.args[0]).name  # type: ignore[index]
        pytest.fail(f"serve did not stop within 60 s of SIGTERM ({err})")


def _deployment_names(api_url: str) -> set[str]:
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{api_url}/deployments/filter", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback
        return {d["name"] for d in json.loads(resp.read())}


def _port_closed(url_file_text: str) -> bool:
    port = int(url_file_text.rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_serve_catches_up_once_serves_and_stops_cleanly(tmp_path: Path) -> None:
    config = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    (tmp_path / "gongkai.toml").write_text(config, encoding="utf-8")
    db = tmp_path / "home" / "gongkai.db"
    api_url = tmp_path / "home" / "prefect" / "api-url"

    proc, out, err = _start(tmp_path, "first")
    try:
        # the demo office is loaded and today's reminders are caught up at once (08:30 has passed or
        # yesterday's run is missing: either way exactly one period is done)
        _wait(lambda: _runs(db) >= 1, 150, "the catch-up run", proc, err)
        _wait(lambda: api_url.exists(), 10, "the Prefect API address", proc, err)
        url = api_url.read_text(encoding="utf-8").strip()
        assert url.startswith("http://127.0.0.1:")
        _wait(lambda: "Gongkai 已在运行" in out.read_text(encoding="utf-8"), 60, "serving", proc, err)
        deployments = _deployment_names(url)
        assert {
            "gongkai-reminders",
            "gongkai-report-readiness",
            "gongkai-annual-report",
            "gongkai-backup",
        } <= deployments
        # The staff desk, started beside Prefect: its address printed on a line of its own, and answering.
        desk = f"http://127.0.0.1:{os.environ['GONGKAI_DESK_PORT']}/"
        assert f"员工工作台：{desk}\n" in out.read_text(encoding="utf-8")
        with urllib.request.urlopen(desk + "healthz", timeout=10) as resp:  # noqa: S310 - loopback
            assert resp.read() == b"ok"
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text()[-2000:]
    assert _port_closed(url), "the Prefect server child must stop with serve"
    assert _port_closed(desk + "x"), "the desk must stop with serve"
    shown, said = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    assert "待办" in said and "待办" not in shown  # the console channel showed the digests, on stderr
    assert (
        "已载入演示数据：嘉祥街道办事处" in shown and "【演示】【政务公开提醒】" in said
    )  # marked as the demo's
    assert _runs(db) == 1
    log = err.read_text(encoding="utf-8")
    assert "Traceback" not in log
    # The start-up summary, in Chinese and once: the UI address, what was caught up, where the logs are.
    assert (
        shown.count("Gongkai 已在运行") == 1
        and f"Prefect 界面（定时任务和运行记录）：{url.removesuffix('/api')}" in shown
    )
    assert "启动时补做：期限提醒（" in shown and "运行日志：" in shown
    assert "Serving" not in log, "the developers' log goes to the log file, not the console"
    assert "Serving" in (tmp_path / "home" / "logs" / "gongkai.log").read_text(encoding="utf-8")

    proc, out, err = _start(tmp_path, "second")
    try:
        _wait(
            lambda: "Gongkai 已在运行" in out.read_text(encoding="utf-8"),
            120,
            "serving after restart",
            proc,
            err,
        )
    finally:
        code = _stop(proc)
    assert code == 0
    assert _runs(db) == 1, "a restart on the same day must not redo the day"
    assert "启动时补做：无" in out.read_text(encoding="utf-8")


def test_serve_stops_cleanly_when_sigterm_arrives_during_startup(tmp_path: Path) -> None:
    """systemd may stop the service while it is still starting: it must still stop, and cleanly."""
    config = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    (tmp_path / "gongkai.toml").write_text(config, encoding="utf-8")
    api_url = tmp_path / "home" / "prefect" / "api-url"
    proc, _out, err = _start(tmp_path, "early")
    try:
        _wait(lambda: api_url.exists(), 120, "the Prefect server", proc, err)
        url = api_url.read_text(encoding="utf-8").strip()
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text()[-2000:]
    assert _port_closed(url)
    assert "Stopped." in (tmp_path / "home" / "logs" / "gongkai.log").read_text(encoding="utf-8")


def test_serve_with_a_real_office_config_starts_an_empty_register(tmp_path: Path) -> None:
    """A real office's first start (its own name and staff, no ``demo = true``, an empty home): the register
    stays empty of demo data and nothing is said about a demo."""
    (tmp_path / "gongkai.toml").write_text(LIVE_CONFIG, encoding="utf-8")
    db = tmp_path / "home" / "gongkai.db"
    proc, out, err = _start(tmp_path, "live")
    try:
        _wait(lambda: "Gongkai 已在运行" in out.read_text(encoding="utf-8"), 150, "serving", proc, err)
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text()[-2000:]
    printed = out.read_text(encoding="utf-8") + err.read_text(encoding="utf-8")
    assert "演示" not in printed and "Traceback" not in printed
    with sqlite3.connect(db) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("application", "proactive_item", "appeal")
        ]
        kind = conn.execute("SELECT kind, name FROM office").fetchall()
    assert counts == [0, 0, 0]
    assert kind == [("live", "河东街道办事处")]


def test_run_while_serve_is_up_goes_through_serve_and_prints_the_same_json(tmp_path: Path) -> None:
    """``gongkai run`` hands the flow to the running serve (its process, its Prefect API) instead of importing
    Prefect and running the engine itself: the same one JSON object on stdout, the console channel's messages on
    stderr, exit status as usual; a future date is still refused before anything runs."""
    config = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    (tmp_path / "gongkai.toml").write_text(config, encoding="utf-8")
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    env.update(GONGKAI_HOME=str(home), GONGKAI_CONFIG=str(tmp_path / "gongkai.toml"))
    gongkai = str(Path(sys.executable).parent / "gongkai")
    proc, out, err = _start(tmp_path, "serve")
    try:
        _wait(lambda: "Gongkai 已在运行" in out.read_text(encoding="utf-8"), 150, "serving", proc, err)
        assert (home / "prefect" / "run-control").stat().st_mode & 0o077 == 0
        # a past day: its reminders are not all sent yet by the catch-up of today
        day = (date.today() - timedelta(days=3)).isoformat()
        done = subprocess.run(
            [gongkai, "run", "reminders", "--as-of", day, "--json"],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr[-3000:]
        summary = json.loads(done.stdout)  # exactly one object
        assert summary["as_of"] == day and {"due", "sent", "failed", "already_sent", "outstanding"} <= set(
            summary
        )
        log = (home / "logs" / "gongkai.log").read_text(encoding="utf-8")
        assert f"Running reminders for {day}, asked for by gongkai run" in log
        if summary["sent"]:
            assert "【政务公开提醒】" in done.stderr  # the console channel's digests, on the run's stderr
        assert "Traceback" not in done.stderr
        future = (date.today() + timedelta(days=40)).isoformat()
        refused = subprocess.run(
            [gongkai, "run", "reminders", "--as-of", future, "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert refused.returncode == 2 and refused.stdout == "" and "晚于今天" in refused.stderr
        assert f"Running reminders for {future}" not in (home / "logs" / "gongkai.log").read_text(
            encoding="utf-8"
        )
    finally:
        code = _stop(proc)
    assert code == 0, err.read_text()[-2000:]
    assert not (home / "prefect" / "run-control").exists()
