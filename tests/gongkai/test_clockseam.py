"""The business date is the office's (Asia/Shanghai), whatever the server's zone: the suite runs under
TZ=UTC and TZ=Asia/Shanghai (README test command) and these instants must give the same dates."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest

from gongkai.core.clockseam import office_today


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2025, 12, 31, 15, 59, 59, tzinfo=UTC), date(2025, 12, 31)),
        (datetime(2025, 12, 31, 16, 0, 0, tzinfo=UTC), date(2026, 1, 1)),
        (datetime(2026, 12, 31, 15, 59, 59, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_office_date_at_the_year_boundary(instant: datetime, expected: date) -> None:
    assert office_today("Asia/Shanghai", now=instant) == expected


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        office_today("Asia/Shanghai", now=datetime(2026, 12, 31, 16, 0))


@pytest.mark.parametrize("server_tz", ["UTC", "Asia/Shanghai", "America/Los_Angeles"])
def test_same_business_date_whatever_the_server_zone(server_tz: str) -> None:
    code = (
        "from datetime import datetime, UTC\n"
        "from gongkai.core.clockseam import office_today\n"
        "for s in ('2026-12-31T15:59:59', '2026-12-31T16:00:00'):\n"
        "    now = datetime.fromisoformat(s).replace(tzinfo=UTC)\n"
        "    print(office_today('Asia/Shanghai', now=now), end=' ')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "TZ": server_tz},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == ["2026-12-31", "2027-01-01"]
