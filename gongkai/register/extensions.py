"""Extension requests (Art. 33): a handler asks the head of the disclosure unit to extend the reply period; the
head approves (which records ``extension_approved`` with the head as its actor) or refuses with a reason.

A request is refused when the application is closed, already extended, already has a request waiting, or its
original deadline has passed (an extension must be approved before it: the clock refuses a later one too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import InputError, NotFound
from gongkai.register.deadlines import MAX_EXTENSION_DAYS, Clock, Event
from gongkai.register.repository import (
    application_events,
    clock_of,
    event_from_row,
    get_application,
    record_event,
)
from gongkai.register.workcal import WorkCalendar
from gongkai.store.audit import record_audit
from gongkai.store.models import Application, ExtensionRequest, utcnow

REASON_LIMIT = 2000


@dataclass(frozen=True)
class PendingExtension:
    """A request waiting for the unit head, with the days left before the original deadline."""

    id: int
    ref: str
    assignee: str | None
    days: int
    reason: str
    requested_on: date
    requested_by: str
    requested_at: datetime
    original_due: date
    working_days_left: int


def _clock(session: Session, app: Application, calendar: WorkCalendar, as_of: date) -> Clock:
    events = [event_from_row(r) for r in application_events(session, app)]
    return clock_of(app, events, calendar=calendar, as_of=as_of, explain=False)


def _check_reason(reason: str, field: str = "理由") -> str:
    reason = reason.strip()
    if not reason:
        raise InputError(f"请填写{field}。")
    if len(reason) > REASON_LIMIT:
        raise InputError(f"{field}最多 {REASON_LIMIT} 个字符（现为 {len(reason)} 个）。")
    return reason


def request_extension(
    session: Session, ref: str, *, days: int, reason: str, calendar: WorkCalendar, as_of: date, by: str
) -> ExtensionRequest:
    """Ask for an extension of ``days`` working days (1..20) of application ``ref``."""
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InputError(f"延期天数应为 1 至 {MAX_EXTENSION_DAYS} 个工作日，实际为 {days}。")
    reason = _check_reason(reason)
    app = get_application(session, ref)
    clock = _clock(session, app, calendar, as_of)
    if not clock.is_open:
        raise InputError(f"申请 {ref} 已办结，不能申请延期。")
    if clock.extended:
        raise InputError(f"申请 {ref} 已经延期过一次，不能再次延期（第三十三条）。")
    if as_of > clock.original_due:
        raise InputError(f"申请 {ref} 的原答复期限 {clock.original_due.isoformat()} 已过，不能再申请延期。")
    waiting = session.execute(
        sa.select(sa.func.count())
        .select_from(ExtensionRequest)
        .where(ExtensionRequest.application_id == app.id, ExtensionRequest.status == "pending")  # type: ignore[arg-type]
    ).scalar_one()
    if waiting:
        raise InputError(f"申请 {ref} 已有一份延期申请在等待审批。")
    assert app.id is not None
    row = ExtensionRequest(
        application_id=app.id, days=days, reason=reason, requested_on=as_of, requested_by=by
    )
    session.add(row)
    session.flush()
    record_audit(session, by, "extension_requested", ref, f"{days} 个工作日")
    return row


def pending_extensions(session: Session, *, calendar: WorkCalendar, as_of: date) -> list[PendingExtension]:
    """The requests waiting for a decision, the most urgent (fewest days before the original deadline) first."""
    rows = session.execute(
        sa.select(ExtensionRequest, Application)
        .join(Application, Application.id == ExtensionRequest.application_id)  # type: ignore[arg-type]
        .where(ExtensionRequest.status == "pending")  # type: ignore[arg-type]
        .order_by(ExtensionRequest.id)  # type: ignore[arg-type]
    ).all()
    out = []
    for req, app in rows:
        clock = _clock(session, app, calendar, as_of)
        assert req.id is not None
        out.append(
            PendingExtension(
                req.id,
                app.ref,
                app.assignee_id,
                req.days,
                req.reason,
                req.requested_on,
                req.requested_by,
                req.requested_at,
                clock.original_due,
                calendar.workdays_until(as_of, clock.original_due),
            )  # fmt: skip
        )
    out.sort(key=lambda p: (p.working_days_left, p.id))
    return out


def decide_extension(
    session: Session,
    request_id: int,
    *,
    approve: bool,
    note: str,
    calendar: WorkCalendar,
    as_of: date,
    by: str,
    days: int | None = None,
) -> tuple[ExtensionRequest, str]:
    """Approve (recording ``extension_approved:AS_OF:DAYS`` on the application, ``days`` defaulting to those asked
    for) or refuse (``note`` required) a waiting request; the request and the application's ref."""
    req = session.get(ExtensionRequest, request_id)
    if req is None:
        raise NotFound(f"没有编号为 {request_id} 的延期申请。")
    if req.status != "pending":
        raise InputError(f"这份延期申请已经处理过（{'已批准' if req.status == 'approved' else '未批准'}）。")
    app = session.get(Application, req.application_id)
    assert app is not None
    if approve:
        days = days or req.days
        record_event(
            session, app.ref, Event("extension_approved", as_of, days), calendar=calendar, as_of=as_of,
            recorded_by=by, note=note.strip() or None,
        )  # fmt: skip
        req.days = days
    else:
        note = _check_reason(note, "不批准的理由")
    req.status = "approved" if approve else "refused"
    req.decided_by, req.decided_at, req.decided_on = by, utcnow(), as_of
    req.decision_note = note.strip() or None
    session.add(req)
    record_audit(
        session, by, "extension_approved" if approve else "extension_refused", app.ref, note.strip() or None
    )
    return req, app.ref


def extension_requests_of(session: Session, app: Application) -> list[ExtensionRequest]:
    """Every extension request of an application, oldest first (its page shows them)."""
    return list(
        session.execute(
            sa.select(ExtensionRequest)
            .where(ExtensionRequest.application_id == app.id)  # type: ignore[arg-type]
            .order_by(ExtensionRequest.id)  # type: ignore[arg-type]
        ).scalars()
    )
