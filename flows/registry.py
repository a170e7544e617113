"""The scheduled flows by their ``[schedules]`` name (``gongkai run NAME``, ``gongkai serve``)."""

from __future__ import annotations

from typing import Any, Final

from flows.catalogue import catalogue_update
from flows.reminders import deadline_reminders
from flows.report import annual_report, annual_report_readiness
from flows.review import content_review

FLOWS: Final[dict[str, Any]] = {
    "reminders": deadline_reminders,
    "catalogue": catalogue_update,
    "review": content_review,
    "report": annual_report,
    "report_readiness": annual_report_readiness,
}
