"""Wall time of ``gongkai --help`` and ``gongkai deadline`` (fresh processes, no database), with ``import prefect``
for comparison. Run: ``python bench/bench_cli.py``.

Each figure is the median of several runs after one warm-up. Required (issue 15): ``gongkai deadline --json`` in
seeded years (the State Council schedules shipped with the package) under :data:`MAX_DEADLINE_MS`. Dates are given
with ``--as-of`` so that the figure does not depend on today. A deadline that reaches a year with neither an import
nor a seed (python-holidays is imported to estimate it) is printed for comparison, with no requirement. Exits 1 when
the requirement is missed.

The commands run as from an installation: with bytecode caches (pip compiles an installed wheel's modules; the
warm-up run writes them here even when ``PYTHONDONTWRITEBYTECODE`` is set around the bench). Without them every start
compiles Gongkai's modules again, about 40-50 ms more for ``deadline``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAX_DEADLINE_MS = 150.0
"""``gongkai deadline --json`` (seeded years), median wall time, milliseconds."""

RUNS = 9
GONGKAI = str(Path(sys.executable).parent / "gongkai")


def wall(cmd: list[str], env: dict[str, str], runs: int = RUNS) -> float:
    """Median wall time of ``cmd`` over ``runs`` runs (after one warm-up)."""
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GONGKAI_HOME": home}
        env.pop("GONGKAI_DATABASE_URL", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        t_help = wall([GONGKAI, "--help"], env)
        t_deadline = wall(
            [GONGKAI, "deadline", "--received", "2025-01-24", "--as-of", "2025-03-20", "--json"], env
        )
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
                "--as-of",
                "2025-03-20",
            ],
            env,
        )
        t_estimated = wall(
            [GONGKAI, "deadline", "--received", "2026-12-20", "--as-of", "2026-12-21", "--json"], env
        )
        t_python = wall([sys.executable, "-c", "pass"], env)
        t_prefect = wall([sys.executable, "-c", "import prefect"], env, runs=3)
    ok = t_deadline * 1000 < MAX_DEADLINE_MS
    print(f"python -c pass:                      {t_python * 1000:.0f} ms")
    print(f"gongkai --help:                      {t_help * 1000:.0f} ms")
    print(
        f"gongkai deadline --json:             {t_deadline * 1000:.0f} ms  "
        f"(required < {MAX_DEADLINE_MS:.0f} ms: {'ok' if ok else 'MISSED'})"
    )
    print(f"gongkai deadline (4 events, text):   {t_events * 1000:.0f} ms")
    print(
        f"gongkai deadline into 2027 --json:   {t_estimated * 1000:.0f} ms  (an unannounced year: python-holidays)"
    )
    print(f"python -c 'import prefect':          {t_prefect * 1000:.0f} ms  (why the CLI never imports it)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
