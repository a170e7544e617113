"""The data model (SQLModel). Every change here ships as an Alembic migration in ``migrations/``.

Applicants' personal data (name, contact, ID number) lives only in ``application``; it is never put
in notifications' subjects, logs or error messages. ``application_event`` is append-only (enforced by
database triggers): a correction is a new event, not an edit.

The clock columns of ``application`` (``due``, ``safe_due``, …) are a cache of
:func:`gongkai.register.deadlines.compute_clock` written whenever an event or the calendar changes, so that
"which applications are due" is one SQL query; ``clock_version`` counts how often ``due`` or
``safe_due`` moved (a reminder's key includes it, so a moved deadline is reminded afresh).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, cast

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


# -- offices (revision 0010) -------------------------------------------------------------------------


class OfficeRecord(SQLModel, table=True):
    """One office whose register this database keeps (CONTRACT section 7): its code, its name, and its kind —
    the demo office's register (fictional data) or a real office's. Written from the configuration on the first
    command, or by the upgrade that made an older single-office database office 1 (``code`` ``default``).
    Every command and flow holds the configuration against its office's row (:mod:`gongkai.store.registerkind`)."""

    __tablename__ = "office"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, description="[office] code: a-z, 0-9, -")
    name: str | None = Field(default=None, max_length=200, description="the office it was created for")
    kind: str | None = Field(
        default=None,
        max_length=8,
        description="demo | live; None: not classified yet (the first command decides)",
    )
    set_by: str = Field(max_length=16, description="config | upgrade")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OfficeOwned:
    """Marks a model whose every row belongs to one office (``office_id``). A session opened for an office
    (:mod:`gongkai.store.scope`) reads, updates and deletes only that office's rows of these models, and stamps
    new ones with it."""


def _office_id(primary_key: bool = False) -> Any:
    """The ``office_id`` column of an office-owned model (set by the session when left ``None``)."""
    return Field(
        default=None,
        sa_column=sa.Column(
            "office_id", sa.Integer, sa.ForeignKey("office.id"), nullable=False, primary_key=primary_key
        ),
    )


class Staff(OfficeOwned, SQLModel, table=True):
    """A member of staff, mirrored from the configuration (``[[staff]]``); ids are unique per office."""

    __tablename__ = "staff"

    office_id: int | None = _office_id(primary_key=True)
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


APPLICATION_TEXT_LIMITS: Final[dict[str, tuple[str, int]]] = {
    "ref": ("编号", 64),
    "applicant_name": ("申请人", 200),
    "applicant_contact": ("联系方式", 200),
    "applicant_id_number": ("证件号码", 32),
    "content": ("申请内容", 10_000),
    "note": ("备注", 2_000),
}
"""The longest text staff may enter per field of an application or event: field -> (Chinese name,
characters). The one table every entry point checks before the database (``request add``, the register
import, the service layer); the VARCHAR columns below take their lengths from it, and the Text columns
(content, note) are limited here only, so that PostgreSQL and SQLite accept the same input."""


def _limit(field: str) -> int:
    return APPLICATION_TEXT_LIMITS[field][1]


class ApplicationBase(SQLModel):
    """Fields staff enter for an application."""

    ref: str = Field(max_length=_limit("ref"), description="编号, unique per office")
    received_on: date = Field(description="Art. 31 date of receipt")
    arrived_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    channel: str | None = Field(default=None, max_length=16)
    applicant_type: str = Field(max_length=20)
    applicant_name: str = Field(max_length=_limit("applicant_name"), description="personal data")
    applicant_contact: str | None = Field(
        default=None, max_length=_limit("applicant_contact"), description="personal data"
    )
    applicant_id_number: str | None = Field(
        default=None, max_length=_limit("applicant_id_number"), description="personal data"
    )
    content: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    assignee_id: str | None = Field(default=None, max_length=32, description="staff id of the same office")


class Application(OfficeOwned, ApplicationBase, table=True):
    """An application for disclosure (依申请公开) with its cached clock."""

    __tablename__ = "application"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "ref", name="uq_application_office_ref"),
        sa.ForeignKeyConstraint(
            ["office_id", "assignee_id"], ["staff.office_id", "staff.id"], name="fk_application_assignee"
        ),
        sa.Index("ix_application_received_on", "office_id", "received_on"),
        sa.Index("ix_application_concluded_on", "office_id", "concluded_on"),
        sa.Index("ix_application_open_due", "office_id", "state", "safe_due"),
        sa.Index(
            "ix_application_assignee_due", "office_id", "assignee_id", "concluded_on", "safe_due"
        ),  # the desk's 待办
    )

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    outcome_row: str | None = Field(default=None, foreign_key="outcome_code.row", max_length=8)
    outcome_note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    concluded_on: date | None = Field(default=None)
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


class ApplicationEvent(OfficeOwned, SQLModel, table=True):
    """Append-only log of what happened to an application, when, and who recorded it."""

    __tablename__ = "application_event"

    office_id: int | None = _office_id()
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


class DeadlineChange(OfficeOwned, SQLModel, table=True):
    """A deadline that moved when the calendar changed (the reminder service alerts on these)."""

    __tablename__ = "deadline_change"

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    cause: str = Field(max_length=64)
    old_due: date | None = None
    new_due: date | None = None
    old_safe_due: date | None = None
    new_safe_due: date | None = None
    clock_version: int


class ProactiveItem(OfficeOwned, SQLModel, table=True):
    """A piece of government information in the disclosure catalogue (主动公开)."""

    __tablename__ = "proactive_item"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "index_no", name="uq_proactive_item_office_index_no"),
        sa.ForeignKeyConstraint(
            ["office_id", "owner_id"], ["staff.office_id", "staff.id"], name="fk_proactive_item_owner"
        ),
        sa.Index("ix_proactive_item_published_on", "office_id", "published_on"),
    )

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    index_no: str = Field(max_length=64, description="索引号, unique per office")
    title: str = Field(max_length=500)
    summary: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    generated_on: date = Field(description="formation date (Art. 26 clock start)")
    changed_on: date | None = None
    doc_number: str | None = Field(default=None, max_length=100)
    issuing_body: str | None = Field(default=None, max_length=200)
    category: str = Field(max_length=100, description="Art. 20 item or the office's own category")
    doc_type: str = Field(default="other", max_length=32, description="rule | normative_document | other")
    five_publics: str | None = Field(default=None, max_length=16)
    attribute: str = Field(
        default="proactive", max_length=16, description="proactive | on_request | not_public"
    )
    attribute_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    validity: str = Field(default="in_force", max_length=16, description="in_force | repealed")
    valid_from: date | None = None
    repealed_on: date | None = None
    published_on: date | None = Field(default=None)
    channel: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=500)
    owner_id: str | None = Field(default=None, max_length=32, description="staff id of the same office")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    withdrawn_on: date | None = Field(default=None, description="withdrawn from publication (revision 0005)")
    review_required: bool = Field(
        default=True,
        sa_column_kwargs={"server_default": sa.true()},
        description="publication needs a review record (revision 0005)",
    )
    valid_until: date | None = Field(default=None, description="有效期至: last day in force (revision 0006)")


class Appeal(OfficeOwned, SQLModel, table=True):
    """An administrative reconsideration or lawsuit about disclosure work (table 四)."""

    __tablename__ = "appeal"

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    application_id: int | None = Field(default=None, foreign_key="application.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="proactive_item.id")
    kind: str = Field(max_length=16, description="reconsideration | litigation")
    route: str | None = Field(
        default=None, max_length=24, description="litigation: direct | after_reconsideration"
    )
    case_no: str | None = Field(default=None, max_length=100)
    filed_on: date
    concluded_on: date | None = None
    result: str = Field(default="pending", max_length=16, description="upheld | corrected | other | pending")
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class ReminderOutbox(OfficeOwned, SQLModel, table=True):
    """A reminder to deliver to one staff member on one channel: written before sending.

    ``(key, recipient, target)`` is unique in the database, so overlapping runs cannot plan the same
    reminder twice; a row is claimed (``status='sending'`` with a token) before it is sent and marked
    ``sent`` only after the channel confirmed. A row still ``sending`` after its lease (the process
    died between the server accepting and the mark) is sent again once, labelled a possible repeat.
    ``target`` is the configured target *name* (``env:…``/``secret:…``), never the URL.
    """

    __tablename__ = "reminder_outbox"
    __table_args__ = (
        sa.UniqueConstraint(
            "office_id", "key", "recipient", "target", name="uq_reminder_outbox_office_key_recipient_target"
        ),
        sa.Index("ix_reminder_outbox_status", "office_id", "status", "recipient"),
        sa.Index("ix_reminder_outbox_claim_token", "claim_token"),
    )

    office_id: int | None = _office_id()
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


class ReminderRun(OfficeOwned, SQLModel, table=True):
    """One run of the reminder flow: its business date and what it did."""

    __tablename__ = "reminder_run"
    __table_args__ = (sa.Index("ix_reminder_run_as_of", "office_id", "as_of"),)

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    started_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    due: int = 0
    sent: int = 0
    failed: int = 0
    escalated: int = 0
    already_sent: int = 0
    superseded: int = 0
    flow_run_id: str | None = Field(default=None, max_length=64)


class ScheduleProgress(OfficeOwned, SQLModel, table=True):
    """The last business period each scheduled flow completed (catch-up after downtime)."""

    __tablename__ = "schedule_progress"

    office_id: int | None = _office_id(primary_key=True)
    flow: str = Field(primary_key=True, max_length=40)
    period: str = Field(max_length=20, description="e.g. 2026-11-27, 2026-W48, 2026-Q4, 2026")
    completed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


# -- annual report (table 二 figures held elsewhere, stored report versions, reopening log) --------


_FOUR_PLACES: Final = Decimal("0.0001")


class Decimal4(sa.types.TypeDecorator[Decimal]):
    """``NUMERIC(14, 4)`` read back as :class:`~decimal.Decimal` on every backend.

    PostgreSQL keeps exact decimals. SQLite has no decimal type: it stores the value as a float,
    which SQLAlchemy would convert back with a warning; 14 significant digits survive a double
    exactly, so the value is read as a float and quantized to 4 places here, without the warning.
    """

    impl = sa.Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.Numeric(14, 4, asdecimal=False))
        return dialect.type_descriptor(sa.Numeric(14, 4))

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return float(value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_FOUR_PLACES)


class YearlyFigure(OfficeOwned, SQLModel, table=True):
    """A figure of table 二 that other systems hold (licences, penalties, coercion, fees), per year.

    ``key`` is ``licensing_decisions`` | ``penalty_decisions`` | ``coercion_decisions`` (counts) or
    ``fees_10k_yuan`` (amount in 万元); ``source`` says where the figure came from.
    """

    __tablename__ = "yearly_figure"

    office_id: int | None = _office_id(primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(primary_key=True, max_length=32)
    value: Decimal = Field(sa_column=sa.Column(Decimal4(), nullable=False))
    source: str = Field(max_length=200)
    entered_by: str = Field(max_length=64)
    entered_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AnnualReport(OfficeOwned, SQLModel, table=True):
    """One stored build of a year's annual report: the CONTRACT section 4 JSON and the narrative.

    Versions count up per year; ``status`` is ``draft`` or ``final``. A final report locks its
    year's data; reopening sets it back to ``draft`` (``finalized_at``/``finalized_by`` stay as the
    record that it was once final) and writes ``report_reopen_log``.
    """

    __tablename__ = "annual_report"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "year", "version", name="uq_annual_report_office_year_version"),
    )

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    year: int
    version: int
    status: str = Field(default="draft", max_length=8, description="draft | final")
    data: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    narrative: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    created_by: str = Field(max_length=64)
    finalized_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finalized_by: str | None = Field(default=None, max_length=64)


class ReportReopenLog(OfficeOwned, SQLModel, table=True):
    """Who reopened a finalized year, when and why (append-only, enforced by database triggers)."""

    __tablename__ = "report_reopen_log"
    __table_args__ = (sa.Index("ix_report_reopen_log_year", "office_id", "year"),)

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    year: int
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    by: str = Field(max_length=64)
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))


# Indexes for the annual-report statistics (gongkai.report.stats); each statement reads one index
# range and never the table. Declared here rather than in ``Application.__table_args__`` so that the
# report's schema additions stay together.
# * received: row 1 of table 三 and the year's receipts still open at year end; with ``outcome_row`` also
#   the chart's monthly series by outcome group (gongkai.report.chart, revision 0008);
# * concluded: the outcome rows, and the part of row 2 concluded in the year;
# * long-running (partial): applications open, or concluded more than 365 days after receipt. An
#   application received before 1 January and still open after 31 December was open for more than
#   365 days, so rows 2 and 4 find those in this small index instead of scanning every later year.
#   The predicate is written per dialect (date arithmetic differs) and repeated word for word in the
#   query, which is what lets SQLite use a partial index.
LONG_RUNNING_DAYS: Final = 365
LONG_RUNNING_WHERE: Final[dict[str, str]] = {
    "sqlite": f"concluded_on IS NULL OR julianday(concluded_on) - julianday(received_on) > {LONG_RUNNING_DAYS}",
    "postgresql": f"concluded_on IS NULL OR concluded_on - received_on > {LONG_RUNNING_DAYS}",
}
_APPLICATION_TABLE = cast(sa.Table, Application.__table__)  # type: ignore[attr-defined]
sa.Index(
    "ix_application_report_received",
    _APPLICATION_TABLE.c.office_id,
    _APPLICATION_TABLE.c.received_on,
    _APPLICATION_TABLE.c.applicant_type,
    _APPLICATION_TABLE.c.concluded_on,
    _APPLICATION_TABLE.c.outcome_row,
)
sa.Index(
    "ix_application_report_concluded",
    _APPLICATION_TABLE.c.office_id,
    _APPLICATION_TABLE.c.concluded_on,
    _APPLICATION_TABLE.c.outcome_row,
    _APPLICATION_TABLE.c.applicant_type,
    _APPLICATION_TABLE.c.received_on,
)
sa.Index(
    "ix_application_report_long_running",
    _APPLICATION_TABLE.c.office_id,
    _APPLICATION_TABLE.c.received_on,
    _APPLICATION_TABLE.c.applicant_type,
    _APPLICATION_TABLE.c.concluded_on,
    sqlite_where=sa.text(LONG_RUNNING_WHERE["sqlite"]),
    postgresql_where=sa.text(LONG_RUNNING_WHERE["postgresql"]),
)


# -- catalogue (issue 5): the review and change logs of items, and the quarterly snapshots -----------


class ItemReview(OfficeOwned, SQLModel, table=True):
    """A pre-publication review of an item (Art. 17; append-only, enforced by database triggers).

    ``result`` is ``publish`` | ``publish_redacted`` | ``withhold``; ``legal_ground`` is required
    when withholding; ``referral`` says whether the question was referred to the competent or the
    secrecy administration department.
    """

    __tablename__ = "item_review"

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="proactive_item.id", index=True)
    reviewer: str = Field(max_length=100)
    reviewed_on: date
    result: str = Field(max_length=24, description="publish | publish_redacted | withhold")
    legal_ground: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    referral: bool = False
    note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    recorded_by: str = Field(max_length=64)


class ItemChange(OfficeOwned, SQLModel, table=True):
    """A change of an item's information (Art. 26: it starts a new 20-working-day period; append-only)."""

    __tablename__ = "item_change"

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="proactive_item.id", index=True)
    changed_on: date
    what: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    recorded_by: str = Field(max_length=64)


class CatalogueSnapshot(OfficeOwned, SQLModel, table=True):
    """The catalogue and guide as built for one quarter and business date, with its diff and checks (JSON)."""

    __tablename__ = "catalogue_snapshot"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "period", "as_of", name="uq_catalogue_snapshot_office_period_as_of"),
    )

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=20, description="e.g. 2026-Q4")
    as_of: date
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    items: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON list of entries")
    guide: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")
    diff: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")
    checks: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")
    files: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")


# -- content review (issue 6): tasks raised by the periodic review, their outcomes, the runs ------------


class ReviewTask(OfficeOwned, SQLModel, table=True):
    """Something the periodic content review found, to be dealt with by a person.

    ``key`` identifies the finding across runs (the database keeps it unique): a task recorded as done
    is never raised again under the same key, and the keys are made so that a new situation (a later
    review due date, other personal data in the text, a column stale since a later date) gets a new key.
    ``detail`` is Chinese text without personal data (items by index number, never their text).
    ``status``: ``open`` | ``done`` (an outcome was recorded) | ``closed`` (no longer found: resolved
    by other means, e.g. the item was published or reviewed through ``gongkai item review``).
    """

    __tablename__ = "review_task"
    __table_args__ = (
        sa.UniqueConstraint("office_id", "key", name="uq_review_task_office_key"),
        sa.Index("ix_review_task_status_due", "office_id", "status", "due_on"),
    )

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, description="unique per office")
    kind: str = Field(max_length=24)
    item_id: int | None = Field(default=None, foreign_key="proactive_item.id", index=True)
    column_name: str | None = Field(default=None, max_length=100)
    owner_id: str | None = Field(default=None, max_length=32)
    urgent: bool = False
    found_on: date
    due_on: date = Field(description="an outcome is expected by this day; escalated after it")
    last_found_on: date
    deadline: date | None = Field(default=None, description="the legal date at stake (Art. 26 for a draft)")
    detail: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(default="open", max_length=12)
    closed_on: date | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ReviewRecord(OfficeOwned, SQLModel, table=True):
    """An outcome recorded for a review task, or a column update (append-only, enforced by triggers)."""

    __tablename__ = "review_record"
    __table_args__ = (sa.Index("ix_review_record_reviewed_on", "office_id", "reviewed_on"),)

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    task_id: int | None = Field(default=None, foreign_key="review_task.id", index=True)
    kind: str = Field(max_length=24, description="the task's kind")
    item_id: int | None = Field(default=None, foreign_key="proactive_item.id", index=True)
    column_name: str | None = Field(default=None, max_length=100)
    outcome: str = Field(
        max_length=16, description="keep | update | withdraw | repealed | publish | withhold"
    )
    reviewer: str = Field(max_length=100)
    reviewed_on: date
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    recorded_by: str = Field(max_length=64)


class ReviewRun(OfficeOwned, SQLModel, table=True):
    """One run of the content review: its business date, counts and findings (JSON, no personal data)."""

    __tablename__ = "review_run"
    __table_args__ = (sa.Index("ix_review_run_as_of", "office_id", "as_of"),)

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    period: str = Field(max_length=20, description="e.g. 2026-W48")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    counts: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")
    findings: str = Field(sa_column=sa.Column(sa.Text, nullable=False), description="JSON")
    flow_run_id: str | None = Field(default=None, max_length=64)


# -- the staff desk (revision 0009) ------------------------------------------------------------------


class Account(OfficeOwned, SQLModel, table=True):
    """A person's desk sign-in: the Argon2 hash of their password (never the password), and the failed attempts
    that lock it for a while. One row per ``[[staff]]`` id that has a password; no row, no sign-in."""

    __tablename__ = "account"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["office_id", "staff_id"], ["staff.office_id", "staff.id"], name="fk_account_staff"
        ),
    )

    office_id: int | None = _office_id(primary_key=True)
    staff_id: str = Field(primary_key=True, max_length=32)
    password_hash: str = Field(max_length=200)
    password_set_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    password_set_by: str = Field(max_length=64)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    last_login_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class DeskSession(OfficeOwned, SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is stored (a copy of the database does
    not sign anyone in). ``expires_at`` is the idle expiry, ``created_at`` starts the absolute one."""

    __tablename__ = "desk_session"
    __table_args__ = (sa.Index("ix_desk_session_staff_id", "office_id", "staff_id"),)

    office_id: int | None = _office_id()
    key: str = Field(primary_key=True, max_length=64, description="hex SHA-256 of the cookie's session id")
    staff_id: str | None = Field(default=None, max_length=32)
    data: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())


class ExtensionRequest(OfficeOwned, SQLModel, table=True):
    """A handler's request that the unit head approve an extension (Art. 33), and the head's decision. Approval
    records the ``extension_approved`` event with the head as its actor."""

    __tablename__ = "extension_request"

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="application.id", index=True)
    days: int = Field(description="working days asked for (1..20)")
    reason: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    requested_on: date
    requested_by: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    status: str = Field(default="pending", max_length=12, description="pending | approved | refused")
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    decided_on: date | None = Field(default=None)
    decision_note: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class AuditEntry(OfficeOwned, SQLModel, table=True):
    """Who did what, when, for actions that leave no record of their own (sign-ins, passwords, extension
    requests, imports from the desk). The audit page lists these beside the actors the other records carry.
    Never an applicant's personal data: ``subject`` is a reference or an id."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_actor", "office_id", "actor"),)

    office_id: int | None = _office_id()
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    actor: str = Field(max_length=64)
    action: str = Field(max_length=40)
    subject: str | None = Field(default=None, max_length=200)
    detail: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
