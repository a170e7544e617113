"""The register import against real databases (SQLite and PostgreSQL via ``db_url``).

The 1,000-row register of ``register_fixture`` (37 bad rows of 17 kinds) is the main material:
all-or-nothing refusal naming exactly the bad rows, identical databases from every accepted file
form, idempotent re-import and appending of later events. Small hand-written files cover headers,
spellings, XLSX cells and the file-level refusals.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from register_fixture import (
    AS_OF,
    EARLY_AS_OF,
    STAFF,
    STAFF_IDS,
    Register,
    build_register,
    csv_text,
    id_check_digit,
    row_events,
    write_csv,
    write_xlsx,
)
from sqlalchemy.engine import Engine

from gongkai.core.codes import OUTCOMES
from gongkai.core.errors import ImportRejected, InputError
from gongkai.register.importer import ImportResult, import_register, read_rows, resident_id_problem
from gongkai.register.repository import sync_staff
from gongkai.register.workcal import WorkCalendar
from gongkai.store.db import open_database
from gongkai.store.tables import APP
from gongkai.store.tables import EV as EVENT
from tests.offices import FIRST_OFFICE, office_session

CALENDAR = WorkCalendar()
APP_COLUMNS = [c for c in APP.columns.keys() if c not in ("id", "created_at", "updated_at")]
CLOCK_COLUMNS = (
    "state", "due", "safe_due", "original_due", "extension_limit", "correction_notice_due",
    "provisional", "concluded_on", "outcome_row", "clock_as_of",
)  # fmt: skip
ROW_NO = re.compile(r"^文件 \S+ 第 (\d+) 行：")


# -- helpers -----------------------------------------------------------------------------------


def _open(url: str) -> Engine:
    engine = open_database(url)
    with office_session(engine) as session:
        sync_staff(session, STAFF)
    return engine


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database (SQLite and PostgreSQL) with the fixture's staff."""
    eng = _open(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated SQLite database with the fixture's staff (for the small cases)."""
    eng = _open(sqlite_url)
    yield eng
    eng.dispose()


def _import(engine: Engine, path: Path, *, as_of: date = AS_OF) -> ImportResult:
    with office_session(engine) as session:
        return import_register(
            session, path, calendar=CALENDAR, as_of=as_of, recorded_by="tester", staff_ids=set(STAFF_IDS)
        )


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        apps = conn.execute(sa.select(sa.func.count()).select_from(APP)).scalar_one()
        events = conn.execute(sa.select(sa.func.count()).select_from(EVENT)).scalar_one()
    return apps, events


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in row)


Dump = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def _dump(engine: Engine) -> Dump:
    """application and application_event rows without ids and timestamps, in a canonical order."""
    with engine.connect() as conn:
        apps = conn.execute(sa.select(*[APP.c[k] for k in APP_COLUMNS])).all()
        events = conn.execute(
            sa.select(
                APP.c.ref, EVENT.c.kind, EVENT.c.occurred_on, EVENT.c.days, EVENT.c.until,
                EVENT.c.outcome_row, EVENT.c.note, EVENT.c.recorded_by,
            ).join(APP, APP.c.id == EVENT.c.application_id)
        ).all()  # fmt: skip
    return sorted((tuple(r) for r in apps), key=_sort_key), sorted((tuple(r) for r in events), key=_sort_key)


def _apps_by_ref(engine: Engine) -> dict[str, dict[str, Any]]:
    with engine.connect() as conn:
        return {r.ref: dict(r._mapping) for r in conn.execute(sa.select(APP))}


def _event_rows(engine: Engine) -> dict[int, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {r.id: tuple(r) for r in conn.execute(sa.select(EVENT))}


def _write_rows(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _n_events(reg: Register) -> int:
    return sum(len(row_events(r)) for r in reg.rows)


def _valid_id(first17: str = "11010519491231002") -> str:
    return first17 + id_check_digit(first17)


# -- the 1,000-row register ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_register() -> Register:
    """The register with its 37 bad rows."""
    return build_register()


@pytest.fixture(scope="module")
def good_register() -> Register:
    """The same register without the bad rows (963 rows)."""
    return build_register(bad=False)


@pytest.fixture(scope="module")
def reference_dump(good_register: Register, tmp_path_factory: pytest.TempPathFactory) -> Dump:
    """The database a UTF-8 import of the good register gives (SQLite)."""
    folder = tmp_path_factory.mktemp("reference")
    eng = _open(f"sqlite:///{folder}/reference.db")
    try:
        result = _import(eng, write_csv(good_register, folder / "register.csv"))
        events = _n_events(good_register)
        assert result == ImportResult(
            inserted=963, events_added=events, unchanged=0, rows=963, encoding="utf-8"
        )
        return _dump(eng)
    finally:
        eng.dispose()


def test_fixture_has_37_bad_rows_of_many_kinds(bad_register: Register, good_register: Register) -> None:
    """The fixture is what the tests below rely on."""
    assert len(bad_register) == 1000 and len(bad_register.bad) == 37
    assert len(set(bad_register.bad.values())) >= 12
    assert len(good_register) == 963 and not good_register.bad
    outcomes = {str(r["outcome"]) for r in good_register.rows} - {""}
    for o in OUTCOMES:
        assert outcomes & {o.row, o.code, o.label}, o.row


def test_bad_register_is_refused_whole_naming_exactly_the_bad_rows(
    engine: Engine, bad_register: Register, tmp_path: Path
) -> None:
    path = write_csv(bad_register, tmp_path / "register.csv")
    with pytest.raises(ImportRejected) as info:
        _import(engine, path)
    err = info.value
    assert str(err) == "文件 register.csv 有 37 行有误，未导入任何数据："
    assert _counts(engine) == (0, 0)

    numbers = []
    for line in err.problems:
        m = ROW_NO.match(line)
        assert m, line
        numbers.append(int(m.group(1)))
    assert len(numbers) == len(set(numbers)) == 37
    assert set(numbers) == set(bad_register.bad)

    personal = bad_register.personal_values()
    assert len(personal) > 1500
    for line in [str(err), *err.problems]:
        leaked = [v for v in personal if v in line]
        assert not leaked, line


def test_problem_lines_say_what_was_expected(
    bad_register: Register, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Spot checks: each kind of fault is named by its column or rule."""
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, write_csv(bad_register, tmp_path / "register.csv"))
    by_row = {int(ROW_NO.match(line).group(1)): line for line in info.value.problems}  # type: ignore[union-attr]
    expected = {
        "malformed_date": "“收到日期”应为有效日期",
        "impossible_date": "应为有效日期",
        "unknown_outcome": "“办理结果”应为",
        "missing_required": "不能为空",
        "unknown_applicant_type": "“申请人类型”应为",
        "unknown_channel": "“申请方式”应为",
        "duplicate_ref": "重复",
        "unknown_assignee": "“承办人”应为配置文件中的工作人员编号",
        "reply_before_receipt": "早于收到申请日期",
        "extension_after_deadline": "届满前批准",
        "correction_received_without_request": "应先登记“告知补正”",
        "outcome_without_reply": "没有填写“答复日期”",
        "reply_without_outcome": "“办理结果”就不能为空",
        "future_date": "晚于今天",
        "bad_id_check_digit": "“证件号码”应为有效的 18 位居民身份证号码，校验位不正确",
        "event_after_conclusion": "不能再登记",
        "bad_extension_days": "“延期天数”应为 1 至 20 的整数",
    }
    for number, kind in bad_register.bad.items():
        assert expected[kind] in by_row[number], (kind, by_row[number])


@pytest.mark.parametrize("form", ["utf-8", "utf-8-sig", "gb18030", "xlsx"])
def test_every_file_form_gives_the_same_database(
    form: str, engine: Engine, good_register: Register, reference_dump: Dump, tmp_path: Path
) -> None:
    if form == "xlsx":
        path = write_xlsx(good_register, tmp_path / "register.xlsx")
    else:
        path = write_csv(good_register, tmp_path / "register.csv", encoding=form)
    result = _import(engine, path)
    events = _n_events(good_register)
    assert result == ImportResult(inserted=963, events_added=events, unchanged=0, rows=963, encoding=form)
    dump = _dump(engine)
    assert len(dump[0]) == 963 and len(dump[1]) > 963
    assert dump == reference_dump
    if engine.dialect.name == "postgresql":  # SQLite keeps no zone; PostgreSQL must get aware times
        with engine.connect() as conn:
            stamp = conn.execute(sa.select(EVENT.c.recorded_at).limit(1)).scalar_one()
        assert stamp.utcoffset() is not None


def test_imported_rows_carry_their_clock_and_source(
    good_register: Register, sqlite_engine: Engine, tmp_path: Path
) -> None:
    _import(sqlite_engine, write_csv(good_register, tmp_path / "register.csv"))
    apps = _apps_by_ref(sqlite_engine)
    row = next(r for r in good_register.rows if r["extension_approved_on"] and r["replied_on"])
    app = apps[str(row["ref"])]
    assert app["source"] == "import" and app["clock_version"] == 1 and app["extension_limit"] is not None
    assert app["state"] in ("replied", "abandoned") and app["concluded_on"] == row["replied_on"]
    open_rows = [r for r in good_register.rows if not r["replied_on"]]
    assert open_rows and all(apps[str(r["ref"])]["concluded_on"] is None for r in open_rows)
    with sqlite_engine.connect() as conn:
        by = set(conn.execute(sa.select(EVENT.c.recorded_by).distinct()).scalars())
    assert by == {"tester"}


def test_big5_file_is_refused_with_a_clear_message(good_register: Register, tmp_path: Path) -> None:
    # Traditional characters for the header so that it really is Big5; the data may lose a few.
    traditional = str.maketrans({"编": "編", "号": "號", "请": "請", "类": "類", "联": "聯", "系": "繫",
                                 "办": "辦", "复": "覆", "结": "結", "补": "補", "见": "見", "费": "費",
                                 "缴": "繳", "证": "證", "码": "碼", "数": "數", "内": "內"})  # fmt: skip
    text = csv_text(good_register)
    header, _, body = text.partition("\r\n")
    header = header.translate(traditional)
    header.encode("big5")  # strict: the header is genuine Big5
    data = (header + "\r\n" + body).encode("big5", errors="replace")
    path = tmp_path / "登记簿.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        read_rows(path)
    message = str(info.value)
    assert not isinstance(info.value, ImportRejected)
    assert "登记簿.csv" in message
    for word in ("UTF-8", "GB18030", "Big5"):
        assert word in message


def test_reimport_changes_nothing_and_a_later_file_appends_only_new_events(
    engine: Engine, tmp_path: Path
) -> None:
    early = build_register(bad=False, as_of=EARLY_AS_OF)
    late = build_register(bad=False)
    early_path = write_csv(early, tmp_path / "register-september.csv")
    first = _import(engine, early_path, as_of=EARLY_AS_OF)
    assert first == ImportResult(len(early), _n_events(early), 0, len(early), "utf-8")

    before_apps, before_events = _apps_by_ref(engine), _event_rows(engine)
    for path in (early_path, write_xlsx(early, tmp_path / "register-september.xlsx")):
        again = _import(engine, path, as_of=EARLY_AS_OF)
        assert (again.inserted, again.events_added, again.unchanged, again.updated) == (0, 0, len(early), 0)
        assert _apps_by_ref(engine) == before_apps  # updated_at included
        assert _event_rows(engine) == before_events

    early_rows = {str(r["ref"]): r for r in early.rows}
    new_events = {
        str(r["ref"]): len(row_events(r)) - len(row_events(early_rows[str(r["ref"])]))
        for r in late.rows
        if str(r["ref"]) in early_rows
    }
    assert sum(new_events.values()) > 50  # the fixture has plenty of later events

    result = _import(engine, write_csv(late, tmp_path / "register-january.csv"), as_of=AS_OF)
    assert result.inserted == len(late) - len(early)
    events_of_new_rows = sum(len(row_events(r)) for r in late.rows if str(r["ref"]) not in early_rows)
    assert result.events_added == sum(new_events.values()) + events_of_new_rows
    assert result.updated == sum(1 for n in new_events.values() if n)
    assert result.unchanged == sum(1 for n in new_events.values() if not n)

    # the events recorded in September are untouched, and the log now holds exactly the January file
    after_events = _event_rows(engine)
    assert {i: after_events[i] for i in before_events} == before_events
    with engine.connect() as conn:
        logged = sorted(
            ((r.ref, r.kind, r.occurred_on) for r in conn.execute(
                sa.select(APP.c.ref, EVENT.c.kind, EVENT.c.occurred_on).join(APP, APP.c.id == EVENT.c.application_id)
            )),
            key=_sort_key,
        )  # fmt: skip
    expected = sorted(
        ((str(r["ref"]), e.kind, e.on) for r in late.rows for e in row_events(r)), key=_sort_key
    )
    assert logged == expected

    # applications with new events have the clock of the whole history; the others are as they were
    fresh = {
        r[APP_COLUMNS.index("ref")]: dict(zip(APP_COLUMNS, r, strict=True))
        for r in _reference(late, tmp_path)
    }
    after_apps = _apps_by_ref(engine)
    moved = 0
    for ref, n in new_events.items():
        old, now = before_apps[ref], after_apps[ref]
        if n == 0:
            assert now == old
            continue
        assert {k: now[k] for k in CLOCK_COLUMNS} == {k: fresh[ref][k] for k in CLOCK_COLUMNS}
        assert now["clock_version"] == old["clock_version"] + (now["due"] != old["due"])
        assert now["updated_at"] != old["updated_at"] and now["created_at"] == old["created_at"]
        moved += now["due"] != old["due"]
    assert moved > 0

    # and importing the January file once more changes nothing
    once_more = _import(engine, tmp_path / "register-january.csv", as_of=AS_OF)
    assert (once_more.inserted, once_more.events_added, once_more.unchanged) == (0, 0, len(late))


def _reference(reg: Register, tmp_path: Path) -> list[tuple[Any, ...]]:
    """Application rows of a fresh SQLite import of ``reg`` as of AS_OF."""
    folder = tmp_path / "fresh"
    folder.mkdir()
    eng = _open(f"sqlite:///{folder}/fresh.db")
    try:
        _import(eng, write_csv(reg, folder / "register.csv"))
        return _dump(eng)[0]
    finally:
        eng.dispose()


def test_registered_ref_that_differs_is_a_problem_without_personal_values(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    header = [
        "编号",
        "收到日期",
        "申请人类型",
        "申请人",
        "联系方式",
        "证件号码",
        "申请内容",
        "答复日期",
        "办理结果",
    ]
    rows = [
        [
            "A-1",
            "2025-03-03",
            "自然人",
            "司马示例",
            "13900001111",
            _valid_id(),
            "申请公开示例文件甲",
            "2025-03-10",
            "3.1",
        ],
        [
            "A-2",
            "2025-03-04",
            "自然人",
            "欧阳示例",
            "13900002222",
            "",
            "申请公开示例文件乙",
            "2025-03-11",
            "3.2",
        ],
        ["A-3", "2025-03-05", "商业企业", "示例星桥科技有限公司", "", "", "申请公开示例文件丙", "", ""],
    ]
    _import(sqlite_engine, _write_rows(tmp_path / "v1.csv", header, rows))
    before = _dump(sqlite_engine)

    changed = [
        [
            "A-1",
            "2025-03-04",
            "自然人",
            "司马示例改",
            "13900001112",
            _valid_id(),
            "申请公开示例文件甲",
            "2025-03-10",
            "3.1",
        ],
        [
            "A-2",
            "2025-03-04",
            "自然人",
            "欧阳示例",
            "13900002222",
            "",
            "申请公开示例文件乙",
            "2025-03-12",
            "部分公开",
        ],
        [
            "A-3",
            "2025-03-05",
            "商业企业",
            "示例星桥科技有限公司",
            "",
            "",
            "申请公开示例文件丙",
            "2025-03-20",
            "granted",
        ],
    ]
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, _write_rows(tmp_path / "v2.csv", header, changed))
    problems = info.value.problems
    assert len(problems) == 2, problems  # A-3 only adds its reply: fine, but the file is refused whole
    assert problems[0].startswith("文件 v2.csv 第 2 行：编号“A-1”已登记，但“收到日期”")
    assert "“申请人”" in problems[0] and "“联系方式”" in problems[0]
    assert "司马示例" not in problems[0] and "1390000111" not in problems[0]
    assert problems[1].startswith("文件 v2.csv 第 3 行：") and "“答复日期”为 2025-03-11" in problems[1]
    assert _dump(sqlite_engine) == before

    ok = [changed[1][:7] + ["2025-03-11", "3.2"], changed[2]]
    result = _import(sqlite_engine, _write_rows(tmp_path / "v3.csv", header, ok))
    assert (result.inserted, result.events_added, result.updated, result.unchanged) == (0, 1, 1, 1)
    assert _apps_by_ref(sqlite_engine)["A-3"]["state"] == "replied"


def test_english_headers_in_any_case_and_mixed_date_spellings(sqlite_engine: Engine, tmp_path: Path) -> None:
    header = [" REF", "Received_On", "channel", "APPLICANT_TYPE", "applicant_name", "Contact", "id_number",
              "content", "assignee", "correction_requested_on", "correction_received_on",
              "extension_approved_on", "extension_days", "replied_on", "outcome "]  # fmt: skip
    rows = [
        ["E-1", "2025-01-24", "in_person", "natural_person", "示例甲", "", "11010519491231002x", "申请公开示例一", "zhang_min",
         "2025/1/27", "2025年2月5日", "", "", "2025年3月3日", "granted"],
        ["E-2", " 2025/2/3 ", "网络", "其他", "示例乙", "", "", "申请公开示例二", "",
         "", "", "2025-02-20", "10", "2025/3/10", "3.3.4"],
        ["E-3", "2025年9月30日", "", "other_org", "示例丙", "", "", "多行\n申请内容", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    path = _write_rows(tmp_path / "english.csv", header, rows)
    records, encoding = read_rows(path)
    assert encoding == "utf-8" and [n for n, _r in records] == [2, 3, 4]
    assert records[1][1]["received_on"] == "2025/2/3" and records[0][1]["ref"] == "E-1"

    result = _import(sqlite_engine, path)
    assert (result.inserted, result.rows) == (3, 3)
    apps = _apps_by_ref(sqlite_engine)
    assert [apps[r]["received_on"] for r in ("E-1", "E-2", "E-3")] == [
        date(2025, 1, 24),
        date(2025, 2, 3),
        date(2025, 9, 30),
    ]
    assert apps["E-1"]["channel"] == "in_person" and apps["E-2"]["channel"] == "online"
    assert apps["E-3"]["channel"] is None and apps["E-3"]["content"] == "多行\n申请内容"
    assert [apps[r]["applicant_type"] for r in ("E-1", "E-2", "E-3")] == [
        "natural_person",
        "other_org",
        "other_org",
    ]
    assert (
        apps["E-1"]["applicant_id_number"] == "11010519491231002X"
        and apps["E-1"]["assignee_id"] == "zhang_min"
    )
    assert apps["E-1"]["outcome_row"] == "3.1" and apps["E-2"]["outcome_row"] == "3.3.4"
    assert apps["E-3"]["state"] == "in_progress"
    with sqlite_engine.connect() as conn:
        events = conn.execute(
            sa.select(APP.c.ref, EVENT.c.kind, EVENT.c.occurred_on, EVENT.c.days)
            .join(APP, APP.c.id == EVENT.c.application_id)
            .order_by(EVENT.c.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("E-1", "correction_requested", date(2025, 1, 27), None),
        ("E-1", "correction_received", date(2025, 2, 5), None),
        ("E-1", "replied", date(2025, 3, 3), None),
        ("E-2", "extension_approved", date(2025, 2, 20), 10),
        ("E-2", "replied", date(2025, 3, 10), None),
    ]


def test_one_line_names_every_bad_column_of_a_row(sqlite_engine: Engine, tmp_path: Path) -> None:
    header = [
        "编号",
        "收到日期",
        "申请方式",
        "申请人类型",
        "申请人",
        "联系方式",
        "证件号码",
        "申请内容",
        "承办人",
    ]
    bad_id = _valid_id()[:-1] + ("1" if not _valid_id().endswith("1") else "2")
    rows = [
        ["M-1", "2025-02-29", "微信", "个人", "", "13912345678", bad_id, "申请公开示例", "nobody"],
        ["M-2", "2025-03-03", "", "自然人", "示例丁", "", "12345", "申请公开示例", ""],
    ]
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, _write_rows(tmp_path / "multi.csv", header, rows))
    first, second = info.value.problems
    for column in ("收到日期", "申请方式", "申请人类型", "申请人", "证件号码", "承办人"):
        assert f"“{column}”" in first
    assert "2025-02-29" in first and "微信" in first and "nobody" in first
    assert bad_id not in first and "13912345678" not in first
    assert "12345" not in second and "格式不正确" in second
    assert _counts(sqlite_engine) == (0, 0)


def test_xlsx_date_cells_numeric_refs_and_sheet_row_numbers(sqlite_engine: Engine, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(
        [
            "编号",
            "收到日期",
            "申请人类型",
            "申请人",
            "申请内容",
            "延期批准日期",
            "延期天数",
            "答复日期",
            "办理结果",
        ]
    )
    ws.append([2025001, datetime(2025, 3, 3, 9, 30), "自然人", "示例戊", "申请公开示例", None, None,
               date(2025, 3, 20), "3.1"])  # fmt: skip
    ws.append([None] * 9)  # a blank row keeps its number: the next row is row 4
    ws.append(
        [2025002.0, date(2025, 3, 4), "自然人", 12345, "申请公开示例", date(2025, 3, 10), 15.0, None, None]
    )
    ws.append(
        ["2025-0003", "2025/3/5", "法律服务机构", "示例律师事务所", "申请公开示例", None, None, None, None]
    )
    path = tmp_path / "register.xlsx"
    wb.save(path)

    records, encoding = read_rows(path)
    assert encoding == "xlsx"
    assert [n for n, _r in records] == [2, 4, 5]
    assert [r["ref"] for _n, r in records] == ["2025001", "2025002", "2025-0003"]
    assert records[0][1]["received_on"] == date(2025, 3, 3) and records[1][1]["extension_days"] == "15"
    assert records[1][1]["applicant_name"] == "12345"

    result = _import(sqlite_engine, path)
    assert (result.inserted, result.encoding) == (3, "xlsx")
    apps = _apps_by_ref(sqlite_engine)
    assert apps["2025001"]["received_on"] == date(2025, 3, 3) and apps["2025001"]["state"] == "replied"
    assert apps["2025002"]["state"] == "in_progress" and apps["2025-0003"]["received_on"] == date(2025, 3, 5)

    ws.cell(row=5, column=2, value="2025/2/30")
    ws.cell(row=4, column=9, value="granted")
    wb.save(path)
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, path)
    assert [ROW_NO.match(p).group(1) for p in info.value.problems] == ["4", "5"]  # type: ignore[union-attr]


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


MINIMAL = "编号,收到日期,申请人类型,申请人,申请内容\r\nX-1,2025-03-03,自然人,示例己,申请公开示例\r\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("unknown.csv", MINIMAL.replace("申请内容", "申请内容,备注") + "", "无法识别的列名 “备注”"),
        ("dup.csv", "编号,ref,收到日期,申请人类型,申请人,申请内容\r\n", "列名重复：“编号”与“ref”都是“编号”"),
        ("missing.csv", "编号,收到日期,申请人类型,申请人\r\nX-1,2025-03-03,自然人,示例\r\n", "缺少必填列 “申请内容”"),
        ("header-only.csv", MINIMAL.split("\r\n")[0] + "\r\n\r\n,,,,\r\n", "只有表头，没有数据行"),
        ("empty.csv", "", "是空文件"),
        ("blank-header.csv", MINIMAL.replace("申请内容", "申请内容,") + "X-2,2025-03-03,自然人,示例,示例,多余\r\n",
         "第 6 列（F 列）没有列名，但第 3 行在该列有内容"),
        ("register.xls", MINIMAL, "只接受 .csv 或 .xlsx 文件"),
        ("fake.xlsx", MINIMAL, "不是有效的 XLSX 文件"),
        ("utf16.csv", MINIMAL, "UTF-16"),
        ("nonsense.csv", MINIMAL, "既不是有效的 UTF-8 也不是有效的 GB18030"),
        ("ascii.csv", "a,b,c\r\n1,2,3\r\n", "表头无法识别"),
    ],
)  # fmt: skip
def test_files_that_cannot_be_read_are_refused_clearly(
    name: str, content: str, expected: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    if name == "utf16.csv":
        _csv(path, content, "utf-16")  # Python writes the BOM
    elif name == "nonsense.csv":
        path.write_bytes(MINIMAL.encode() + b"\xff\xff\xff\r\n")
    else:
        _csv(path, content)
    with pytest.raises(InputError) as info:
        read_rows(path)
    assert expected in str(info.value)
    assert name in str(info.value)


def test_trailing_empty_columns_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = _csv(tmp_path / "r.csv", "\ufeff" + MINIMAL.replace("\r\n", ",,\r\n") + "\r\n,,,,,,\r\n", "utf-8")
    records, encoding = read_rows(path)
    assert encoding == "utf-8-sig"
    assert records == [(2, {"ref": "X-1", "received_on": "2025-03-03", "applicant_type": "自然人",
                            "applicant_name": "示例己", "content": "申请公开示例"})]  # fmt: skip
    gb = _csv(tmp_path / "gb.csv", MINIMAL, "gb18030")
    assert read_rows(gb) == (records, "gb18030")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("110105194912310021", False),
        ("1101051949123100", False),
        ("11010519491231002Y", False),
    ],
)
def test_resident_id_check_digit(value: str, ok: bool) -> None:
    problem = resident_id_problem(value)
    assert (problem is None) is ok
    if problem is not None:
        assert value not in problem


# -- limits ----------------------------------------------------------------------------------------


def test_field_limits_are_those_of_request_add(sqlite_engine: Engine, tmp_path: Path) -> None:
    """One limit per field (gongkai.store.models.APPLICATION_TEXT_LIMITS), the same in the import as in request add."""
    from gongkai.store.models import APPLICATION_TEXT_LIMITS

    header = ["编号", "收到日期", "申请人类型", "申请人", "联系方式", "申请内容"]
    content_limit = APPLICATION_TEXT_LIMITS["content"][1]
    rows = [
        ["L-1", "2025-03-03", "自然人", "示例", "", "内" * (content_limit + 1)],
        ["L-2", "2025-03-03", "自然人", "示例", "1" * 201, "申请公开示例"],
        ["L-3", "2025-03-03", "自然人", "示例", "", "内" * content_limit],
    ]
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, _write_rows(tmp_path / "long.csv", header, rows))
    first, second = info.value.problems
    assert first.startswith("文件 long.csv 第 2 行：") and f"“申请内容”最长 {content_limit} 个字符" in first
    assert (
        second.startswith("文件 long.csv 第 3 行：")
        and "“联系方式”最长 200 个字符，实际为 201 个字符" in second
    )
    assert "1" * 201 not in second
    assert _counts(sqlite_engine) == (0, 0)


def test_a_huge_csv_cell_names_file_row_and_column_in_chinese(tmp_path: Path) -> None:
    from gongkai.files.tablefile import MAX_CELL_CHARS

    path = _csv(
        tmp_path / "big-cell.csv", MINIMAL + 'X-2,2025-03-03,自然人,示例,"' + "内" * 5_000_000 + '"\r\n'
    )
    with pytest.raises(InputError) as info:
        read_rows(path)
    message = str(info.value)
    assert (
        "big-cell.csv" in message and "第 3 行" in message and "E 列" in message and "“申请内容”" in message
    )
    assert f"{MAX_CELL_CHARS:,}" in message or str(MAX_CELL_CHARS) in message
    assert not re.search(r"[A-Za-z]{5,}", message.replace("big-cell.csv", "")), message


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    from gongkai.files.tablefile import MAX_FILE_BYTES
    from gongkai.register.importer import SPEC

    # A register in CSV may be larger than other imports (a million rows); an XLSX keeps the default.
    for name, limit in (("huge.csv", SPEC.max_bytes), ("huge.xlsx", MAX_FILE_BYTES)):
        path = tmp_path / name
        with path.open("wb") as fh:
            fh.write(MINIMAL.encode())
            fh.truncate(limit + 1)  # sparse: costs no disk
        with pytest.raises(InputError) as info:
            read_rows(path)
        assert name in str(info.value) and f"{limit // 1024 // 1024} MB" in str(info.value)


def test_more_data_rows_than_the_limit_are_refused(tmp_path: Path) -> None:
    from gongkai.files.tablefile import MAX_CSV_ROWS, read_records
    from gongkai.files.tableimport import stream_table
    from gongkai.register.importer import SPEC

    assert SPEC.max_rows == MAX_CSV_ROWS == 1_000_000
    header = MINIMAL.split("\r\n")[0] + "\r\n"
    body = "x\r\n" * MAX_CSV_ROWS  # only what the reader needs: the limit is on row numbers
    path = _csv(tmp_path / "rows.csv", header + body + "X-last,2025-03-03,自然人,示例,申请公开示例\r\n")
    records, _encoding = stream_table(path, SPEC)
    with pytest.raises(InputError) as info:
        for _record in records:
            pass
    message = str(info.value)
    assert (
        "rows.csv" in message
        and f"{MAX_CSV_ROWS:,} 行数据" in message
        and f"第 {MAX_CSV_ROWS + 2:,} 行" in message
    )
    at_limit = _csv(tmp_path / "ok.csv", header + body)
    table, _encoding = read_records(at_limit, max_rows=SPEC.max_rows, max_bytes=SPEC.max_bytes)
    assert sum(1 for _row in table) == MAX_CSV_ROWS + 1


def _xlsx_with_styled_empty_rows(path: Path, data_rows: int, empty_rows: int) -> Path:
    """An XLSX whose first sheet has ``data_rows`` rows after the header, then ``empty_rows`` empty rows
    that carry a style (what a spreadsheet program leaves after formatting whole rows). Written as XML
    directly: openpyxl would take minutes to write a million rows."""
    import zipfile

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "收到日期", "申请人类型", "申请人", "申请内容"])
    for i in range(data_rows):
        ws.append([f"S-{i}", "2025-03-03", "自然人", "示例", "申请公开示例"])
    ws.cell(row=data_rows + 2, column=1).fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")
    base = path.with_suffix(".base.xlsx")
    wb.save(base)
    first = data_rows + 2
    rows = "".join(
        f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/><c r="B{n}" s="1"/><c r="C{n}" s="1"/></row>'
        for n in range(first, first + empty_rows)
    )
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(rf'<row r="{first}".*?</row>', rows, data.decode("utf-8"), count=1)
                data = re.sub(
                    r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:E{first + empty_rows - 1}"/>', text
                ).encode("utf-8")
            zout.writestr(info, data)
    return path


def test_an_xlsx_with_a_million_styled_empty_rows_is_refused_without_reading_them(tmp_path: Path) -> None:
    from gongkai.files.tablefile import MAX_DATA_ROWS

    path = _xlsx_with_styled_empty_rows(tmp_path / "styled.xlsx", 2, 1_000_000)
    with pytest.raises(InputError) as info:
        read_rows(path)
    message = str(info.value)
    assert "styled.xlsx" in message and f"第 {MAX_DATA_ROWS + 2:,} 行" in message and "空行" in message


def test_styled_empty_rows_below_the_data_within_the_limit_are_ignored(tmp_path: Path) -> None:
    path = _xlsx_with_styled_empty_rows(tmp_path / "styled.xlsx", 2, 5_000)
    records, _encoding = read_rows(path)
    assert [n for n, _r in records] == [2, 3]


# -- streaming: batches, memory, chunked decoding ------------------------------------------------


def _many_rows(count: int, bad: set[int]) -> str:
    """A register of ``count`` rows (row numbers 2 … count + 1); the rows in ``bad`` have a future receipt."""
    lines = [MINIMAL.split("\r\n")[0]]
    for number in range(2, count + 2):
        received = "2099-01-05" if number in bad else "2025-03-03"
        lines.append(f"S-{number},{received},自然人,示例,申请公开示例")
    return "\r\n".join(lines) + "\r\n"


def test_a_bad_row_after_batches_were_written_leaves_nothing_and_every_bad_row_is_listed(
    engine: Engine, tmp_path: Path
) -> None:
    from gongkai.register.importer import BATCH

    count = 2 * BATCH + 100
    bad = {2, BATCH + 1, count + 1}  # the first row, one in the second batch, the very last row
    path = _csv(tmp_path / "many.csv", _many_rows(count, bad))
    with pytest.raises(ImportRejected) as info:
        _import(engine, path)
    numbers = [m.group(1) for m in map(ROW_NO.match, info.value.problems) if m]
    assert numbers == [str(n) for n in sorted(bad)] and len(info.value.problems) == len(bad)
    assert _counts(engine) == (0, 0)

    good = _csv(tmp_path / "good.csv", _many_rows(count, set()))
    result = _import(engine, good)
    assert (result.rows, result.inserted) == (count, count) and _counts(engine) == (count, 0)
    again = _import(engine, good)
    assert (again.inserted, again.unchanged) == (0, count)


def test_a_repeated_ref_in_a_later_batch_names_the_first_row(sqlite_engine: Engine, tmp_path: Path) -> None:
    from gongkai.register.importer import BATCH

    text = _many_rows(BATCH + 10, set()) + "S-3,2025-03-03,自然人,示例,申请公开示例\r\n"
    with pytest.raises(ImportRejected) as info:
        _import(sqlite_engine, _csv(tmp_path / "repeat.csv", text))
    assert info.value.problems == [
        f"文件 repeat.csv 第 {BATCH + 12} 行：编号“S-3”与第 3 行重复（编号在本单位内应唯一）。"
    ]
    assert _counts(sqlite_engine) == (0, 0)


def test_csv_is_decoded_in_chunks_with_characters_across_their_edges(tmp_path: Path) -> None:
    from gongkai.files import tablefile

    # Enough multi-byte text that characters straddle the decoder's chunk edges (1 MB) in both encodings.
    filler = "申请公开某某街道办事处的信息" * 30
    lines = [MINIMAL.split("\r\n")[0]] + [f"C-{i},2025-03-03,自然人,示例,{filler}{i}" for i in range(3000)]
    text = "\r\n".join(lines) + "\r\n"
    assert len(text.encode("gb18030")) > 2 * tablefile._READ_CHUNK
    for encoding, expected in (("utf-8", "utf-8"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig")):
        records, found = read_rows(_csv(tmp_path / f"{encoding}.csv", text, encoding))
        assert found == expected and len(records) == 3000
        assert records[-1][1]["content"] == f"{filler}2999"

    # A bad byte past the first chunk after a BOM: the offset the message names is the file's own.
    data = "\ufeff".encode() + text.encode()
    at = tablefile._READ_CHUNK + 1  # the 2nd byte of a character that straddles no edge or does: either way
    broken = data[:at] + b"\xff" + data[at + 1 :]
    try:
        broken.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start
    path = tmp_path / "broken.csv"
    path.write_bytes(broken)
    with pytest.raises(InputError) as info:
        read_rows(path)
    assert f"第 {offset} 个字节起" in str(info.value)


def test_events_go_to_their_applications_when_an_id_was_written_by_hand(
    engine: Engine, tmp_path: Path
) -> None:
    """The new applications' ids are read as the ids above the largest one before the insert; an
    application stored with a high id by hand (a restore, say) leaves a PostgreSQL sequence below it,
    and the refs not found in that range are then looked up one by one."""
    with office_session(engine) as session:
        session.execute(
            sa.insert(APP).values(
                office_id=FIRST_OFFICE, id=1_000_000, ref="HAND-1", received_on=date(2025, 3, 3), applicant_type="natural_person",
                applicant_name="示例", content="示例", state="received", provisional=False,
                clock_version=1, source="cli", created_at=datetime(2025, 3, 3, tzinfo=UTC),
                updated_at=datetime(2025, 3, 3, tzinfo=UTC),
            )
        )  # fmt: skip
    header = ["编号", "收到日期", "申请人类型", "申请人", "申请内容", "答复日期", "办理结果"]
    rows = [
        [f"E-{i}", "2025-03-03", "自然人", "示例", "申请公开示例", f"2025-03-{10 + i}", "3.1"]
        for i in range(5)
    ]
    result = _import(engine, _write_rows(tmp_path / "events.csv", header, rows))
    assert (result.inserted, result.events_added) == (5, 5)
    with engine.connect() as conn:
        joined = sa.select(APP.c.ref, EVENT.c.occurred_on).join(EVENT, EVENT.c.application_id == APP.c.id)
        replied = {ref: on for ref, on in conn.execute(joined)}
    assert replied == {f"E-{i}": date(2025, 3, 10 + i) for i in range(5)}


def _index_definitions(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            ).all()
        else:
            rows = conn.exec_driver_sql(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            ).all()
    return {(str(name), str(sql)) for name, sql in rows}


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 100 rows, and a table's indexes deferred once 150 rows are written: the large-import
    path of a million-row file, on the fixture's 963 rows."""
    import gongkai.files.tableimport as tableimport
    import gongkai.register.importer as importer

    monkeypatch.setattr(importer, "BATCH", 100)
    monkeypatch.setattr(tableimport, "DEFER_INDEXES_AFTER", 150)


@pytest.mark.usefixtures("small_batches")
def test_a_large_import_builds_the_indexes_again_as_they_were(
    engine: Engine, good_register: Register, reference_dump: Dump, tmp_path: Path
) -> None:
    before = _index_definitions(engine)
    assert any(name == "ix_application_report_long_running" for name, _ in before)
    _import(engine, write_csv(good_register, tmp_path / "register.csv"))
    assert _index_definitions(engine) == before  # partial index's WHERE included
    assert _dump(engine) == reference_dump


@pytest.mark.usefixtures("small_batches")
def test_a_large_import_refused_late_leaves_nothing_and_every_index(
    engine: Engine, good_register: Register, tmp_path: Path
) -> None:
    before = _index_definitions(engine)
    path = write_csv(good_register, tmp_path / "register.csv")
    last_line = path.read_text(encoding="utf-8").rstrip("\r\n").splitlines()[-1]
    bad = last_line.split(",")
    bad[0], bad[1] = (
        "Z-LATE-1",
        "2026-13-45",
    )  # a new ref with an impossible date, after the indexes were dropped
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(",".join(bad) + "\r\n")
    with pytest.raises(ImportRejected) as info:
        _import(engine, path)
    assert len(info.value.problems) == 1 and "第 965 行" in info.value.problems[0]
    assert _counts(engine) == (0, 0)
    assert _index_definitions(engine) == before
