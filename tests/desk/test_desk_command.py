"""``gongkai desk`` as an office starts it: the address printed on a line of its own, a warning when it listens
beyond this machine (the desk has no TLS: a reverse proxy must carry it), SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.offices import LIVE_CONFIG
from tests.servers import free_port

GONGKAI = str(Path(sys.executable).parent / "gongkai")


def _start(tmp_path: Path, bind: str) -> tuple[subprocess.Popen[bytes], Path, Path, int]:
    port = free_port()
    config = tmp_path / "gongkai.toml"
    config.write_text(LIVE_CONFIG + f'\n[desk]\nbind = "{bind}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
    env.update(GONGKAI_HOME=str(tmp_path / "home"), GONGKAI_CONFIG=str(config))
    out, err = tmp_path / "desk.out", tmp_path / "desk.err"
    proc = subprocess.Popen(
        [GONGKAI, "desk", "--port", str(port)],
        stdout=out.open("wb"),
        stderr=err.open("wb"),
        env=env,
        cwd=tmp_path,
    )
    return proc, out, err, port


def _healthy(port: int, proc: subprocess.Popen[bytes], err: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, err.read_text(encoding="utf-8")[-2000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:  # noqa: S310
                if resp.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail("the desk did not answer within 60 s")


@pytest.mark.parametrize(("bind", "warned"), [("127.0.0.1", False), ("0.0.0.0", True)])
def test_the_desk_says_where_it_listens_and_warns_beyond_this_machine(
    tmp_path: Path, bind: str, warned: bool
) -> None:
    proc, out, err, port = _start(tmp_path, bind)
    try:
        _healthy(port, proc, err)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code in (0, -signal.SIGTERM), err.read_text(
        encoding="utf-8"
    )  # uvicorn re-raises the signal it handled
    said = out.read_text(encoding="utf-8") + err.read_text(encoding="utf-8")
    assert f"员工工作台：http://{bind}:{port}/\n" in out.read_text(encoding="utf-8")
    assert ("反向代理" in said and "HTTPS" in said) is warned
    assert "Traceback" not in said
