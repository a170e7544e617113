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

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.codes import APPLICANT_TYPES, CHANNELS, find_applicant_type, find_channel, find_outcome
from gongkai.core.dates import DATE_FORMS, parse_date
from gongkai.core.errors import ImportRejected, InputError
from gongkai.core.idnumber import id_number_problem, resident_id_problem
from gongkai.files.tablefile import (
    ACCEPTED_FORMS,
    ENCODING_HINT,
    cell_text,
    classify_header,
    clean_value,
    column_letter,
    read_csv,
    read_xlsx,
)
from gongkai.register.deadlines import MAX_EXTENSION_DAYS, Clock, Event, compute_clock
from gongkai.register.repository import clock_columns, events_by_application, text_too_long
from gongkai.register.workcal import WorkCalendar
from gongkai.store.models import utcnow
from gongkai.store.tables import APP, EV
from gongkai.store.yearlock import final_years, locked_years_touched

# -- columns ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the register file: canonical field, Chinese header, English alias."""

    key: str
    zh: str
    required: bool = False
    personal: bool = False

    @property
    def alias(self) -> str:
        """The English alias (the canonical field name)."""
        return self.key


COLUMNS: Final[tuple[Column, ...]] = (
    Column("ref", "编号", required=True),
    Column("received_on", "收到日期", required=True),
    Column("channel", "申请方式"),
    Column("applicant_type", "申请人类型", required=True),
    Column("applicant_name", "申请人", required=True, personal=True),
    Column("contact", "联系方式", personal=True),
    Column("id_number", "证件号码", personal=True),
    Column("content", "申请内容", required=True),
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

COLUMN_BY_KEY: Final = {c.key: c for c in COLUMNS}
_BY_ZH: Final = {c.zh: c.key for c in COLUMNS}
_BY_ALIAS: Final = {c.alias.casefold(): c.key for c in COLUMNS}
REQUIRED_KEYS: Final = tuple(c.key for c in COLUMNS if c.required)
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


# File key -> field of gongkai.store.models.APPLICATION_TEXT_LIMITS (the limits of request add, checked here
# before the database so that PostgreSQL and SQLite refuse the same rows, all of them listed).
_LIMITED: Final = {
    "ref": "ref",
    "applicant_name": "applicant_name",
    "contact": "applicant_contact",
    "id_number": "applicant_id_number",
    "content": "content",
}
_SHOW_MAX: Final = 30
_CHUNK: Final = 500
_INSERT_BATCH: Final = 5000

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
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table, encoding = read_csv(path)
    elif suffix == ".xlsx":
        table, encoding = read_xlsx(path), "xlsx"
    else:
        raise InputError(f"文件 {path.name} 的格式无法导入：只接受 .csv 或 .xlsx 文件，即 {ACCEPTED_FORMS}。")
    try:
        return _records(path.name, table, encoding), encoding
    finally:
        table.close()  # closes the workbook when a header problem stops the reading early


def _records(
    name: str, table: Iterator[tuple[int, list[object]]], encoding: str
) -> list[tuple[int, dict[str, object]]]:
    """Map the header, then turn every non-blank row into ``{field: value}``."""
    first = next(table, None)
    if first is None:
        raise InputError(f"文件 {name} 是空文件：第 1 行应为表头，从第 2 行起为数据。")
    header_no, header = first
    if header_no != 1 or not any(cell_text(v) for v in header):
        raise InputError(f"文件 {name} 的第 1 行应为表头（列名），实际为空行。")
    keys = _map_header(name, header, encoding)

    rows: list[tuple[int, dict[str, object]]] = []
    for number, cells in table:
        values = [clean_value(v) for v in cells]
        if all(v is None for v in values):
            continue
        record: dict[str, object] = {k: None for k in keys if k is not None}
        for pos, value in enumerate(values):
            key = keys[pos] if pos < len(keys) else None
            if key is not None:
                record[key] = value
            elif value is not None:
                raise InputError(
                    f"文件 {name} 的第 {pos + 1} 列（{column_letter(pos + 1)} 列）没有列名，"
                    f"但第 {number} 行在该列有内容；请补上列名或删除该列。"
                )
        rows.append((number, record))
    if not rows:
        raise InputError(f"文件 {name} 只有表头，没有数据行（数据从第 2 行开始）。")
    return rows


def _map_header(name: str, header: Sequence[object], encoding: str) -> list[str | None]:
    """Field key per column position (None for an empty header cell); refuses bad headers."""
    keys, unknown, repeats = classify_header(
        header, lambda text: _BY_ZH.get(text) or _BY_ALIAS.get(text.casefold())
    )
    seen = {k for k in keys if k is not None}
    duplicates = [f"“{first}”与“{text}”都是“{COLUMN_BY_KEY[key].zh}”" for first, text, key in repeats]

    if not seen & set(REQUIRED_KEYS):
        if encoding == "xlsx":
            raise InputError(
                f"文件 {name} 第 1 行的表头无法识别，没有找到任何必填列（{_names(REQUIRED_KEYS)}）；"
                "第 1 行应为列名，中文或英文别名见导入说明。"
            )
        if encoding == "gb18030":
            # Big5 and other unsupported encodings decode as GB18030 garbage: say so first.
            raise InputError(
                f"文件 {name} 的表头无法识别，没有找到任何必填列（{_names(REQUIRED_KEYS)}），"
                f"通常是文件编码不对：{ENCODING_HINT}。"
            )
        raise InputError(
            f"文件 {name} 的表头无法识别，没有找到任何必填列（{_names(REQUIRED_KEYS)}）。"
            f"第 1 行应为列名（中文或英文别名）；如果列名显示为乱码，说明编码不对：{ENCODING_HINT}。"
        )
    problems: list[str] = []
    if unknown:
        shown = "、".join(f"“{_show(t)}”" for t in unknown)
        hint = f"（如果列名显示为乱码，说明编码不对：{ENCODING_HINT}）" if encoding == "gb18030" else ""
        problems.append(
            f"有无法识别的列名 {shown}{hint}；可用的列名为 {'、'.join(c.zh for c in COLUMNS)}"
            "（或对应的英文别名，如 ref、received_on）"
        )
    if duplicates:
        problems.append("列名重复：" + "，".join(duplicates))
    missing = [k for k in REQUIRED_KEYS if k not in seen]
    if missing:
        problems.append(f"缺少必填列 {_names(missing)}")
    if problems:
        raise InputError(f"文件 {name} 的表头有误：" + "；".join(problems) + "。")
    return keys


def _names(keys: Iterable[str]) -> str:
    return "、".join(f"“{COLUMN_BY_KEY[k].zh}”" for k in keys)


def _show(value: object) -> str:
    """A non-personal value, shortened for a problem line."""
    text = value.isoformat() if isinstance(value, date) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= _SHOW_MAX else text[: _SHOW_MAX - 1] + "…"


# -- checking --------------------------------------------------------------------------------


@dataclass
class _Row:
    """A row that passed the checks of its own cells."""

    number: int
    ref: str
    fields: dict[str, Any]  # key of _CORE_FIELDS -> normalised value
    events: list[Event]
    clock: dict[str, Any]  # the cached clock columns (not the Clock: its explanation is not needed)


def _text(record: dict[str, object], key: str) -> str | None:
    value = record.get(key)
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    return text or None


def _check_row(
    number: int,
    record: dict[str, object],
    *,
    calendar: WorkCalendar,
    as_of: date,
    staff_ids: set[str],
) -> tuple[_Row | None, list[str]]:
    """Check one row's cells and procedure; returns the parsed row or the row's problems."""
    problems: list[str] = []

    def required(key: str) -> str | None:
        value = _text(record, key)
        if value is None:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”不能为空")
        return value

    def max_len(key: str, value: str | None) -> None:
        problem = text_too_long(_LIMITED[key], value)
        if problem is not None:
            problems.append(problem)

    def a_date(key: str) -> date | None:
        raw = record.get(key)
        if raw is None:
            return None
        try:
            return parse_date(raw, field=COLUMN_BY_KEY[key].zh)
        except InputError:
            problems.append(f"“{COLUMN_BY_KEY[key].zh}”应为有效日期（如 {DATE_FORMS}），实际为“{_show(raw)}”")
            return None

    ref = required("ref")
    max_len("ref", ref)

    received_ok = record.get("received_on") is not None
    received = a_date("received_on")
    if not received_ok:
        problems.append("“收到日期”不能为空")
    elif received is not None and received > as_of:
        problems.append(f"“收到日期” {received.isoformat()} 晚于今天（{as_of.isoformat()}），不能预先登记")

    channel: str | None = None
    channel_text = _text(record, "channel")
    if channel_text is not None:
        channel = find_channel(channel_text)
        if channel is None:
            problems.append(
                f"“申请方式”应为{'、'.join(CHANNELS.values())}之一（或英文代码 {', '.join(CHANNELS)}），"
                f"实际为“{_show(channel_text)}”"
            )

    applicant_type: str | None = None
    type_text = required("applicant_type")
    if type_text is not None:
        applicant_type = find_applicant_type(type_text)
        if applicant_type is None:
            labels = [*list(APPLICANT_TYPES.values())[:-1], "其他组织（或“其他”）"]
            problems.append(
                f"“申请人类型”应为{'、'.join(labels)}之一（或英文代码 {', '.join(APPLICANT_TYPES)}），"
                f"实际为“{_show(type_text)}”"
            )

    # Personal data: say what is expected, never what came.
    name = required("applicant_name")
    max_len("applicant_name", name)
    contact = _text(record, "contact")
    max_len("contact", contact)
    id_number = _text(record, "id_number")
    if id_number is not None:
        why = id_number_problem(id_number, applicant_type)
        if why is not None:
            problems.append(f"“证件号码”{why}")
        id_number = id_number.upper()

    content = required("content")
    max_len("content", content)

    assignee = _text(record, "assignee")
    if assignee is not None and assignee not in staff_ids:
        known = "、".join(sorted(staff_ids)[:10]) + ("等" if len(staff_ids) > 10 else "")
        problems.append(
            f"“承办人”应为配置文件中的工作人员编号（{known or '未配置工作人员'}），没有“{_show(assignee)}”"
        )

    dates = {col: a_date(col) for col, _kind in EVENT_COLUMNS}
    date_failed = any(record.get(col) is not None and dates[col] is None for col, _kind in EVENT_COLUMNS)

    days: int | None = None
    days_text = _text(record, "extension_days")
    if days_text is not None:
        if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_EXTENSION_DAYS:
            problems.append(
                f"“延期天数”应为 1 至 {MAX_EXTENSION_DAYS} 的整数（工作日），实际为“{_show(days_text)}”"
            )
        else:
            days = int(days_text)
        if record.get("extension_approved_on") is None:
            problems.append("填写了“延期天数”，但没有填写“延期批准日期”")

    outcome_row: str | None = None
    outcome_text = _text(record, "outcome")
    if outcome_text is not None:
        found = find_outcome(outcome_text)
        if found is None:
            problems.append(
                "“办理结果”应为年度报告表三的行号（如 3.1）、代码（如 granted）或标准名称（如 予以公开），"
                f"实际为“{_show(outcome_text)}”（全部可用值见 gongkai request event --help）"
            )
        else:
            outcome_row = found.row
        if record.get("replied_on") is None:
            problems.append("填写了“办理结果”，但没有填写“答复日期”")
    elif record.get("replied_on") is not None:
        problems.append(
            "填写了“答复日期”，“办理结果”就不能为空（行号、代码或标准名称，如 3.1 / granted / 予以公开）"
        )

    if problems or date_failed or received is None or ref is None:
        return None, problems

    events: list[Event] = []
    for col, kind in EVENT_COLUMNS:
        on = dates[col]
        if on is None:
            continue
        if kind == "extension_approved":
            events.append(Event(kind, on, days=days))
        elif kind == "replied":
            events.append(Event(kind, on, outcome=outcome_row))
        else:
            events.append(Event(kind, on))
    try:
        clock = compute_clock(
            received, events, calendar=calendar, as_of=as_of, channel=channel, reject_future=True
        )
    except InputError as exc:
        return None, [f"办理过程有误：{_sentence(exc)}"]

    fields = {
        "received_on": received,
        "channel": channel,
        "applicant_type": applicant_type,
        "applicant_name": name,
        "contact": contact,
        "id_number": id_number,
        "content": content,
        "assignee": assignee,
    }
    return _Row(number, ref, fields, events, clock_columns(clock)), []


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
    table = APP
    cols = [table.c[model_col] for _key, model_col in _CORE_FIELDS]
    found: dict[str, _Existing] = {}
    for i in range(0, len(refs), _CHUNK):
        chunk = list(refs[i : i + _CHUNK])
        stmt = sa.select(
            table.c.id, table.c.ref, table.c.outcome_row, table.c.due, table.c.clock_version, *cols
        ).where(table.c.ref.in_(chunk))
        for r in session.execute(stmt):
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
) -> tuple[list[Event], Clock | None, list[str]]:
    """New events of ``row`` for a registered application, its new clock, or the problems."""
    problems: list[str] = []
    differing: list[str] = []
    for key, _model_col in _CORE_FIELDS:
        new, recorded = row.fields[key], old.fields[key]
        if new == recorded:
            continue
        column = COLUMN_BY_KEY[key]
        if key in PERSONAL_KEYS or key == "content":
            differing.append(f"“{column.zh}”")
        else:
            differing.append(
                f"“{column.zh}”（文件为“{_show(new or '')}”，已登记为“{_show(recorded or '')}”）"
            )
    if differing:
        problems.append(f"编号“{_show(row.ref)}”已登记，但{'、'.join(differing)}与已登记的不一致")

    new_events: list[Event] = []
    for ev in row.events:
        same_kind = [e for e in old.events if e.kind == ev.kind]
        if not same_kind:
            new_events.append(ev)
            continue
        if any(_same_event(ev, e) for e in same_kind):
            continue
        column = COLUMN_BY_KEY[_COLUMN_OF_KIND[ev.kind]]
        if any(e.on == ev.on for e in same_kind):
            rec = next(e for e in same_kind if e.on == ev.on)
            if ev.kind == "replied":
                problems.append(
                    f"编号“{_show(row.ref)}”已登记的“办理结果”为 {rec.outcome or '（空）'}，与文件中的 {ev.outcome} 不一致"
                    "（已登记的事件不能修改）"
                )
            else:
                problems.append(
                    f"编号“{_show(row.ref)}”已登记的“延期天数”为 {rec.days or MAX_EXTENSION_DAYS}，"
                    f"与文件中的 {ev.days or MAX_EXTENSION_DAYS} 不一致（已登记的事件不能修改）"
                )
        else:
            recorded = "、".join(e.on.isoformat() for e in same_kind)
            problems.append(
                f"编号“{_show(row.ref)}”已登记的“{column.zh}”为 {recorded}，与文件中的 {ev.on.isoformat()} 不一致"
                "（已登记的事件不能修改，只能追加）"
            )
    if problems or not new_events:
        return [], None, problems
    try:
        clock = compute_clock(
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


def import_register(
    session: Session,
    path: Path,
    *,
    calendar: WorkCalendar,
    as_of: date,
    recorded_by: str,
    staff_ids: set[str],
) -> ImportResult:
    """Import a register file into the caller's transaction, all or nothing.

    ``staff_ids`` are the configured staff ids (承办人 must be one of them, and each must exist in
    the ``staff`` table). Raises :class:`InputError` when the file cannot be read as a register,
    and :class:`ImportRejected` (with one problem line per bad row) when any row is bad; in both
    cases nothing is written. Does not commit.
    """
    path = Path(path)
    records, encoding = read_rows(path)
    problems: dict[int, list[str]] = defaultdict(list)
    parsed: list[_Row] = []
    first_row_of_ref: dict[str, int] = {}

    for number, record in records:
        row, row_problems = _check_row(number, record, calendar=calendar, as_of=as_of, staff_ids=staff_ids)
        ref = _text(record, "ref")
        if ref is not None:
            if ref in first_row_of_ref:
                row_problems.insert(
                    0, f"编号“{_show(ref)}”与第 {first_row_of_ref[ref]} 行重复（编号在本单位内应唯一）"
                )
                row = None
            else:
                first_row_of_ref[ref] = number
        if row_problems:
            problems[number].extend(row_problems)
        elif row is not None:
            parsed.append(row)

    existing = _load_existing(session, [r.ref for r in parsed])
    fresh: list[_Row] = []
    appended: list[tuple[_Row, _Existing, list[Event], Clock]] = []
    unchanged = 0
    for row in parsed:
        old = existing.get(row.ref)
        if old is None:
            fresh.append(row)
            continue
        new_events, clock, row_problems = _compare_existing(row, old, calendar=calendar, as_of=as_of)
        if row_problems:
            problems[row.number].extend(row_problems)
        elif clock is None:
            unchanged += 1
        else:
            appended.append((row, old, new_events, clock))

    locked = final_years(session)
    if locked:
        # A row may not change the figures of a year whose annual report is final.
        for row, changed_from, until in [
            *((r, r.fields["received_on"], r.clock.get("concluded_on")) for r in fresh),
            *((r, min(e.on for e in evs), c.concluded_on) for r, _old, evs, c in appended),
        ]:
            years = locked_years_touched(locked, since=changed_from, until=until)
            if years:
                problems[row.number].append(
                    f"会改变已定稿的 {'、'.join(map(str, years))} 年度报告的数据（该年度已锁定，须由管理员重新开启）"
                )

    if problems:
        lines = [
            f"文件 {path.name} 第 {number} 行："
            + "；".join(_sentence_part(p) for p in problems[number])
            + "。"
            for number in sorted(problems)
        ]
        raise ImportRejected(f"文件 {path.name} 有 {len(lines)} 行有误，未导入任何数据：", lines)

    events_added = _write(session, fresh, appended, recorded_by=recorded_by)
    return ImportResult(
        inserted=len(fresh),
        events_added=events_added,
        unchanged=unchanged,
        rows=len(records),
        encoding=encoding,
        updated=len(appended),
    )


def _sentence_part(text: str) -> str:
    return text.rstrip("。；;").strip()


def _event_dict(app_id: int, ev: Event, *, now: datetime, recorded_by: str) -> dict[str, Any]:
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


def _write(
    session: Session,
    fresh: Sequence[_Row],
    appended: Sequence[tuple[_Row, _Existing, list[Event], Clock]],
    *,
    recorded_by: str,
) -> int:
    """Bulk-insert new applications and events, update clocks; returns the event rows written."""
    app_table, event_table = APP, EV
    now = utcnow()

    _insert_batches(
        session,
        app_table,
        (
            {
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
            for r in fresh
        ),
    )
    ids: dict[str, int] = {}
    with_events = [r.ref for r in fresh if r.events]
    for i in range(0, len(with_events), _CHUNK):
        chunk = with_events[i : i + _CHUNK]
        for app_id, ref in session.execute(
            sa.select(app_table.c.id, app_table.c.ref).where(app_table.c.ref.in_(chunk))
        ):
            ids[ref] = app_id

    event_rows = itertools.chain(
        (_event_dict(ids[r.ref], ev, now=now, recorded_by=recorded_by) for r in fresh for ev in r.events),
        (
            _event_dict(old.id, ev, now=now, recorded_by=recorded_by)
            for _row, old, new_events, _clock in appended
            for ev in new_events
        ),
    )
    written = _insert_batches(session, event_table, event_rows)

    if appended:
        updates: list[dict[str, Any]] = []
        for _row, old, _new_events, clock in appended:
            version = old.clock_version + (1 if old.due is not None and clock.due != old.due else 0)
            updates.append(
                {"b_id": old.id, **clock_columns(clock), "clock_version": version, "updated_at": now}
            )
        values: dict[str, Any] = {k: sa.bindparam(k) for k in updates[0] if k != "b_id"}
        session.execute(
            sa.update(app_table).where(app_table.c.id == sa.bindparam("b_id")).values(values),
            updates,
            execution_options={"synchronize_session": False},
        )
    session.flush()
    return written


def _insert_batches(session: Session, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
    """Core bulk insert (executemany) in batches, so memory stays flat on a large register."""
    written = 0
    it = iter(rows)
    while batch := list(itertools.islice(it, _INSERT_BATCH)):  # itertools.batched is 3.12+
        session.execute(sa.insert(table), batch)
        written += len(batch)
    return written


__all__ = [
    "COLUMNS",
    "Column",
    "EVENT_COLUMNS",
    "ImportResult",
    "import_register",
    "read_rows",
    "resident_id_problem",
]
