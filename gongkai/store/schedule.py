"""Which business period a scheduled process is due for, and the record of what was done.

Prefect's scheduler alone is not enough for an office server that is switched off at night or for
days: a crash replays every missed run at once, a clean stop deletes the scheduled runs without a
trace. So each scheduled process has a period (day, week, quarter, year) and Gongkai records the
last period it completed. On start and on every scheduled run it does exactly the current period if
it is not done yet — once, never a burst of stale runs. The reminder flow needs nothing more: what
is due is computed from the state as of the business date, so a missed day is covered by the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlmodel import Session

from gongkai.store.models import ScheduleProgress, utcnow
from gongkai.store.scope import office_of


@dataclass(frozen=True)
class ScheduledProcess:
    """A process run on a schedule from ``[schedules]``."""

    name: str  # the key in [schedules] and the CLI name (`gongkai run NAME`)
    flow_name: str  # the Prefect flow / deployment name
    period: str  # day | week | quarter | year
    stale_after_days: int | None = None  # a missed run older than this is not worth doing any more
    outbox_kinds: frozenset[str] | None = None  # the messages its period waits for (None: every kind)


PROCESSES: Final[tuple[ScheduledProcess, ...]] = (
    # The reminder run delivers whatever the outbox holds, so its day waits for every message.
    ScheduledProcess("reminders", "deadline-reminders", "day"),
    ScheduledProcess("catalogue", "catalogue-update", "quarter", outbox_kinds=frozenset({"catalogue"})),
    ScheduledProcess("review", "content-review", "week", outbox_kinds=frozenset({"review"})),
    # "Publish before 31 January": a January reminder caught up in March would only confuse.
    ScheduledProcess(
        "report_readiness",
        "annual-report-readiness",
        "day",
        stale_after_days=6,
        outbox_kinds=frozenset({"report_readiness"}),
    ),  # fmt: skip
)


def period_of(kind: str, d: date) -> str:
    """The period key of business date ``d``: ``2026-11-27``, ``2026-W48``, ``2026-Q4``, ``2026``.

    Keys of one kind sort in time order as strings.
    """
    if kind == "day":
        return d.isoformat()
    if kind == "week":
        iso = d.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if kind == "quarter":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    if kind == "year":
        return str(d.year)
    raise ValueError(f"unknown period kind {kind!r}")


def last_occurrence(cron: str, tz: ZoneInfo, now: datetime) -> datetime:
    """The latest time at or before ``now`` that ``cron`` (in the office's zone) fires."""
    from cronsim import CronSim  # a dependency of Prefect; plain Python

    local = now.astimezone(tz).replace(second=0, microsecond=0)
    return next(CronSim(cron, local, reverse=True))


def due_period(process: ScheduledProcess, cron: str, tz: ZoneInfo, now: datetime) -> tuple[str, date]:
    """The period the latest scheduled occurrence belongs to, and its business date."""
    when = last_occurrence(cron, tz, now).astimezone(tz)
    return period_of(process.period, when.date()), when.date()


def completed_period(session: Session, flow: str) -> str | None:
    """The last period ``flow`` completed, or None."""
    row = session.get(ScheduleProgress, (office_of(session), flow))
    return row.period if row else None


def is_done(session: Session, flow: str, period: str) -> bool:
    """Whether ``period`` (or a later one) was completed for ``flow``."""
    done = completed_period(session, flow)
    return done is not None and done >= period


def record_completed(session: Session, flow: str, period: str) -> None:
    """Record ``period`` as completed for ``flow`` (never moving the record backwards)."""
    row = session.get(ScheduleProgress, (office_of(session), flow))
    if row is None:
        session.add(ScheduleProgress(flow=flow, period=period))
    elif row.period < period:
        row.period, row.completed_at = period, utcnow()
        session.add(row)
    session.flush()


def is_stale(process: ScheduledProcess, business_date: date, today: date) -> bool:
    """Whether a missed run of ``process`` for ``business_date`` is too old to do ``today``."""
    return process.stale_after_days is not None and (today - business_date).days > process.stale_after_days


def missed(
    session: Session, process: ScheduledProcess, cron: str, tz: ZoneInfo, now: datetime
) -> date | None:
    """The business date to run ``process`` for now, when its current period is not done yet."""
    period, business_date = due_period(process, cron, tz, now)
    if is_done(session, process.flow_name, period):
        return None
    return business_date


PROCESS_BY_FLOW: Final[dict[str, ScheduledProcess]] = {p.flow_name: p for p in PROCESSES}

__all__ = [
    "PROCESSES",
    "PROCESS_BY_FLOW",
    "ScheduledProcess",
    "completed_period",
    "due_period",
    "is_done",
    "is_stale",
    "last_occurrence",
    "missed",
    "period_of",
    "record_completed",
]
