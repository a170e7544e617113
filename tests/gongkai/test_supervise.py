"""gongkai.runtime.supervise for real: a supervised command (with a child of its own, as ``prefect server
start`` has) never outlives the process that started the supervisor, however that process ends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.once,
    pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups are POSIX"),
]

# The supervised command: starts a grandchild in its group, then both sleep.
SERVER = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"

# The "gongkai" process: starts the supervisor with a pipe on its stdin (as flows.serve does), then waits.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    pidfile = sys.argv[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gongkai.runtime.supervise", "--pidfile", pidfile, "--", sys.executable, "-c", sys.argv[2]],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    if sys.argv[3] == "close":
        time.sleep(float(sys.argv[4]))
        proc.stdin.close()
        sys.exit(proc.wait())
    time.sleep(600)
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():  # a zombie waiting for its (new) parent is gone for our purpose
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _group(pgid: int) -> list[int]:
    """Live members of process group ``pgid`` (Linux /proc; elsewhere just whether it exists)."""
    if not Path("/proc").is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        return [pgid]
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _start(
    tmp_path: Path, mode: str = "sleep", after: float = 0.0
) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    pidfile = tmp_path / "server.json"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(pidfile), SERVER, mode, str(after)],
        env={**os.environ, "PREFECT_SERVER_API_PORT": "4999"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pidfile.exists():
            record: dict[str, int] = json.loads(pidfile.read_text())
            if len(_group(record["server"])) >= 2:  # the command and its grandchild are up
                return parent, record
        time.sleep(0.05)
    parent.kill()
    pytest.fail("the supervised command did not start within 30 s")


def _wait_gone(pids: list[int], group: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids) and not _group(group):
            return
        time.sleep(0.1)
    left = [p for p in pids if _alive(p)] + _group(group)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    pytest.fail(f"still running {timeout:.0f} s later: {left}")


def test_sigkill_of_the_parent_stops_the_whole_group(tmp_path: Path) -> None:
    parent, record = _start(tmp_path)
    assert record["parent"] == parent.pid and record["port"] == 4999
    parent.kill()
    parent.wait()
    _wait_gone([record["supervisor"], record["server"]], record["server"], timeout=10)
    assert not (tmp_path / "server.json").exists(), "the supervisor removes its pidfile on the way out"


def test_closing_the_pipe_is_a_clean_stop(tmp_path: Path) -> None:
    parent, record = _start(tmp_path, mode="close", after=1.0)
    assert parent.wait(timeout=20) == 143
    _wait_gone([record["supervisor"], record["server"]], record["server"], timeout=5)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_sigkill_of_the_supervisor_itself_stops_the_command(tmp_path: Path) -> None:
    parent, record = _start(tmp_path)
    try:
        os.kill(record["supervisor"], signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _alive(record["server"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(record["server"]), "the command gets SIGTERM when its supervisor dies"
    finally:
        parent.kill()
        parent.wait()
        for pid in _group(record["server"]):  # the grandchild: only the supervisor would have stopped it
            os.kill(pid, signal.SIGKILL)


def test_the_command_ending_ends_the_supervisor_with_its_status(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gongkai.runtime.supervise",
            "--",
            sys.executable,
            "-c",
            "raise SystemExit(3)",
        ],
        stdin=subprocess.PIPE,  # held open: only the command's end can end the supervisor
    )
    try:
        assert proc.wait(timeout=30) == 3
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
