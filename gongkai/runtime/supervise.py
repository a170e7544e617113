"""A child process that cannot outlive the Gongkai process that started it.

``python -m gongkai.runtime.supervise [--pidfile PATH] -- COMMAND ...`` starts COMMAND (a ``prefect server
start``) in a process group of its own and stays between it and the Gongkai process, which holds
the write end of a pipe that is this supervisor's stdin. When that pipe reaches end-of-file the
parent has gone, whatever ended it (SIGKILL included: the kernel closes its descriptors), and the
supervisor stops COMMAND's whole group (SIGTERM, then SIGKILL after a few seconds) and exits. A
clean stop is the same path: the parent closes the pipe.

On Linux two more ties cover what the pipe cannot: the supervisor asks the kernel for SIGTERM when
its parent dies (``PR_SET_PDEATHSIG``), and COMMAND gets SIGTERM when the supervisor dies, so even
a SIGKILL of the supervisor itself stops the server. The supervisor is also a child subreaper, so
the server's own children, orphaned, are reaped here and the group is seen to empty. Elsewhere only
the pipe watch is used.

With ``--pidfile`` the supervisor records ``{"supervisor", "server", "parent", "port", "home"}`` as
JSON while it runs (``flows.serve`` uses it to find a stale server of its own home). The
supervisor exits with COMMAND's exit status (or 143 when it stopped it). This module imports
nothing heavy: it starts in tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
GRACE_SECONDS = 5.0  # Prefect's server stops in 1-2 s; one still starting may not answer SIGTERM at all


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


_PRCTL = _prctl()


def set_parent_death_signal(sig: int = signal.SIGTERM) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies (Linux); False elsewhere."""
    if _PRCTL is None:
        return False
    return bool(_PRCTL(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0)


RUNNER_PID_ENV = "GONGKAI_RUNNER_PID"
"""Set by ``gongkai serve`` to its own pid: a process it starts (a flow run Prefect's runner executes in a
subprocess) reads it back to tie its life to the service's."""


def die_with_runner() -> bool:
    """In a process started directly by ``gongkai serve`` (a flow run of its runner), ask for SIGTERM when the
    service dies, so a killed service leaves no flow run working on alone (its interrupted sends are finished
    by the next run, after their lease). Does nothing elsewhere; True when armed."""
    runner = os.environ.get(RUNNER_PID_ENV)
    if not runner or str(os.getppid()) != runner:
        return False
    return set_parent_death_signal(signal.SIGTERM)


def _set_child_subreaper() -> bool:
    if _PRCTL is None:
        return False
    return bool(_PRCTL(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _child_preexec() -> None:
    # Runs in the forked child just before exec (the supervisor is single-threaded): the server is
    # told SIGTERM if the supervisor dies, even by SIGKILL.
    set_parent_death_signal(signal.SIGTERM)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Supervisor:
    """COMMAND in its own process group, stopped when the stdin pipe closes or a signal arrives."""

    def __init__(self, command: list[str], pidfile: Path | None) -> None:
        self.command = command
        self.pidfile = pidfile
        self.parent = os.getppid()
        self.child: subprocess.Popen[bytes] | None = None
        self.child_status: int | None = None
        self._stop_requested = False

    def _reap(self) -> None:
        """Collect every exited child (ours, and the server's orphans we adopted as subreaper)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.child is not None and pid == self.child.pid:
                self.child_status = os.waitstatus_to_exitcode(status)
                self.child.returncode = self.child_status

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop_requested = True

    def _write_pidfile(self) -> None:
        if self.pidfile is None or self.child is None:
            return
        port = os.environ.get("PREFECT_SERVER_API_PORT", "")
        record = {
            "supervisor": os.getpid(),
            "server": self.child.pid,
            "parent": self.parent,
            "port": int(port) if port.isdigit() else None,
            "home": os.environ.get("PREFECT_HOME", ""),
        }
        tmp = self.pidfile.with_name(self.pidfile.name + ".tmp")
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8")
        tmp.replace(self.pidfile)

    def _remove_pidfile(self) -> None:
        if self.pidfile is None or self.child is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.pidfile.read_text(encoding="utf-8")).get("supervisor") == os.getpid():
                self.pidfile.unlink()

    def stop_group(self) -> None:
        """SIGTERM to the server's whole group, SIGKILL to what is left after the grace period."""
        if self.child is None:
            return
        pgid = self.child.pid
        for sig, wait in ((signal.SIGTERM, GRACE_SECONDS), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                self._reap()
                if not _group_alive(pgid):
                    return
                time.sleep(0.05)

    def run(self) -> int:
        """Start COMMAND and supervise it; returns the exit status for the supervisor."""
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        set_parent_death_signal(signal.SIGTERM)
        _set_child_subreaper()
        if os.getppid() != self.parent:  # the parent died before the death signal was armed
            return 143
        self.child = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_child_preexec if _PRCTL is not None else None,  # noqa: PLW1509 - single-threaded here
        )
        self._write_pidfile()
        try:
            stdin = sys.stdin.fileno()
            while not self._stop_requested and self.child_status is None:
                try:
                    ready, _, _ = select.select([stdin], [], [], 0.5)
                except InterruptedError:
                    continue
                if ready and not os.read(stdin, 4096):
                    break  # end of file: the parent is gone or asked us to stop
                if os.getppid() != self.parent:
                    break
                self._reap()
        finally:
            self.stop_group()
            self._remove_pidfile()
        if self.child_status is not None and not self._stop_requested:
            return self.child_status if self.child_status >= 0 else 128 - self.child_status
        return 143


def main(argv: list[str] | None = None) -> int:
    """``python -m gongkai.runtime.supervise [--pidfile PATH] -- COMMAND ...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    pidfile: Path | None = None
    if args[:1] == ["--pidfile"] and len(args) >= 2:
        pidfile = Path(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        sys.stderr.write("usage: python -m gongkai.runtime.supervise [--pidfile PATH] -- COMMAND ...\n")
        return 2
    return Supervisor(args, pidfile).run()


if __name__ == "__main__":
    sys.exit(main())
