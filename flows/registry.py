"""The scheduled flows by their ``[schedules]`` name (``gongkai run NAME``, ``gongkai serve``)."""

from __future__ import annotations

from typing import Any, Final

from gongkai.flows.backup import nightly_backup
from gongkai.flows.catalogue import catalogue_update
from gongkai.flows.reminders import deadline_reminders
from gongkai.flows.report import annual_report, annual_report_readiness
from gongkai.flows.review import content_review

FLOWS: Final[dict[str, Any]] = {
    "reminders": deadline_reminders,
    "catalogue": catalogue_update,
    "review": content_review,
    "report": annual_report,
    "report_readiness": annual_report_readiness,
    "backup": nightly_backup,
}
