"""The periodic content review (issue 6; ogi-rules.md 3.3): what to look at again, as review tasks.

:func:`find` reads the catalogue as of a business date and returns :class:`Finding` values:

* ``rereview`` — a published item whose last review is older than its category's interval
  (``[review] interval_days`` / ``category_intervals``). The clock runs from the latest of the
  publication date, the last pre-publication review (``item_review``) and the last outcome recorded
  here; recording an outcome (keep, update…) therefore starts the next interval;
* ``validity_ended`` — a published item still marked in force after its ``valid_until`` day;
* ``repealed_listed`` — a published item marked in force although its repeal date has come;
* ``pii`` — a resident ID number (valid check character) or mobile number in the published text
  (title, summary, document number) — urgent, to the owner and the administrators;
* ``column_empty`` / ``column_stale`` — a configured website column (``[[review.columns]]``) with
  nothing published, or nothing published for longer than its kind allows (U12: news 2 weeks,
  policy 6 months, other 1 year; an outcome recorded for the column counts as an update check);
* ``withheld`` — information withheld (attribute 不予公开, or a pre-publication review that said
  withhold) whose last assessment is older than ``withheld_interval_days`` (Art. 18);
* ``draft`` — a proactive item formed (or changed after publication) without a pre-publication
  review since, oldest first, with the Art. 26 date it puts at risk (Art. 17).

:func:`sync_tasks` turns findings into :class:`~gongkai.store.models.ReviewTask` rows under each
finding's key: a new key opens a task, a key already open is seen again, a key recorded as done is
never raised again, and an open task no longer found is closed (resolved by other means). Keys carry
the date the situation started (the review due date, the validity end, the Art. 26 start) or a
fingerprint of the numbers found, so that a new situation opens a new task.

:func:`record_outcome` records what the reviewer decided (keep / update / withdraw / mark repealed /
publish now / keep withholding) with reviewer, date and reason, applies it to the item in the same
transaction and closes the task. Overdue tasks are escalated by the daily reminder service
(:mod:`gongkai.reminders.plan`), like overdue applications.

Privacy: findings name items by index number and never carry their text; the personal-data finding
says what kind of number was found and where, never the number.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.dates import fmt_day
from gongkai.core.errors import InputError
from gongkai.core.messages import PlannedReminder
from gongkai.core.officescope import in_office, office_of
from gongkai.core.settings import COLUMN_KIND_LABELS, Settings
from gongkai.files.render import md_escape
from gongkai.register.deadlines import publication_due, publication_start
from gongkai.register.workcal import WorkCalendar
from gongkai.review.pii import PiiMatch, describe, find_pii, fingerprint
from gongkai.store.db import insert_ignoring_conflicts, keys_in
from gongkai.store.models import (
    ItemReview,
    ProactiveItem,
    ReviewRecord,
    ReviewRun,
    ReviewTask,
    utcnow,
)
from gongkai.store.schedule import period_of
from gongkai.store.tables import ITEM, ITEM_REVIEW, REVIEW_RECORD, REVIEW_RUN, REVIEW_TASK
from gongkai.store.yearlock import ensure_unlocked

KINDS: Final[dict[str, str]] = {
    "pii": "公开内容含个人信息",
    "repealed_listed": "已废止仍标注有效",
    "validity_ended": "有效期届满",
    "rereview": "已公开信息定期复查",
    "column_empty": "网站栏目空白",
    "column_stale": "网站栏目未及时更新",
    "withheld": "不予公开信息定期评估",
    "draft": "待发布前审查",
}
"""Every finding kind with its Chinese label, in the order findings are listed."""

OUTCOMES: Final[dict[str, str]] = {
    "keep": "保留（无需改动）",
    "update": "已更新",
    "withdraw": "撤下",
    "repealed": "标注废止",
    "publish": "予以公开",
    "withhold": "继续不予公开",
}
"""Outcome codes a reviewer records, with their Chinese labels."""

_OUTCOME_ALIASES: Final[dict[str, str]] = {
    **{code: code for code in OUTCOMES},
    **{label: code for code, label in OUTCOMES.items()},
    "保留": "keep",
    "维持": "keep",
    "无需改动": "keep",
    "更新": "update",
    "修改": "update",
    "修改后公开": "update",
    "撤回": "withdraw",
    "撤下": "withdraw",
    "废止": "repealed",
    "已废止": "repealed",
    "公开": "publish",
    "立即公开": "publish",
    "不予公开": "withhold",
    "继续不公开": "withhold",
}

PUBLISHED_KINDS: Final = frozenset({"pii", "repealed_listed", "validity_ended", "rereview"})
COLUMN_KINDS: Final = frozenset({"column_empty", "column_stale"})

ALLOWED: Final[dict[str, tuple[str, ...]]] = {
    "pii": ("update", "withdraw", "keep"),
    "repealed_listed": ("repealed", "withdraw", "keep"),
    "validity_ended": ("repealed", "update", "withdraw", "keep"),
    "rereview": ("keep", "update", "withdraw", "repealed"),
    "column_empty": ("update", "keep"),
    "column_stale": ("update", "keep"),
    "withheld": ("publish", "withhold"),
    "draft": ("publish", "update", "withhold"),
}
"""Which outcomes fit which kind of task (``update`` on a draft = publish after redaction)."""

_OUTCOME_HELP: Final[dict[tuple[str, str], str]] = {
    ("draft", "update"): "修改（删除不宜公开的内容）后公开",
    ("column_empty", "update"): "栏目已更新",
    ("column_stale", "update"): "栏目已更新",
    ("column_empty", "keep"): "已核实，暂无需更新",
    ("column_stale", "keep"): "已核实，暂无需更新",
    ("pii", "update"): "已删除或遮盖个人信息",
    ("pii", "keep"): "经核实可以公开（如依法公示的信息）",
}

_BATCH: Final = 5000


def outcome_label(kind: str, outcome: str) -> str:
    """What ``outcome`` means for a task of ``kind``, in Chinese."""
    return _OUTCOME_HELP.get((kind, outcome), OUTCOMES.get(outcome, outcome))


def find_outcome(text: str) -> str | None:
    """The outcome code for a code or a Chinese label (``保留``, ``撤下``…), or None."""
    return _OUTCOME_ALIASES.get(text.strip().lower()) or _OUTCOME_ALIASES.get(text.strip())


# -- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing found by a review run; ``text`` is one Chinese line without personal data."""

    key: str
    kind: str
    ref: str  # the item's index number or the column's name
    item_id: int | None
    column: str | None
    owner_id: str | None
    urgent: bool
    since: date  # the date the situation started (oldest first within a kind)
    deadline: date | None
    text: str


@dataclass
class _ItemFacts:
    """What the review needs of one item, beyond its row."""

    last_review: date | None = None  # the latest pre-publication review (item_review)
    last_review_result: str | None = None
    last_outcome: date | None = None  # the latest outcome recorded here (review_record)


def _facts(session: Session) -> dict[int, _ItemFacts]:
    facts: dict[int, _ItemFacts] = defaultdict(_ItemFacts)
    rows = session.execute(
        sa.select(ITEM_REVIEW.c.item_id, ITEM_REVIEW.c.reviewed_on, ITEM_REVIEW.c.result)
        .where(in_office(session, ITEM_REVIEW))
        .order_by(ITEM_REVIEW.c.item_id, ITEM_REVIEW.c.reviewed_on, ITEM_REVIEW.c.id)
    )
    for item_id, reviewed_on, result in rows:
        f = facts[item_id]
        f.last_review, f.last_review_result = reviewed_on, result
    for item_id, last in session.execute(
        sa.select(REVIEW_RECORD.c.item_id, sa.func.max(REVIEW_RECORD.c.reviewed_on))
        .where(in_office(session, REVIEW_RECORD), REVIEW_RECORD.c.item_id.is_not(None))
        .group_by(REVIEW_RECORD.c.item_id)
    ):
        facts[item_id].last_outcome = last
    return facts


def _latest(*days: date | None) -> date | None:
    present = [d for d in days if d is not None]
    return max(present) if present else None


def _is_published(r: Any, as_of: date) -> bool:
    return (
        r.attribute == "proactive"
        and r.published_on is not None
        and r.published_on <= as_of
        and (r.withdrawn_on is None or r.withdrawn_on > as_of)
    )


def find(session: Session, *, settings: Settings, calendar: WorkCalendar, as_of: date) -> list[Finding]:
    """Every finding of the content review as of ``as_of`` (see the module docstring), in the order of
    :data:`KINDS`, oldest first within a kind."""
    cfg = settings.review
    configured = {s.id for s in settings.staff}
    facts = _facts(session)
    c = ITEM.c
    rows = session.execute(
        sa.select(
            c.id, c.index_no, c.title, c.summary, c.doc_number, c.category, c.attribute, c.validity,
            c.valid_until, c.repealed_on, c.published_on, c.withdrawn_on, c.generated_on, c.changed_on,
            c.review_required, c.owner_id,
        ).where(in_office(session, ITEM)).order_by(c.id)
    ).all()  # fmt: skip
    out: list[Finding] = []
    last_published: dict[str, date] = {}
    calendar.prepare(as_of.year - 1, as_of.year + 1)

    def add(kind: str, key: str, r: Any, since: date, text: str, *, urgent: bool = False,
            deadline: date | None = None) -> None:  # fmt: skip
        owner = r.owner_id if r.owner_id in configured else None
        out.append(Finding(key, kind, r.index_no, r.id, None, owner, urgent, since, deadline, text))

    def draft(r: Any, f: _ItemFacts) -> None:
        start = publication_start(r)
        if start is None or not r.review_required or start > as_of:
            return
        if f.last_review is not None and f.last_review >= start:
            return  # reviewed since it was formed or changed: publication is the owner's next step
        deadline = publication_due(r, calendar)
        assert deadline is not None  # a start date gives a due date
        if as_of <= deadline:
            left = f"还有 {calendar.workdays_until(as_of, deadline)} 个工作日"
        else:
            left = f"已过 {calendar.workdays_until(deadline, as_of)} 个工作日"
        what = "形成" if r.published_on is None else "变更（公开后）"
        add("draft", f"draft:{r.id}:{start.isoformat()}", r, start,
            f"{r.index_no}：{fmt_day(start)}{what}，尚无发布前审查记录；第二十六条公开期限 {fmt_day(deadline)}"
            f"（{left}），请先审查再公开（第十七条）", deadline=deadline)  # fmt: skip

    for r in rows:
        f = facts.get(r.id) or _ItemFacts()
        if _is_published(r, as_of):
            if r.published_on > last_published.get(r.category, date.min):
                last_published[r.category] = r.published_on
            _published_item(r, f, cfg.interval_for(r.category), as_of, add)
            draft(r, f)  # changed after publication: the change is reviewed before it is published
            continue
        if r.withdrawn_on is not None and r.withdrawn_on <= as_of:
            continue  # withdrawn (whatever its attribute): nothing to publish, assess or review
        withheld = r.attribute == "not_public" or (
            r.attribute == "proactive" and r.published_on is None and f.last_review_result == "withhold"
        )
        if withheld:
            last = _latest(r.generated_on, f.last_review, f.last_outcome)
            assert last is not None
            due = last + timedelta(days=cfg.withheld_interval_days)
            if due <= as_of:
                add("withheld", f"withheld:{r.id}:{due.isoformat()}", r, due,
                    f"{r.index_no}：不予公开的信息，上次评估 {fmt_day(last)}，已满 {cfg.withheld_interval_days} 天，"
                    "请评估是否因情势变化可以公开（第十八条）")  # fmt: skip
            continue
        draft(r, f)

    checks = _column_checks(session) if cfg.columns else {}
    for column in cfg.columns:
        _column(column.name, column.kind, column.categories, cfg.stale_days_for(column), as_of, last_published,
                checks, out)  # fmt: skip
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda x: (order[x.kind], x.since, x.ref))


def published_text(item: ProactiveItem | Any) -> tuple[tuple[str, str | None], ...]:
    """The fields of an item that are published as text, with their Chinese labels (what the personal-data
    scan reads)."""
    return (("名称", item.title), ("内容概述", item.summary), ("文号", item.doc_number))


def pii_task_key(item_id: int, matches: Iterable[PiiMatch]) -> str:
    """The key of the personal-data task on an item for the numbers found: a recorded outcome holds for
    these numbers (other numbers make a new task)."""
    return f"pii:{item_id}:{fingerprint(matches)}"


def _published_item(r: Any, f: _ItemFacts, interval: int, as_of: date, add: Any) -> None:
    matches = find_pii(published_text(r), today=as_of)
    if matches:
        add("pii", pii_task_key(r.id, matches), r, r.published_on,
            f"{r.index_no}：已公开的内容中有{describe(matches)}，请立即删除或遮盖后更新，或先撤下",
            urgent=True)  # fmt: skip
    if r.validity != "in_force":
        return  # repealed items stay listed as repealed; nothing to re-review
    if r.repealed_on is not None and r.repealed_on <= as_of:
        add("repealed_listed", f"repealed:{r.id}:{r.repealed_on.isoformat()}", r, r.repealed_on,
            f"{r.index_no}：{fmt_day(r.repealed_on)} 已废止，目录中仍标注为有效，请标注废止或撤下")  # fmt: skip
        return
    if r.valid_until is not None and r.valid_until < as_of:
        add(
            "validity_ended",
            f"validity:{r.id}:{r.valid_until.isoformat()}",
            r,
            r.valid_until,
            f"{r.index_no}：有效期至 {fmt_day(r.valid_until)}，已届满仍标注为有效，请确认已废止、已延续或需要更新",
        )
        return  # fmt: skip
    last = _latest(r.published_on, f.last_review, f.last_outcome)
    assert last is not None
    due = last + timedelta(days=interval)
    if due <= as_of:
        add("rereview", f"rereview:{r.id}:{due.isoformat()}", r, due,
            f"{r.index_no}：已公开信息上次审查 {fmt_day(last)}，已满 {interval} 天，"
            "请复查是否仍然准确、有效、可以公开")  # fmt: skip


def _column_checks(session: Session) -> dict[str, date]:
    """The last outcome recorded for each website column."""
    return {
        name: last
        for name, last in session.execute(
            sa.select(REVIEW_RECORD.c.column_name, sa.func.max(REVIEW_RECORD.c.reviewed_on))
            .where(in_office(session, REVIEW_RECORD), REVIEW_RECORD.c.column_name.is_not(None))
            .group_by(REVIEW_RECORD.c.column_name)
        )
    }


def _column(
    name: str,
    kind: str,
    categories: Sequence[str],
    stale_days: int,
    as_of: date,
    last_published: Mapping[str, date],
    checks: Mapping[str, date],
    out: list[Finding],
) -> None:
    published = [last_published[c] for c in categories if c in last_published]
    last = _latest(max(published) if published else None, checks.get(name))
    label = f"网站栏目“{name}”（{COLUMN_KIND_LABELS[kind]}）"
    if last is None:
        out.append(
            Finding(
                f"column:{name}:empty",
                "column_empty",
                name,
                None,
                name,
                None,
                False,
                as_of,
                None,
                f"{label}没有任何已公开的信息（类别：{'、'.join(categories)}），空白栏目会被检查扣分",
            )
        )
        return  # fmt: skip
    if (as_of - last).days > stale_days:
        out.append(Finding(f"column:{name}:{last.isoformat()}", "column_stale", name, None, name, None, False,
                           last, None,
                           f"{label}最近一次更新 {fmt_day(last)}，已 {(as_of - last).days} 天未更新"
                           f"（要求 {stale_days} 天内），请更新或核实"))  # fmt: skip


# -- tasks ---------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    """What one review run did to the tasks (ids of the tasks concerned)."""

    found: int = 0
    new: list[int] = field(default_factory=list)
    still_open: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    already_done: int = 0
    closed: list[int] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)


def task_due(calendar: WorkCalendar, settings: Settings, found_on: date, *, urgent: bool,
             deadline: date | None) -> date:  # fmt: skip
    """The day by which an outcome is expected: ``task_days`` working days after it was found
    (``urgent_task_days`` for urgent ones), never after the legal date at stake."""
    days = settings.review.urgent_task_days if urgent else settings.review.task_days
    due = calendar.add_workdays(found_on, days) if days else found_on
    return min(due, deadline) if deadline is not None and deadline >= found_on else due


def sync_tasks(
    session: Session,
    findings: Sequence[Finding],
    *,
    settings: Settings,
    calendar: WorkCalendar,
    as_of: date,
) -> SyncResult:
    """Open, refresh, reopen and close review tasks for one run's findings (in the caller's
    transaction). A key recorded as done stays done; two overlapping runs open a task once (the
    database's unique key decides)."""
    result = SyncResult(found=len(findings))
    by_key = {f.key: f for f in findings}
    result.by_kind.update(f.kind for f in findings)
    existing: dict[str, tuple[int, str]] = {}
    changed_text: list[dict[str, Any]] = []
    keys = sorted(by_key)
    dialect = session.get_bind().dialect.name
    for start in range(0, len(keys), _BATCH):
        for task_id, key, status, detail in session.execute(
            sa.select(REVIEW_TASK.c.id, REVIEW_TASK.c.key, REVIEW_TASK.c.status, REVIEW_TASK.c.detail)
            .where(in_office(session, REVIEW_TASK), keys_in(REVIEW_TASK.c.key, keys[start : start + _BATCH], dialect))
        ):  # fmt: skip
            existing[key] = (task_id, status)
            if status != "done" and detail != by_key[key].text:
                changed_text.append({"task_id": task_id, "text": by_key[key].text})
    created = utcnow()
    new_rows = [
        {
            "key": f.key,
            "kind": f.kind,
            "item_id": f.item_id,
            "column_name": f.column,
            "owner_id": f.owner_id,
            "urgent": f.urgent,
            "found_on": as_of,
            "due_on": task_due(calendar, settings, as_of, urgent=f.urgent, deadline=f.deadline),
            "last_found_on": as_of,
            "deadline": f.deadline,
            "detail": f.text,
            "status": "open",
            "closed_on": None,
            "created_at": created,
        }
        for key, f in sorted(by_key.items())
        if key not in existing
    ]
    # Only the rows actually inserted come back: an overlapping run that opened a task first keeps it.
    office_id = office_of(session)
    result.new = insert_ignoring_conflicts(
        session,
        REVIEW_TASK,
        [{**row, "office_id": office_id} for row in new_rows],
        conflict=["office_id", "key"],
        returning=REVIEW_TASK.c.id,
    )
    seen: list[int] = []
    for task_id, status in existing.values():
        if status == "done":
            result.already_done += 1
        elif status == "closed":
            result.reopened.append(task_id)
        else:
            seen.append(task_id)
    for start in range(0, len(seen), _BATCH):
        session.execute(
            sa.update(REVIEW_TASK)
            .where(
                in_office(session, REVIEW_TASK),
                REVIEW_TASK.c.id.in_(seen[start : start + _BATCH]),
                REVIEW_TASK.c.last_found_on < as_of,
            )
            .values(last_found_on=as_of)
        )
    if changed_text:
        # What is still open is described as of this run ("还有 3 个工作日", "已 21 天未更新"): only the
        # tasks whose text changed (drafts, stale columns) are rewritten.
        session.execute(
            sa.update(REVIEW_TASK)
            .where(in_office(session, REVIEW_TASK), REVIEW_TASK.c.id == sa.bindparam("task_id"))
            .values(detail=sa.bindparam("text")),
            changed_text,
        )
    keys_by_id = {task_id: key for key, (task_id, _) in existing.items()}
    for task_id in result.reopened:  # rare: one statement each, with the due day of a new task
        f = by_key[keys_by_id[task_id]]
        session.execute(
            sa.update(REVIEW_TASK)
            .where(in_office(session, REVIEW_TASK), REVIEW_TASK.c.id == task_id)
            .values(status="open", closed_on=None, last_found_on=as_of,
                    due_on=task_due(calendar, settings, as_of, urgent=f.urgent, deadline=f.deadline))
        )  # fmt: skip
    result.still_open = seen
    # Open tasks this run did not find any more were resolved another way: close them.
    gone = [
        task_id
        for task_id, key in session.execute(
            sa.select(REVIEW_TASK.c.id, REVIEW_TASK.c.key).where(
                in_office(session, REVIEW_TASK),
                REVIEW_TASK.c.status == "open",
                REVIEW_TASK.c.found_on <= as_of,
            )
        )
        if key not in by_key
    ]
    for start in range(0, len(gone), _BATCH):
        session.execute(
            sa.update(REVIEW_TASK)
            .where(in_office(session, REVIEW_TASK), REVIEW_TASK.c.id.in_(gone[start : start + _BATCH]))
            .values(status="closed", closed_on=as_of)
        )
    result.closed = gone
    session.flush()
    return result


# -- a run: findings, tasks, notices, the stored result ---------------------------------------------


@dataclass
class ReviewResult:
    """What one content-review run produced (plain values: counts, task summaries, notices)."""

    as_of: date
    period: str
    sync: SyncResult
    notices: list[PlannedReminder]
    open_tasks: list[dict[str, Any]]
    counts: dict[str, Any]


def _recipients(settings: Settings, owner_id: str | None, *, urgent: bool) -> tuple[str, ...]:
    owner = owner_id if owner_id is not None and settings.staff_by_id(owner_id) else settings.review_owner.id
    if not urgent:
        return (owner,)
    admins = tuple(s.id for s in settings.staff_with_role("administrator"))
    return tuple(dict.fromkeys((owner, *admins)))


def list_tasks(session: Session, *, as_of: date | None = None, ids: Iterable[int] | None = None,
               status: str | None = "open", kind: str | None = None, owner: str | None = None,
               limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    """Tasks as plain dicts (joined with the item's index number), most urgent first (``limit`` and ``offset``:
    one page of them)."""
    t, c = REVIEW_TASK.c, ITEM.c
    query = sa.select(
        t.id, t.key, t.kind, t.item_id, t.column_name, t.owner_id, t.urgent, t.found_on, t.due_on,
        t.last_found_on, t.deadline, t.detail, t.status, t.closed_on, c.index_no,
    ).select_from(REVIEW_TASK.outerjoin(ITEM, c.id == t.item_id)).where(in_office(session, REVIEW_TASK))  # fmt: skip
    if status is not None:
        query = query.where(t.status == status)
    if kind is not None:
        query = query.where(t.kind == kind)
    if owner is not None:
        query = query.where(t.owner_id == owner)
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return []
        query = query.where(t.id.in_(wanted))
    query = query.order_by(sa.desc(t.urgent), t.due_on, t.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for row in session.execute(query):
        d = dict(row._mapping)
        d["ref"] = d.pop("index_no") or d["column_name"] or ""
        d["kind_label"] = KINDS.get(d["kind"], d["kind"])
        d["overdue"] = d["status"] == "open" and as_of is not None and d["due_on"] < as_of
        out.append(d)
    return out


def count_tasks(session: Session, *, status: str | None = "open", kind: str | None = None,
                owner: str | None = None) -> int:  # fmt: skip
    """How many tasks :func:`list_tasks` lists with these filters (without ``limit``)."""
    t = REVIEW_TASK.c
    query = sa.select(sa.func.count()).select_from(REVIEW_TASK).where(in_office(session, REVIEW_TASK))
    for column, value in ((t.status, status), (t.kind, kind), (t.owner_id, owner)):
        if value is not None:
            query = query.where(column == value)
    return int(session.execute(query).scalar_one())


def notices(settings: Settings, calendar: WorkCalendar, as_of: date, tasks: Sequence[Mapping[str, Any]],
            new_ids: set[int], period: str) -> list[PlannedReminder]:  # fmt: skip
    """The messages of a review run: each open task once a week, marked 【新】 the first time (overdue
    ones are escalated daily by the reminder service instead). One key per task and week, whatever
    the wording: retried or overlapping runs of the same week plan the same reminder."""
    out = []
    for t in tasks:
        is_new = t["id"] in new_ids or t["found_on"] == as_of
        if t["due_on"] < as_of:
            continue
        left = calendar.workdays_until(as_of, t["due_on"])
        urgency = 0 if t["urgent"] else 1 + max(0, left)
        head = "【新】" if is_new else "【待处理】"
        command = "" if settings.desk.base_url else f"（gongkai review record {t['id']} --outcome …）"
        text = (f"{head}检查任务 #{t['id']}（{t['kind_label']}）：{t['detail']}。请于 {fmt_day(t['due_on'])} 前处理并登记结果"
                f"{command}")  # fmt: skip
        key = f"review:{t['id']}:{period}"
        out.append(
            PlannedReminder(key, _recipients(settings, t["owner_id"], urgent=t["urgent"]), "review", t["ref"],
                            t["due_on"], urgency, text)
        )  # fmt: skip
    return out


def run_review(
    session: Session,
    *,
    settings: Settings,
    calendar: WorkCalendar,
    as_of: date,
    flow_run_id: str | None = None,
) -> ReviewResult:
    """One content review: find, sync the tasks, plan the notices and store the run (in the caller's
    transaction; the notices are written to the outbox by the caller in the same transaction)."""
    findings = find(session, settings=settings, calendar=calendar, as_of=as_of)
    sync = sync_tasks(session, findings, settings=settings, calendar=calendar, as_of=as_of)
    period = period_of("week", as_of)
    tasks = list_tasks(session, as_of=as_of)
    planned = notices(settings, calendar, as_of, tasks, set(sync.new) | set(sync.reopened), period)
    counts: dict[str, Any] = {
        "found": sync.found,
        "new": len(sync.new) + len(sync.reopened),
        "still_open": len(sync.still_open),
        "already_done": sync.already_done,
        "closed": len(sync.closed),
        "open": len(tasks),
        "overdue": sum(1 for t in tasks if t["overdue"]),
        "urgent": sum(1 for t in tasks if t["urgent"]),
        "by_kind": {k: sync.by_kind.get(k, 0) for k in KINDS},
    }
    summaries = [
        {k: _plain(t[k]) for k in ("id", "kind", "ref", "owner_id", "urgent", "found_on", "due_on", "detail")}
        for t in tasks[:500]
    ]
    session.add(
        ReviewRun(
            as_of=as_of,
            period=period,
            counts=json.dumps(counts, ensure_ascii=False),
            findings=json.dumps(summaries, ensure_ascii=False),
            flow_run_id=flow_run_id,
        )
    )
    session.flush()
    return ReviewResult(as_of, period, sync, planned, tasks, counts)


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


# -- recording an outcome ------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """What :func:`record_outcome` did."""

    task_id: int
    kind: str
    ref: str
    outcome: str
    effect: str  # what changed on the item, in Chinese


def record_outcome(
    session: Session,
    task_id: int,
    *,
    outcome: str,
    reviewer: str,
    reviewed_on: date,
    reason: str,
    by: str,
    as_of: date,
    repealed_on: date | None = None,
) -> Recorded:
    """Record the reviewer's decision on a task and apply it to the item (in the caller's transaction).

    Refused with an :class:`InputError` in Chinese: an unknown task, a task already done, an outcome
    that does not fit the task, a missing reviewer or reason, a date after ``as_of``, "updated" on a
    personal-data task while the item's text still contains such numbers.
    """

    task = session.get(ReviewTask, task_id)
    if task is None:
        raise InputError(f"没有编号为 {task_id} 的检查任务（可用 gongkai review list 查看）。")
    if task.status == "done":
        raise InputError(
            f"检查任务 #{task_id} 已于 {task.closed_on} 登记处理结果，不能重复登记（可用 gongkai review show {task_id} 查看）。"
        )
    code = find_outcome(outcome)
    allowed = ALLOWED[task.kind]
    choices = "、".join(f"{c}（{outcome_label(task.kind, c)}）" for c in allowed)
    if code is None:
        raise InputError(f"处理结果“{outcome[:20]}”无法识别：{KINDS[task.kind]}任务可登记 {choices}。")
    if code not in allowed:
        raise InputError(f"{KINDS[task.kind]}任务不能登记“{OUTCOMES[code]}”：可登记 {choices}。")
    if not reviewer.strip():
        raise InputError("审查人（--reviewer）不能为空。")
    if len(reviewer.strip()) > 100:
        raise InputError("审查人（--reviewer）最长 100 个字符。")
    if not reason.strip():
        raise InputError("处理理由（--reason）不能为空：请写明依据或做了什么，例如“经复查内容仍然有效”。")
    if reviewed_on > as_of:
        raise InputError(
            f"审查日期 {reviewed_on.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记。"
        )
    if reviewed_on < task.found_on - timedelta(days=366):
        raise InputError(
            f"审查日期 {reviewed_on.isoformat()} 早于任务发现日期 {task.found_on} 一年以上，请核对。"
        )
    item = session.get(ProactiveItem, task.item_id) if task.item_id is not None else None
    if item is not None and reviewed_on < item.generated_on:
        raise InputError(
            f"审查日期 {reviewed_on.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}，请核对。"
        )
    if (
        item is not None
        and task.kind in PUBLISHED_KINDS
        and item.published_on
        and reviewed_on < item.published_on
    ):
        raise InputError(
            f"审查日期 {reviewed_on.isoformat()} 早于该信息的公开日期 {item.published_on.isoformat()}：已公开信息的检查"
            "结果应在公开之后登记，请核对。"
        )
    ref = item.index_no if item is not None else (task.column_name or "")
    effect = (
        f"已记录栏目“{task.column_name}”的检查结果，该栏目的更新期限从 {reviewed_on.isoformat()} 起重新计算"
        if task.column_name
        else "无"
    )
    if item is not None:
        effect = _apply(session, task, item, code, reviewer.strip(), reviewed_on, reason.strip(), by,
                        repealed_on, as_of)  # fmt: skip
    session.add(
        ReviewRecord(
            task_id=task.id,
            kind=task.kind,
            item_id=task.item_id,
            column_name=task.column_name,
            outcome=code,
            reviewer=reviewer.strip(),
            reviewed_on=reviewed_on,
            reason=reason.strip(),
            recorded_by=by,
        )
    )
    task.status, task.closed_on = "done", reviewed_on
    session.add(task)
    session.flush()
    return Recorded(task_id, task.kind, ref, code, effect)


def _apply(
    session: Session,
    task: ReviewTask,
    item: ProactiveItem,
    code: str,
    reviewer: str,
    on: date,
    reason: str,
    by: str,
    repealed_on: date | None,
    as_of: date,
) -> str:
    """Apply an outcome to the item; returns what changed, in Chinese."""
    effect = "无（已记录审查结果）"
    if task.kind == "pii" and code == "update":
        left = find_pii(published_text(item), today=as_of)
        if left:
            raise InputError(
                f"{item.index_no} 的内容中仍有{describe(left)}：请先更正条目内容（gongkai item import 更新该条），"
                "再登记“已更新”；如确需保留，请登记 keep 并写明依据。"
            )
    if code == "withdraw":
        if item.withdrawn_on is None:
            item.withdrawn_on = on
            effect = f"已登记于 {on.isoformat()} 撤下"
        else:
            effect = f"该信息已于 {item.withdrawn_on.isoformat()} 撤下（未改动）"
    elif code == "repealed":
        when = repealed_on or item.repealed_on or on
        if when > as_of:
            raise InputError(f"废止日期 {when.isoformat()} 晚于今天（{as_of.isoformat()}）。")
        if when < item.generated_on:
            raise InputError(
                f"废止日期 {when.isoformat()} 早于该信息的生成日期 {item.generated_on.isoformat()}。"
            )
        ensure_unlocked(session, since=when, until=None)
        item.validity, item.repealed_on = "repealed", when
        effect = f"已标注为于 {when.isoformat()} 废止"
    elif code in ("publish", "update") and task.kind in ("withheld", "draft"):
        result = "publish_redacted" if code == "update" else "publish"
        session.add(ItemReview(item_id=item.id or 0, reviewer=reviewer, reviewed_on=on, result=result,
                               note=reason, recorded_by=by))  # fmt: skip
        item.attribute, item.attribute_reason = "proactive", None
        item.published_on = on
        effect = (
            f"审查结论：{'修改后公开' if code == 'update' else '予以公开'}；已登记于 {on.isoformat()} 公开"
        )
    elif code == "withhold":
        session.add(ItemReview(item_id=item.id or 0, reviewer=reviewer, reviewed_on=on, result="withhold",
                               legal_ground=reason, recorded_by=by))  # fmt: skip
        if item.attribute != "not_public":
            item.attribute, item.attribute_reason = "not_public", reason
            effect = "审查结论：不予公开；公开属性已改为不予公开"
        else:
            effect = "审查结论：继续不予公开"
    item.updated_at = utcnow()
    session.add(item)
    return effect


# -- history and the year's figures ----------------------------------------------------------------


def history(session: Session, *, year: int | None = None, task_id: int | None = None,
            item_id: int | None = None, since: date | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Recorded outcomes, oldest first (filtered by year of the review date, task, item, or review date
    on or after ``since``)."""
    r, c = REVIEW_RECORD.c, ITEM.c
    query = sa.select(
        r.id, r.task_id, r.kind, r.item_id, r.column_name, r.outcome, r.reviewer, r.reviewed_on, r.reason,
        r.recorded_at, r.recorded_by, c.index_no,
    ).select_from(REVIEW_RECORD.outerjoin(ITEM, c.id == r.item_id)).where(in_office(session, REVIEW_RECORD))  # fmt: skip
    if year is not None:
        query = query.where(r.reviewed_on.between(date(year, 1, 1), date(year, 12, 31)))
    if task_id is not None:
        query = query.where(r.task_id == task_id)
    if item_id is not None:
        query = query.where(r.item_id == item_id)
    if since is not None:
        query = query.where(r.reviewed_on >= since)
    out = []
    for row in session.execute(query.order_by(r.reviewed_on, r.id)):
        d = dict(row._mapping)
        d["ref"] = d.pop("index_no") or d["column_name"] or ""
        d["kind_label"] = KINDS.get(d["kind"], d["kind"])
        d["outcome_label"] = outcome_label(d["kind"], d["outcome"])
        out.append(d)
    return out


def year_figures(session: Session, year: int) -> dict[str, int]:
    """The year's review figures for the annual report's narrative and ``gongkai review history``.

    ``runs``: days the content review ran; ``prepublication``: pre-publication reviews recorded
    (``item_review``); the rest count outcomes recorded here by review date.
    """
    lo, hi = date(year, 1, 1), date(year, 12, 31)
    runs = session.execute(
        sa.select(sa.func.count(sa.distinct(REVIEW_RUN.c.as_of))).where(
            in_office(session, REVIEW_RUN), REVIEW_RUN.c.as_of.between(lo, hi)
        )
    ).scalar_one()
    prepublication = session.execute(
        sa.select(sa.func.count())
        .select_from(ITEM_REVIEW)
        .where(in_office(session, ITEM_REVIEW), ITEM_REVIEW.c.reviewed_on.between(lo, hi))
    ).scalar_one()
    rows = session.execute(
        sa.select(REVIEW_RECORD.c.kind, REVIEW_RECORD.c.outcome, sa.func.count())
        .where(in_office(session, REVIEW_RECORD), REVIEW_RECORD.c.reviewed_on.between(lo, hi))
        .group_by(REVIEW_RECORD.c.kind, REVIEW_RECORD.c.outcome)
    ).all()
    by: Counter[tuple[str, str]] = Counter({(k, o): int(n) for k, o, n in rows})

    def total(kinds: Iterable[str], outcomes: Iterable[str] | None = None) -> int:
        ks, os_ = set(kinds), set(outcomes) if outcomes is not None else None
        return sum(n for (k, o), n in by.items() if k in ks and (os_ is None or o in os_))

    return {
        "runs": int(runs),
        "prepublication": int(prepublication),
        "published_reviewed": total(PUBLISHED_KINDS),
        "updated": total(PUBLISHED_KINDS, ("update",)),
        "withdrawn": total(PUBLISHED_KINDS, ("withdraw",)),
        "repealed": total(PUBLISHED_KINDS, ("repealed",)),
        "pii": total(("pii",)),
        "withheld_assessed": total(("withheld",)),
        "made_public": total(("withheld",), ("publish",)),
        "drafts_reviewed": total(("draft",)),
        "columns_checked": total(COLUMN_KINDS),
    }


def narrative_sentence(figures: Mapping[str, int], year: int) -> str:
    """One sentence for section 一 of the annual report quoting the year's review figures.

    Counted in 条/次/处, never 件: identity I8 checks numbers in 件 after phrases such as 废止 and
    不予公开 against the tables, and these are not table figures.
    """
    if not figures.get("runs") and not any(v for k, v in figures.items() if k != "runs"):
        return ""
    parts = [
        f"审查机制方面，{year}年开展定期内容检查{figures['runs']}次，发布前审查信息{figures['prepublication']}条"
    ]
    if figures["published_reviewed"]:
        parts.append(
            f"复查已公开信息{figures['published_reviewed']}条（其中更新{figures['updated']}条、撤下"
            f"{figures['withdrawn']}条、标注失效{figures['repealed']}条）"
        )
    if figures["withheld_assessed"]:
        parts.append(
            f"评估暂不公开的信息{figures['withheld_assessed']}条（其中转为主动公开{figures['made_public']}条）"
        )
    if figures["pii"]:
        parts.append(f"发现并处理公开内容中的个人信息隐患{figures['pii']}处")
    if figures["columns_checked"]:
        parts.append(f"处理网站栏目更新问题{figures['columns_checked']}次")
    return "，".join(parts) + "。"


def summary_markdown(run: ReviewResult, figures: Mapping[str, int], *, names: Mapping[str, str],
                     recent: Sequence[Mapping[str, Any]] = (), limit: int = 50) -> str:  # fmt: skip
    """The Prefect artifact of a run: counts by kind, the open tasks, the outcomes recorded since the last
    week (``recent``, from :func:`history`), the year's figures (no personal data: items by index number,
    staff by name; reasons are the reviewers' own words). Every value quoted is escaped by
    :func:`gongkai.files.render.md_escape`."""
    md = md_escape
    c = run.counts
    lines = [
        f"## 定期内容检查 {run.as_of.isoformat()}（{md(run.period)}）",
        "",
        f"本次发现 {c['found']} 项：新任务 {c['new']} 个，仍未处理 {c['still_open']} 个，已处理不再提示 "
        f"{c['already_done']} 个，情况已消除自动关闭 {c['closed']} 个。",
        f"待处理任务共 {c['open']} 个，其中紧急 {c['urgent']} 个、逾期 {c['overdue']} 个。",
        "",
        "| 检查项 | 本次发现 |",
        "| --- | ---: |",
    ]
    lines += [f"| {md(label)} | {c['by_kind'].get(k, 0)} |" for k, label in KINDS.items()]
    lines += ["", f"### 待处理任务（前 {min(limit, len(run.open_tasks))} 个）", ""]
    if run.open_tasks:
        lines += [
            "| 任务 | 检查项 | 条目/栏目 | 负责人 | 处理期限 | 说明 |",
            "| ---: | --- | --- | --- | --- | --- |",
        ]
        for t in run.open_tasks[:limit]:
            due = (
                t["due_on"].isoformat()
                + ("（逾期）" if t["overdue"] else "")
                + ("（紧急）" if t["urgent"] else "")
            )
            owner = names.get(t["owner_id"] or "", "（默认负责人）")
            detail = str(t["detail"]).replace("|", "｜")
            lines.append(
                f"| #{t['id']} | {md(t['kind_label'])} | {md(t['ref'])} | {md(owner)} | {due} | {md(detail)} |"
            )
    else:
        lines.append("无。")
    lines += ["", "### 最近 7 天登记的处理结果", ""]
    if recent:
        lines += [
            "| 日期 | 任务 | 检查项 | 条目/栏目 | 审查人 | 结果 | 理由 |",
            "| --- | ---: | --- | --- | --- | --- | --- |",
        ]
        for r in list(recent)[-limit:]:
            reason = str(r["reason"]).replace("|", "｜")
            lines.append(f"| {r['reviewed_on'].isoformat()} | #{r['task_id']} | {md(r['kind_label'])} | {md(r['ref'])} | "
                         f"{md(r['reviewer'])} | {md(r['outcome_label'])} | {md(reason)} |")  # fmt: skip
    else:
        lines.append("无。")
    lines += ["", f"### {run.as_of.year} 年检查情况", ""]
    labels = {
        "runs": "定期检查次数", "prepublication": "发布前审查（条）", "published_reviewed": "复查已公开信息（条）",
        "updated": "其中更新", "withdrawn": "其中撤下", "repealed": "其中标注废止", "pii": "个人信息隐患处理（处）",
        "withheld_assessed": "不予公开信息评估（条）", "made_public": "其中转为公开", "drafts_reviewed": "待审查任务处理（条）",
        "columns_checked": "网站栏目问题处理（次）",
    }  # fmt: skip
    lines += ["| 项目 | 数量 |", "| --- | ---: |"] + [
        f"| {md(v)} | {figures.get(k, 0)} |" for k, v in labels.items()
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "ALLOWED",
    "KINDS",
    "OUTCOMES",
    "Finding",
    "Recorded",
    "SyncResult",
    "count_tasks",
    "find",
    "find_outcome",
    "history",
    "narrative_sentence",
    "list_tasks",
    "record_outcome",
    "run_review",
    "summary_markdown",
    "sync_tasks",
    "year_figures",
]
