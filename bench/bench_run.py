"""Wall time of ``gongkai run reminders --json`` on the demo office, without and with a ``gongkai serve`` running.

Run: ``python bench/bench_run.py [RUNS]`` (default 3 runs each, median reported). In a fresh temporary
``GONGKAI_HOME`` with the shipped (demo) configuration: ``gongkai demo`` loads the demo office, then

* without serve: ``gongkai run reminders --json`` (the first run sends the day's digests, later ones find them
  sent); each run pays for whatever a one-off run needs when no service is up;
* with serve: ``gongkai serve`` is started in the same home (its start-up catch-up is not timed), then the same
  command; the run goes through serve's API. The work itself is the sum of the flow run's task runs as recorded
  by serve's Prefect server; the rest is the fixed cost of running a flow at all.

Goal (issue 15): with serve running, a run costs less than ``MAX_OVERHEAD_WITH_SERVE`` seconds beyond the work
itself (median). Exits 1 when it is missed. Without serve the figure is printed, not checked (see the README,
"One-off runs").
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

MAX_OVERHEAD_WITH_SERVE = 2.0  # seconds beyond the flow's own task runs, median

REPO = Path(__file__).resolve().parent.parent
GONGKAI = str(Path(sys.executable).parent / "gongkai")


def timed_run(env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Wall time of one ``gongkai run reminders --json`` and its summary."""
    t0 = time.perf_counter()
    done = subprocess.run(
        [GONGKAI, "run", "reminders", "--json"], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1) or not done.stdout.strip():
        sys.exit(f"gongkai run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, json.loads(done.stdout)


def _post(url: str, body: dict[str, Any]) -> Any:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - loopback
        return json.loads(resp.read())


def work_seconds(api: str) -> float:
    """The task runs' total run time of the latest ``deadline-reminders`` flow run on ``api``."""
    done = {"state": {"type": {"any_": ["COMPLETED", "FAILED"]}}}
    runs = _post(f"{api}/flow_runs/filter", {"flow_runs": done, "sort": "START_TIME_DESC", "limit": 1})
    tasks = _post(f"{api}/task_runs/filter", {"flow_runs": {"id": {"any_": [runs[0]["id"]]}}})
    return float(sum(t["total_run_time"] for t in tasks))


def start_serve(env: dict[str, str], home: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``gongkai serve`` in ``home``, once it has caught up and serves; and its API address."""
    out = home / "serve.out"
    proc = subprocess.Popen(
        [GONGKAI, "serve"],
        env=env,
        stdout=out.open("wb"),
        stderr=(home / "serve.err").open("wb"),
        stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while "Gongkai 已在运行" not in out.read_text(encoding="utf-8"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit(f"gongkai serve did not start:\n{(home / 'serve.err').read_text()[-3000:]}")
        time.sleep(0.5)
    return proc, (home / "prefect" / "api-url").read_text(encoding="utf-8").strip()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
        env.update(GONGKAI_HOME=str(home), GONGKAI_CONFIG=str(REPO / "config" / "gongkai.toml"))
        subprocess.run([GONGKAI, "demo"], env=env, check=True, capture_output=True)

        alone = [timed_run(env) for _ in range(runs)]
        first = alone[0][1]
        print(
            f"without serve: median {statistics.median(w for w, _ in alone):.2f} s over {runs} runs "
            f"({', '.join(f'{w:.2f}' for w, _ in alone)} s; first run: {first['due']} due, {first['sent']} sent)"
        )

        proc, api = start_serve(env, home)
        try:
            served = []
            for _ in range(runs):
                wall, summary = timed_run(env)
                served.append((wall, work_seconds(api), summary))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
    wall = statistics.median(w for w, _, _ in served)
    overhead = statistics.median(w - k for w, k, _ in served)
    print(
        f"with serve:    median {wall:.2f} s over {runs} runs ({', '.join(f'{w:.2f}' for w, _, _ in served)} s); "
        f"the flow's task runs {statistics.median(k for _, k, _ in served):.2f} s; "
        f"beyond the work {overhead:.2f} s (goal < {MAX_OVERHEAD_WITH_SERVE:.1f} s)"
    )
    if overhead >= MAX_OVERHEAD_WITH_SERVE:
        print("GOAL MISSED: a run with serve running costs too much beyond the work itself")
        sys.exit(1)


if __name__ == "__main__":
    main()
