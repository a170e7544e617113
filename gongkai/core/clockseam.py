"""The one place that reads the wall clock.

Business dates are dates in the office's time zone (Asia/Shanghai by default), whatever the
server's zone: at 00:30 in Shanghai the server in UTC still says yesterday. Everything else takes
``as_of`` as an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from gongkai.core.errors import InputError

DEFAULT_TZ = "Asia/Shanghai"


def office_today(tz: str | ZoneInfo = DEFAULT_TZ, *, now: datetime | None = None) -> date:
    """Today's date in the office's time zone (``now``, if given, must be timezone-aware)."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(zone).date()


class FutureBusinessDate(InputError):
    """A business date after today (office time zone) for work that sends or records."""

    def __init__(self, as_of: date, today: date) -> None:
        super().__init__(
            f"业务日期（--as-of）{as_of.isoformat()} 晚于今天（{today.isoformat()}，本单位时区）：发送提醒和登记只能按今天或以前的日期"
            "进行，否则会提前发出提醒，并使其间的定时运行误以为已经完成而跳过。查看将来某天的期限请用 gongkai deadline 或"
            " request list/show --as-of。"
        )
        self.as_of, self.today = as_of, today


def business_date(
    as_of: date | None, tz: str | ZoneInfo = DEFAULT_TZ, *, now: datetime | None = None
) -> date:
    """The business date of work that sends or records: ``as_of`` or today in the office's zone.

    A date after today is refused (:class:`FutureBusinessDate`): a run for a future date would send
    that day's reminders now and record the schedule as done up to it, so the real runs would skip.
    Looking ahead (``deadline``, ``request list --as-of``) does not go through here.
    """
    today = office_today(tz, now=now)
    if as_of is None:
        return today
    if as_of > today:
        raise FutureBusinessDate(as_of, today)
    return as_of
