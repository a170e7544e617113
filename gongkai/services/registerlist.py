"""The register as the desk lists it: search and filters in SQL over the cached clock columns, one page at a time
with the live clock computed for the rows of that page only; the same selection exported to CSV or XLSX, streamed
in batches, and recorded in the audit trail.

ID numbers leave this module masked (:func:`gongkai.core.idnumber.mask_id_number`): only the application's own
page shows one in full (:func:`gongkai.services.applications.application_detail`).

The state filter reads the cached ``state`` column, which holds the state as of the last change to the
application. Two open states move with time alone, and are read here as of the business date: an application
is 已收到 (``received``) only on the day of receipt (after that, without events, 办理中), and a consultation stops
a clock only until its cap, so the few applications cached as 暂停计时 (``paused``) are checked with their live
clocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import sqlalchemy as sa

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, OUTCOME_BY_ROW, STATES
from gongkai.core.errors import InputError
from gongkai.services.actor import Actor
from gongkai.services.applications import ApplicationView, _view
from gongkai.services.office import Office, Register
from gongkai.services.paging import clamp_page, page_count
from gongkai.store.tables import APP as _APP

__all__ = [
    "EXPORT_FORMATS",
    "PAGE_SIZE",
    "SCOPES",
    "UNASSIGNED",
    "RegisterExport",
    "RegisterPage",
    "RegisterQuery",
    "RegisterRow",
    "export_register",
    "search_register",
]

PAGE_SIZE: Final = 50
"""Applications per page of the list."""
EXPORT_BATCH: Final = 1000
"""Applications read (in one short transaction) per batch of an export."""
SEARCH_MAX: Final = 200
"""The longest search text (a name, a phrase of the content, a reference)."""
SCOPES: Final[dict[str, str]] = {"open": "未办结", "closed": "已办结", "all": "全部"}
UNASSIGNED: Final = "-"
"""The ``assignee`` filter for applications without an assignee (no staff id can be ``-``)."""
EXPORT_FORMATS: Final[dict[str, str]] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXPORT_HEADER: Final = (
    "编号", "收到日期", "申请方式", "申请人类型", "申请人", "证件号码（已遮蔽）", "申请内容", "状态",
    "从严掌握的答复日", "法定答复期限", "剩余工作日", "承办人", "办结日期", "办理结果",
)  # fmt: skip
_EXPORT_WIDTHS: Final = (12, 11, 9, 12, 16, 20, 48, 10, 12, 12, 10, 10, 11, 24)
_FORMULA_STARTS: Final = ("=", "+", "-", "@")


@dataclass(frozen=True)
class RegisterQuery:
    """What the list is filtered by: ``q`` a piece of the reference, the applicant's name or the content;
    ``state`` a state code (it decides open or closed by itself; ``scope`` then does not apply); ``assignee`` a
    staff id or :data:`UNASSIGNED`; ``year`` of receipt; ``scope`` ``open`` (default), ``closed`` or ``all``."""

    q: str = ""
    state: str | None = None
    assignee: str | None = None
    year: int | None = None
    scope: str = "open"

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise InputError(f"“范围”应为以下之一：{'、'.join(f'{k}（{v}）' for k, v in SCOPES.items())}。")
        if self.state is not None and self.state not in STATES:
            raise InputError(f"“状态”应为以下之一：{'、'.join(STATES.values())}。")
        if len(self.q) > SEARCH_MAX:
            raise InputError(f"“查找”最长 {SEARCH_MAX} 个字符，实际为 {len(self.q)} 个字符。")

    def describe(self) -> str:
        """The filters in words, for the audit trail. The search text is given by its length only: it may be
        an applicant's name, which the audit trail never holds."""
        parts = [f"范围：{SCOPES[self.scope]}" if self.state is None else f"状态：{STATES[self.state]}"]
        if self.assignee:
            parts.append(f"承办人：{'未指定' if self.assignee == UNASSIGNED else self.assignee}")
        if self.year is not None:
            parts.append(f"年度：{self.year}")
        if self.q.strip():
            parts.append(f"查找：{len(self.q.strip())} 个字符的关键词")
        return "；".join(parts)


@dataclass(frozen=True)
class RegisterRow:
    """One application in the list: the list view with its live clock, the applicant's name, the masked ID
    number and the content."""

    view: ApplicationView
    applicant_name: str
    id_number: str
    content: str


@dataclass(frozen=True)
class RegisterPage:
    """One page of the list: its rows, how many applications match, the page (1-based) and the page count."""

    rows: tuple[RegisterRow, ...]
    total: int
    page: int
    pages: int
    per_page: int


def search_register(
    office: Office, actor: Actor, query: RegisterQuery, *, page: int = 1, per_page: int = PAGE_SIZE
) -> RegisterPage:
    """Page ``page`` of the applications matching ``query`` (a page past the last gives the last): open ones by
    ``safe_due``, soonest first (so the overdue ones come first), closed ones latest conclusion first."""
    from gongkai.store.models import Application

    del actor  # any staff member may read the register
    where = _where(office, query)
    page = max(1, page)
    total: int | None = None
    if query.q.strip():
        # A search reads every row once: the count comes with the page (one scan instead of two).
        rows = office.session.execute(
            sa.select(Application, sa.func.count().over())
            .where(where)
            .order_by(*_order(query))
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        if rows:
            total = int(rows[0][1])
            apps = [r[0] for r in rows]
    if total is None:
        total = int(
            office.session.execute(sa.select(sa.func.count()).select_from(_APP).where(where)).scalar_one()
        )
        page = clamp_page(page, total, per_page)
        apps = list(
            office.session.execute(
                sa.select(Application)
                .where(where)
                .order_by(*_order(query))
                .offset((page - 1) * per_page)
                .limit(per_page)
            ).scalars()
        )
    pages = page_count(total, per_page)
    return RegisterPage(tuple(_rows(office, apps)), total, page, pages, per_page)


@dataclass(frozen=True)
class RegisterExport:
    """An export under way: its file name, media type, number of applications, and the file's bytes in parts
    (each batch read in its own transaction as the parts are taken)."""

    filename: str
    media_type: str
    count: int
    chunks: Iterator[bytes]


def export_register(
    register: Register, actor: Actor, query: RegisterQuery, *, fmt: str, as_of: date | None = None
) -> RegisterExport:
    """The applications matching ``query`` (every one: no page, no cap) as a CSV (UTF-8 with BOM) or XLSX file, in
    the list's order, ID numbers masked. The export is recorded in the audit trail (who, which filters, how many)
    before the first byte is produced."""
    from gongkai.files.csvstream import csv_stream
    from gongkai.files.xlsxstream import xlsx_stream
    from gongkai.store.audit import record_audit

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"导出格式应为 {' 或 '.join(EXPORT_FORMATS)}，实际为“{fmt}”。")
    with register.unit(as_of) as office:
        ids = list(
            office.session.execute(
                sa.select(_APP.c.id).where(_where(office, query)).order_by(*_order(query))
            ).scalars()
        )
        record_audit(
            office.session,
            actor.name,
            "register_exported",
            None,
            f"{query.describe()}；格式：{fmt.upper()}；共 {len(ids)} 件",
        )
        day = office.as_of

    def rows() -> Iterator[list[str | date | None]]:
        from gongkai.store.models import Application

        for start in range(0, len(ids), EXPORT_BATCH):
            batch = ids[start : start + EXPORT_BATCH]
            with register.unit(day) as office:
                found = office.session.execute(sa.select(Application).where(_APP.c.id.in_(batch))).scalars()
                by_id = {a.id: a for a in found}
                apps = [by_id[i] for i in batch if i in by_id]  # one deleted meanwhile is left out
                lines = [_export_line(office, row) for row in _rows(office, apps)]
            yield from lines

    if fmt == "csv":
        chunks = csv_stream(EXPORT_HEADER, rows())
    else:
        chunks = xlsx_stream(
            "依申请公开登记簿", EXPORT_HEADER, rows(), widths=_EXPORT_WIDTHS, quote_prefix=_FORMULA_STARTS
        )
    return RegisterExport(f"依申请公开登记簿-{day.isoformat()}.{fmt}", EXPORT_FORMATS[fmt], len(ids), chunks)


# -- the query ---------------------------------------------------------------------------------------


def _where(office: Office, query: RegisterQuery) -> Any:
    c = _APP.c
    clauses: list[Any] = [c.office_id == office.office_id]
    if query.state is not None:
        clauses.append(_state_clause(office, query.state))
    elif query.scope == "open":
        clauses.append(c.concluded_on.is_(None))
    elif query.scope == "closed":
        clauses.append(c.concluded_on.is_not(None))
    text = query.q.strip()
    if text:
        # Case matters only for text with letters that have a case (Chinese has none): then ILIKE, which costs
        # PostgreSQL three times LIKE's time. SQLite's LIKE ignores the case of ASCII letters by itself, at half
        # the cost of lower() on every row.
        plain = text.lower() == text.upper() or office.session.get_bind().dialect.name == "sqlite"
        clauses.append(
            sa.or_(
                *(
                    column.contains(text, autoescape=True)
                    if plain
                    else column.icontains(text, autoescape=True)
                    for column in (c.ref, c.applicant_name, c.content)
                )
            )
        )
    if query.assignee == UNASSIGNED:
        clauses.append(c.assignee_id.is_(None))
    elif query.assignee:
        clauses.append(c.assignee_id == query.assignee)
    if query.year is not None:
        clauses.append(c.received_on.between(date(query.year, 1, 1), date(query.year, 12, 31)))
    return sa.and_(sa.true(), *clauses)


def _state_clause(office: Office, state: str) -> Any:
    """The applications whose state is ``state`` as of the business date (see the module's docstring)."""
    c = _APP.c
    open_ = c.concluded_on.is_(None)
    if state == "received":
        return sa.and_(open_, c.state == "received", c.received_on >= office.as_of)
    if state in ("paused", "in_progress"):
        lapsed = _lapsed_pauses(office)
        if state == "paused":
            return sa.and_(open_, c.state == "paused", c.id.not_in(lapsed))
        return sa.and_(
            open_,
            sa.or_(
                c.state == "in_progress",
                sa.and_(c.state == "received", c.received_on < office.as_of),
                c.id.in_(lapsed),
            ),
        )
    return c.state == state


def _lapsed_pauses(office: Office) -> list[int]:
    """Open applications cached as paused whose pause has ended by the business date."""
    from gongkai.register import repository as register
    from gongkai.store.models import Application

    c = _APP.c
    apps = list(
        office.session.execute(
            sa.select(Application).where(c.state == "paused", c.concluded_on.is_(None))
        ).scalars()
    )
    events = register.events_by_application(office.session, [a.id for a in apps if a.id is not None])
    return [
        a.id
        for a in apps
        if a.id is not None
        and register.clock_of(
            a, events.get(a.id, []), calendar=office.calendar, as_of=office.as_of, explain=False
        ).state
        != "paused"
    ]


def _order(query: RegisterQuery) -> list[Any]:
    c = _APP.c
    if query.state is None and query.scope == "open":
        return [c.safe_due, c.ref]
    if query.state is None and query.scope == "closed":
        return [c.concluded_on.desc(), c.ref.desc()]
    # open ones first (soonest safe_due), then closed ones (latest conclusion first)
    is_closed = sa.case((c.concluded_on.is_(None), 0), else_=1)
    return [is_closed, sa.case((c.concluded_on.is_(None), c.safe_due)), c.concluded_on.desc(), c.ref]


def _rows(office: Office, apps: Sequence[Any]) -> list[RegisterRow]:
    """The rows of ``apps`` with their live clocks, in the order given."""
    from gongkai.core.idnumber import mask_id_number
    from gongkai.register import repository as register

    events = register.events_by_application(office.session, [a.id for a in apps if a.id is not None])
    out = []
    for a in apps:
        clock = register.clock_of(
            a, events.get(a.id, []), calendar=office.calendar, as_of=office.as_of, explain=False
        )
        out.append(
            RegisterRow(_view(a, clock), a.applicant_name, mask_id_number(a.applicant_id_number), a.content)
        )
    return out


def _export_line(office: Office, row: RegisterRow) -> list[str | date | None]:
    view, clock = row.view, row.view.clock
    if clock.overdue:
        left = "已逾期"
    elif clock.is_open and clock.working_days_left is not None:
        left = str(clock.working_days_left)
    else:
        left = ""
    person = office.settings.staff_by_id(view.assignee) if view.assignee else None
    outcome = OUTCOME_BY_ROW.get(clock.outcome or "")
    return [
        view.ref,
        view.received_on,
        CHANNELS.get(view.channel or "", ""),
        APPLICANT_TYPES.get(view.applicant_type, view.applicant_type),
        row.applicant_name,
        row.id_number,
        row.content,
        STATES.get(clock.state, clock.state),
        clock.safe_due if clock.is_open else None,
        clock.due,
        left,
        person.name if person is not None else (view.assignee or ""),
        clock.concluded_on,
        f"{outcome.row} {outcome.label}" if outcome is not None else "",
    ]
