"""The hand-over of ``gongkai run`` to a running ``gongkai serve`` (``flows.serve.run_in_serve``), over a real
loopback socket: nothing to hand to, a stale or foreign control file, a wrong token, and a serve that stops after
taking the run."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from gongkai.flows.serve import RUN_CONTROL_NAME, RunInterrupted, run_in_serve, run_requests

DAY = date(2026, 11, 27)


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    return int(done.stdout)


def test_no_serve_running_means_the_command_runs_the_flow_itself(tmp_path: Path) -> None:
    assert run_in_serve(tmp_path, "reminders", DAY, None) is None


def test_a_control_file_left_by_a_killed_serve_is_ignored(tmp_path: Path) -> None:
    with socket.create_server(
        ("127.0.0.1", 0)
    ) as listener:  # something answers on the port, but serve is gone
        port = listener.getsockname()[1]
        (tmp_path / RUN_CONTROL_NAME).write_text(
            json.dumps({"port": port, "token": "x", "pid": _dead_pid()}), encoding="utf-8"
        )
        assert run_in_serve(tmp_path, "reminders", DAY, None) is None


def test_a_garbled_control_file_is_ignored(tmp_path: Path) -> None:
    (tmp_path / RUN_CONTROL_NAME).write_text("{not json", encoding="utf-8")
    assert run_in_serve(tmp_path, "reminders", DAY, None) is None


def test_a_request_without_serves_token_is_declined_and_runs_nothing(tmp_path: Path) -> None:
    with run_requests(tmp_path):
        control = tmp_path / RUN_CONTROL_NAME
        assert control.stat().st_mode & 0o077 == 0  # the token is the service account's only
        facts = json.loads(control.read_text(encoding="utf-8"))
        assert facts["pid"] == os.getpid()
        control.write_text(json.dumps({**facts, "token": "0" * 32}), encoding="utf-8")
        assert run_in_serve(tmp_path, "reminders", DAY, None) is None
    assert not control.exists()  # removed when serve stops


def test_a_request_from_another_configuration_is_declined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONGKAI_CONFIG", str(tmp_path / "serve.toml"))
    with run_requests(tmp_path):
        facts = json.loads((tmp_path / RUN_CONTROL_NAME).read_text(encoding="utf-8"))
        with socket.create_connection(("127.0.0.1", facts["port"]), timeout=10) as conn:
            request = {**facts, "process": "reminders", "as_of": DAY.isoformat(), "year": None}
            request.update(
                config=str(tmp_path / "other.toml"), database=os.environ.get("GONGKAI_DATABASE_URL")
            )
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(conn.makefile("rb").readline())
        assert reply == {"declined": "another configuration, office or database than serve's"}
        # The same configuration folder, another of its offices: not this serve's either.
        monkeypatch.setenv("GONGKAI_OFFICE", "hedong")
        with socket.create_connection(("127.0.0.1", facts["port"]), timeout=10) as conn:
            request.update(config=str(tmp_path / "serve.toml"), office="hexi")
            conn.sendall(json.dumps(request).encode() + b"\n")
            reply = json.loads(conn.makefile("rb").readline())
        assert reply == {"declined": "another configuration, office or database than serve's"}


@pytest.fixture
def vanishing_serve(tmp_path: Path) -> Iterator[Path]:
    """A listener named by the control file (this process's pid: alive) that takes a request and closes
    without answering, as a serve stopped in the middle of a run does."""
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[bytes] = []

    def take() -> None:
        conn, _ = listener.accept()
        with conn:
            taken.append(conn.makefile("rb").readline())

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    (tmp_path / RUN_CONTROL_NAME).write_text(
        json.dumps({"port": listener.getsockname()[1], "token": "t", "pid": os.getpid()}), encoding="utf-8"
    )
    yield tmp_path
    thread.join(10)
    listener.close()
    assert taken and json.loads(taken[0])["process"] == "reminders"


def test_a_serve_that_stops_after_taking_the_run_is_said_in_chinese(vanishing_serve: Path) -> None:
    with pytest.raises(RunInterrupted) as caught:
        run_in_serve(vanishing_serve, "reminders", DAY, None)
    assert caught.value.exit_code == 1
    assert "gongkai serve" in str(caught.value) and "再次运行" in str(caught.value)
