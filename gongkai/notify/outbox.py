"""The reminder outbox: every reminder recorded before it is sent, delivered once per recipient and channel.

How a reminder travels (table ``reminder_outbox``, one row per reminder key, recipient and target name):

1. :func:`write_outbox` stores the day's plan. The database refuses a second row for the same
   ``(key, recipient, target)`` (``INSERT … ON CONFLICT DO NOTHING``), so re-running a day, or two runs at once,
   plan each reminder once. A pending row that today's plan no longer contains (a rung the ladder moved past,
   yesterday's overdue line) becomes ``superseded`` when the plan has a newer reminder of the same kind about
   the same application for the same person and channel: a server that was off for days catches up with
   today's reminders, not a flood of stale ones. Nothing else is superseded: a reminder that failed or was
   interrupted is delivered late rather than lost.
2. :func:`deliver` claims the deliverable rows of one recipient and channel in a single ``UPDATE`` that stamps
   them with a fresh token (``status='sending'``), then reads back the rows carrying that token: rows claimed by
   an overlapping run are never taken. It renders one digest for them, sends it, and marks them ``sent`` only
   after the channel confirmed. Each of these steps is its own short transaction, so a crash at any point leaves
   the table consistent:

   - crash before the send: the rows stay ``sending`` until their lease (``notifications.lease_minutes``) runs
     out, then the next run sends them, labelled "可能重复" (it cannot know the send had not started);
   - crash after the channel accepted and before the mark: the same, and this is the only window in which a
     reminder can arrive twice — at most once more, labelled as a possible repeat;
   - a failed send puts the rows back to ``pending`` (``attempts + 1``, the redacted error in ``last_error``);
     they are retried after ``notifications.retry_delays`` within the run and again at the next run.

3. When a recipient's channel still fails at the end of a run, the administrators are alerted on another channel
   (``notifications.fallback``, else the administrators' other targets). The alert is itself an outbox row with
   the key ``alert:{recipient}:{target}:{as_of}``, so it goes out once per business day, exactly once.

``reminders.max_send_attempts`` bounds the effort spent on a failing row within one run: once a row has failed
that many times, later runs try it once each (no in-run retries) until it is delivered or superseded — a
reminder that is still relevant is never given up, and the administrator is told every day it fails.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from gongkai.core.desklinks import reminder_link
from gongkai.core.messages import KINDS, ONE_OFF_KINDS, PlannedReminder, is_overdue
from gongkai.core.officescope import in_office, office_of
from gongkai.core.settings import Settings
from gongkai.files.render import render
from gongkai.notify.channels import SendResult, redact
from gongkai.store.db import insert_ignoring_conflicts, keys_in
from gongkai.store.models import utcnow
from gongkai.store.tables import OUTBOX

log = logging.getLogger("gongkai.notify.outbox")


PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
SUPERSEDED: Final = "superseded"

ALERT_KIND: Final = "delivery_alert"
"""``kind`` of the rows that alert the administrators about a failing channel."""

FALLBACK_RECIPIENT: Final = "(fallback)"
"""``recipient`` of alert rows sent to ``notifications.fallback`` (not a valid staff id, so never confused)."""

_BATCH: Final = 500
_LAST_ERROR_LIMIT: Final = 500

FaultPoint = Literal["before_claim", "after_claim", "before_send", "after_send_accepted", "after_mark"]
"""The points of :func:`deliver` where :class:`Faults` is called, for each recipient and channel in turn."""


class Faults:
    """Hook points inside :func:`deliver`; the default does nothing.

    Tests subclass it and raise from :meth:`hit` to simulate a process killed at that point
    (``after_send_accepted``: the channel returned success and the rows are not yet marked sent).
    """

    def hit(self, point: FaultPoint) -> None:
        """Called when :func:`deliver` reaches ``point``."""


class MessageSender(Protocol):
    """What :func:`deliver` needs of a notifier (:class:`gongkai.notify.channels.Notifier`)."""

    def send(self, target_name: str, *, title: str, text: str, html: str | None = None) -> SendResult:
        """Deliver one message to the target named ``target_name``."""
        ...


@dataclass(frozen=True)
class OutboxCounts:
    """What :func:`write_outbox` did with the day's plan (counted per recipient and channel)."""

    due: int = 0
    """Rows the plan asks for: (reminder, recipient, target) combinations."""
    new: int = 0
    """Rows inserted now (the others were planned by an earlier or an overlapping run)."""
    already_sent: int = 0
    """Planned rows that were already delivered (not sent again)."""
    superseded: int = 0
    """Undelivered rows that today's plan no longer contains, now ``superseded``."""
    unroutable: int = 0
    """(reminder, recipient) pairs skipped because the staff member has no notification target."""
    escalated: int = 0
    """Planned reminders that are escalations (overdue applications to the unit head and administrator)."""


@dataclass(frozen=True)
class DeliveryCounts:
    """What :func:`deliver` did."""

    sent: int = 0
    """Reminder rows delivered and marked sent."""
    messages: int = 0
    """Digests delivered (one per recipient and channel)."""
    failed: int = 0
    """Reminder rows that failed in this run and are still undelivered at its end."""
    possible_repeats: int = 0
    """Delivered reminder rows labelled as a possible repeat (a previous run died after claiming them)."""
    alerts: int = 0
    """Alert messages delivered to the administrators."""
    outstanding: int = 0
    """Reminder rows still unconfirmed when the run ended (failed, or interrupted and waiting for their lease):
    while any remain, the flow does not record its period as done."""
    interrupted: int = 0
    """Of ``outstanding``, the rows a run claimed and never marked (killed mid-send, or still sending)."""
    retry_at: datetime | None = None
    """When the earliest outstanding row can be tried again (None when nothing is outstanding)."""


# --------------------------------------------------------------------------------------------------------------
# Writing the plan.


def _targets_of(settings: Settings, staff_id: str) -> tuple[str, ...]:
    person = settings.staff_by_id(staff_id)
    targets: tuple[str, ...] = person.notify if person is not None else ()
    if targets and settings.notifications.console and "console" not in targets:
        targets = (*targets, "console")
    return targets


def _insert_new(conn: Connection | Session, office_id: int, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` for the office, skipping any whose (key, recipient, target) exists in it; the number actually
    inserted."""
    return len(
        insert_ignoring_conflicts(
            conn,
            OUTBOX,
            [{**row, "office_id": office_id} for row in rows],
            conflict=["office_id", "key", "recipient", "target"],
            returning=OUTBOX.c.id,
        )
    )


def _row(
    *,
    key: str,
    recipient: str,
    target: str,
    kind: str,
    ref: str | None,
    deadline: date | None,
    urgency: int,
    text: str,
    as_of: date,
    created: datetime,
) -> dict[str, Any]:
    return {
        "key": key,
        "recipient": recipient,
        "target": target,
        "kind": kind,
        "ref": ref,
        "deadline": deadline,
        "urgency": urgency,
        "text": text,
        "planned_on": as_of,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": None,
        "claim_token": None,
        "claimed_at": None,
        "possible_repeat": False,
        "sent_at": None,
        "last_error": None,
        "created_at": created,
    }


def write_outbox(
    session: Session,
    planned: Sequence[PlannedReminder],
    *,
    settings: Settings,
    as_of: date,
    now: datetime | None = None,
    supersede: bool | Collection[str] = True,
) -> OutboxCounts:
    """Record the day's plan in the outbox and supersede what it no longer contains.

    ``supersede=True`` (the daily reminder plan) supersedes pending rows of the daily kinds only — every kind
    but :data:`~gongkai.core.messages.ONE_OFF_KINDS` — so a weekly or yearly notice that failed is still retried;
    a collection of kinds supersedes pending rows of those kinds only (the weekly review replaces its own
    notices of earlier weeks); ``supersede=False`` adds messages without touching other rows (a one-off
    notice, e.g. "the annual report was built", is not the day's whole plan).

    Each planned reminder becomes one row per recipient and per target in that person's ``notify`` (plus
    ``console`` when ``notifications.console`` is on); a person without any target is skipped and counted as
    ``unroutable``. Rows that exist already are left as they are (the database decides, so overlapping runs
    cannot plan a reminder twice). Then a row still ``pending``, planned on or before ``as_of``, becomes
    ``superseded`` when this plan holds a newer reminder of the same kind about the same reference for the same
    recipient and channel (see :func:`_supersede`); a row ``sending`` is never superseded.

    Runs in the caller's transaction (commit it with :func:`gongkai.store.db.session_scope`): the plan is written and
    the stale rows superseded together. ``now`` (default: the current time) stamps ``created_at`` and decides
    which ``sending`` rows are past their lease.
    """
    created = now or utcnow()
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    unroutable = escalated = 0
    for item in planned:
        escalated += int(item.escalation)
        for recipient in dict.fromkeys(item.recipients):
            targets = _targets_of(settings, recipient)
            if not targets:
                unroutable += 1
                continue
            for target in targets:
                rows.setdefault(
                    (item.key, recipient, target),
                    _row(
                        key=item.key,
                        recipient=recipient,
                        target=target,
                        kind=item.kind,
                        ref=item.ref,
                        deadline=item.deadline,
                        urgency=item.urgency,
                        text=item.text,
                        as_of=as_of,
                        created=created,
                    ),
                )
    if unroutable:
        log.warning(
            "%d 条提醒的收件人没有配置通知渠道（[[staff]] 的 notify 为空），未能安排发送。", unroutable
        )
    # The same order in every run: overlapping inserts wait on each other instead of deadlocking.
    ordered = [rows[triple] for triple in sorted(rows)]
    # Writing first: on SQLite the transaction takes the write lock at once (waiting its turn) instead of
    # failing to upgrade a read snapshot that an overlapping run made stale.
    office_id = office_of(session)
    new = _insert_new(session, office_id, ordered)

    already_sent = 0
    keys = sorted({triple[0] for triple in rows})
    dialect = session.get_bind().dialect.name
    for start in range(0, len(keys), _BATCH):
        # No condition on status in SQL: SQLite would then pick the (status, recipient) index and scan
        # every sent row per batch (10 s for 130,000 reminders) instead of the unique key's index. On
        # PostgreSQL the keys go as one array: a prepared IN list was planned as a full scan per batch
        # while the table had no statistics yet (100 s, bench/bench_review.py).
        found = session.execute(
            sa.select(OUTBOX.c.key, OUTBOX.c.recipient, OUTBOX.c.target, OUTBOX.c.status).where(
                OUTBOX.c.office_id == office_id, keys_in(OUTBOX.c.key, keys[start : start + _BATCH], dialect)
            )
        ).all()
        already_sent += sum(
            1
            for key, recipient, target, status in found
            if status == SENT and (key, recipient, target) in rows
        )

    if supersede is True:
        kinds: Collection[str] = (set(KINDS) - ONE_OFF_KINDS) | {ALERT_KIND}
    else:
        kinds = supersede or ()
    superseded = (
        _supersede(session, planned=rows.keys(), plan_rows=rows.values(), kinds=kinds, as_of=as_of)
        if kinds
        else 0
    )
    session.flush()
    return OutboxCounts(
        due=len(rows),
        new=new,
        already_sent=already_sent,
        superseded=superseded,
        unroutable=unroutable,
        escalated=escalated,
    )


def _supersede(
    session: Session,
    *,
    planned: Iterable[tuple[str, str, str]],
    plan_rows: Iterable[dict[str, Any]],
    kinds: Collection[str],
    as_of: date,
) -> int:
    """Mark ``superseded`` the pending rows of ``kinds`` that a newer reminder in this plan replaces.

    A pending row is replaced only when the plan holds another reminder of the same kind about the same
    subject (reference) for the same recipient and channel: yesterday's "overdue, day 3" by today's "day 4", a
    rung the ladder moved past by the next rung. A pending row the plan has nothing newer for (a correction
    notice due on the day the mail server was down, an application closed since) stays pending and is
    delivered late rather than lost. Rows still ``sending`` are never superseded: a run was interrupted with
    them and whether they reached anyone is unknown; they are delivered (labelled 可能重复) after their lease.
    Alert rows of ``as_of`` itself are kept.
    """
    planned_set = set(planned)
    subjects = {(r["kind"], r["ref"], r["recipient"], r["target"]) for r in plan_rows}
    candidates = session.execute(
        sa.select(
            OUTBOX.c.id,
            OUTBOX.c.key,
            OUTBOX.c.recipient,
            OUTBOX.c.target,
            OUTBOX.c.kind,
            OUTBOX.c.ref,
            OUTBOX.c.planned_on,
        ).where(
            in_office(session, OUTBOX),
            OUTBOX.c.planned_on <= as_of,
            OUTBOX.c.kind.in_(sorted(kinds)),
            OUTBOX.c.status == PENDING,
        )
    ).all()
    stale = [
        row.id
        for row in candidates
        if (row.key, row.recipient, row.target) not in planned_set
        and (
            # Yesterday's alert about a failing channel: today's run says what is still failing.
            (row.kind == ALERT_KIND and row.planned_on < as_of)
            or (row.kind, row.ref, row.recipient, row.target) in subjects
        )
    ]
    superseded = 0
    for start in range(0, len(stale), _BATCH):
        result = session.execute(
            sa.update(OUTBOX)
            .where(
                in_office(session, OUTBOX),
                OUTBOX.c.id.in_(stale[start : start + _BATCH]),
                OUTBOX.c.status == PENDING,
            )
            .values(status=SUPERSEDED, claim_token=None)
            .execution_options(synchronize_session=False)
        )
        superseded += cast(sa.CursorResult[Any], result).rowcount
    return superseded


@dataclass(frozen=True)
class Outstanding:
    """Reminders recorded in the outbox and not yet confirmed delivered."""

    pending: int = 0
    """Rows waiting for a (re)try: a channel failed, or a run stopped before sending them."""
    interrupted: int = 0
    """Rows a run claimed and never marked (it was killed mid-send, or is still sending): delivered again,
    labelled 可能重复, once their lease has run out."""
    retry_at: datetime | None = None
    """The earliest moment one of them can be delivered (now, or when a lease runs out); None when none waits."""
    lease_expired_at: datetime | None = None
    """The latest moment an interrupted row's lease ran out, of the rows whose lease has run out (None when no
    lease has): a retry after this moment takes them up, one before it could not."""

    @property
    def total(self) -> int:
        """All unconfirmed rows."""
        return self.pending + self.interrupted


def outstanding(
    conn: Engine | Connection | Session,
    *,
    office_id: int,
    settings: Settings,
    now: datetime,
    kinds: Collection[str] | None = None,
) -> Outstanding:
    """What the outbox still owes the office (reminders, not alerts): rows ``pending`` or ``sending``, optionally
    only those of ``kinds``. A period whose reminders are not all confirmed is not done (see the flows)."""
    lease = timedelta(minutes=settings.notifications.lease_minutes)
    conditions = [
        OUTBOX.c.office_id == office_id,
        OUTBOX.c.kind != ALERT_KIND,
        OUTBOX.c.status.in_([PENDING, SENDING]),
    ]
    if kinds is not None:
        conditions.append(OUTBOX.c.kind.in_(sorted(kinds)))
    stmt = (
        sa.select(
            OUTBOX.c.status,
            sa.func.count(),
            sa.func.min(OUTBOX.c.claimed_at),
            sa.func.min(sa.func.coalesce(OUTBOX.c.next_attempt_at, OUTBOX.c.created_at)),
            sa.func.max(sa.case((OUTBOX.c.claimed_at <= now - lease, OUTBOX.c.claimed_at), else_=None)),
        )
        .where(*conditions)
        .group_by(OUTBOX.c.status)
    )
    if isinstance(conn, Engine):
        with conn.connect() as c:
            found = c.execute(stmt).all()
    else:
        found = conn.execute(stmt).all()
    pending = interrupted = 0
    retry_at: datetime | None = None
    lease_expired_at: datetime | None = None
    for status, count, claimed, next_attempt, expired_claim in found:
        if status == PENDING:
            pending = int(count)
            when = _aware(next_attempt) if next_attempt is not None else now
        else:
            interrupted = int(count)
            when = _aware(claimed) + lease if claimed is not None else now
            if expired_claim is not None:
                lease_expired_at = _aware(expired_claim) + lease
        retry_at = when if retry_at is None else min(retry_at, when)
    if retry_at is not None and retry_at < now:
        retry_at = now
    return Outstanding(
        pending=pending, interrupted=interrupted, retry_at=retry_at, lease_expired_at=lease_expired_at
    )


def _aware(moment: datetime) -> datetime:
    """Timestamps are stored in UTC; an aggregate may come back naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --------------------------------------------------------------------------------------------------------------
# Delivering.


@dataclass(frozen=True)
class _Group:
    office_id: int
    recipient: str
    target: str
    alert: bool


@dataclass
class _Outcome:
    ok: bool
    rows: int
    possible_repeats: int = 0
    error: str | None = None
    permanent: bool = False
    exhausted: bool = False


@dataclass
class _Run:
    """Mutable tallies of one :func:`deliver` run."""

    sent: int = 0
    messages: int = 0
    possible_repeats: int = 0
    alerts: int = 0
    errors: dict[_Group, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DigestItem:
    """One line of a digest, as the templates see it."""

    ref: str | None
    kind: str
    kind_label: str
    deadline: date | None
    overdue: bool
    text: str
    link: str | None = None
    """The desk's page where the line's action is taken (``[desk] base_url`` set), else ``None``."""


def _deliverable(now: datetime, cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(
            OUTBOX.c.status == PENDING,
            sa.or_(OUTBOX.c.next_attempt_at.is_(None), OUTBOX.c.next_attempt_at <= now),
        ),
        sa.and_(OUTBOX.c.status == SENDING, OUTBOX.c.claimed_at < cutoff),
    )


def _kind_filter(alert: bool) -> sa.ColumnElement[bool]:
    return OUTBOX.c.kind == ALERT_KIND if alert else OUTBOX.c.kind != ALERT_KIND


def _due_groups(
    engine: Engine, office_id: int, *, now: datetime, lease: timedelta, alert: bool
) -> list[_Group]:
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(OUTBOX.c.recipient, OUTBOX.c.target)
            .where(OUTBOX.c.office_id == office_id, _deliverable(now, now - lease), _kind_filter(alert))
            .distinct()
            .order_by(OUTBOX.c.recipient, OUTBOX.c.target)
        ).all()
    return [_Group(office_id, recipient, target, alert) for recipient, target in found]


def _claim(engine: Engine, group: _Group, *, now: datetime, lease: timedelta) -> tuple[str, list[Any]]:
    """Take the group's deliverable rows in one statement; the rows this run now owns (maybe none)."""
    token = uuid.uuid4().hex
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(
                OUTBOX.c.office_id == group.office_id,
                OUTBOX.c.recipient == group.recipient,
                OUTBOX.c.target == group.target,
                _kind_filter(group.alert),
                _deliverable(now, now - lease),
            )
            .values(
                status=SENDING,
                claim_token=token,
                claimed_at=now,
                # A row still "sending" past its lease may have reached its recipient already (SET sees the
                # old status).
                possible_repeat=sa.case(
                    (OUTBOX.c.status == SENDING, sa.true()), else_=OUTBOX.c.possible_repeat
                ),
            )
        )
    with engine.connect() as conn:
        rows = conn.execute(sa.select(OUTBOX).where(OUTBOX.c.claim_token == token)).all()
    return token, list(rows)


def _mark_sent(engine: Engine, token: str, *, now: datetime) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.claim_token == token, OUTBOX.c.status == SENDING)
            .values(status=SENT, sent_at=now, last_error=None)
        )
    return result.rowcount


def _release_failed(engine: Engine, token: str, *, error: str, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.claim_token == token, OUTBOX.c.status == SENDING)
            .values(
                status=PENDING,
                attempts=OUTBOX.c.attempts + 1,
                last_error=error[:_LAST_ERROR_LIMIT],
                next_attempt_at=now,
                claim_token=None,
            )
        )


def _digest_items(rows: Sequence[Any], as_of: date, base_url: str = "") -> list[DigestItem]:
    ordered = sorted(rows, key=lambda r: (r.urgency, r.deadline or date.max, r.ref or "", r.key))
    return [
        DigestItem(
            ref=r.ref,
            kind=r.kind,
            kind_label=KINDS.get(r.kind, "提醒"),
            deadline=r.deadline,
            overdue=is_overdue(
                r, as_of
            ),  # from the date, never from urgency (an urgent task may be due tomorrow)
            text=r.text,
            link=reminder_link(base_url, kind=r.kind, ref=r.ref, key=str(getattr(r, "key", ""))),
        )
        for r in ordered
    ]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render_digest(
    rows: Sequence[Any], *, settings: Settings, recipient: str, as_of: date
) -> tuple[str, str, str]:
    """Subject, text and HTML of the digest of ``rows`` (outbox rows or objects with the same attributes).

    Lines are sorted by urgency (0 = already late), deadline and reference. The subject carries counts only;
    a digest containing a possible repeat says so in the subject and the body. With ``[desk] base_url`` each line
    links to the desk's page for it, and the footer points there instead of naming commands.
    """
    items = _digest_items(rows, as_of, settings.desk.base_url)
    person = settings.staff_by_id(recipient)
    context = {
        "office": settings.office.name,
        "recipient_name": person.name if person is not None else recipient,
        "as_of": as_of,
        "items": items,
        "count": len(items),
        "overdue_count": sum(1 for item in items if item.overdue),
        "possible_repeat": any(bool(getattr(r, "possible_repeat", False)) for r in rows),
        # The "record it in Gongkai" footer only where there is an application to act on.
        "about_applications": any(str(getattr(r, "key", "")).startswith("app:") for r in rows),
        "about_reviews": any(str(getattr(r, "key", "")).startswith("review:") for r in rows),
        "linked": any(item.link for item in items),
    }
    subject = _one_line(render("notifications/digest_subject.txt.j2", **context))
    text = render("notifications/digest.txt.j2", **context)
    html = render("notifications/digest.html.j2", subject=subject, **context)
    return subject, text, html


def render_alert(rows: Sequence[Any], *, settings: Settings, as_of: date) -> tuple[str, str]:
    """Subject and text of the alert made of the alert rows ``rows``."""
    context = {
        "office": settings.office.name,
        "as_of": as_of,
        "lines": [r.text for r in sorted(rows, key=lambda r: r.key)],
        "possible_repeat": any(bool(getattr(r, "possible_repeat", False)) for r in rows),
        "desk": settings.desk.base_url,
    }
    subject = _one_line(render("notifications/delivery_alert_subject.txt.j2", **context))
    return subject, render("notifications/delivery_alert.txt.j2", **context)


def _deliver_group(
    engine: Engine,
    group: _Group,
    *,
    settings: Settings,
    as_of: date,
    notifier: MessageSender,
    now: Callable[[], datetime],
    faults: Faults,
) -> _Outcome | None:
    """Claim, render, send and mark one recipient's channel; ``None`` when there was nothing left to claim."""
    lease = timedelta(minutes=settings.notifications.lease_minutes)
    faults.hit("before_claim")
    token, rows = _claim(engine, group, now=now(), lease=lease)
    if not rows:
        return None
    faults.hit("after_claim")
    if group.alert:
        title, text = render_alert(rows, settings=settings, as_of=as_of)
        html: str | None = None
    else:
        title, text, html = render_digest(rows, settings=settings, recipient=group.recipient, as_of=as_of)
    repeats = sum(1 for r in rows if r.possible_repeat)
    faults.hit("before_send")
    result = notifier.send(group.target, title=title, text=text, html=html)
    if result.ok:
        faults.hit("after_send_accepted")
        marked = _mark_sent(engine, token, now=now())
        faults.hit("after_mark")
        return _Outcome(ok=True, rows=marked, possible_repeats=repeats if marked else 0)
    error = redact(result.error or "发送失败（原因不明）")
    _release_failed(engine, token, error=error, now=now())
    exhausted = max(r.attempts for r in rows) + 1 >= settings.reminders.max_send_attempts
    log.warning(
        "提醒未能送达 %s 的渠道 %s（%d 条，将重试）：%s", group.recipient, group.target, len(rows), error
    )
    return _Outcome(
        ok=False,
        rows=len(rows),
        error=error,
        permanent=result.permanent,
        exhausted=exhausted,
    )


def _deliver_rounds(
    engine: Engine,
    groups: Sequence[_Group],
    *,
    settings: Settings,
    as_of: date,
    notifier: MessageSender,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    faults: Faults,
    run: _Run,
) -> None:
    """Send every group once, then retry the failed ones after each of ``notifications.retry_delays``."""
    todo = list(groups)
    delays = settings.notifications.retry_delays
    for round_no in range(len(delays) + 1):
        if not todo:
            return
        if round_no:
            sleep(float(delays[round_no - 1]))
        retry: list[_Group] = []
        for group in todo:
            outcome = _deliver_group(
                engine, group, settings=settings, as_of=as_of, notifier=notifier, now=now, faults=faults
            )
            if outcome is None:
                run.errors.pop(group, None)
                continue
            if outcome.ok:
                run.errors.pop(group, None)
                run.messages += int(not group.alert)
                run.alerts += int(group.alert)
                if not group.alert:
                    run.sent += outcome.rows
                    run.possible_repeats += outcome.possible_repeats
                continue
            run.errors[group] = outcome.error or ""
            if not (outcome.permanent or outcome.exhausted):
                retry.append(group)
        todo = retry


def _failing_ids(engine: Engine, groups: Iterable[_Group]) -> set[int]:
    ids: set[int] = set()
    with engine.connect() as conn:
        for group in groups:
            ids.update(
                conn.execute(
                    sa.select(OUTBOX.c.id).where(
                        OUTBOX.c.office_id == group.office_id,
                        OUTBOX.c.recipient == group.recipient,
                        OUTBOX.c.target == group.target,
                        _kind_filter(group.alert),
                        OUTBOX.c.status == PENDING,
                    )
                ).scalars()
            )
    return ids


def _alert_destinations(settings: Settings, failing_targets: set[str]) -> list[tuple[str, str]]:
    """Where to alert: the fallback targets, else the administrators' own targets — never a failing one."""
    fallback = [target for target in settings.notifications.fallback if target not in failing_targets]
    if fallback:
        return [(FALLBACK_RECIPIENT, target) for target in fallback]
    return [
        (admin.id, target)
        for admin in settings.staff_with_role("administrator")
        for target in admin.notify
        if target not in failing_targets
    ]


def _raise_alerts(
    engine: Engine,
    office_id: int,
    failing: dict[_Group, str],
    *,
    settings: Settings,
    as_of: date,
    now: datetime,
) -> None:
    """Write one alert row per failing channel and alert destination (once per business day)."""
    destinations = _alert_destinations(settings, {group.target for group in failing})
    if not destinations:
        log.error(
            "通知渠道发送失败，但没有其他渠道可以提醒管理员：请在 [notifications] fallback 中配置备用渠道，"
            "或为管理员配置第二个通知目标。失败的渠道：%s",
            "、".join(sorted(f"{g.recipient}（{g.target}）" for g in failing)),
        )
        return
    rows: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for group, error in sorted(failing.items(), key=lambda kv: (kv[0].recipient, kv[0].target)):
            pending, attempts = conn.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(OUTBOX.c.attempts), 0)).where(
                    OUTBOX.c.office_id == office_id,
                    OUTBOX.c.recipient == group.recipient,
                    OUTBOX.c.target == group.target,
                    OUTBOX.c.kind != ALERT_KIND,
                    OUTBOX.c.status == PENDING,
                )
            ).one()
            person = settings.staff_by_id(group.recipient)
            who = f"{person.name}（{group.recipient}）" if person is not None else group.recipient
            text = (
                f"{who} 的通知渠道 {group.target} 发送失败：{pending} 条提醒尚未送达"
                f"（最多已尝试 {attempts} 次）。错误：{error}"
            )
            for recipient, target in destinations:
                rows.append(
                    _row(
                        key=f"alert:{group.recipient}:{group.target}:{as_of.isoformat()}",
                        recipient=recipient,
                        target=target,
                        kind=ALERT_KIND,
                        ref=None,
                        deadline=None,
                        urgency=0,
                        text=redact(text),
                        as_of=as_of,
                        created=now,
                    )
                )
    rows.sort(key=lambda r: (r["key"], r["recipient"], r["target"]))
    with engine.begin() as conn:
        _insert_new(conn, office_id, rows)


def deliver(
    engine: Engine,
    *,
    office_id: int,
    settings: Settings,
    as_of: date,
    notifier: MessageSender,
    now: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    faults: Faults | None = None,
) -> DeliveryCounts:
    """Deliver every deliverable outbox row of the office: one digest per recipient and channel, marked sent on success.

    Deliverable: ``pending`` rows whose ``next_attempt_at`` has come, and ``sending`` rows whose claim is older
    than ``notifications.lease_minutes`` (a run died with them; they are sent again labelled "可能重复").
    Failed channels are retried after each of ``notifications.retry_delays`` seconds (``sleep``), except for
    permanent failures (malformed URL, missing variable) and rows that already failed
    ``reminders.max_send_attempts`` times. Channels still failing at the end are reported to the administrators
    on another channel, once per business day (see the module docstring). ``now`` is the clock (timezone-aware);
    ``faults`` lets tests stop the run at each step.
    """
    faults = faults or Faults()
    lease = timedelta(minutes=settings.notifications.lease_minutes)
    run = _Run()
    groups = _due_groups(engine, office_id, now=now(), lease=lease, alert=False)
    _deliver_rounds(
        engine,
        groups,
        settings=settings,
        as_of=as_of,
        notifier=notifier,
        now=now,
        sleep=sleep,
        faults=faults,
        run=run,
    )
    failing = {group: error for group, error in run.errors.items() if not group.alert}
    failed_ids = _failing_ids(engine, failing)
    if failing:
        _raise_alerts(engine, office_id, failing, settings=settings, as_of=as_of, now=now())
    alert_groups = _due_groups(engine, office_id, now=now(), lease=lease, alert=True)
    alert_run = _Run()
    _deliver_rounds(
        engine,
        alert_groups,
        settings=settings,
        as_of=as_of,
        notifier=notifier,
        now=now,
        sleep=sleep,
        faults=faults,
        run=alert_run,
    )
    for group in alert_run.errors:
        log.error("未能提醒管理员：告警经 %s 发送失败，下次运行再试。", group.target)
    owed = outstanding(engine, office_id=office_id, settings=settings, now=now())
    return DeliveryCounts(
        sent=run.sent,
        messages=run.messages,
        failed=len(failed_ids),
        possible_repeats=run.possible_repeats,
        alerts=alert_run.alerts,
        outstanding=owed.total,
        interrupted=owed.interrupted,
        retry_at=owed.retry_at,
    )


__all__ = [
    "ALERT_KIND",
    "DeliveryCounts",
    "DigestItem",
    "FALLBACK_RECIPIENT",
    "FaultPoint",
    "Faults",
    "MessageSender",
    "OUTBOX",
    "OutboxCounts",
    "Outstanding",
    "deliver",
    "outstanding",
    "render_alert",
    "render_digest",
    "write_outbox",
]
