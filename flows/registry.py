"""The scheduled flows by their ``[schedules]`` name (``gongkai run NAME``, ``gongkai serve``)."""

from __future__ import annotations

from typing import Any, Final

from flows.reminders import deadline_reminders

FLOWS: Final[dict[str, Any]] = {
    "reminders": deadline_reminders,
}
