"""The request register: keyword-only data access with the session passed in.

Every write recomputes the application's clock with :func:`gongkai.register.deadlines.compute_clock` and
stores it in the cached columns; events are checked against the procedure before anything is
written, so a refused event leaves the register as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, OPEN_STATES, find_outcome, unknown_outcome_message
from gongkai.core.errors import EventError, InputError, NotFound
from gongkai.core.officescope import in_office, office_of
from gongkai.register.deadlines import Clock, ClockState, Event, compute_clock, make_event
from gongkai.register.workcal import WorkCalendar, YearSchedule
from gongkai.store.models import (
    APPLICATION_TEXT_LIMITS,
    Application,
    ApplicationEvent,
    CalendarDay,
    CalendarLog,
    CalendarYear,
    Staff,
    utcnow,
)
from gongkai.store.tables import APP, DAY, DEADLINE_CHANGE, EV
from gongkai.store.yearlock import ensure_unlocked

# -- calendar --------------------------------------------------------------------------------


def load_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar: imported years from the database over the seeded ones."""
    years = {y.year: y for y in session.exec(select(CalendarYear)).all()}
    days: dict[int, list[CalendarDay]] = defaultdict(list)
    for d in session.exec(select(CalendarDay)).all():
        days[d.year].append(d)
    overrides = {
        year: YearSchedule(
            year,
            {d.day: d.name for d in days[year] if d.kind == "off"},
            {d.day: d.name for d in days[year] if d.kind == "makeup_workday"},
            announced=True,
            source=f"{row.source}（{row.imported_by} 于 {row.imported_at:%Y-%m-%d} 导入）",
        )
        for year, row in years.items()
    }
    return WorkCalendar(overrides)


@dataclass(frozen=True)
class MovedDeadline:
    """A deadline that a calendar change moved."""

    ref: str
    old_due: date | None
    new_due: date
    old_safe_due: date | None
    new_safe_due: date
    provisional: bool

    @property
    def earlier(self) -> bool:
        """The legal or the safe date moved earlier: staff must be alerted (ogi-rules.md 2.5)."""
        return (self.old_due is not None and self.new_due < self.old_due) or (
            self.old_safe_due is not None and self.new_safe_due < self.old_safe_due
        )


def import_calendar_years(
    session: Session, schedules: Sequence[YearSchedule], *, by: str, source: str, as_of: date
) -> list[MovedDeadline]:
    """Replace the listed years' schedules, log the change, and recompute provisional deadlines.

    Returns every deadline that moved (the reminder service alerts on those stored in
    ``deadline_change``). A move is judged by the same application's clock under the calendar
    before and after the import on ``as_of``, so a date that moved only because days passed (an open
    consultation) is not reported as moved by the calendar.
    """
    before = load_calendar(session)
    for sched in schedules:
        old_days = {
            d.day: (d.kind, d.name)
            for d in session.exec(select(CalendarDay).where(DAY.c.year == sched.year)).all()
        }
        new_days = {d: ("off", n) for d, n in sched.days_off.items()}
        new_days.update({d: ("makeup_workday", n) for d, n in sched.makeup_workdays.items()})
        session.execute(sa.delete(DAY).where(DAY.c.year == sched.year))
        existing = session.get(CalendarYear, sched.year)
        if existing is None:
            session.add(CalendarYear(year=sched.year, source=source, imported_by=by))
        else:
            existing.source, existing.imported_by, existing.imported_at = source, by, utcnow()
            session.add(existing)
        session.flush()
        session.add_all(
            CalendarDay(day=d, year=sched.year, kind=kind, name=name)
            for d, (kind, name) in sorted(new_days.items())
        )
        added = sorted(set(new_days) - set(old_days))
        removed = sorted(set(old_days) - set(new_days))
        detail = (
            f"来源：{source}；放假 {len(sched.days_off)} 天，调休上班 {len(sched.makeup_workdays)} 天；"
            f"新增 {len(added)} 条，删除 {len(removed)} 条"
            + (f"（删除：{'、'.join(d.isoformat() for d in removed)}）" if removed else "")
        )
        session.add(CalendarLog(by=by, year=sched.year, action="import", detail=detail))
    session.flush()
    calendar = load_calendar(session)
    years = {s.year for s in schedules}
    # The calendar is national, shared by every office in the database: every office's clocks move with it (each
    # office's reminders then alert its own staff), while the caller is told of its own office's only.
    return recompute_clocks(
        session,
        calendar=calendar,
        as_of=as_of,
        only=sa.or_(Application.provisional.is_(True), _window_touches(years)),  # type: ignore[attr-defined]
        cause="calendar_import",
        before=before,
        all_offices=True,
    )


def _window_touches(years: Iterable[int]) -> Any:
    """Open applications whose clock window may reach into one of ``years`` (imported years)."""
    lo = min(years)
    return sa.and_(APP.c.state.in_(sorted(OPEN_STATES)), APP.c.extension_limit >= date(lo, 1, 1))


# -- staff -----------------------------------------------------------------------------------


def sync_staff(session: Session, staff: Iterable[tuple[str, str, Sequence[str]]]) -> None:
    """Mirror the configured staff (id, name, roles); staff no longer configured become inactive."""
    wanted = {sid: (name, ",".join(roles)) for sid, name, roles in staff}
    for row in session.exec(select(Staff)).all():
        if row.id in wanted:
            name, roles = wanted.pop(row.id)
            if (row.name, row.roles, row.active) != (name, roles, True):
                row.name, row.roles, row.active, row.updated_at = name, roles, True, utcnow()
                session.add(row)
        elif row.active:
            row.active = False
            row.updated_at = utcnow()
            session.add(row)
    for sid, (name, roles) in wanted.items():
        session.add(Staff(id=sid, name=name, roles=roles))
    session.flush()


# -- applications ----------------------------------------------------------------------------


def event_from_row(row: ApplicationEvent) -> Event:
    """The domain event of a stored event row."""
    return Event(row.kind, row.occurred_on, row.days, row.until, row.outcome_row)


def events_by_application(session: Session, app_ids: Sequence[int] | None = None) -> dict[int, list[Event]]:
    """Events grouped by application id, in one query (chunked for large id lists)."""
    out: dict[int, list[Event]] = defaultdict(list)
    cols = (EV.c.application_id, EV.c.kind, EV.c.occurred_on, EV.c.days, EV.c.until, EV.c.outcome_row)
    if app_ids is None:
        chunks: list[Sequence[int] | None] = [None]
    else:
        ids = list(app_ids)
        chunks = [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
    for chunk in chunks:
        stmt = sa.select(*cols).order_by(EV.c.id)
        if chunk is None:
            stmt = stmt.where(
                in_office(session, EV)
            )  # given ids were read for the office (or offices) already
        if chunk is not None:
            stmt = stmt.where(EV.c.application_id.in_(chunk))
        for app_id, kind, on, days, until, outcome in session.execute(stmt):
            out[app_id].append(Event(kind, on, days, until, outcome))
    return out


def clock_columns(clock: Clock | ClockState) -> dict[str, Any]:
    """The cached clock columns of ``application`` for ``clock``."""
    return {
        "state": clock.state,
        "due": clock.due,
        "safe_due": clock.safe_due,
        "original_due": clock.original_due,
        "extension_limit": clock.extension_limit,
        "correction_notice_due": clock.correction_notice_due,
        "provisional": clock.provisional,
        "concluded_on": clock.concluded_on,
        "outcome_row": clock.outcome,
        "clock_as_of": clock.as_of,
    }


def clock_of(
    app: Application,
    events: Sequence[Event],
    *,
    calendar: WorkCalendar,
    as_of: date,
    explain: bool = True,
    ignore_future: bool = False,
) -> Clock:
    """The live clock of a stored application (``ignore_future``: as it stood on ``as_of``, see
    :func:`gongkai.register.deadlines.compute_clock`)."""
    return compute_clock(
        app.received_on,
        events,
        calendar=calendar,
        as_of=as_of,
        channel=app.channel,
        outcome=app.outcome_row,
        explain=explain,
        ignore_future=ignore_future,
    )


def next_ref(session: Session, year: int) -> str:
    """The next free reference of the form ``YYYY-NNNN``."""
    prefix = f"{year}-"
    refs = session.exec(select(Application.ref).where(Application.ref.like(prefix + "%"))).all()  # type: ignore[attr-defined]
    numbers = [int(r[len(prefix) :]) for r in refs if r[len(prefix) :].isdigit()]
    return f"{prefix}{(max(numbers) + 1 if numbers else 1):04d}"


@dataclass(frozen=True)
class NewApplication:
    """What staff give to register an application (already parsed)."""

    ref: str
    received_on: date
    applicant_type: str
    applicant_name: str
    content: str
    channel: str | None = None
    applicant_contact: str | None = None
    applicant_id_number: str | None = None
    assignee_id: str | None = None
    arrived_at: datetime | None = None


def text_too_long(field: str, value: str | None) -> str | None:
    """The problem (“申请人”最长 200 个字符，实际为 201 个字符) when ``value`` is longer than the limit of
    ``field`` in :data:`gongkai.store.models.APPLICATION_TEXT_LIMITS`, else None. Never shows the value."""
    label, limit = APPLICATION_TEXT_LIMITS[field]
    if value is not None and len(value) > limit:
        return f"“{label}”最长 {limit} 个字符，实际为 {len(value)} 个字符"
    return None


def check_new_application(
    session: Session | None, data: NewApplication, *, staff_ids: set[str] | None
) -> None:
    """Validate fields that are not clocks; raises :class:`InputError` naming the field."""
    for field in ("ref", "applicant_name", "applicant_contact", "applicant_id_number", "content"):
        problem = text_too_long(field, getattr(data, field))
        if problem is not None:
            raise InputError(f"{problem}。")
    if not data.ref.strip():
        raise InputError("“编号”不能为空。")
    if data.applicant_type not in APPLICANT_TYPES:
        raise InputError(f"“申请人类型”应为以下之一：{'、'.join(APPLICANT_TYPES.values())}。")
    if data.channel is not None and data.channel not in CHANNELS:
        raise InputError(f"“申请方式”应为以下之一：{'、'.join(CHANNELS.values())}。")
    if not data.applicant_name.strip():
        raise InputError("“申请人”不能为空。")
    if not data.content.strip():
        raise InputError("“申请内容”不能为空。")
    if data.assignee_id is not None and staff_ids is not None and data.assignee_id not in staff_ids:
        known = "、".join(sorted(staff_ids)) or "（配置文件中没有工作人员）"
        raise InputError(f"“承办人”应为配置文件中的工作人员编号之一：{known}，没有“{data.assignee_id}”。")


def add_application(
    session: Session,
    data: NewApplication,
    *,
    calendar: WorkCalendar,
    as_of: date,
    recorded_by: str,
    events: Sequence[Event] = (),
    source: str = "cli",
) -> tuple[Application, Clock]:
    """Register an application (and any events already known); refuses a duplicate ref."""
    staff_ids = set(session.exec(select(Staff.id)).all())
    check_new_application(session, data, staff_ids=staff_ids)
    if session.exec(select(Application.id).where(Application.ref == data.ref)).first() is not None:
        raise InputError(f"编号“{data.ref}”已登记，编号在本单位内应唯一。")
    if data.received_on > as_of:
        raise InputError(f"“收到日期” {data.received_on.isoformat()} 晚于今天（{as_of.isoformat()}）。")
    if data.arrived_at is not None and data.arrived_at.date() > data.received_on:
        # Art. 31: the receipt date is the arrival day or a later confirmation, never earlier.
        raise InputError("“到达时间”晚于“收到日期”：收到申请之日是到达当日或其后的确认日，不会早于到达。")
    clock = compute_clock(
        data.received_on, events, calendar=calendar, as_of=as_of, channel=data.channel, reject_future=True
    )
    _require_outcome(events)
    ensure_unlocked(session, since=data.received_on, until=clock.concluded_on)
    app = Application(**data.__dict__, source=source, **clock_columns(clock))
    session.add(app)
    session.flush()
    assert app.id is not None
    session.add_all(_event_row(app.id, e, recorded_by=recorded_by) for e in events)
    session.flush()
    return app, clock


def _event_row(app_id: int, event: Event, *, recorded_by: str, note: str | None = None) -> ApplicationEvent:
    return ApplicationEvent(
        application_id=app_id,
        kind=event.kind,
        occurred_on=event.on,
        days=event.days,
        until=event.until,
        outcome_row=event.outcome,
        note=note,
        recorded_by=recorded_by,
    )


def _require_outcome(events: Sequence[Event]) -> None:
    """A reply in the register needs its outcome row (the annual report counts it)."""
    for e in events:
        if e.kind == "replied":
            if not e.outcome:
                raise EventError(
                    "登记答复时必须写明办理结果（行号、代码或标准名称，如 3.1 / granted / 予以公开）。"
                )
            if find_outcome(e.outcome) is None:
                raise InputError(unknown_outcome_message(e.outcome))


def get_application(session: Session, ref: str) -> Application:
    """The application with reference ``ref``; :class:`NotFound` otherwise."""
    app = session.exec(select(Application).where(Application.ref == ref)).first()
    if app is None:
        raise NotFound(f"没有编号为“{ref}”的申请。")
    return app


def record_event(
    session: Session,
    ref: str,
    event: Event,
    *,
    calendar: WorkCalendar,
    as_of: date,
    recorded_by: str,
    note: str | None = None,
) -> tuple[Application, Clock]:
    """Append an event after checking it against the application's procedure."""
    problem = text_too_long("note", note)
    if problem is not None:
        raise InputError(f"{problem}。")
    app = get_application(session, ref)
    assert app.id is not None
    _require_outcome([event])
    events = events_by_application(session, [app.id]).get(app.id, [])
    clock = compute_clock(
        app.received_on,
        [*events, event],
        calendar=calendar,
        as_of=as_of,
        channel=app.channel,
        reject_future=True,
    )
    ensure_unlocked(session, since=event.on, until=clock.concluded_on)
    session.add(_event_row(app.id, event, recorded_by=recorded_by, note=note))
    _store_clock(session, app, clock)
    session.flush()
    return app, clock


def _store_clock(session: Session, app: Application, clock: Clock) -> None:
    if app.due is not None and (clock.due, clock.safe_due) != (app.due, app.safe_due):
        app.clock_version += 1
    for key, value in clock_columns(clock).items():
        setattr(app, key, value)
    app.updated_at = utcnow()
    session.add(app)


def recompute_clocks(
    session: Session,
    *,
    calendar: WorkCalendar,
    as_of: date,
    only: Any = None,
    cause: str,
    before: WorkCalendar | None = None,
    all_offices: bool = False,
) -> list[MovedDeadline]:
    """Recompute cached clocks (of the applications matching ``only``), in SQL batches.

    A deadline has moved when ``due`` or ``safe_due`` differs from the cached value or, when
    ``before`` (the calendar before a change) is given, from the clock under ``before`` on the same
    ``as_of``. Each move raises ``clock_version``, writes a ``deadline_change`` row (of the application's office)
    and is returned. The session's office's applications only; ``all_offices``: every office's (a change of the
    shared calendar), of which the session's office's moves are returned.
    """
    office_id = office_of(session)
    c = APP.c
    stmt = sa.select(
        c.id, c.office_id, c.ref, c.received_on, c.channel, c.outcome_row, c.due, c.safe_due, c.clock_version
    )
    if not all_offices:
        stmt = stmt.where(APP.c.office_id == office_id)
    if only is not None:
        stmt = stmt.where(only)
    rows = session.execute(stmt).all()
    events = events_by_application(session, [r.id for r in rows])
    moved: list[MovedDeadline] = []
    updates: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    now = utcnow()
    for r in rows:
        evs = events.get(r.id, [])
        kwargs: dict[str, Any] = {
            "as_of": as_of,
            "channel": r.channel,
            "outcome": r.outcome_row,
            "explain": False,
        }
        clock = compute_clock(r.received_on, evs, calendar=calendar, **kwargs)
        if before is not None:
            old = compute_clock(r.received_on, evs, calendar=before, **kwargs)
            old_due, old_safe = old.due, old.safe_due
        else:
            old_due, old_safe = r.due, r.safe_due
        version = r.clock_version
        if (clock.due, clock.safe_due) != (r.due, r.safe_due):
            version += 1
        if (clock.due, clock.safe_due) != (old_due, old_safe):
            if r.office_id == office_id:
                moved.append(
                    MovedDeadline(r.ref, old_due, clock.due, old_safe, clock.safe_due, clock.provisional)
                )
            changes.append(
                {
                    "office_id": r.office_id,
                    "application_id": r.id,
                    "changed_at": now,
                    "cause": cause,
                    "old_due": old_due,
                    "new_due": clock.due,
                    "old_safe_due": old_safe,
                    "new_safe_due": clock.safe_due,
                    "clock_version": version,
                }
            )
        updates.append({"b_id": r.id, **clock_columns(clock), "clock_version": version, "updated_at": now})
    if updates:
        values: dict[str, Any] = {k: sa.bindparam(k) for k in updates[0] if k != "b_id"}
        session.execute(
            sa.update(APP)
            .where(APP.c.id == sa.bindparam("b_id"), *([] if all_offices else [APP.c.office_id == office_id]))
            .values(values),
            updates,
            execution_options={"synchronize_session": False},
        )
    if changes:
        session.execute(sa.insert(DEADLINE_CHANGE), changes)
    session.flush()
    return moved


def list_applications(
    session: Session,
    *,
    calendar: WorkCalendar,
    as_of: date,
    include_closed: bool = False,
    state: str | None = None,
    due_within: int | None = None,
    year: int | None = None,
    explain: bool = False,
) -> list[tuple[Application, Clock]]:
    """Applications with their live clocks as of ``as_of``, soonest ``safe_due`` first.

    ``due_within``: only open applications with at most that many working days left before their
    ``safe_due`` (overdue ones included).
    """
    stmt = select(Application)
    if not include_closed and state is None:
        stmt = stmt.where(Application.concluded_on.is_(None))  # type: ignore[union-attr]
    if year is not None:
        stmt = stmt.where(
            Application.received_on >= date(year, 1, 1), Application.received_on <= date(year, 12, 31)
        )
    apps = session.exec(stmt).all()
    events = events_by_application(session, [a.id for a in apps if a.id is not None])
    out: list[tuple[Application, Clock]] = []
    for app in apps:
        assert app.id is not None
        clock = clock_of(app, events.get(app.id, []), calendar=calendar, as_of=as_of, explain=explain)
        if state is not None and clock.state != state:
            continue
        if due_within is not None and (
            clock.working_days_left is None or clock.working_days_left > due_within
        ):
            continue
        out.append((app, clock))
    out.sort(key=lambda ac: (ac[1].concluded_on is not None, ac[1].safe_due, ac[0].ref))
    return out


def application_events(session: Session, app: Application) -> list[ApplicationEvent]:
    """The stored event rows of one application, oldest first."""
    return list(
        session.exec(
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == app.id)
            .order_by(ApplicationEvent.id)  # type: ignore[arg-type]
        ).all()
    )


__all__ = [
    "MovedDeadline",
    "NewApplication",
    "add_application",
    "application_events",
    "check_new_application",
    "clock_columns",
    "clock_of",
    "event_from_row",
    "events_by_application",
    "get_application",
    "import_calendar_years",
    "list_applications",
    "load_calendar",
    "make_event",
    "next_ref",
    "record_event",
    "recompute_clocks",
    "sync_staff",
    "text_too_long",
]
