"""The data model (SQLModel). Every change here ships as an Alembic migration in ``migrations/``.

Applicants' personal data (name, contact, ID number) lives only in ``application``; it is never put
in notifications' subjects, logs or error messages. ``application_event`` is append-only (enforced by
database triggers): a correction is a new event, not an edit.

The clock columns of ``application`` (``due``, ``safe_due``, …) are a cache of
:func:`gongkai.deadlines.compute_clock` written whenever an event or the calendar changes, so that
"which applications are due" is one SQL query; ``clock_version`` counts how often ``due`` or
``safe_due`` moved (a reminder's key includes it, so a moved deadline is reminded afresh).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware current time in UTC (stored timestamps are always aware)."""
    return datetime.now(UTC)


class AwareDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores text without one, and a naive value
    read back would later be taken for server-local time. So values are converted to UTC on the way
    in and marked UTC on the way out, on every backend alike.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(AwareDateTime(), nullable=nullable)


class Staff(SQLModel, table=True):
    """A member of staff, mirrored from the configuration (``[[staff]]``)."""

    __tablename__ = "staff"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    roles: str = Field(max_length=100, description="comma-separated: handler, unit_head, administrator")
    active: bool = True
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OutcomeCode(SQLModel, table=True):
    """Reference table of the outcome rows of table 三 (CONTRACT section 5)."""

    __tablename__ = "outcome_code"

    row: str = Field(primary_key=True, max_length=8)
    code: str = Field(unique=True, max_length=40)
    label: str = Field(max_length=100)


class ApplicationBase(SQLModel):
    """Fields staff enter for an application."""

    ref: str = Field(max_length=64, unique=True, index=True, description="编号, unique per office")
    received_on: date = Field(index=True, description="Art. 31 date of receipt")
    arrived_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    channel: str | None = Field(default=None, max_length=16)
    applicant_type: str = Field(max_length=20)
    applicant_name: str = Field(max_length=200, description="personal data")
    applicant_contact: str | None = Field(default=None, max_length=200, description="personal data")
    applicant_id_number: str | None = Field(default=None, max_length=32, description="personal data")
    content: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    assignee_id: str | None = Field(default=None, foreign_key="staff.id", max_length=32)


class Application(ApplicationBase, table=True):
    """An application for disclosure (依申请公开) with its cached clock."""

    __tablename__ = "application"
    __table_args__ = (sa.Index("ix_application_open_due", "state", "safe_due"),)

    id: int | None = Field(default=None, primary_key=True)
    outcome_row: str | None = Field(default=None, foreign_key="outcome_code.row", max_length=8)
    outcome_note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    concluded_on: date | None = Field(default=None, index=True)
    # cached clock (see module docstring)
    state: str = Field(default="received", max_length=24)
    due: date | None = None
    safe_due: date | None = None
    original_due: date | None = None
    extension_limit: date | None = None
    correction_notice_due: date | None = None
    provisional: bool = False
    clock_version: int = 1
    clock_as_of: date | None = None
    source: str = Field(default="cli", max_length=16, description="cli | import | demo")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ApplicationEvent(SQLModel, table=True):
    """Append-only log of what happened to an application, when, and who recorded it."""

    __tablename__ = "application_event"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    kind: str = Field(max_length=32)
    occurred_on: date
    days: int | None = None
    until: date | None = None
    outcome_row: str | None = Field(default=None, foreign_key="outcome_code.row", max_length=8)
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    recorded_by: str = Field(max_length=64)


class CalendarYear(SQLModel, table=True):
    """A year whose holiday schedule the office imported (it overrides the seed)."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    source: str = Field(max_length=200)
    imported_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    imported_by: str = Field(max_length=64)


class CalendarDay(SQLModel, table=True):
    """One day off or make-up working day of an imported year."""

    __tablename__ = "calendar_day"

    day: date = Field(primary_key=True)
    year: int = Field(foreign_key="calendar_year.year", index=True)
    kind: str = Field(max_length=16, description="off | makeup_workday")
    name: str = Field(max_length=100)


class CalendarLog(SQLModel, table=True):
    """Who changed the calendar, when and how: calendar edits move legal deadlines."""

    __tablename__ = "calendar_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    by: str = Field(max_length=64)
    year: int
    action: str = Field(max_length=32)
    detail: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


class DeadlineChange(SQLModel, table=True):
    """A deadline that moved when the calendar changed (the reminder service alerts on these)."""

    __tablename__ = "deadline_change"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    cause: str = Field(max_length=64)
    old_due: date | None = None
    new_due: date | None = None
    old_safe_due: date | None = None
    new_safe_due: date | None = None
    clock_version: int


class ProactiveItem(SQLModel, table=True):
    """A piece of government information in the disclosure catalogue (主动公开)."""

    __tablename__ = "proactive_item"

    id: int | None = Field(default=None, primary_key=True)
    index_no: str = Field(max_length=64, unique=True, index=True, description="索引号")
    title: str = Field(max_length=500)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    generated_on: date = Field(description="formation date (Art. 26 clock start)")
    changed_on: date | None = None
    doc_number: str | None = Field(default=None, max_length=100)
    issuing_body: str | None = Field(default=None, max_length=200)
    category: str = Field(max_length=100, description="Art. 20 item or the office's own category")
    doc_type: str = Field(default="other", max_length=32, description="rule | normative_document | other")
    five_publics: str | None = Field(default=None, max_length=16)
    attribute: str = Field(default="proactive", max_length=16, description="proactive | on_request | not_public")
    attribute_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    validity: str = Field(default="in_force", max_length=16, description="in_force | repealed")
    valid_from: date | None = None
    repealed_on: date | None = None
    published_on: date | None = Field(default=None, index=True)
    channel: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=500)
    owner_id: str | None = Field(default=None, foreign_key="staff.id", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Appeal(SQLModel, table=True):
    """An administrative reconsideration or lawsuit about disclosure work (table 四)."""

    __tablename__ = "appeal"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="proactive_item.id")
    kind: str = Field(max_length=16, description="reconsideration | litigation")
    route: str | None = Field(default=None, max_length=24, description="litigation: direct | after_reconsideration")
    case_no: str | None = Field(default=None, max_length=100)
    filed_on: date
    concluded_on: date | None = None
    result: str = Field(default="pending", max_length=16, description="upheld | corrected | other | pending")
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class ReminderOutbox(SQLModel, table=True):
    """A reminder to deliver to one staff member on one channel: written before sending.

    ``(key, recipient, target)`` is unique in the database, so overlapping runs cannot plan the same
    reminder twice; a row is claimed (``status='sending'`` with a token) before it is sent and marked
    ``sent`` only after the channel confirmed. A row still ``sending`` after its lease (the process
    died between the server accepting and the mark) is sent again once, labelled a possible repeat.
    ``target`` is the configured target *name* (``env:…``/``secret:…``), never the URL.
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        sa.UniqueConstraint("key", "recipient", "target", name="uq_reminder_outbox_key_recipient_target"),
        sa.Index("ix_reminder_outbox_status", "status", "recipient"),
        sa.Index("ix_reminder_outbox_claim_token", "claim_token"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, description="subject:kind:threshold:deadline-version")
    recipient: str = Field(max_length=32, description="staff id")
    target: str = Field(max_length=100, description="notification target name from the configuration")
    kind: str = Field(max_length=32)
    ref: str | None = Field(default=None, max_length=64, description="application ref or item index number")
    deadline: date | None = None
    urgency: int = 0
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    planned_on: date = Field(description="business date of the run that planned it")
    status: str = Field(default="pending", max_length=16, description="pending|sending|sent|superseded")
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    claim_token: str | None = Field(default=None, max_length=40)
    claimed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    possible_repeat: bool = False
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_error: str | None = Field(default=None, max_length=500, description="redacted")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReminderRun(SQLModel, table=True):
    """One run of the reminder flow: its business date and what it did."""

    __tablename__ = "reminder_run"

    id: int | None = Field(default=None, primary_key=True)
    as_of: date = Field(index=True)
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    due: int = 0
    sent: int = 0
    failed: int = 0
    escalated: int = 0
    already_sent: int = 0
    superseded: int = 0
    flow_run_id: str | None = Field(default=None, max_length=64)


class ScheduleProgress(SQLModel, table=True):
    """The last business period each scheduled flow completed (catch-up after downtime)."""

    __tablename__ = "schedule_progress"

    flow: str = Field(primary_key=True, max_length=40)
    period: str = Field(max_length=20, description="e.g. 2026-11-27, 2026-W48, 2026-Q4, 2026")
    completed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
