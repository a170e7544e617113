"""The one place that reads the wall clock.

Business dates are dates in the office's time zone (Asia/Shanghai by default), whatever the
server's zone: at 00:30 in Shanghai the server in UTC still says yesterday. Everything else takes
``as_of`` as an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def office_today(tz: str | ZoneInfo = DEFAULT_TZ, *, now: datetime | None = None) -> date:
    """Today's date in the office's time zone (``now``, if given, must be timezone-aware)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(zone).date()
