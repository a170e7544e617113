"""The office's register opened for one piece of work (the unit of work every service of a person takes).

:func:`open_office` is what every command that reads or records goes through: the database created or migrated,
the register's kind (demo or live) held against the configuration before anything is written, the staff of
``[[staff]]`` synchronised, the working-day calendar loaded and the business date fixed. One transaction: it commits
when the block ends normally and rolls back on any error, so a refused action writes nothing.

:func:`readonly_calendar` is the calculator's variant: it reads the imported holiday schedules of an existing
database and never creates or migrates one (``gongkai deadline`` works without a database).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from gongkai.core.clockseam import business_date, office_today
from gongkai.register.workcal import WorkCalendar

if (
    TYPE_CHECKING
):  # the calculator (``gongkai deadline``) runs without importing SQLModel, SQLAlchemy and pydantic
    from sqlmodel import Session

    from gongkai.core.settings import Settings


@dataclass(frozen=True)
class Office:
    """An open register: the office's settings, the session (one transaction), the calendar, the business date."""

    settings: Settings
    session: Session
    calendar: WorkCalendar
    as_of: date
    register_kind: str
    """``demo`` or ``live`` (:mod:`gongkai.store.registerkind`), the same as the configuration's."""
    office_id: int
    """The office's row (``[office] code``): the session reads and writes this office's rows only."""

    @property
    def staff_ids(self) -> set[str]:
        """The ids of ``[[staff]]``."""
        return {s.id for s in self.settings.staff}


def business_day(settings: Settings, as_of: date | None, *, records: bool = False) -> date:
    """The day an action computes as of: ``as_of`` or today in the office's zone. For work that sends or records
    (``records``), a day after today is refused (:class:`~gongkai.core.clockseam.FutureBusinessDate`)."""
    tz = settings.office.timezone
    if records:
        return business_date(as_of, tz)
    return as_of if as_of is not None else office_today(tz)


@contextmanager
def open_office(
    settings: Settings, as_of: date | None = None, *, records: bool = False, url: str | None = None
) -> Iterator[Office]:
    """The register opened for work (see the module's docstring). ``records``: the work sends or records, so a
    business date after today is refused before the database is opened. ``url``: the database (default: the
    configured one, ``GONGKAI_DATABASE_URL`` or SQLite under ``GONGKAI_HOME``)."""
    from gongkai.register import repository as register
    from gongkai.store.db import open_database, session_scope
    from gongkai.store.registerkind import ensure_office
    from gongkai.store.scope import bind_office

    day = business_day(settings, as_of, records=records)
    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            entry = ensure_office(session, settings)
            bind_office(session, entry.id)
            register.sync_staff(session, [(s.id, s.name, s.role) for s in settings.staff])
            calendar = register.load_calendar(session)
            yield Office(settings, session, calendar, day, entry.kind, entry.id)
    finally:
        engine.dispose()


@contextmanager
def open_register(url: str | None = None) -> Iterator[Session]:
    """The database alone (created or migrated), for reads that need no configuration (``calendar show``)."""
    from gongkai.store.db import open_database, session_scope

    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


@dataclass(frozen=True)
class ReadOnlyCalendar:
    """The calendar :func:`readonly_calendar` found; ``note`` (Chinese) when the database could not be read."""

    calendar: WorkCalendar
    note: str | None = None


def readonly_calendar(url: str | None = None) -> ReadOnlyCalendar:
    """The calendar of an existing database (imported years over the built-in ones), never creating or migrating
    one: no database, or one without the calendar tables, gives the built-in calendar; one that cannot be read
    gives it too, with a note saying so."""
    from gongkai.core.home import database_url

    url = url or database_url()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return ReadOnlyCalendar(WorkCalendar())  # no database: nothing imported, nothing to read
    import sqlalchemy as sa
    from sqlmodel import Session

    from gongkai.register.repository import load_calendar

    try:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                tables = sa.inspect(conn)
                if not (tables.has_table("calendar_year") and tables.has_table("calendar_day")):
                    return ReadOnlyCalendar(WorkCalendar())
            with Session(engine) as session:
                return ReadOnlyCalendar(load_calendar(session))
        finally:
            engine.dispose()
    except sa.exc.SQLAlchemyError:
        return ReadOnlyCalendar(WorkCalendar(), "未能读取数据库中导入的放假安排，按内置日历计算。")


@dataclass(frozen=True)
class Initialised:
    """What ``gongkai init`` found: the configuration, the database (address without password), its schema version
    and kind, and each person whose notification variable is unset (Chinese lines)."""

    config_path: Path
    office_name: str
    staff: int
    database: str
    schema: str
    demo: bool
    unset_notify: tuple[str, ...]


def initialise(settings: Settings, environ: Mapping[str, str], *, url: str | None = None) -> Initialised:
    """Create or upgrade the database and check the configuration against it and against ``environ``."""
    from gongkai.core.settings import database_url, redact_url
    from gongkai.store.db import HEAD
    from gongkai.store.registerkind import DEMO

    with open_office(settings, url=url) as office:
        kind = office.register_kind
    return Initialised(
        settings.path,
        settings.office.name,
        len(settings.staff),
        redact_url(url or database_url()),
        HEAD,
        kind == DEMO,
        tuple(settings.unset_notify_variables(environ)),
    )


class Register:
    """The register kept open by a long-running adapter (the desk): the database created or migrated, its kind
    checked and the staff synchronised once, at start; then :meth:`unit` opens one transaction per request with
    the calendar loaded and the business date fixed, like :func:`open_office`."""

    def __init__(self, settings: Settings, url: str | None = None) -> None:
        from gongkai.register import repository as register
        from gongkai.store.db import open_database, session_scope
        from gongkai.store.registerkind import ensure_office
        from gongkai.store.scope import bind_office

        self.settings = settings
        self.engine = open_database(url)
        with session_scope(self.engine) as session:
            entry = ensure_office(session, settings)
            bind_office(session, entry.id)
            self.kind = entry.kind
            self.office_id = entry.id
            register.sync_staff(session, [(s.id, s.name, s.role) for s in settings.staff])

    @contextmanager
    def unit(self, as_of: date | None = None, *, records: bool = False) -> Iterator[Office]:
        """One transaction on the register (committed when the block ends normally, rolled back on any error)."""
        from gongkai.register import repository as register
        from gongkai.store.db import session_scope

        day = business_day(self.settings, as_of, records=records)
        with session_scope(self.engine, self.office_id) as session:
            yield Office(
                self.settings, session, register.load_calendar(session), day, self.kind, self.office_id
            )

    def close(self) -> None:
        """Release the database's connections."""
        self.engine.dispose()
