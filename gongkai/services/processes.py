"""The scheduled processes, one service per step: deadline reminders (plan into the outbox, deliver, record the
run), the catalogue update, the content review, the annual report and its January readiness check; and what they
share: "is this period already done?", "record the period once its messages are confirmed", "tell the
administrators".

Each step takes :class:`Works` (the office's settings, its open database, where files go and how messages leave)
and the acting :class:`~gongkai.services.actor.Actor` (``Actor.schedule(process)`` for a schedule; running a
process is open to every actor: it records runs, documents and notices, never a decision of a person) and returns
a frozen dataclass. A run's summary serialises with ``to_json()`` (what Prefect keeps as the flow's result and
``gongkai run --json`` prints, CONTRACT section 1) and is read back with ``from_json()``. The wording of the
artifacts and notices (Chinese, no personal data) is decided here or in the domain, never in a flow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy.engine import Engine

from gongkai.core.clockseam import office_today
from gongkai.core.messages import PlannedReminder, late_note
from gongkai.core.settings import Settings
from gongkai.files.render import md_code, md_escape
from gongkai.notify import outbox
from gongkai.notify.channels import Notifier, SecretLoader
from gongkai.register import repository as register
from gongkai.reminders.plan import plan_reminders as plan_due_reminders
from gongkai.services.actor import Actor
from gongkai.store.db import open_database, session_scope
from gongkai.store.models import ReminderRun, utcnow
from gongkai.store.registerkind import DEMO, DEMO_SUBJECT_PREFIX, ensure_office, register_kind
from gongkai.store.schedule import (
    PROCESSES,
    ScheduledProcess,
    is_done,
    is_stale,
    missed,
    period_of,
    record_completed,
)

PROCESS_BY_NAME: Final[dict[str, ScheduledProcess]] = {p.name: p for p in PROCESSES}


def _utc_now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------------------------
# The office a process works on.


@dataclass(frozen=True)
class Channels:
    """How messages leave: where channel addresses kept as secrets are read (a Prefect Secret block under
    ``gongkai serve``), and the file the ``console`` channel also writes each message to."""

    secret_loader: SecretLoader | None = None
    console_file: Path | None = None


@dataclass(frozen=True)
class Works:
    """What a scheduled process works on: the configuration, the open (migrated, kind-checked) register, the
    working folder for generated files, the channels, and the wall clock (UTC, timezone-aware) that stamps the
    outbox and tells a late run from one on time."""

    settings: Settings
    engine: Engine
    home: Path
    office_id: int
    """The office's row (:func:`open_works` finds it): every session of a step works on this office only."""
    channels: Channels = field(default_factory=Channels)
    now: Callable[[], datetime] = _utc_now

    def today(self) -> date:
        """Today in the office's time zone (by :attr:`now`)."""
        return office_today(self.settings.tz, now=self.now())


@contextmanager
def open_works(
    settings: Settings,
    *,
    home: Path,
    channels: Channels | None = None,
    url: str | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> Iterator[Works]:
    """The configured database (``url``, default the configured one), upgraded if needed and disposed afterwards;
    its kind (demo or a real office's register) held against ``settings`` before any step works on it
    (:class:`~gongkai.store.registerkind.RegisterKindError` otherwise, nothing written)."""
    engine = open_database(url)
    try:
        with session_scope(engine) as session:
            office_id = ensure_office(session, settings).id
        yield Works(settings, engine, home, office_id, channels or Channels(), now)
    finally:
        engine.dispose()


def works_on(settings: Settings, engine: Engine, home: Path) -> Works:
    """What a process works on in an engine the caller keeps open (the supervisor's catch-up and retry watcher):
    the configuration's office found and its kind checked first, as :func:`open_works` does."""
    with session_scope(engine) as session:
        office_id = ensure_office(session, settings).id
    return Works(settings, engine, home, office_id)


# --------------------------------------------------------------------------------------------------------------
# What every process shares: its period, its messages.


def _process(name: str) -> ScheduledProcess:
    return PROCESS_BY_NAME[name]


def period_done(works: Works, process: str, as_of: date) -> bool:
    """Whether the period of ``as_of`` (or a later one) is recorded as done for the scheduled ``process``
    (``reminders``, ``catalogue``, ``review``, ``report_readiness``): a scheduled run then does nothing."""
    p = _process(process)
    with session_scope(works.engine, works.office_id) as session:
        return is_done(session, p.flow_name, period_of(p.period, as_of))


@dataclass(frozen=True)
class OpenPeriod:
    """A scheduled process's current period (by its ``[schedules]`` entry at some moment) not done yet."""

    process: str
    flow_name: str
    as_of: date
    """The business date to run it for: the day of the schedule's latest occurrence."""
    period: str
    stale: bool
    """Too old to be worth doing now (``stale_after_days``): it is only recorded, see :func:`close_stale_period`."""


def open_period(works: Works, process: str, now: datetime) -> OpenPeriod | None:
    """The period ``process`` should have done by ``now`` (timezone-aware) and has not, or None."""
    p = _process(process)
    tz = works.settings.tz
    with session_scope(works.engine, works.office_id) as session:
        day = missed(session, p, getattr(works.settings.schedules, process), tz, now)
    if day is None:
        return None
    stale = is_stale(p, day, now.astimezone(tz).date())
    return OpenPeriod(process, p.flow_name, day, period_of(p.period, day), stale)


def close_stale_period(works: Works, actor: Actor, due: OpenPeriod) -> None:
    """Record a period too old to be worth doing as done, without running it (a January reminder caught up in
    March would only confuse)."""
    with session_scope(works.engine, works.office_id) as session:
        record_completed(session, due.flow_name, due.period)


def owed_messages(works: Works, process: str, now: datetime) -> outbox.Outstanding:
    """What the outbox still owes ``process`` (the messages its period waits for) at ``now``."""
    return outbox.outstanding(
        works.engine,
        office_id=works.office_id,
        settings=works.settings,
        now=now,
        kinds=_process(process).outbox_kinds,
    )


@dataclass(frozen=True)
class Skipped:
    """A scheduled run that found its period already done."""

    as_of: date

    def to_json(self) -> dict[str, Any]:
        """``as_of`` and ``skipped``."""
        return {"as_of": self.as_of.isoformat(), "skipped": True}


@dataclass(frozen=True)
class Settlement:
    """Whether a run's period was recorded as done, and what the outbox still owes it (it is recorded only once
    every message it waits for is confirmed delivered, so an interrupted or failed delivery is retried)."""

    done: bool
    outstanding: int = 0
    interrupted: int = 0
    retry_at: datetime | None = None

    @classmethod
    def of(cls, owed: outbox.Outstanding) -> Settlement:
        """From what the outbox owes."""
        return cls(owed.total == 0, owed.total, owed.interrupted, owed.retry_at)

    def to_json(self) -> dict[str, Any]:
        """``done``, ``outstanding``, ``interrupted``, ``retry_at`` (ISO 8601 UTC, or null)."""
        return {
            "done": self.done,
            "outstanding": self.outstanding,
            "interrupted": self.interrupted,
            "retry_at": self.retry_at.isoformat() if self.retry_at is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Settlement:
        """Read back :meth:`to_json`."""
        retry_at = data.get("retry_at")
        return cls(
            bool(data["done"]),
            int(data["outstanding"]),
            int(data["interrupted"]),
            datetime.fromisoformat(retry_at) if retry_at else None,
        )


def _owed(works: Works, kinds: frozenset[str] | None) -> outbox.Outstanding:
    return outbox.outstanding(
        works.engine, office_id=works.office_id, settings=works.settings, now=works.now(), kinds=kinds
    )


def settle_period(works: Works, actor: Actor, process: str, as_of: date) -> Settlement:
    """Record the period of ``as_of`` as done for ``process`` unless messages it waits for (its
    ``outbox_kinds``) are still unconfirmed."""
    p = _process(process)
    owed = _owed(works, p.outbox_kinds)
    if owed.total == 0:
        with session_scope(works.engine, works.office_id) as session:
            record_completed(session, p.flow_name, period_of(p.period, as_of))
    return Settlement.of(owed)


@dataclass(frozen=True)
class Delivered:
    """What one delivery of the outbox did (see :class:`gongkai.notify.outbox.DeliveryCounts`)."""

    sent: int = 0
    messages: int = 0
    failed: int = 0
    possible_repeats: int = 0
    alerts: int = 0

    def to_json(self) -> dict[str, int]:
        """The five counts."""
        return {
            "sent": self.sent,
            "messages": self.messages,
            "failed": self.failed,
            "possible_repeats": self.possible_repeats,
            "alerts": self.alerts,
        }


def deliver(works: Works, actor: Actor, as_of: date) -> Delivered:
    """Deliver what the outbox holds (one digest per person and channel, each reminder once), with the configured
    channels; on the demo register every title starts with 【演示】. Every process that queues messages ends here."""
    with session_scope(works.engine, works.office_id) as session:
        demo = register_kind(session) == DEMO
    notifier = Notifier(
        secret_loader=works.channels.secret_loader,
        console_file=works.channels.console_file,
        title_prefix=DEMO_SUBJECT_PREFIX if demo else "",
    )
    counts = outbox.deliver(
        works.engine,
        office_id=works.office_id,
        settings=works.settings,
        as_of=as_of,
        notifier=notifier,
        now=works.now,
    )
    return Delivered(counts.sent, counts.messages, counts.failed, counts.possible_repeats, counts.alerts)


@dataclass(frozen=True)
class Notice:
    """One message to the administrators (or to ``recipients``), sent once per ``key`` and retried like the
    reminders. ``text`` carries counts, periods and file names, never applicants' personal data."""

    key: str
    kind: str
    text: str
    ref: str | None = None
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoticeSent:
    """What :func:`notify_administrators` did: rows due, and delivered or failed in this run."""

    due: int
    sent: int
    failed: int


def notify_administrators(works: Works, actor: Actor, as_of: date, notice: Notice) -> NoticeSent:
    """Queue ``notice`` in the outbox (once per key; nothing else superseded) and deliver the outbox."""
    settings = works.settings
    admins = notice.recipients or tuple(s.id for s in settings.staff if s.has_role("administrator"))
    planned = [
        PlannedReminder(key=notice.key, recipients=admins, kind=notice.kind, ref=notice.ref, deadline=None,
                        urgency=1, text=notice.text)
    ]  # fmt: skip
    with session_scope(works.engine, works.office_id) as session:
        # Only this key: an empty plan for everything else must not supersede today's reminders.
        counts = outbox.write_outbox(
            session, planned, settings=settings, as_of=as_of, now=works.now(), supersede=False
        )
    sent = deliver(works, actor, as_of)
    return NoticeSent(counts.due, sent.sent, sent.failed)


# --------------------------------------------------------------------------------------------------------------
# Deadline reminders (daily).


@dataclass(frozen=True)
class PlanCounts:
    """What planning the day's reminders into the outbox did (see :class:`gongkai.notify.outbox.OutboxCounts`)."""

    due: int = 0
    new: int = 0
    already_sent: int = 0
    superseded: int = 0
    escalated: int = 0
    unroutable: int = 0

    def to_json(self) -> dict[str, int]:
        """The six counts."""
        return {
            "due": self.due,
            "new": self.new,
            "already_sent": self.already_sent,
            "superseded": self.superseded,
            "escalated": self.escalated,
            "unroutable": self.unroutable,
        }


def plan_reminders(works: Works, actor: Actor, as_of: date) -> PlanCounts:
    """Decide which reminders are due on the business date ``as_of`` and write them to the outbox.

    Idempotent: the outbox's unique key makes a retried or overlapping run add nothing twice; pending reminders
    that today's plan no longer contains are superseded (no stale flood)."""
    settings = works.settings
    with session_scope(works.engine, works.office_id) as session:
        calendar = register.load_calendar(session)
        planned = plan_due_reminders(session, settings=settings, calendar=calendar, as_of=as_of)
        c = outbox.write_outbox(session, planned, settings=settings, as_of=as_of, now=works.now())
    return PlanCounts(c.due, c.new, c.already_sent, c.superseded, c.escalated, c.unroutable)


_REMINDER_LABELS: Final = (
    ("due", "今日应提醒（条×渠道）"),
    ("new", "新写入待发"),
    ("sent", "已发送"),
    ("failed", "发送失败（下次重试）"),
    ("already_sent", "此前已发送"),
    ("superseded", "被更新的提醒取代"),
    ("escalated", "升级给负责人/管理员"),
    ("unroutable", "收件人未配置通知渠道"),
    ("messages", "发出的汇总消息"),
    ("possible_repeats", "可能重复的重发"),
    ("alerts", "发给管理员的送达告警"),
    ("outstanding", "尚未确认送达（将重试）"),
    ("interrupted", "其中发送被中断（租约到期后重发，标注可能重复）"),
)


@dataclass(frozen=True)
class ReminderRunSummary:
    """One day's reminder run: planned, delivered, and whether the day is done."""

    as_of: date
    planned: PlanCounts
    delivered: Delivered
    settled: Settlement

    def to_json(self) -> dict[str, Any]:
        """``as_of``, the plan's counts, the delivery's counts, the settlement (CONTRACT section 1)."""
        return {
            "as_of": self.as_of.isoformat(),
            **self.planned.to_json(),
            **self.delivered.to_json(),
            **self.settled.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReminderRunSummary:
        """Read back :meth:`to_json`."""
        return cls(
            date.fromisoformat(data["as_of"]),
            PlanCounts(*(int(data[k]) for k in PlanCounts().to_json())),
            Delivered(*(int(data[k]) for k in Delivered().to_json())),
            Settlement.from_json(data),
        )

    def markdown(self) -> str:
        """The run as a Markdown table for the Prefect UI (counts only, no personal data)."""
        values = self.to_json()
        lines = [f"## 期限提醒 {self.as_of.isoformat()}", "", "| 项目 | 数量 |", "| --- | ---: |"]
        lines += [f"| {label} | {values.get(key, 0)} |" for key, label in _REMINDER_LABELS]
        if self.settled.retry_at is not None:
            lines += [
                "",
                f"最早可重试时间（UTC）：{self.settled.retry_at.isoformat()}；本日期在全部送达前不记为已完成。",
            ]
        return "\n".join(lines) + "\n"


def record_reminder_run(
    works: Works,
    actor: Actor,
    as_of: date,
    planned: PlanCounts,
    delivered: Delivered,
    flow_run_id: str | None = None,
) -> ReminderRunSummary:
    """Store the run's summary and mark the business day done when every reminder is confirmed delivered
    (otherwise the day stays open: the next run or the service's retry finishes it)."""
    p = _process("reminders")
    with session_scope(works.engine, works.office_id) as session:
        owed = _owed(works, p.outbox_kinds)
        session.add(
            ReminderRun(
                as_of=as_of,
                finished_at=utcnow(),
                due=planned.due,
                sent=delivered.sent,
                failed=delivered.failed,
                escalated=planned.escalated,
                already_sent=planned.already_sent,
                superseded=planned.superseded,
                flow_run_id=flow_run_id,
            )
        )
        if owed.total == 0:
            record_completed(session, p.flow_name, period_of(p.period, as_of))
    return ReminderRunSummary(as_of, planned, delivered, Settlement.of(owed))


# --------------------------------------------------------------------------------------------------------------
# Catalogue update (quarterly).


@dataclass(frozen=True)
class CatalogueCounts:
    """What a catalogue update produced: the quarter, its entries, the changes since the last snapshot (counts
    per ``added``, ``changed``, ``repealed``, ``withdrawn``), the completeness findings and the files written."""

    as_of: date
    period: str
    entries: int
    diff: Mapping[str, int]
    findings: int
    files: Mapping[str, str]

    def to_json(self) -> dict[str, Any]:
        """``as_of``, ``period``, ``entries``, ``diff``, ``findings``, ``files``."""
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period,
            "entries": self.entries,
            "diff": dict(self.diff),
            "findings": self.findings,
            "files": dict(self.files),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogueCounts:
        """Read back :meth:`to_json`."""
        return cls(
            date.fromisoformat(data["as_of"]),
            str(data["period"]),
            int(data["entries"]),
            {str(k): int(v) for k, v in data["diff"].items()},
            int(data["findings"]),
            {str(k): str(v) for k, v in data["files"].items()},
        )


@dataclass(frozen=True)
class CatalogueUpdated:
    """The catalogue step's result: the counts, the Prefect artifact, the owner's notice."""

    counts: CatalogueCounts
    markdown: str
    notice: Notice


def update_catalogue(works: Works, actor: Actor, as_of: date) -> CatalogueUpdated:
    """Build the catalogue and the guide for the quarter before ``as_of``, diff against the last snapshot, check
    completeness, store the snapshot; word the summary for the catalogue owner (else the first administrator)."""
    from gongkai.catalogue.build import digest_text, quarter_of
    from gongkai.catalogue.build import summary_markdown as catalogue_markdown
    from gongkai.catalogue.build import update_catalogue as build_catalogue

    settings = works.settings
    period, _, _ = quarter_of(as_of)
    with session_scope(works.engine, works.office_id) as session:
        update = build_catalogue(
            session,
            settings=settings,
            calendar=register.load_calendar(session),
            as_of=as_of,
            out_dir=works.home / "catalogue" / period,
        )
    counts = CatalogueCounts(
        as_of,
        update.period,
        update.entries,
        {k: len(v) for k, v in update.diff.as_dict().items()},
        len(update.findings),
        {k: str(v) for k, v in update.files.items()},
    )
    owner = settings.catalogue.owner or next(s.id for s in settings.staff if s.has_role("administrator"))
    text = digest_text(
        update, public_url=settings.catalogue.public_url, late_note=late_note(as_of, works.today())
    )
    notice = Notice(
        f"catalogue:{update.period}:{as_of.isoformat()}", "catalogue", text, update.period, (owner,)
    )
    return CatalogueUpdated(counts, catalogue_markdown(update), notice)


@dataclass(frozen=True)
class CatalogueRunSummary:
    """A catalogue-update run: the update's counts, and whether its quarter is done (the owner's notice
    confirmed delivered)."""

    counts: CatalogueCounts
    settled: Settlement

    def to_json(self) -> dict[str, Any]:
        """The counts and the settlement, one object."""
        return {**self.counts.to_json(), **self.settled.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CatalogueRunSummary:
        """Read back :meth:`to_json`."""
        return cls(CatalogueCounts.from_json(data), Settlement.from_json(data))


# --------------------------------------------------------------------------------------------------------------
# Content review (weekly).


@dataclass(frozen=True)
class ReviewCounts:
    """What a content review found (``found``), opened (``new``), left open or closed, the tasks waiting
    (``open``, of them ``overdue`` and ``urgent``), findings per kind, notices queued, and the year's figures."""

    as_of: date
    period: str
    found: int
    new: int
    still_open: int
    already_done: int
    closed: int
    open: int
    overdue: int
    urgent: int
    by_kind: Mapping[str, int]
    notices: int
    figures: Mapping[str, int]

    def to_json(self) -> dict[str, Any]:
        """Every field, ``by_kind`` and ``figures`` as objects."""
        return {
            "as_of": self.as_of.isoformat(),
            "period": self.period,
            "found": self.found,
            "new": self.new,
            "still_open": self.still_open,
            "already_done": self.already_done,
            "closed": self.closed,
            "open": self.open,
            "overdue": self.overdue,
            "urgent": self.urgent,
            "by_kind": dict(self.by_kind),
            "notices": self.notices,
            "figures": dict(self.figures),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewCounts:
        """Read back :meth:`to_json`."""
        return cls(
            as_of=date.fromisoformat(data["as_of"]),
            period=str(data["period"]),
            found=int(data["found"]),
            new=int(data["new"]),
            still_open=int(data["still_open"]),
            already_done=int(data["already_done"]),
            closed=int(data["closed"]),
            open=int(data["open"]),
            overdue=int(data["overdue"]),
            urgent=int(data["urgent"]),
            by_kind={str(k): int(v) for k, v in data["by_kind"].items()},
            notices=int(data["notices"]),
            figures={str(k): int(v) for k, v in data["figures"].items()},
        )


@dataclass(frozen=True)
class ReviewFound:
    """The review step's result: the counts and the Prefect artifact."""

    counts: ReviewCounts
    markdown: str


def review_content(works: Works, actor: Actor, as_of: date, flow_run_id: str | None = None) -> ReviewFound:
    """Find what needs reviewing, open or close the review tasks, store the run and queue the owners' notices.

    Idempotent: tasks and notices are keyed (a retried or overlapping run adds nothing twice) and all of it is
    written in one transaction, so a crash leaves either the whole run or nothing."""
    from gongkai.review.periodic import history, run_review, year_figures
    from gongkai.review.periodic import summary_markdown as review_markdown

    settings = works.settings
    with session_scope(works.engine, works.office_id) as session:
        result = run_review(
            session,
            settings=settings,
            calendar=register.load_calendar(session),
            as_of=as_of,
            flow_run_id=flow_run_id,
        )
        # Supersedes only this process's notices of earlier weeks still pending (this week's plan replaces them).
        queued = outbox.write_outbox(session, result.notices, settings=settings, as_of=as_of, now=works.now(),
                                     supersede={"review"})  # fmt: skip
        figures = year_figures(session, as_of.year)
        recent = history(session, since=as_of - timedelta(days=7))
    c = result.counts
    counts = ReviewCounts(
        as_of, result.period, c["found"], c["new"], c["still_open"], c["already_done"], c["closed"], c["open"],
        c["overdue"], c["urgent"], dict(c["by_kind"]), queued.due, figures,
    )  # fmt: skip
    names = {s.id: s.name for s in settings.staff}
    return ReviewFound(counts, review_markdown(result, figures, names=names, recent=recent))


@dataclass(frozen=True)
class ReviewRunSummary:
    """A content-review run: what it found, what its notices' delivery did, whether its week is done."""

    counts: ReviewCounts
    delivered: Delivered
    settled: Settlement

    def to_json(self) -> dict[str, Any]:
        """The counts, ``sent``, ``failed``, ``messages`` and the settlement, one object."""
        d = self.delivered
        return {
            **self.counts.to_json(),
            "sent": d.sent,
            "failed": d.failed,
            "messages": d.messages,
            **self.settled.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReviewRunSummary:
        """Read back :meth:`to_json`."""
        delivered = Delivered(
            sent=int(data["sent"]), messages=int(data["messages"]), failed=int(data["failed"])
        )
        return cls(ReviewCounts.from_json(data), delivered, Settlement.from_json(data))


# --------------------------------------------------------------------------------------------------------------
# Annual report (each January) and its readiness (daily in January).


def _clause(text: str) -> str:
    return text.rstrip("。；; ")


@dataclass(frozen=True)
class ReportBuilt:
    """A new version of the annual report: its files per format, the identities that do not hold (I1–I5), the
    warnings (I6–I8), what is missing and which narrative sections are unfinished."""

    year: int
    version: int
    files: Mapping[str, str]
    failed_identities: Sequence[str]
    warnings: Sequence[str]
    missing: Sequence[str]
    unfinished: Sequence[str]
    narrative_file: str

    def to_json(self) -> dict[str, Any]:
        """Every field (CONTRACT section 1: ``gongkai run report --json``)."""
        return {
            "year": self.year,
            "version": self.version,
            "files": dict(self.files),
            "failed_identities": list(self.failed_identities),
            "warnings": list(self.warnings),
            "missing": list(self.missing),
            "unfinished": list(self.unfinished),
            "narrative_file": self.narrative_file,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportBuilt:
        """Read back :meth:`to_json`."""
        return cls(
            int(data["year"]),
            int(data["version"]),
            {str(k): str(v) for k, v in data["files"].items()},
            [str(x) for x in data["failed_identities"]],
            [str(x) for x in data["warnings"]],
            [str(x) for x in data["missing"]],
            [str(x) for x in data["unfinished"]],
            str(data["narrative_file"]),
        )

    def markdown(self) -> str:
        """The Prefect artifact: the files, the identities, warnings, what is missing."""
        lines = [f"## {self.year} 年度报告第 {self.version} 版", "", "| 格式 | 文件 |", "| --- | --- |"]
        lines += [f"| {md_escape(fmt)} | {md_code(path)} |" for fmt, path in self.files.items()]
        lines += ["", f"勾稽关系不成立：{md_escape('、'.join(self.failed_identities) or '无')}"]
        lines += [f"- 提示 {md_escape(w)}" for w in self.warnings]
        lines += [f"- 缺数据：{md_escape(m)}" for m in self.missing]
        if self.unfinished:
            lines.append(
                f"- 叙述待填写：{md_escape('、'.join(self.unfinished))}（{md_code(self.narrative_file)}）"
            )
        return "\n".join(lines) + "\n"

    def notice_text(self) -> str:
        """The administrator's message: formats and the folder they are in, the identities, what is missing,
        what the narrative still needs. Sentences end once (the parts quoted may end with their own 。)."""
        files = {fmt: Path(path) for fmt, path in self.files.items()}
        parts = [f"{self.year} 年度报告第 {self.version} 版已生成（{'、'.join(files) or '无文件'}）"]
        if files:
            parts[0] += f"，文件在文件夹 {next(iter(files.values())).parent} 中"
        failed = self.failed_identities
        parts.append(f"勾稽关系不成立：{'、'.join(failed)}" if failed else "勾稽关系检查通过")
        if self.missing:
            parts.append("尚缺：" + "；".join(_clause(m) for m in self.missing))
        if self.unfinished:
            parts.append(f"叙述待填写：{'、'.join(self.unfinished)}（编辑文件 {self.narrative_file}）")
        return "".join(f"{_clause(p)}。" for p in parts)

    def notice(self) -> Notice:
        """The administrators' notice of this version (once per version)."""
        return Notice(f"report:{self.year}:v{self.version}", "report", self.notice_text(), str(self.year))


REPORT_FORMATS: Final = ("json", "html", "md", "docx", "pdf")


def build_annual_report(works: Works, actor: Actor, year: int) -> ReportBuilt:
    """Compute the statistics of ``year``, check the identities, store a new version (recorded as built by
    ``actor``) and write every format."""
    from gongkai.report.build import build_report

    with session_scope(works.engine, works.office_id) as session:
        result = build_report(
            session,
            settings=works.settings,
            year=year,
            home=works.home,
            by=actor.name,
            formats=REPORT_FORMATS,
        )
    return ReportBuilt(
        year,
        result.version,
        {fmt: str(path) for fmt, path in result.files.items()},
        [c.id for c in result.hard_failures],
        [f"{c.id}：{c.message}" for c in result.warnings],
        list(result.missing),
        list(result.unfinished),
        str(result.narrative_file),
    )


@dataclass(frozen=True)
class Readiness:
    """What still stands between ``year``'s report and a final version."""

    year: int
    final: bool
    open_applications: int
    missing_figures: Sequence[str]
    unfinished_narrative: Sequence[str]
    narrative_file: str

    def to_json(self) -> dict[str, Any]:
        """Every field."""
        return {
            "year": self.year,
            "final": self.final,
            "open_applications": self.open_applications,
            "missing_figures": list(self.missing_figures),
            "unfinished_narrative": list(self.unfinished_narrative),
            "narrative_file": self.narrative_file,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Readiness:
        """Read back :meth:`to_json`."""
        return cls(
            int(data["year"]),
            bool(data["final"]),
            int(data["open_applications"]),
            [str(x) for x in data["missing_figures"]],
            [str(x) for x in data["unfinished_narrative"]],
            str(data["narrative_file"]),
        )


@dataclass(frozen=True)
class ReadinessChecked:
    """The readiness step's result, with the administrators' notice (None once the report is final)."""

    readiness: Readiness
    notice: Notice | None


def check_readiness(works: Works, actor: Actor, as_of: date) -> ReadinessChecked:
    """What is still missing before last year's report (the year before ``as_of``) can be made final, worded
    for the administrators (a run caught up on a later day says so)."""
    from gongkai.report.build import readiness, readiness_text

    year = as_of.year - 1
    with session_scope(works.engine, works.office_id) as session:
        state = readiness(session, year=year, home=works.home)
    found = Readiness.from_json(state)
    if found.final:
        return ReadinessChecked(found, None)
    text = late_note(as_of, works.today()) + readiness_text(state, base_url=works.settings.desk.base_url)
    return ReadinessChecked(
        found, Notice(f"report-readiness:{year}:{as_of.isoformat()}", "report_readiness", text, str(year))
    )


@dataclass(frozen=True)
class ReadinessRunSummary:
    """An annual-report-readiness run: the state, and whether its day is done (the notice delivered)."""

    readiness: Readiness
    settled: Settlement

    def to_json(self) -> dict[str, Any]:
        """The readiness and the settlement, one object."""
        return {**self.readiness.to_json(), **self.settled.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReadinessRunSummary:
        """Read back :meth:`to_json`."""
        return cls(Readiness.from_json(data), Settlement.from_json(data))
