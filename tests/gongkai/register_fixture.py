"""A deterministic, realistic request register for the import tests (all people and requests fictional).

``build_register()`` makes 1,000 rows received over 2025 with a mix of channels, applicant types,
events (corrections, consultations, fees, extensions) and every outcome row of table 三, of which
exactly 37 rows are bad in 17 different ways (``Register.bad`` maps their spreadsheet row numbers
to the kind of fault). ``build_register(bad=False)`` is the same register without those rows (963
rows); ``as_of=`` gives the register as it looked on an earlier day (later rows and events left
out), for re-import tests. Writers give CSV (any encoding) and XLSX.

Every good row is checked here with :func:`gongkai.register.deadlines.compute_clock`, so a failing import test
points at the importer, not at the fixture.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from gongkai.core.codes import OUTCOMES
from gongkai.register.deadlines import Event, compute_clock
from gongkai.register.importer import COLUMNS, EVENT_COLUMNS, events_of
from gongkai.register.workcal import WorkCalendar

SEED: Final = 20250124
AS_OF: Final = date(2026, 1, 16)
EARLY_AS_OF: Final = date(2025, 9, 30)
STAFF: Final = (
    ("zhang_min", "张敏", ("handler",)),
    ("liu_yang", "刘洋", ("handler",)),
    ("chen_jing", "陈静", ("unit_head", "handler")),
)
STAFF_IDS: Final = frozenset(s[0] for s in STAFF)

KEYS: Final = tuple(c.key for c in COLUMNS)
DATE_KEYS: Final = frozenset({"received_on", *(col for col, _kind in EVENT_COLUMNS)})
_KIND_OF: Final = dict(EVENT_COLUMNS)

# 37 bad rows, 17 kinds of fault.
FAULTS: Final[dict[str, int]] = {
    "malformed_date": 2,
    "impossible_date": 3,
    "unknown_outcome": 3,
    "missing_required": 4,
    "unknown_applicant_type": 2,
    "unknown_channel": 2,
    "duplicate_ref": 3,
    "unknown_assignee": 2,
    "reply_before_receipt": 2,
    "extension_after_deadline": 2,
    "correction_received_without_request": 2,
    "outcome_without_reply": 2,
    "reply_without_outcome": 2,
    "future_date": 2,
    "bad_id_check_digit": 2,
    "event_after_conclusion": 1,
    "bad_extension_days": 1,
}
assert sum(FAULTS.values()) == 37

_SURNAMES: Final = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施孔曹严华金魏陶姜谢邹喻柏窦章苏潘葛范彭鲁韦马方俞任袁柳鲍史唐薛雷贺倪汤殷罗毕郝安常乐于傅齐康伍余顾孟黄穆萧尹姚邵汪祁毛狄米贝臧计伏成戴宋庞熊纪舒屈项祝董梁杜阮蓝闵席季"
_GIVEN: Final = "晓岚婉清泽宇若溪景行沐辰思远亦菲子墨书瑶云舒嘉树明轩雨桐一诺安然昊天梓萱星河承泽语嫣知秋"
_ORG_WORDS: Final = (
    "星桥",
    "澄湖",
    "青禾",
    "远帆",
    "嘉木",
    "云岫",
    "松涛",
    "明渠",
    "临川",
    "白鹭",
    "枫林",
    "晨曦",
)
_ORG_KINDS: Final = {
    "commercial": ("示例{}科技有限公司", "虚构{}商贸有限公司", "示例{}物业服务有限公司"),
    "research": ("虚构{}城市研究院", "示例{}大学社会学研究所"),
    "public_interest": ("示例{}社区公益服务中心", "虚构{}环保志愿者协会"),
    "legal_services": ("示例{}律师事务所", "虚构{}法律服务所"),
    "other_org": ("示例{}小区业主委员会", "虚构{}股份经济合作社"),
}
_TOPICS: Final = (
    "{y}年老旧小区改造项目的资金使用情况",
    "示例路{n}号地块征收补偿方案",
    "{y}年度街道办事处部门预算和决算",
    "辖区第{n}网格垃圾分类设施的设置依据",
    "示例社区{y}年低保审批名单及标准",
    "示例河道整治工程的环境影响评价结论",
    "{y}年街道公共卫生间新建计划",
    "示例菜市场改造工程的招标文件",
    "辖区停车收费标准的制定依据",
    "示例小学周边道路交通整治方案",
    "{y}年第{n}批城市更新项目清单",
    "示例街道违法建设拆除决定书",
)
_TYPES: Final = (
    ("natural_person", 70, ("自然人", "自然人", "自然人", "natural_person")),
    ("commercial", 12, ("商业企业", "commercial")),
    ("research", 4, ("科研机构",)),
    ("public_interest", 4, ("社会公益组织",)),
    ("legal_services", 5, ("法律服务机构", "legal_services")),
    ("other_org", 5, ("其他组织", "其他", "other_org")),
)
_CHANNELS: Final = (
    ("当面", 30),
    ("邮寄", 15),
    ("平常信函", 5),
    ("网络", 35),
    ("传真", 3),
    ("online", 4),
    ("", 8),
)
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_FAR: Final = date(2026, 12, 31)


@dataclass(frozen=True)
class Register:
    """Rows keyed by the canonical field, with the spreadsheet row numbers of the bad ones."""

    rows: tuple[dict[str, object], ...]
    bad: dict[int, str]
    as_of: date
    styles: tuple[int, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.rows)

    def personal_values(self) -> set[str]:
        """Every applicant name, contact and ID number in the file (must never be echoed)."""
        out: set[str] = set()
        for row in self.rows:
            for key in ("applicant_name", "contact", "id_number"):
                value = row.get(key)
                if value:
                    out.add(str(value))
        return out


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _person(rng: random.Random) -> tuple[str, str, str]:
    name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
    if rng.random() < 0.8:
        contact = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
    else:
        contact = f"applicant{rng.randint(1000, 9999)}@example.com"
    id_number = ""
    if rng.random() < 0.6:
        born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 55))
        first17 = (
            f"{rng.choice(('110105', '310104', '440106', '510107'))}{born:%Y%m%d}{rng.randint(0, 999):03d}"
        )
        id_number = first17 + id_check_digit(first17)
        if id_number.endswith("X") and rng.random() < 0.5:
            id_number = id_number[:-1] + "x"  # written lower-case now and then; stored upper-case
    return name, contact, id_number


def _outcome_text(rng: random.Random, row: str) -> str:
    o = next(o for o in OUTCOMES if o.row == row)
    return rng.choice((o.row, o.row, o.label, o.label, o.code))


def _clock_due(cal: WorkCalendar, received: date, events: dict[str, date], ext_days: int | None) -> date:
    evs = events_of(events, extension_days=ext_days, outcome_row=None)
    return compute_clock(received, evs, calendar=cal, as_of=_FAR).due


def _history(
    rng: random.Random, cal: WorkCalendar, received: date, outcome_for: list[str]
) -> tuple[dict[str, date], str | None, int | None]:
    """Event dates, outcome row and extension days of one application's whole life."""
    wd = cal.add_workdays
    ev: dict[str, date] = {}
    start = received
    if rng.random() < 0.15:
        ev["correction_requested_on"] = req = wd(received, rng.randint(1, 6))
        if rng.random() < 0.75:
            ev["correction_received_on"] = start = wd(req, rng.randint(1, 12))
        elif rng.random() < 0.7:
            ev["replied_on"] = wd(req, rng.randint(16, 30))
            return ev, "3.6.1", None
        else:
            return ev, None, None
    cursor = start
    if rng.random() < 0.12:
        ev["consultation_sent_on"] = sent = wd(cursor, rng.randint(1, 6))
        if rng.random() < 0.85:
            ev["consultation_replied_on"] = cursor = wd(sent, rng.randint(2, 14))
        else:
            cursor = wd(sent, 15)
    if rng.random() < 0.07:
        ev["fee_notice_on"] = notice = wd(cursor, rng.randint(1, 5))
        if rng.random() < 0.75:
            ev["fee_paid_on"] = cursor = wd(notice, rng.randint(1, 18))
        else:
            ev["replied_on"] = wd(notice, rng.randint(21, 30))
            return ev, "3.6.2", None
    ext_days: int | None = None
    if rng.random() < 0.08:
        original_due = _clock_due(cal, received, ev, None)
        span = cal.workdays_until(cursor, original_due)
        if span >= 1:
            ev["extension_approved_on"] = cursor = wd(cursor, rng.randint(1, span))
            ext_days = rng.choice((None, None, 10, 15, 20))
    if rng.random() < 0.04:
        return ev, None, None  # still open
    due = _clock_due(cal, received, ev, ext_days)
    room = max(1, cal.workdays_until(cursor, due))
    late = rng.random() < 0.05
    ev["replied_on"] = wd(due, rng.randint(1, 4)) if late else wd(cursor, rng.randint(1, room))
    outcome = (
        outcome_for.pop()
        if outcome_for
        else rng.choices(
            [o.row for o in OUTCOMES], weights=[40 if o.row in ("3.1", "3.2") else 2 for o in OUTCOMES]
        )[0]
    )
    return ev, outcome, ext_days


def _base_rows(
    seed: int, size: int
) -> tuple[list[dict[str, object]], list[int], random.Random, WorkCalendar]:
    rng = random.Random(seed)
    cal = WorkCalendar()
    # the first replies take every outcome row once (3.6.1/3.6.2 also come from their own paths)
    outcome_for = [o.row for o in OUTCOMES if o.row not in ("3.6.1", "3.6.2")]
    rng.shuffle(outcome_for)
    rows: list[dict[str, object]] = []
    styles: list[int] = []
    for i in range(size):
        received = date(2025, 1, 1) + timedelta(days=rng.randint(0, 364))
        if not cal.is_workday(received) and rng.random() < 0.8:
            received = cal.day(cal.index_on_or_after(received))
        type_code, _weight, spellings = rng.choices(_TYPES, weights=[t[1] for t in _TYPES])[0]
        name, contact, id_number = _person(rng)
        if type_code != "natural_person":
            name = rng.choice(_ORG_KINDS[type_code]).format(rng.choice(_ORG_WORDS))
            id_number = ""
        if rng.random() < 0.15:
            contact = ""
        ev, outcome, ext_days = _history(rng, cal, received, outcome_for)
        ref = f"2025-{i + 1:04d}" if i % 7 else f"2025{i + 1:04d}"  # some refs numeric, as old registers had
        row: dict[str, object] = {
            "ref": ref,
            "received_on": received,
            "channel": _weighted(rng, _CHANNELS),
            "applicant_type": rng.choice(spellings),
            "applicant_name": name,
            "contact": contact,
            "id_number": id_number,
            "content": "申请公开"
            + rng.choice(_TOPICS).format(y=rng.choice((2023, 2024, 2025)), n=rng.randint(1, 40))
            + "（虚构示例）",
            "assignee": rng.choice(("zhang_min", "liu_yang", "chen_jing", "")),
            **ev,
            "extension_days": "" if ext_days is None else str(ext_days),
            "outcome": "" if outcome is None else _outcome_text(rng, outcome),
        }
        rows.append({k: row.get(k, "") for k in KEYS})
        styles.append(rng.randrange(3))
    return rows, styles, rng, cal


_Fault = Callable[[dict[str, object], int, date, random.Random, WorkCalendar], None]


def _clear_events(row: dict[str, object]) -> None:
    for col, _kind in EVENT_COLUMNS:
        row[col] = ""
    row["outcome"] = row["extension_days"] = ""


def _malformed_date(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row["received_on"] = ("2025.3.5", "3/5/2025")[n - 1]


def _impossible_date(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    if n == 3:
        _clear_events(row)
        row["replied_on"], row["outcome"] = "2025年4月31日", "3.1"
    else:
        row["received_on"] = ("2025-02-30", "2025/13/1")[n - 1]


def _unknown_outcome(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["replied_on"] = cal.add_workdays(received, 5)
    row["outcome"] = ("全部公开", "3.9", "partly")[n - 1]


def _missing_required(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row[("applicant_name", "content", "applicant_type", "ref")[n - 1]] = ""


def _unknown_applicant_type(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row["applicant_type"] = ("个人", "公司")[n - 1]


def _unknown_channel(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row["channel"] = ("微信", "电话")[n - 1]


def _duplicate_ref(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    pass  # filled in by _faults, once every bad row is known


def _unknown_assignee(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row["assignee"] = ("wang_wu", "ADMIN")[n - 1]


def _reply_before_receipt(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["replied_on"], row["outcome"] = received - timedelta(days=3 + n), "granted"


def _extension_after_deadline(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["extension_approved_on"] = cal.add_workdays(received, 24 + n)


def _correction_received_without_request(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["correction_received_on"] = cal.add_workdays(received, 3)
    row["replied_on"], row["outcome"] = cal.add_workdays(received, 12), "予以公开"


def _outcome_without_reply(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["outcome"] = "3.2"


def _reply_without_outcome(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["replied_on"] = cal.add_workdays(received, 8)


def _future_date(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    if n == 1:
        row["received_on"] = AS_OF + timedelta(days=10)
    else:
        row["replied_on"], row["outcome"] = AS_OF + timedelta(days=3), "3.1"


def _bad_id_check_digit(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    row["applicant_type"] = "自然人"
    first17 = f"3201021988{n:02d}1{n}{rng.randint(100, 999)}"
    good = id_check_digit(first17)
    row["id_number"] = first17 + ("1" if good != "1" else "2")


def _event_after_conclusion(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["replied_on"], row["outcome"] = cal.add_workdays(received, 5), "3.4.1"
    row["fee_notice_on"] = cal.add_workdays(received, 8)


def _bad_extension_days(
    row: dict[str, object], n: int, received: date, rng: random.Random, cal: WorkCalendar
) -> None:
    _clear_events(row)
    row["extension_approved_on"] = cal.add_workdays(received, 5)
    row["extension_days"] = "30"


_FAULT_MAKERS: Final[dict[str, _Fault]] = {
    "malformed_date": _malformed_date,
    "impossible_date": _impossible_date,
    "unknown_outcome": _unknown_outcome,
    "missing_required": _missing_required,
    "unknown_applicant_type": _unknown_applicant_type,
    "unknown_channel": _unknown_channel,
    "duplicate_ref": _duplicate_ref,
    "unknown_assignee": _unknown_assignee,
    "reply_before_receipt": _reply_before_receipt,
    "extension_after_deadline": _extension_after_deadline,
    "correction_received_without_request": _correction_received_without_request,
    "outcome_without_reply": _outcome_without_reply,
    "reply_without_outcome": _reply_without_outcome,
    "future_date": _future_date,
    "bad_id_check_digit": _bad_id_check_digit,
    "event_after_conclusion": _event_after_conclusion,
    "bad_extension_days": _bad_extension_days,
}
"""How each kind of fault of :data:`FAULTS` corrupts a row: (row, n-th of its kind, receipt date, rng, calendar)."""


def _faults(rows: list[dict[str, object]], rng: random.Random, cal: WorkCalendar) -> dict[int, str]:
    """Corrupt 37 rows in place; returns index -> kind of fault."""
    kinds = [k for k, n in FAULTS.items() for _ in range(n)]
    eligible = [i for i in range(1, len(rows)) if rows[i]["received_on"] < date(2025, 11, 1)]  # type: ignore[operator]
    chosen = rng.sample(eligible, len(kinds))
    bad = dict(zip(chosen, kinds, strict=True))
    counters: dict[str, int] = {}
    for i, kind in sorted(bad.items()):
        snap = _snapshot(rows[i], AS_OF)
        assert snap is not None
        row = rows[i] = snap
        n = counters[kind] = counters.get(kind, 0) + 1
        received = row["received_on"]
        assert isinstance(received, date)
        _FAULT_MAKERS[kind](row, n, received, rng, cal)
    for i, kind in sorted(bad.items()):
        if kind == "duplicate_ref":
            original = rng.choice([j for j in range(i) if j not in bad])
            rows[i]["ref"] = rows[original]["ref"]
    return bad


def _snapshot(row: dict[str, object], as_of: date) -> dict[str, object] | None:
    """The row as the register showed it on ``as_of`` (None if not yet received)."""
    received = row["received_on"]
    if isinstance(received, date) and received > as_of:
        return None
    out = dict(row)
    for col, _kind in EVENT_COLUMNS:
        on = out[col]
        if isinstance(on, date) and on > as_of:
            out[col] = ""
    if not out["replied_on"]:
        out["outcome"] = ""
    if not out["extension_approved_on"]:
        out["extension_days"] = ""
    return out


def row_events(row: dict[str, object]) -> list[Event]:
    """The events a (good) row carries, as the importer should read them."""
    from gongkai.core.codes import find_outcome

    dates = {col: row[col] for col, _k in EVENT_COLUMNS if isinstance(row[col], date)}
    outcome = find_outcome(str(row["outcome"])) if row["outcome"] else None
    days = int(str(row["extension_days"])) if row["extension_days"] else None
    return events_of(dates, extension_days=days, outcome_row=outcome.row if outcome else None)  # type: ignore[arg-type]


def build_register(*, seed: int = SEED, size: int = 1000, bad: bool = True, as_of: date = AS_OF) -> Register:
    """The register (see the module docstring). ``bad=False`` leaves the 37 bad rows out."""
    rows, styles, rng, cal = _base_rows(seed, size)
    faults = _faults(rows, rng, cal)
    out_rows: list[dict[str, object]] = []
    out_styles: list[int] = []
    bad_numbers: dict[int, str] = {}
    for i, row in enumerate(rows):
        if i in faults:
            if not bad:
                continue
            bad_numbers[len(out_rows) + 2] = faults[i]
            out_rows.append(row)
            out_styles.append(styles[i])
            continue
        snap = _snapshot(row, as_of)
        if snap is None:
            continue
        received = snap["received_on"]
        assert isinstance(received, date)
        compute_clock(received, row_events(snap), calendar=cal, as_of=as_of, reject_future=True)
        out_rows.append(snap)
        out_styles.append(styles[i])
    return Register(tuple(out_rows), bad_numbers, as_of, tuple(out_styles))


# -- writers -----------------------------------------------------------------------------------


def _date_text(d: date, style: int) -> str:
    if style == 0:
        return d.isoformat()
    if style == 1:
        return f"{d.year}/{d.month}/{d.day}"
    return f"{d.year}年{d.month}月{d.day}日"


def headers(*, english: bool = False) -> list[str]:
    """The header row: Chinese names, or the English aliases."""
    return [c.key if english else c.zh for c in COLUMNS]


def csv_text(reg: Register, *, english: bool = False) -> str:
    """The register as CSV text; dates in each row's own spelling (ISO, slashes or 年月日)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers(english=english))
    for row, style in zip(reg.rows, reg.styles, strict=True):
        writer.writerow(
            [
                _date_text(v, style) if isinstance(v, date) else ("" if v is None else str(v))
                for v in row.values()
            ]
        )
    return buf.getvalue()


def write_csv(reg: Register, path: Path, *, encoding: str = "utf-8", english: bool = False) -> Path:
    """Write the register as CSV in ``encoding`` (``utf-8-sig`` writes the BOM)."""
    path.write_bytes(csv_text(reg, english=english).encode(encoding))
    return path


def write_xlsx(reg: Register, path: Path, *, english: bool = False) -> Path:
    """Write the register as XLSX: date cells, digit-only refs and extension days as numbers."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("登记簿")
    ws.append(headers(english=english))
    for row in reg.rows:
        cells: list[object] = []
        for key, value in row.items():
            if value == "" or value is None:
                cells.append(None)
            elif key in ("ref", "extension_days") and isinstance(value, str) and value.isdigit():
                cells.append(int(value))
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)
    return path
