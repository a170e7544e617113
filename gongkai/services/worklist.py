"""The desk's lists of work, read in SQL over the register's cached clock columns (``safe_due`` …) and with the
live clock computed only for the rows shown: a handler's 待办 stays one index range however large the register.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from gongkai.services.actor import Actor
from gongkai.services.applications import ApplicationView, _view
from gongkai.services.items import ItemView
from gongkai.services.office import Office
from gongkai.services.paging import clamp_page, page_count
from gongkai.services.review import ReviewTask

TODO_LIMIT = 200
ITEM_HORIZON = 5


@dataclass(frozen=True)
class Todo:
    """A person's 待办: their open applications, overdue first then soonest ``safe_due`` (at most
    :data:`TODO_LIMIT`, with the total), extension requests waiting for them (unit head), their review tasks."""

    applications: tuple[ApplicationView, ...]
    open_total: int
    overdue_total: int
    pending_extensions: int
    items: tuple[ItemView, ...] = ()
    """Unpublished items the person owns (or nobody owns) whose Art. 26 date is at most
    :data:`ITEM_HORIZON` working days away or past, soonest first."""
    review_tasks: tuple[ReviewTask, ...] = ()
    """The person's open review tasks (and, for the ``[review] owner``, those on items nobody owns), urgent and
    soonest due first."""


def open_applications_of(
    office: Office, staff_id: str, *, limit: int = TODO_LIMIT
) -> tuple[list[ApplicationView], int, int]:
    """``staff_id``'s open applications (soonest ``safe_due`` first, at most ``limit``), how many they have open,
    and how many of those are past their ``safe_due``."""
    from gongkai.register import repository as register
    from gongkai.store.models import Application
    from gongkai.store.tables import APP as app

    mine = sa.and_(
        app.c.office_id == office.office_id, app.c.assignee_id == staff_id, app.c.concluded_on.is_(None)
    )
    total, overdue = office.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((app.c.safe_due < office.as_of, 1), else_=0)), 0),
        ).where(mine)
    ).one()
    rows = office.session.exec(  # type: ignore[call-overload]
        sa.select(Application).where(mine).order_by(app.c.safe_due, app.c.ref).limit(limit)
    ).all()
    apps = [r[0] if isinstance(r, tuple | sa.Row) else r for r in rows]
    events = register.events_by_application(office.session, [a.id for a in apps if a.id is not None])
    views = []
    for a in apps:
        clock = register.clock_of(a, events.get(a.id, []), calendar=office.calendar, as_of=office.as_of)
        views.append(_view(a, clock))
    views.sort(key=lambda v: (not v.clock.overdue, v.clock.safe_due or date.max, v.ref))
    return views, int(total), int(overdue)


def todo(office: Office, actor: Actor) -> Todo:
    """``actor``'s 待办 (see :class:`Todo`)."""
    from gongkai.store.models import ExtensionRequest

    views, total, overdue = open_applications_of(office, actor.name)
    pending = 0
    if actor.has("unit_head"):
        pending = int(
            office.session.execute(
                sa.select(sa.func.count())
                .select_from(ExtensionRequest)
                .where(ExtensionRequest.office_id == office.office_id)  # type: ignore[arg-type]
                .where(ExtensionRequest.status == "pending")  # type: ignore[arg-type]
            ).scalar_one()
        )
    return Todo(
        tuple(views),
        total,
        overdue,
        pending,
        tuple(_items_due(office, actor)),
        tuple(_my_tasks(office, actor)),
    )


def _items_due(office: Office, actor: Actor) -> list[ItemView]:
    from gongkai.services.items import list_catalogue_items

    out = []
    for item in list_catalogue_items(office, actor, unpublished=True):
        owner = item.fields.get("owner")
        if owner not in (None, actor.name) or item.publication_due is None:
            continue
        if office.calendar.workdays_until(office.as_of, item.publication_due) <= ITEM_HORIZON:
            out.append(item)
    out.sort(key=lambda i: (i.publication_due or date.max, str(i.fields.get("index_no"))))
    return out


def _my_tasks(office: Office, actor: Actor) -> list[ReviewTask]:
    from gongkai.services.review import list_review_tasks

    # A task on an item nobody owns is the [review] owner's (as its notices are).
    default = office.settings.review_owner.id == actor.name
    return [
        t
        for t in list_review_tasks(office, actor, status="open")
        if t.owner_id == actor.name or (t.owner_id is None and default)
    ]


OVERDUE_PAGE = 50


@dataclass(frozen=True)
class OverdueApplication:
    """One application of the unit past its ``safe_due``: the list view, and the working days past the legal
    deadline (``None`` when the live clock is not past it: only the stricter ``safe_due`` has passed, or the
    clock is paused or awaiting a correction)."""

    view: ApplicationView
    days_overdue: int | None


@dataclass(frozen=True)
class OverduePage:
    """One page of the unit's overdue applications (most overdue first) and how many there are in all."""

    rows: tuple[OverdueApplication, ...]
    total: int
    page: int
    pages: int


def unit_overdue(office: Office, actor: Actor, *, page: int = 1, per_page: int = OVERDUE_PAGE) -> OverduePage:
    """The unit's open applications past their cached ``safe_due`` (every assignee), oldest ``safe_due`` first,
    one page; counted and paged in SQL, the live clock computed for the rows of the page only. Any staff
    member may read it (the unit head's page shows it)."""
    from gongkai.register import repository as register
    from gongkai.store.models import Application
    from gongkai.store.tables import APP as app

    del actor
    late = sa.and_(
        app.c.office_id == office.office_id, app.c.concluded_on.is_(None), app.c.safe_due < office.as_of
    )
    total = int(office.session.execute(sa.select(sa.func.count()).where(late)).scalar_one())
    pages = page_count(total, per_page)
    page = clamp_page(page, total, per_page)
    rows = office.session.exec(  # type: ignore[call-overload]
        sa.select(Application)
        .where(late)
        .order_by(app.c.safe_due, app.c.ref)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    apps = [r[0] if isinstance(r, tuple | sa.Row) else r for r in rows]
    events = register.events_by_application(office.session, [a.id for a in apps if a.id is not None])
    out = []
    for a in apps:
        clock = register.clock_of(
            a, events.get(a.id, []), calendar=office.calendar, as_of=office.as_of, explain=False
        )
        late_days = office.calendar.workdays_until(clock.due, office.as_of) if clock.overdue else None
        out.append(OverdueApplication(_view(a, clock), late_days))
    return OverduePage(tuple(out), total, page, pages)
