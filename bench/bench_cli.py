"""Wall time of ``gongkai --help`` and ``gongkai deadline`` (fresh processes), with ``import prefect``
for comparison. Run: ``python bench/bench_cli.py``."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GONGKAI = str(Path(sys.executable).parent / "gongkai")


def wall(cmd: list[str], env: dict[str, str], runs: int = 7) -> float:
    """Median wall time of ``cmd`` over ``runs`` runs (after one warm-up)."""
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GONGKAI_HOME": home}
        t_help = wall([GONGKAI, "--help"], env)
        t_deadline = wall([GONGKAI, "deadline", "--received", "2025-01-24", "--json"], env)
        t_events = wall(
            [
                GONGKAI,
                "deadline",
                "--received",
                "2025-01-24",
                "--event",
                "correction_requested:2025-02-05",
                "--event",
                "correction_received:2025-02-12",
                "--event",
                "consultation_sent:2025-03-03",
                "--event",
                "consultation_replied:2025-03-14",
            ],
            env,
        )
        t_python = wall([sys.executable, "-c", "pass"], env)
        t_prefect = wall([sys.executable, "-c", "import prefect"], env, runs=3)
    print(f"python -c pass:                      {t_python * 1000:.0f} ms")
    print(f"gongkai --help:                      {t_help * 1000:.0f} ms")
    print(f"gongkai deadline --json:             {t_deadline * 1000:.0f} ms")
    print(f"gongkai deadline (4 events, text):   {t_events * 1000:.0f} ms")
    print(f"python -c 'import prefect':          {t_prefect * 1000:.0f} ms  (why the CLI never imports it)")


if __name__ == "__main__":
    main()
