"""Applications for disclosure (依申请公开): the deadline calculator (:mod:`gongkai.services.calculator`, re-exported
here), registering an application, recording an event, importing a register, and the views the command line and the
desk show (list, one application).

Every view's ``to_json()`` is the command line's ``--json`` output: CONTRACT section 2's keys first, never an
applicant's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gongkai.register.deadlines import Clock, Event
from gongkai.services.actor import Actor, require, require_work
from gongkai.services.calculator import Deadline, calculate_deadline, parse_event
from gongkai.services.office import Office

__all__ = [
    "ApplicationDetail",
    "ApplicationView",
    "Clock",
    "Deadline",
    "Event",
    "EventView",
    "Recorded",
    "Registered",
    "RegisterImported",
    "application_detail",
    "calculate_deadline",
    "import_register",
    "list_applications",
    "parse_event",
    "record_event",
    "register_application",
]


# -- views -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationView:
    """One application in a list: its reference, codes and live clock (no personal data)."""

    ref: str
    received_on: date
    assignee: str | None
    channel: str | None
    applicant_type: str
    clock: Clock

    def to_json(self) -> dict[str, Any]:
        """``ref``, the clock (CONTRACT section 2), ``assignee``, ``channel``, ``applicant_type``."""
        return {
            "ref": self.ref,
            **self.clock.to_json(),
            "assignee": self.assignee,
            "channel": self.channel,
            "applicant_type": self.applicant_type,
        }


@dataclass(frozen=True)
class EventView:
    """One recorded event: what, when, and who recorded it."""

    kind: str
    occurred_on: date
    days: int | None
    until: date | None
    outcome: str | None
    recorded_by: str
    recorded_at: datetime
    note: str | None = None
    """Staff's note on the event (shown on the desk; not in ``to_json``, which stays CONTRACT's shape)."""

    def to_json(self) -> dict[str, Any]:
        """The event as ``request show --json`` lists it."""
        return {
            "kind": self.kind,
            "date": self.occurred_on.isoformat(),
            "days": self.days,
            "until": self.until.isoformat() if self.until else None,
            "outcome": self.outcome,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }


@dataclass(frozen=True)
class ApplicationDetail:
    """One application as staff see it: the list view, the registered fields (personal data included, for the
    screen only) and the event timeline. ``to_json()`` leaves the personal data out."""

    view: ApplicationView
    arrived_at: datetime | None
    applicant_name: str
    applicant_contact: str | None
    applicant_id_number: str | None
    content: str
    outcome_row: str | None
    events: tuple[EventView, ...]

    @property
    def clock(self) -> Clock:
        """The live clock."""
        return self.view.clock

    def to_json(self) -> dict[str, Any]:
        """The list view's object plus ``events`` (no personal data)."""
        return {**self.view.to_json(), "events": [e.to_json() for e in self.events]}


def _view(app: Any, clock: Clock) -> ApplicationView:
    return ApplicationView(app.ref, app.received_on, app.assignee_id, app.channel, app.applicant_type, clock)


def list_applications(
    office: Office,
    actor: Actor,
    *,
    include_closed: bool = False,
    state: str | None = None,
    due_within: int | None = None,
    year: int | None = None,
    explain: bool = False,
) -> list[ApplicationView]:
    """Applications with their clocks as of the office's business date, soonest ``safe_due`` first (default: the
    open ones; ``due_within``: at most that many working days left; ``explain``: with the clocks' explanations)."""
    from gongkai.register import repository as register

    del actor  # any staff member may read the register
    found = register.list_applications(
        office.session,
        calendar=office.calendar,
        as_of=office.as_of,
        include_closed=include_closed,
        state=state,
        due_within=due_within,
        year=year,
        explain=explain,
    )
    return [_view(app, clock) for app, clock in found]


def application_detail(office: Office, actor: Actor, ref: str) -> ApplicationDetail:
    """One application with its events and its clock as it stood on the business date (events recorded for a
    later day are left out and listed)."""
    from gongkai.register import repository as register

    del actor  # any staff member may read the register
    app = register.get_application(office.session, ref)
    rows = register.application_events(office.session, app)
    clock = register.clock_of(
        app,
        [register.event_from_row(r) for r in rows],
        calendar=office.calendar,
        as_of=office.as_of,
        ignore_future=True,
    )
    events = tuple(
        EventView(r.kind, r.occurred_on, r.days, r.until, r.outcome_row, r.recorded_by, r.recorded_at, r.note)
        for r in rows
    )
    return ApplicationDetail(
        _view(app, clock),
        app.arrived_at,
        app.applicant_name,
        app.applicant_contact,
        app.applicant_id_number,
        app.content,
        app.outcome_row,
        events,
    )


# -- actions -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registered:
    """A newly registered application and its clock."""

    ref: str
    clock: Clock


def register_application(
    office: Office,
    actor: Actor,
    *,
    received_on: date,
    applicant_type: str,
    applicant_name: str,
    content: str,
    ref: str | None = None,
    channel: str | None = None,
    contact: str | None = None,
    id_number: str | None = None,
    assignee: str | None = None,
    arrived_at: datetime | None = None,
) -> Registered:
    """Register an application (any staff member), recorded as ``actor``. Codes are those of CONTRACT section 3
    (``applicant_type``, ``channel``); ``ref`` defaults to the next ``YYYY-NNNN`` of the year of receipt."""
    require_work(actor, "登记申请")
    from gongkai.core.idnumber import check_id_number
    from gongkai.register import repository as register

    if id_number:
        check_id_number(id_number)
    data = register.NewApplication(
        ref=ref or register.next_ref(office.session, received_on.year),
        received_on=received_on,
        applicant_type=applicant_type,
        applicant_name=applicant_name,
        content=content,
        channel=channel,
        applicant_contact=contact,
        applicant_id_number=id_number,
        assignee_id=assignee,
        arrived_at=arrived_at,
    )
    app, clock = register.add_application(
        office.session, data, calendar=office.calendar, as_of=office.as_of, recorded_by=actor.name
    )
    return Registered(app.ref, clock)


@dataclass(frozen=True)
class Recorded:
    """An event recorded on an application, and the clock after it."""

    ref: str
    event: Event
    clock: Clock


def record_event(
    office: Office, actor: Actor, ref: str, event: Event, *, note: str | None = None
) -> Recorded:
    """Record ``event`` on application ``ref`` after checking it against the procedure. An extension
    (``extension_approved``) only by a ``unit_head`` (Art. 33: the head of the disclosure unit approves it)."""
    require_work(actor, "登记办理过程")
    from gongkai.register import repository as register

    if event.kind == "extension_approved":
        require(actor, "unit_head", "批准延期答复")
    _app, clock = register.record_event(
        office.session,
        ref,
        event,
        calendar=office.calendar,
        as_of=office.as_of,
        recorded_by=actor.name,
        note=note,
    )
    return Recorded(ref, event, clock)


@dataclass(frozen=True)
class RegisterImported:
    """What a register import did."""

    file: str
    encoding: str
    rows: int
    inserted: int
    events_added: int
    unchanged: int


def import_register(office: Office, actor: Actor, path: Path) -> RegisterImported:
    """Import a request register (CONTRACT section 3), all or nothing, recorded as ``actor`` (any staff member;
    rows recording an extension only by a ``unit_head``, as ``record_event``)."""
    require_work(actor, "导入申请登记表")
    from gongkai.register.importer import import_register as run_import

    result = run_import(
        office.session,
        path,
        calendar=office.calendar,
        as_of=office.as_of,
        recorded_by=actor.name,
        staff_ids=office.staff_ids,
        may_record_extensions=actor.has("unit_head"),
    )
    return RegisterImported(
        path.name, result.encoding, result.rows, result.inserted, result.events_added, result.unchanged
    )
