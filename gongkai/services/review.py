"""The periodic content review as people work it: the task list, one task with the outcomes it allows, recording
a reviewer's outcome (which updates the item), and a year's records and figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from gongkai.core.errors import InputError, NotFound
from gongkai.services.actor import Actor, require_work
from gongkai.services.office import Office
from gongkai.services.paging import Paged, clamp_page


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date) else value


@dataclass(frozen=True)
class ReviewRecord:
    """A recorded outcome of a review task."""

    id: int
    task_id: int
    kind: str
    ref: str
    outcome: str
    reviewer: str
    reviewed_on: date
    reason: str
    recorded_by: str
    recorded_at: datetime
    kind_label: str
    outcome_label: str

    @classmethod
    def of(cls, rec: Mapping[str, Any]) -> ReviewRecord:
        """From a row of :func:`gongkai.review.periodic.history`."""
        return cls(**{f.name: rec[f.name] for f in fields(cls)})

    def to_json(self) -> dict[str, Any]:
        """The record as ``--json`` prints it (labels left out)."""
        keep = [f.name for f in fields(self) if f.name not in ("kind_label", "outcome_label")]
        return {k: _plain(getattr(self, k)) for k in keep}


@dataclass(frozen=True)
class ReviewTask:
    """A task the content review found (an item or column to look at, its owner and due date)."""

    id: int
    kind: str
    item_id: int | None
    column_name: str | None
    owner_id: str | None
    urgent: bool
    found_on: date
    due_on: date
    last_found_on: date
    deadline: date | None
    detail: str
    status: str
    closed_on: date | None
    ref: str
    kind_label: str
    overdue: bool

    @classmethod
    def of(cls, task: Mapping[str, Any]) -> ReviewTask:
        """From a row of :func:`gongkai.review.periodic.list_tasks`."""
        return cls(**{f.name: task[f.name] for f in fields(cls)})

    def to_json(self) -> dict[str, Any]:
        """The task as ``--json`` prints it (dates ISO)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class AllowedOutcome:
    """An outcome a task's kind allows, with its Chinese label."""

    outcome: str
    label: str


@dataclass(frozen=True)
class ReviewTaskDetail:
    """One task, the outcomes it allows and the outcomes recorded."""

    task: ReviewTask
    allowed: tuple[AllowedOutcome, ...]
    records: tuple[ReviewRecord, ...]

    def to_json(self) -> dict[str, Any]:
        """The task's object plus ``allowed_outcomes`` and ``records``."""
        return {
            **self.task.to_json(),
            "allowed_outcomes": [{"outcome": a.outcome, "label": a.label} for a in self.allowed],
            "records": [r.to_json() for r in self.records],
        }


def check_kind(kind: str | None) -> None:
    """Refuse a check kind that does not exist, listing those that do."""
    from gongkai.review import periodic as rv

    if kind is not None and kind not in rv.KINDS:
        raise InputError(
            f"检查项“{kind}”无效，应为 {'、'.join(f'{k}（{v}）' for k, v in rv.KINDS.items())} 之一。"
        )


def list_review_tasks(
    office: Office,
    actor: Actor,
    *,
    status: str | None = "open",
    kind: str | None = None,
    owner: str | None = None,
) -> list[ReviewTask]:
    """Review tasks (``status`` None: all), urgent and soon due first."""
    from gongkai.review import periodic as rv

    del actor  # any staff member may read the tasks
    check_kind(kind)
    found = rv.list_tasks(office.session, as_of=office.as_of, status=status, kind=kind, owner=owner)
    return [ReviewTask.of(t) for t in found]


@dataclass(frozen=True)
class ReviewTaskPage(Paged):
    """One page of review tasks (:func:`review_task_page`): the tasks shown, how many match, the page (from 1)
    and its size."""

    tasks: tuple[ReviewTask, ...]
    total: int
    page: int
    size: int


def review_task_page(
    office: Office,
    actor: Actor,
    *,
    status: str | None = "open",
    kind: str | None = None,
    owner: str | None = None,
    page: int = 1,
    size: int = 50,
) -> ReviewTaskPage:
    """One page of :func:`list_review_tasks` (urgent and soonest due first), read in SQL."""
    from gongkai.review import periodic as rv

    del actor  # any staff member may read the tasks
    check_kind(kind)
    total = rv.count_tasks(office.session, status=status, kind=kind, owner=owner)
    page = clamp_page(page, total, size)
    found = rv.list_tasks(office.session, as_of=office.as_of, status=status, kind=kind, owner=owner,
                          limit=size, offset=(page - 1) * size)  # fmt: skip
    return ReviewTaskPage(tuple(ReviewTask.of(t) for t in found), total, page, size)


def review_kinds() -> Mapping[str, str]:
    """Every kind of review task with its Chinese label, in the order findings are listed."""
    from gongkai.review import periodic as rv

    return dict(rv.KINDS)


def review_task(office: Office, actor: Actor, task_id: int) -> ReviewTaskDetail:
    """One task with its allowed outcomes and the outcomes recorded."""
    from gongkai.review import periodic as rv

    del actor  # any staff member may read the tasks
    found = rv.list_tasks(office.session, as_of=office.as_of, ids=[task_id], status=None)
    if not found:
        raise NotFound(f"没有编号为 {task_id} 的检查任务（可用 gongkai review list 查看）。")
    task = ReviewTask.of(found[0])
    allowed = tuple(AllowedOutcome(o, rv.outcome_label(task.kind, o)) for o in rv.ALLOWED[task.kind])
    records = tuple(ReviewRecord.of(r) for r in rv.history(office.session, task_id=task_id))
    return ReviewTaskDetail(task, allowed, records)


@dataclass(frozen=True)
class OutcomeRecorded:
    """A recorded outcome and what it did to the item (``effect``, Chinese)."""

    task_id: int
    kind: str
    kind_label: str
    ref: str
    outcome: str
    outcome_label: str
    effect: str


def record_review_outcome(
    office: Office,
    actor: Actor,
    task_id: int,
    *,
    outcome: str,
    reviewer: str,
    reason: str,
    reviewed_on: date | None = None,
    repealed_on: date | None = None,
) -> OutcomeRecorded:
    """Record the reviewer's outcome of a task (any staff member; ``reviewed_on`` defaults to the business date)
    and apply it to the item; recorded as ``actor``."""
    require_work(actor, "登记定期检查结果")
    from gongkai.review import periodic as rv

    done = rv.record_outcome(
        office.session,
        task_id,
        outcome=outcome,
        reviewer=reviewer,
        reviewed_on=reviewed_on or office.as_of,
        reason=reason,
        by=actor.name,
        as_of=office.as_of,
        repealed_on=repealed_on,
    )
    return OutcomeRecorded(
        done.task_id,
        done.kind,
        rv.KINDS[done.kind],
        done.ref,
        done.outcome,
        rv.outcome_label(done.kind, done.outcome),
        done.effect,
    )


@dataclass(frozen=True)
class ReviewYear:
    """A year's recorded outcomes, its figures and the sentence the annual report's narrative can quote."""

    year: int
    figures: Mapping[str, int]
    records: tuple[ReviewRecord, ...]
    sentence: str | None

    def to_json(self) -> dict[str, Any]:
        """``year``, ``figures``, ``records``."""
        return {
            "year": self.year,
            "figures": dict(self.figures),
            "records": [r.to_json() for r in self.records],
        }


def review_year(office: Office, actor: Actor, year: int | None = None) -> ReviewYear:
    """The year's (default: the business date's) review records and figures."""
    from gongkai.review import periodic as rv

    del actor  # any staff member may read the records
    y = year or office.as_of.year
    records = tuple(ReviewRecord.of(r) for r in rv.history(office.session, year=y))
    figures = rv.year_figures(office.session, y)
    return ReviewYear(y, figures, records, rv.narrative_sentence(figures, y) or None)


def item_review_records(office: Office, item_id: int) -> tuple[ReviewRecord, ...]:
    """The content-review outcomes recorded for one item, oldest first."""
    from gongkai.review import periodic as rv

    return tuple(ReviewRecord.of(r) for r in rv.history(office.session, item_id=item_id))
