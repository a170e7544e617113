"""The request register import (``gongkai request import FILE``; CONTRACT section 3).

A register kept in a spreadsheet comes in as CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX, with
Chinese headers or their English aliases. The import is all-or-nothing: every row of the file is
checked first (fields, codes, dates, the procedure of its events, and agreement with what is already
registered), every problem of every row is collected, and only a file without problems is written,
in the caller's transaction.

Importing is idempotent and adds by reference (编号): a ref that is already registered must carry the
same core fields; the events of the file that are already recorded are skipped, new ones are
appended (the event log is append-only, so a recorded event whose date differs from the file is a
problem, never an edit). Re-importing the same file changes nothing.

Problem lines never contain the values of 申请人, 联系方式 or 证件号码 (personal data); other values
are shown shortened, so staff can find the cell.

Why the encoding is never guessed: a wrong guess (Big5 read as GB18030, say) gives plausible-looking
garbage that would be stored for good. The file is decoded by its BOM or strictly as UTF-8, then
strictly as GB18030; a header that then matches no known column means the encoding was wrong, and
the message says which encodings are accepted.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, find_applicant_type, find_channel, find_outcome
from gongkai.core.errors import InputError
from gongkai.core.idnumber import id_number_problem, resident_id_problem
from gongkai.core.officescope import in_office
from gongkai.files.tablefile import MAX_CSV_BYTES, MAX_CSV_ROWS
from gongkai.files.tableimport import (
    Column,
    DeferredIndexes,
    ErrorList,
    RowCells,
    TableSpec,
    bulk_writing,
    checked_rows,
    insert_batches,
    read_table,
    rows_by_keys,
    show,
    stream_table,
)
from gongkai.register.deadlines import MAX_EXTENSION_DAYS, ClockState, Event, clock_state
from gongkai.register.repository import clock_columns, events_by_application
from gongkai.register.workcal import WorkCalendar
from gongkai.store.models import APPLICATION_TEXT_LIMITS, utcnow
from gongkai.store.tables import APP, EV
from gongkai.store.yearlock import final_years, locked_years_touched

# -- columns ---------------------------------------------------------------------------------


def _limit(field: str) -> int:
    # The limits of request add (gongkai.store.models.APPLICATION_TEXT_LIMITS), checked here before the
    # database so that PostgreSQL and SQLite refuse the same rows, all of them listed.
    return APPLICATION_TEXT_LIMITS[field][1]


COLUMNS: Final[tuple[Column, ...]] = (
    Column("ref", "编号", required=True, max_len=_limit("ref")),
    Column("received_on", "收到日期", required=True),
    Column("channel", "申请方式"),
    Column("applicant_type", "申请人类型", required=True),
    Column("applicant_name", "申请人", required=True, personal=True, max_len=_limit("applicant_name")),
    Column("contact", "联系方式", personal=True, max_len=_limit("applicant_contact")),
    Column("id_number", "证件号码", personal=True),  # 18 characters, checked with its check digit
    Column("content", "申请内容", required=True, max_len=_limit("content")),
    Column("assignee", "承办人"),
    Column("correction_requested_on", "补正告知日期"),
    Column("correction_received_on", "收到补正日期"),
    Column("consultation_sent_on", "征求意见日期"),
    Column("consultation_replied_on", "收到意见日期"),
    Column("fee_notice_on", "收费通知日期"),
    Column("fee_paid_on", "缴费日期"),
    Column("extension_approved_on", "延期批准日期"),
    Column("extension_days", "延期天数"),
    Column("replied_on", "答复日期"),
    Column("outcome", "办理结果"),
)
"""Every column the import accepts (CONTRACT section 3, plus 证件号码 and 延期天数)."""

SPEC: Final = TableSpec(
    COLUMNS,
    unique_key="ref",
    unique_note="编号在本单位内应唯一",
    max_rows=MAX_CSV_ROWS,
    max_bytes=MAX_CSV_BYTES,
)
"""The register as the import engine reads it (a CSV register may have up to 1,000,000 rows)."""

BATCH: Final = 5000
"""Rows checked against the register and written together (memory stays flat whatever the file's size)."""

PERSONAL_KEYS: Final = frozenset(c.key for c in COLUMNS if c.personal)

EVENT_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("correction_requested_on", "correction_requested"),
    ("correction_received_on", "correction_received"),
    ("consultation_sent_on", "consultation_sent"),
    ("consultation_replied_on", "consultation_replied"),
    ("fee_notice_on", "fee_notice_sent"),
    ("fee_paid_on", "fee_paid"),
    ("extension_approved_on", "extension_approved"),
    ("replied_on", "replied"),
)
"""Date column -> event kind (CONTRACT section 2)."""

_COLUMN_OF_KIND: Final = {kind: col for col, kind in EVENT_COLUMNS}

_CHANNEL_EXPECTED: Final = f"{'、'.join(CHANNELS.values())}之一（或英文代码 {', '.join(CHANNELS)}）"
_TYPE_EXPECTED: Final = (
    f"{'、'.join([*list(APPLICANT_TYPES.values())[:-1], '其他组织（或“其他”）'])}之一"
    f"（或英文代码 {', '.join(APPLICANT_TYPES)}）"
)

# Application fields compared with an already registered application: file key -> model column.
_CORE_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("received_on", "received_on"),
    ("channel", "channel"),
    ("applicant_type", "applicant_type"),
    ("applicant_name", "applicant_name"),
    ("contact", "applicant_contact"),
    ("id_number", "applicant_id_number"),
    ("content", "content"),
    ("assignee", "assignee_id"),
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did.

    ``inserted``: applications newly registered; ``events_added``: event rows written (those of
    the new applications plus those appended to registered ones); ``unchanged``: rows whose
    application was registered and had nothing new; ``rows``: data rows read (blank rows are
    skipped); ``encoding``: ``utf-8``, ``utf-8-sig``, ``gb18030`` or ``xlsx``; ``updated``:
    registered applications that got new events (``rows == inserted + updated + unchanged``).
    """

    inserted: int
    events_added: int
    unchanged: int
    rows: int
    encoding: str
    updated: int = 0


# -- reading ---------------------------------------------------------------------------------


def read_rows(path: Path) -> tuple[list[tuple[int, dict[str, object]]], str]:
    """Read a register file into ``(row number, {field: raw value})`` pairs and its encoding.

    Row numbers are spreadsheet numbers (the header is row 1) for CSV and XLSX alike; blank rows
    are skipped. Raw values are stripped strings, ``date`` (XLSX date cells) or ``None`` for an
    empty cell. Raises :class:`InputError` for a file that cannot be read as a register: wrong
    extension, undecodable or unsupported encoding, no data rows, unknown, duplicate or missing
    columns.
    """
    return read_table(path, SPEC)


# -- checking --------------------------------------------------------------------------------


@dataclass
class _Row:
    """A row that passed the checks of its own cells."""

    number: int
    ref: str
    fields: dict[str, Any]  # key of _CORE_FIELDS -> normalised value
    events: list[Event]
    clock: dict[str, Any]  # the cached clock columns


def events_of(
    dates: Mapping[str, date | None], *, extension_days: int | None, outcome_row: str | None
) -> list[Event]:
    """The events a register row carries: one per filled date column (:data:`EVENT_COLUMNS`, in that
    order), the extension with its days and the reply with its outcome row."""
    events: list[Event] = []
    for col, kind in EVENT_COLUMNS:
        on = dates.get(col)
        if on is None:
            continue
        if kind == "extension_approved":
            events.append(Event(kind, on, days=extension_days))
        elif kind == "replied":
            events.append(Event(kind, on, outcome=outcome_row))
        else:
            events.append(Event(kind, on))
    return events


def _check_row(
    number: int,
    record: dict[str, object],
    *,
    calendar: WorkCalendar,
    as_of: date,
    staff_ids: set[str],
) -> tuple[_Row | None, list[str]]:
    """Check one row's cells and procedure; returns the parsed row or the row's problems."""
    cells = RowCells(SPEC, record)
    ref = cells.text("ref", required=True)
    received = _received(cells, as_of)
    fields = _applicant(cells)
    fields["assignee"] = _assignee(cells, staff_ids)
    dates = {col: cells.date(col) for col, _kind in EVENT_COLUMNS if record.get(col) is not None}
    days = _extension_days(cells)
    outcome_row = _outcome(cells)
    if cells.problems or received is None or ref is None:
        return None, cells.problems

    events = events_of(dates, extension_days=days, outcome_row=outcome_row)
    try:
        calendar.schedule(received.year)  # a receipt outside the calendar's years is named before any event
        clock = clock_state(  # only the dates and the state are stored
            received, events, calendar=calendar, as_of=as_of, channel=fields["channel"], reject_future=True
        )
    except InputError as exc:
        return None, [f"办理过程有误：{_sentence(exc)}"]
    return _Row(number, ref, {"received_on": received, **fields}, events, clock_columns(clock)), []


def _received(cells: RowCells, as_of: date) -> date | None:
    received = cells.date("received_on", required=True)
    if received is not None and received > as_of:
        cells.problems.append(
            f"“收到日期” {received.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记"
        )
    return received


def _applicant(cells: RowCells) -> dict[str, Any]:
    """Channel, applicant and content. Personal data: say what is expected, never what came."""
    channel = cells.code("channel", find_channel, _CHANNEL_EXPECTED)
    applicant_type = cells.code("applicant_type", find_applicant_type, _TYPE_EXPECTED, required=True)
    name = cells.text("applicant_name", required=True)
    contact = cells.text("contact")
    id_number = cells.text("id_number")
    if id_number is not None:
        why = id_number_problem(id_number, applicant_type)
        if why is not None:
            cells.problems.append(f"“证件号码”{why}")
        id_number = id_number.upper()
    content = cells.text("content", required=True)
    return {
        "channel": channel,
        "applicant_type": applicant_type,
        "applicant_name": name,
        "contact": contact,
        "id_number": id_number,
        "content": content,
    }


def _assignee(cells: RowCells, staff_ids: set[str]) -> str | None:
    assignee = cells.text("assignee")
    if assignee is not None and assignee not in staff_ids:
        known = "、".join(sorted(staff_ids)[:10]) + ("等" if len(staff_ids) > 10 else "")
        cells.problems.append(
            f"“承办人”应为配置文件中的工作人员编号（{known or '未配置工作人员'}），没有“{show(assignee)}”"
        )
    return assignee


def _extension_days(cells: RowCells) -> int | None:
    text = cells.text("extension_days")
    if text is None:
        return None
    days: int | None = None
    if not text.isdigit() or not 1 <= int(text) <= MAX_EXTENSION_DAYS:
        cells.problems.append(
            f"“延期天数”应为 1 至 {MAX_EXTENSION_DAYS} 的整数（工作日），实际为“{show(text)}”"
        )
    else:
        days = int(text)
    if not cells.given("extension_approved_on"):
        cells.problems.append("填写了“延期天数”，但没有填写“延期批准日期”")
    return days


def _outcome(cells: RowCells) -> str | None:
    """The outcome row (table 三) of the reply; an outcome and a reply date come together."""
    text = cells.text("outcome")
    if text is None:
        if cells.given("replied_on"):
            cells.problems.append(
                "填写了“答复日期”，“办理结果”就不能为空（行号、代码或标准名称，如 3.1 / granted / 予以公开）"
            )
        return None
    found = find_outcome(text)
    if found is None:
        cells.problems.append(
            "“办理结果”应为年度报告表三的行号（如 3.1）、代码（如 granted）或标准名称（如 予以公开），"
            f"实际为“{show(text)}”（全部可用值见 gongkai request event --help）"
        )
    if not cells.given("replied_on"):
        cells.problems.append("填写了“办理结果”，但没有填写“答复日期”")
    return None if found is None else found.row


def _sentence(exc: Exception) -> str:
    return str(exc).rstrip("。").strip()


@dataclass
class _Existing:
    """An application already in the database, as far as the import needs it."""

    id: int
    fields: dict[str, Any]
    outcome_row: str | None
    due: date | None
    clock_version: int
    events: list[Event]


def _load_existing(session: Session, refs: Sequence[str]) -> dict[str, _Existing]:
    """Registered applications with these refs (queried in chunks), with their events."""
    cols = [APP.c.id, APP.c.ref, APP.c.outcome_row, APP.c.due, APP.c.clock_version]
    cols += [APP.c[model_col] for _key, model_col in _CORE_FIELDS]
    found: dict[str, _Existing] = {}
    for r in rows_by_keys(session, cols, APP.c.ref, refs):
        m = r._mapping
        found[m["ref"]] = _Existing(
            id=m["id"],
            fields={key: m[model_col] for key, model_col in _CORE_FIELDS},
            outcome_row=m["outcome_row"],
            due=m["due"],
            clock_version=m["clock_version"],
            events=[],
        )
    if found:
        events = events_by_application(session, [e.id for e in found.values()])
        for e in found.values():
            e.events = list(events.get(e.id, []))
    return found


def _same_event(a: Event, b: Event) -> bool:
    """Whether file event ``a`` is the recorded event ``b`` (parameters the file can carry included)."""
    if a.kind != b.kind or a.on != b.on:
        return False
    if a.kind == "extension_approved":
        return (a.days or MAX_EXTENSION_DAYS) == (b.days or MAX_EXTENSION_DAYS)
    if a.kind == "replied":
        return (a.outcome or None) == (b.outcome or None)
    return True


def _compare_existing(
    row: _Row, old: _Existing, *, calendar: WorkCalendar, as_of: date
) -> tuple[list[Event], ClockState | None, list[str]]:
    """New events of ``row`` for a registered application, its new clock, or the problems."""
    problems: list[str] = []
    differing: list[str] = []
    for key, _model_col in _CORE_FIELDS:
        new, recorded = row.fields[key], old.fields[key]
        if new == recorded:
            continue
        column = SPEC.by_key[key]
        if key in PERSONAL_KEYS or key == "content":
            differing.append(f"“{column.zh}”")
        else:
            differing.append(f"“{column.zh}”（文件为“{show(new or '')}”，已登记为“{show(recorded or '')}”）")
    if differing:
        problems.append(f"编号“{show(row.ref)}”已登记，但{'、'.join(differing)}与已登记的不一致")

    new_events: list[Event] = []
    for ev in row.events:
        same_kind = [e for e in old.events if e.kind == ev.kind]
        if not same_kind:
            new_events.append(ev)
            continue
        if any(_same_event(ev, e) for e in same_kind):
            continue
        column = SPEC.by_key[_COLUMN_OF_KIND[ev.kind]]
        if any(e.on == ev.on for e in same_kind):
            rec = next(e for e in same_kind if e.on == ev.on)
            if ev.kind == "replied":
                problems.append(
                    f"编号“{show(row.ref)}”已登记的“办理结果”为 {rec.outcome or '（空）'}，与文件中的 {ev.outcome} 不一致"
                    "（已登记的事件不能修改）"
                )
            else:
                problems.append(
                    f"编号“{show(row.ref)}”已登记的“延期天数”为 {rec.days or MAX_EXTENSION_DAYS}，"
                    f"与文件中的 {ev.days or MAX_EXTENSION_DAYS} 不一致（已登记的事件不能修改）"
                )
        else:
            recorded = "、".join(e.on.isoformat() for e in same_kind)
            problems.append(
                f"编号“{show(row.ref)}”已登记的“{column.zh}”为 {recorded}，与文件中的 {ev.on.isoformat()} 不一致"
                "（已登记的事件不能修改，只能追加）"
            )
    if problems or not new_events:
        return [], None, problems
    try:
        clock = clock_state(
            row.fields["received_on"],
            [*old.events, *new_events],
            calendar=calendar,
            as_of=as_of,
            channel=row.fields["channel"],
            outcome=old.outcome_row,
            reject_future=True,
        )
    except InputError as exc:
        return [], None, [f"办理过程有误（含已登记的事件）：{_sentence(exc)}"]
    return new_events, clock, []


# -- importing -------------------------------------------------------------------------------

_Appended = tuple[_Row, _Existing, list[Event], ClockState]


def import_register(
    session: Session,
    path: Path,
    *,
    calendar: WorkCalendar,
    as_of: date,
    recorded_by: str,
    staff_ids: set[str],
    may_record_extensions: bool = True,
) -> ImportResult:
    """Import a register file into the caller's transaction, all or nothing.

    ``may_record_extensions``: whether the importing person may record an extension (Art. 33: the head of
    the disclosure unit approves it); when not, every row that would add one is refused.

    ``staff_ids`` are the configured staff ids (承办人 must be one of them, and each must exist in
    the ``staff`` table). Raises :class:`InputError` when the file cannot be read as a register,
    and :class:`ImportRejected` (with one problem line per bad row) when any row is bad. Does not
    commit.

    The file is read once, streaming, in batches of :data:`BATCH` rows: each batch is checked (its
    rows, then against the register) and, as long as no row of the file so far has a problem,
    written. Only the refs seen, their row numbers and the problems are kept across batches. A
    problem found later leaves batches written in the caller's transaction: the caller rolls it back
    on the error (every caller does: :func:`gongkai.store.db.session_scope`, the office's unit of
    work), so nothing of a refused file is ever committed.
    """
    path = Path(path)
    records, encoding = stream_table(path, SPEC)
    counted = _Counted(records)
    errors = ErrorList()
    good = checked_rows(
        SPEC,
        counted,
        functools.partial(_check_row, calendar=calendar, as_of=as_of, staff_ids=staff_ids),
        errors,
    )
    locked = final_years(session)
    now = utcnow()
    inserted = updated = unchanged = events_added = 0
    with contextlib.closing(records), bulk_writing(session):
        deferred = DeferredIndexes(session, APP, keep=["ix_application_ref"])
        while batch := list(itertools.islice(good, BATCH)):  # itertools.batched is 3.12+
            fresh, appended, same = _against_registered(
                session, batch, errors, calendar=calendar, as_of=as_of
            )
            _check_locked_years(locked, fresh, appended, errors)
            if not may_record_extensions:
                _refuse_extensions(fresh, appended, errors)
            inserted, updated, unchanged = inserted + len(fresh), updated + len(appended), unchanged + same
            if not errors:
                events_added += _write(session, fresh, appended, recorded_by=recorded_by, now=now)
                deferred.wrote(len(fresh))
        errors.raise_if_any(path.name)
        deferred.restore()
    session.flush()
    return ImportResult(
        inserted=inserted,
        events_added=events_added,
        unchanged=unchanged,
        rows=counted.count,
        encoding=encoding,
        updated=updated,
    )


class _Counted:
    """The records of a file, counted as they are read."""

    def __init__(self, records: Iterable[tuple[int, dict[str, object]]]) -> None:
        self._records = records
        self.count = 0

    def __iter__(self) -> Iterator[tuple[int, dict[str, object]]]:
        for record in self._records:
            self.count += 1
            yield record


def _against_registered(
    session: Session, parsed: Sequence[_Row], errors: ErrorList, *, calendar: WorkCalendar, as_of: date
) -> tuple[list[_Row], list[_Appended], int]:
    """Split the good rows into new applications, registered ones with new events, and unchanged
    ones (counted); a disagreement with what is registered goes to ``errors``."""
    existing = _load_existing(session, [r.ref for r in parsed])
    fresh: list[_Row] = []
    appended: list[_Appended] = []
    unchanged = 0
    for row in parsed:
        old = existing.get(row.ref)
        if old is None:
            fresh.append(row)
            continue
        new_events, clock, row_problems = _compare_existing(row, old, calendar=calendar, as_of=as_of)
        if row_problems:
            errors.add(row.number, *row_problems)
        elif clock is None:
            unchanged += 1
        else:
            appended.append((row, old, new_events, clock))
    return fresh, appended, unchanged


def _check_locked_years(
    locked: set[int], fresh: Sequence[_Row], appended: Sequence[_Appended], errors: ErrorList
) -> None:
    """A row may not change the figures of a year whose annual report is final (``locked``)."""
    if not locked:
        return
    for row, changed_from, until in [
        *((r, r.fields["received_on"], r.clock.get("concluded_on")) for r in fresh),
        *((r, min(e.on for e in evs), c.concluded_on) for r, _old, evs, c in appended),
    ]:
        years = locked_years_touched(locked, since=changed_from, until=until)
        if years:
            errors.add(
                row.number,
                f"会改变已定稿的 {'、'.join(map(str, years))} 年度报告的数据（该年度已锁定，须由管理员重新开启）",
            )


def _refuse_extensions(fresh: Sequence[_Row], appended: Sequence[_Appended], errors: ErrorList) -> None:
    """Every row that would record an extension, for an importer who may not (Art. 33)."""
    for row, events in [*((r, r.events) for r in fresh), *((r, evs) for r, _old, evs, _c in appended)]:
        if any(ev.kind == "extension_approved" for ev in events):
            errors.add(
                row.number,
                "填写了“延期批准日期”：延期答复须经信息公开工作机构负责人同意，只有负责人（unit_head）可以登记延期"
                "（请由负责人导入此文件，或删去延期两列后再导入）",
            )


def _event_dict(app_id: int, ev: Event, *, now: datetime, recorded_by: str) -> dict[str, Any]:
    """An ``application_event`` row for a bulk insert."""
    return {
        "application_id": app_id,
        "kind": ev.kind,
        "occurred_on": ev.on,
        "days": ev.days,
        "until": ev.until,
        "outcome_row": ev.outcome,
        "note": None,
        "recorded_at": now,
        "recorded_by": recorded_by,
    }


def _application_dict(r: _Row, *, now: datetime) -> dict[str, Any]:
    return {
        "ref": r.ref,
        "received_on": r.fields["received_on"],
        "arrived_at": None,
        "channel": r.fields["channel"],
        "applicant_type": r.fields["applicant_type"],
        "applicant_name": r.fields["applicant_name"],
        "applicant_contact": r.fields["contact"],
        "applicant_id_number": r.fields["id_number"],
        "content": r.fields["content"],
        "assignee_id": r.fields["assignee"],
        "outcome_note": None,
        **r.clock,
        "clock_version": 1,
        "source": "import",
        "created_at": now,
        "updated_at": now,
    }


def _write(
    session: Session,
    fresh: Sequence[_Row],
    appended: Sequence[_Appended],
    *,
    recorded_by: str,
    now: datetime,
) -> int:
    """Bulk-insert new applications and events, update clocks; returns the event rows written."""
    before = session.execute(sa.select(sa.func.max(APP.c.id))).scalar_one() or 0
    insert_batches(session, APP, (_application_dict(r, now=now) for r in fresh))
    ids = _new_ids(session, [r.ref for r in fresh if r.events], above=before)
    event_rows = itertools.chain(
        (_event_dict(ids[r.ref], ev, now=now, recorded_by=recorded_by) for r in fresh for ev in r.events),
        (
            _event_dict(old.id, ev, now=now, recorded_by=recorded_by)
            for _row, old, new_events, _clock in appended
            for ev in new_events
        ),
    )
    written = insert_batches(session, EV, event_rows)
    if appended:
        _update_clocks(session, appended, now=now)
    return written


def _new_ids(session: Session, refs: Sequence[str], *, above: int) -> dict[str, int]:
    """The ids of the applications just inserted with these refs. They are read as the ids above the
    largest one before the insert (one range of the primary key instead of an ``IN`` list per 500 refs);
    a ref not found there (a PostgreSQL sequence set below an id written by hand) is looked up by ref."""
    wanted = set(refs)
    ids: dict[str, int] = {
        ref: app_id
        for app_id, ref in session.execute(
            sa.select(APP.c.id, APP.c.ref).where(APP.c.id > above, in_office(session, APP))
        )
        if ref in wanted
    }
    if len(ids) < len(wanted):
        missing = [ref for ref in refs if ref not in ids]
        ids.update(
            (ref, app_id) for app_id, ref in rows_by_keys(session, [APP.c.id, APP.c.ref], APP.c.ref, missing)
        )
    return ids


def _update_clocks(session: Session, appended: Sequence[_Appended], *, now: datetime) -> None:
    """The new clocks of registered applications that got events (one executemany)."""
    updates: list[dict[str, Any]] = []
    for _row, old, _new_events, clock in appended:
        version = old.clock_version + (1 if old.due is not None and clock.due != old.due else 0)
        updates.append({"b_id": old.id, **clock_columns(clock), "clock_version": version, "updated_at": now})
    values: dict[str, Any] = {k: sa.bindparam(k) for k in updates[0] if k != "b_id"}
    session.execute(
        sa.update(APP).where(APP.c.id == sa.bindparam("b_id")).values(values),
        updates,
        execution_options={"synchronize_session": False},
    )


__all__ = [
    "COLUMNS",
    "EVENT_COLUMNS",
    "SPEC",
    "Column",
    "ImportResult",
    "events_of",
    "import_register",
    "read_rows",
    "resident_id_problem",
]
