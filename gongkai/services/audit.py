"""The audit trail: who did what, when, read from every record that carries an actor (the administrator's and
the unit head's page).

One SQL statement, ``UNION ALL`` over ``audit_entry`` (sign-ins, failures, locks, passwords, sessions ended,
extension requests and decisions, imports and exports from the desk), ``application_event`` (``recorded_by``),
``item_review``, ``item_change``, ``review_record``, ``calendar_log``, ``yearly_figure`` (``entered_by``),
``annual_report`` (built: ``created_by``; finalized: ``finalized_by``) and ``report_reopen_log``; newest first,
one page at a time. Each branch is cut to the rows the page can need before the union is sorted, so a page reads
a bounded number of rows from each table.

Never an applicant's personal data: applications appear by reference, items by index number, and the free text
people typed into a note (an extension decision's note, an event's note, an export's filter, which may hold a
name searched for) is left out; details kept are the ones Gongkai itself writes (dates, codes, the client's
address at sign-in, a calendar import's summary) and a report's reopening reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Final

import sqlalchemy as sa

from gongkai.core.errors import NotAllowed
from gongkai.services.actor import Actor
from gongkai.services.office import Office

PER_PAGE: Final = 50

AUDIT_ACTIONS: Final[dict[str, str]] = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "账号锁定期间尝试登录",
    "account_locked": "连续登录失败，账号被暂时锁定",
    "logout": "退出登录",
    "password_set": "设置密码",
    "account_unlocked": "解除账号锁定",
    "sessions_ended": "强制退出全部登录",
    "extension_requested": "申请延期答复",
    "extension_approved": "批准延期答复",
    "extension_refused": "不批准延期答复",
    "register_exported": "导出申请登记表",
    "register_imported": "导入申请登记簿",
    "items_imported": "导入主动公开信息",
    "report_narrative_saved": "修改年度报告文字部分",
    "report_run_requested": "在工作台启动年度报告生成",
    "office_renamed": "升级后的单位采用配置文件中的单位代码",
    "office_added": "按配置文件夹在数据库中新增本单位",
}
"""Labels of ``audit_entry.action`` (an action of another page shows by its code until it is added here)."""

_DETAIL_KEPT: Final = frozenset(
    {"login", "login_failed", "login_locked", "account_locked", "extension_requested"}
)
"""``audit_entry`` actions whose ``detail`` Gongkai writes itself (the client's address, a number of days);
every other detail may be text a person typed (a note, an export's filter) and is not shown."""

CALENDAR_ACTIONS: Final[dict[str, str]] = {"import": "导入放假安排"}


@dataclass(frozen=True)
class AuditRow:
    """One line of the trail: when (UTC), who, what (Chinese), about what (a reference, an index number, a year,
    a staff id), and a detail without personal data."""

    at: datetime
    actor: str
    action: str
    subject: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail, newest first; ``has_next`` when older lines follow."""

    rows: tuple[AuditRow, ...]
    page: int
    has_next: bool


def _require_reader(actor: Actor) -> None:
    if not (actor.has("administrator") or actor.has("unit_head")):
        raise NotAllowed(f"{actor.name} 无权查看操作记录：只有系统管理员或信息公开工作机构负责人可以查看。")


def _constant(code: str) -> sa.ColumnElement[str]:
    """A constant code in the statement itself (a bound parameter has no type in a PostgreSQL union)."""
    return sa.literal_column(f"'{code}'", sa.String)


def _text(column: sa.ColumnElement[object]) -> sa.ColumnElement[str]:
    return sa.cast(column, sa.String)


def _branches(*, office_id: int, actor_filter: str | None, since: datetime | None, until: datetime | None, cap: int) -> list[sa.Select[*tuple[Any, ...]]]:  # fmt: skip
    """One SELECT per source (columns ``at, actor, source, row_id, action, subject, detail``), each filtered and
    cut to the ``cap`` newest rows; every source but the calendar log (shared by all offices: the holiday schedule
    is national) is the office's rows only."""
    from gongkai.store.tables import (
        APP,
        AUDIT,
        EV,
        FIGURE,
        ITEM,
        ITEM_CHANGE,
        ITEM_REVIEW,
        REPORT,
        REVIEW_RECORD,
    )
    from gongkai.store.tables import CALENDAR_LOG as cal
    from gongkai.store.tables import REPORT_REOPEN as reopen

    no_text = sa.cast(sa.null(), sa.String)

    def branch(source: str, at: sa.ColumnElement[datetime], actor: sa.ColumnElement[str], row_id: sa.ColumnElement[int], action: sa.ColumnElement[str], subject: sa.ColumnElement[str], detail: sa.ColumnElement[str], *, from_: sa.FromClause, where: sa.ColumnElement[bool] | None = None, by_id: bool = True, owner: sa.Table | None) -> sa.Select[*tuple[Any, ...]]:  # fmt: skip
        query = sa.select(
            at.label("at"),
            actor.label("actor"),
            _constant(source).label("source"),
            row_id.label("row_id"),
            action.label("action"),
            subject.label("subject"),
            detail.label("detail"),
        ).select_from(from_)
        if owner is not None:
            query = query.where(owner.c.office_id == office_id)
        if where is not None:
            query = query.where(where)
        if actor_filter:
            query = query.where(actor == actor_filter)
        if since is not None:
            query = query.where(at >= since)
        if until is not None:
            query = query.where(at < until)
        # A constant in ORDER BY would be read as a column's position: a table without ids orders by time only.
        return query.order_by(at.desc(), *([row_id.desc()] if by_id else [])).limit(cap)

    a, e, r, c = AUDIT.c, EV.c, REPORT.c, REVIEW_RECORD.c
    ir, ic = ITEM_REVIEW.c, ITEM_CHANGE.c
    return [
        branch("audit", a.at, a.actor, a.id, a.action, sa.func.coalesce(a.subject, ""), a.detail, from_=AUDIT,
               owner=AUDIT),
        branch("event", e.recorded_at, e.recorded_by, e.id, e.kind, APP.c.ref, _text(e.occurred_on),
               from_=EV.join(APP, APP.c.id == e.application_id), owner=EV),
        branch("item_review", ir.recorded_at, ir.recorded_by, ir.id, ir.result, ITEM.c.index_no,
               _text(ir.reviewed_on), from_=ITEM_REVIEW.join(ITEM, ITEM.c.id == ir.item_id), owner=ITEM_REVIEW),
        branch("item_change", ic.recorded_at, ic.recorded_by, ic.id, _constant("change"),
               ITEM.c.index_no, _text(ic.changed_on), from_=ITEM_CHANGE.join(ITEM, ITEM.c.id == ic.item_id),
               owner=ITEM_CHANGE),
        branch("review_record", c.recorded_at, c.recorded_by, c.id, c.outcome,
               sa.func.coalesce(ITEM.c.index_no, c.column_name, ""), _text(c.task_id),
               from_=REVIEW_RECORD.outerjoin(ITEM, ITEM.c.id == c.item_id), owner=REVIEW_RECORD),
        branch("calendar", cal.c.at, cal.c.by, cal.c.id, cal.c.action, _text(cal.c.year), cal.c.detail, from_=cal,
               owner=None),
        branch("figure", FIGURE.c.entered_at, FIGURE.c.entered_by, sa.literal_column("0", sa.Integer), FIGURE.c.key,
               _text(FIGURE.c.year), no_text, from_=FIGURE, by_id=False, owner=FIGURE),
        branch("report_built", r.created_at, r.created_by, r.id, _constant("built"), _text(r.year),
               _text(r.version), from_=REPORT, owner=REPORT),
        branch("report_finalized", r.finalized_at, sa.func.coalesce(r.finalized_by, ""), r.id,
               _constant("finalized"), _text(r.year), _text(r.version), from_=REPORT,
               where=r.finalized_at.is_not(None), owner=REPORT),
        branch("report_reopened", reopen.c.at, reopen.c.by, reopen.c.id, _constant("reopened"),
               _text(reopen.c.year), reopen.c.reason, from_=reopen, owner=reopen),
    ]  # fmt: skip


def audit_trail(
    office: Office,
    actor: Actor,
    *,
    actor_filter: str | None = None,
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AuditPage:
    """Who did what, when (administrator or unit head): page ``page`` of the trail, newest first, of
    ``actor_filter`` only when given, between the days ``since`` and ``until`` (inclusive, in the office's time
    zone) when given."""
    _require_reader(actor)
    tz = office.settings.tz
    start = datetime.combine(since, time(), tz) if since is not None else None
    end = datetime.combine(until + timedelta(days=1), time(), tz) if until is not None else None
    page = max(1, page)
    offset = (page - 1) * per_page
    cap = offset + per_page + 1
    branches = _branches(
        office_id=office.office_id, actor_filter=actor_filter or None, since=start, until=end, cap=cap
    )
    union = sa.union_all(*(sa.select(*b.subquery().c) for b in branches)).subquery("trail")
    found = office.session.execute(
        sa.select(union)
        .order_by(union.c.at.desc(), union.c.source, union.c.row_id.desc())
        .offset(offset)
        .limit(per_page + 1)
    ).all()
    rows = tuple(_row(r) for r in found[:per_page])
    return AuditPage(rows, page, len(found) > per_page)


def _row(r: sa.Row[Any]) -> AuditRow:
    action, detail = _describe(str(r.source), str(r.action), r.detail if isinstance(r.detail, str) else None)
    return AuditRow(r.at, str(r.actor), action, str(r.subject or ""), detail)


def _describe(source: str, code: str, detail: str | None) -> tuple[str, str]:
    """The Chinese action and the detail shown for one row (see the module's docstring for what is left out)."""
    from gongkai.catalogue.items import REVIEW_RESULTS
    from gongkai.core.codes import EVENT_KINDS
    from gongkai.report.stats import FIGURE_KEYS
    from gongkai.review.periodic import OUTCOMES

    if source == "audit":
        return AUDIT_ACTIONS.get(code, code), (detail or "") if code in _DETAIL_KEPT else ""
    if source == "event":
        return f"登记办理事项：{EVENT_KINDS.get(code, code)}", f"日期 {detail}" if detail else ""
    if source == "item_review":
        return f"发布前审查：{REVIEW_RESULTS.get(code, code)}", f"审查日期 {detail}" if detail else ""
    if source == "item_change":
        return "登记信息变更", f"变更日期 {detail}" if detail else ""
    if source == "review_record":
        return f"登记检查结果：{OUTCOMES.get(code, code)}", f"检查任务 #{detail}" if detail else ""
    if source == "calendar":
        return CALENDAR_ACTIONS.get(code, f"修改放假安排（{code}）"), detail or ""
    if source == "figure":
        return f"录入年度数据：{FIGURE_KEYS.get(code, code)}", ""
    if source == "report_built":
        return "生成年度报告", f"第 {detail} 版"
    if source == "report_finalized":
        return "年度报告定稿", f"第 {detail} 版"
    return "重新打开已定稿的年度报告", f"理由：{detail}" if detail else ""


__all__ = ["AUDIT_ACTIONS", "AuditPage", "AuditRow", "audit_trail"]
