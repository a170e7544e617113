"""The deadline calculator (``gongkai deadline``): an application's clocks from its date of receipt and events, with
no database needed and nothing recorded.

Apart from :mod:`gongkai.services.applications` (which re-exports these names) so that the calculator loads neither
the configuration's pydantic models nor SQLAlchemy: a command that should answer at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gongkai.register.deadlines import Clock, Event, parse_event_spec
from gongkai.services.office import ReadOnlyCalendar, readonly_calendar

__all__ = ["Deadline", "calculate_deadline", "parse_event"]


def parse_event(spec: str) -> Event:
    """An event from its spelling ``KIND:DATE[:PARAM]`` (:class:`InputError` naming what is wrong)."""
    return parse_event_spec(spec)


@dataclass(frozen=True)
class Deadline:
    """What the calculator computed: the clock, and a note (Chinese) when the imported calendar was unreadable."""

    clock: Clock
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """CONTRACT section 2."""
        return self.clock.to_json()


def calculate_deadline(
    received_on: date,
    events: Sequence[Event],
    *,
    as_of: date,
    channel: str | None = None,
    calendar: ReadOnlyCalendar | None = None,
) -> Deadline:
    """The clocks an application received on ``received_on`` would have with ``events`` (no database needed:
    the imported holiday schedules are read from an existing one, :func:`readonly_calendar`). Events after
    ``as_of`` are left out and listed (``ignored_events``)."""
    from gongkai.register.deadlines import compute_clock

    found = calendar if calendar is not None else readonly_calendar()
    clock = compute_clock(
        received_on, list(events), calendar=found.calendar, as_of=as_of, channel=channel, ignore_future=True
    )
    return Deadline(clock, found.note)
