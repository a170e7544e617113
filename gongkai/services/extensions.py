"""Extension requests (Art. 33) for the desk: any staff member asks, only a ``unit_head`` decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from gongkai.register.extensions import PendingExtension
from gongkai.services.actor import Actor, require, require_work
from gongkai.services.office import Office

__all__ = [
    "ExtensionDecided",
    "ExtensionRequestView",
    "PendingExtension",
    "decide_extension",
    "extension_requests",
    "pending_extensions",
    "request_extension",
]


@dataclass(frozen=True)
class ExtensionRequestView:
    """One request as the application's page lists it."""

    id: int
    days: int
    reason: str
    requested_on: date
    requested_by: str
    requested_at: datetime
    status: str
    decided_by: str | None
    decided_on: date | None
    decision_note: str | None


def request_extension(office: Office, actor: Actor, ref: str, *, days: int, reason: str) -> int:
    """Ask the unit head to extend ``ref``'s reply period by ``days`` working days; the request's id."""
    require_work(actor, "申请延期答复")
    from gongkai.register import extensions

    row = extensions.request_extension(
        office.session,
        ref,
        days=days,
        reason=reason,
        calendar=office.calendar,
        as_of=office.as_of,
        by=actor.name,
    )
    assert row.id is not None
    return row.id


def pending_extensions(office: Office, actor: Actor) -> list[PendingExtension]:
    """The requests waiting for a decision (any staff member may see them; only a unit head decides)."""
    from gongkai.register import extensions

    del actor
    return extensions.pending_extensions(office.session, calendar=office.calendar, as_of=office.as_of)


@dataclass(frozen=True)
class ExtensionDecided:
    """A decision: the application, approved or not, the days granted."""

    ref: str
    approved: bool
    days: int


def decide_extension(
    office: Office, actor: Actor, request_id: int, *, approve: bool, note: str = "", days: int | None = None
) -> ExtensionDecided:
    """Approve or refuse a waiting request (``unit_head`` only, Art. 33); approval records ``extension_approved``
    with ``actor`` as its actor, on the business date."""
    from gongkai.register import extensions

    require(actor, "unit_head", "批准延期答复")
    req, ref = extensions.decide_extension(
        office.session,
        request_id,
        approve=approve,
        note=note,
        calendar=office.calendar,
        as_of=office.as_of,
        by=actor.name,
        days=days,
    )
    return ExtensionDecided(ref, approve, req.days)


def extension_requests(office: Office, actor: Actor, ref: str) -> list[ExtensionRequestView]:
    """Every extension request of application ``ref``, oldest first."""
    from gongkai.register import extensions
    from gongkai.register.repository import get_application

    del actor
    app = get_application(office.session, ref)
    return [
        ExtensionRequestView(
            r.id or 0,
            r.days,
            r.reason,
            r.requested_on,
            r.requested_by,
            r.requested_at,
            r.status,
            r.decided_by,
            r.decided_on,
            r.decision_note,
        )  # fmt: skip
        for r in extensions.extension_requests_of(office.session, app)
    ]
