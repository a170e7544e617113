"""The Core table handles of the models, declared once, for set-based statements.

``Model.__table__`` is untyped for mypy (SQLModel does not declare it); the handles below are typed
``sa.Table`` so ``TABLE.c.column`` type-checks wherever a module builds ``sa.select``/``sa.update`` statements.
Import them from here; never cast ``__table__`` again in another module.
"""

from __future__ import annotations

from typing import Final, cast

import sqlalchemy as sa

from gongkai.store.models import (
    Account,
    AnnualReport,
    Appeal,
    Application,
    ApplicationEvent,
    AuditEntry,
    CalendarDay,
    CalendarLog,
    CatalogueSnapshot,
    DeadlineChange,
    DeskSession,
    ExtensionRequest,
    ItemChange,
    ItemReview,
    OfficeRecord,
    ProactiveItem,
    ReminderOutbox,
    ReportReopenLog,
    ReviewRecord,
    ReviewRun,
    ReviewTask,
    Staff,
    YearlyFigure,
)


def _table(model: type) -> sa.Table:
    return cast(sa.Table, model.__table__)  # type: ignore[attr-defined]


APP: Final = _table(Application)
EV: Final = _table(ApplicationEvent)
DAY: Final = _table(CalendarDay)
DEADLINE_CHANGE: Final = _table(DeadlineChange)
ITEM: Final = _table(ProactiveItem)
ITEM_REVIEW: Final = _table(ItemReview)
ITEM_CHANGE: Final = _table(ItemChange)
SNAPSHOT: Final = _table(CatalogueSnapshot)
REVIEW_TASK: Final = _table(ReviewTask)
REVIEW_RECORD: Final = _table(ReviewRecord)
REVIEW_RUN: Final = _table(ReviewRun)
OUTBOX: Final = _table(ReminderOutbox)
APPEAL: Final = _table(Appeal)
FIGURE: Final = _table(YearlyFigure)
REPORT: Final = _table(AnnualReport)
REOPEN_LOG: Final = _table(ReportReopenLog)
OFFICE: Final = _table(OfficeRecord)
STAFF: Final = _table(Staff)
ACCOUNT: Final = _table(Account)
DESK_SESSION: Final = _table(DeskSession)
EXTENSION_REQUEST: Final = _table(ExtensionRequest)
AUDIT: Final = _table(AuditEntry)
CALENDAR_LOG: Final = _table(CalendarLog)
REPORT_REOPEN: Final = _table(ReportReopenLog)

__all__ = [
    "APP",
    "APPEAL",
    "DAY",
    "DEADLINE_CHANGE",
    "EV",
    "FIGURE",
    "ITEM",
    "ITEM_CHANGE",
    "ITEM_REVIEW",
    "OUTBOX",
    "OFFICE",
    "REOPEN_LOG",
    "REPORT",
    "REVIEW_RECORD",
    "REVIEW_RUN",
    "REVIEW_TASK",
    "SNAPSHOT",
    "STAFF",
]
