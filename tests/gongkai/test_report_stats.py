"""Annual-report statistics (gongkai.report.stats) on real databases (SQLite, and PostgreSQL when configured).

* hand-made registers whose tables are known cell by cell (carry-over across years, withdrawal in 3.6.3,
  partial disclosure only in 3.2, waiting for a correction at year end in row 4, long-running
  applications, table 二 and table 四);
* the demo office's year 2025 against an oracle that counts the loaded rows in Python;
* the identities: each hard identity I1–I5 fails by name on a hand-corrupted report; I6–I8 warn;
* yearly figures (validation, CSV/XLSX import listing every bad row), stored versions, finalization,
  the year lock and its logged reopening;
* SQLite reads only index ranges (the covering and partial indexes), in a handful of statements.
"""

from __future__ import annotations

import copy
import csv
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gongkai.core.codes import APPLICANT_TYPES
from gongkai.core.errors import ImportRejected, InputError, NotFound
from gongkai.demo.office import OFFICE_NAME, load_demo
from gongkai.register import repository as register
from gongkai.register.deadlines import Event, make_event
from gongkai.report.stats import (
    COLUMNS,
    ROW_IDS,
    Check,
    ReportBlocked,
    ReportData,
    compute_statistics,
    figure_key,
    finalize_report,
    import_yearly_figures,
    previous_report_data,
    quoted_figures,
    reopen_year,
    run_checks,
    set_yearly_figure,
    store_report,
    stored_report,
    yearly_figures,
)
from gongkai.store.db import open_database
from gongkai.store.models import Appeal, Application, ProactiveItem, ReportReopenLog
from gongkai.store.tables import APP
from gongkai.store.yearlock import YearLocked, ensure_unlocked, is_year_final
from tests.offices import office_session

STAFF = [("wang", "王丽", ["handler", "administrator"]), ("li", "李强", ["handler"])]
AS_OF = date(2026, 1, 20)
OFFICE = "测试街道办事处"


def D(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An empty, migrated database with the configured staff."""
    eng = open_database(db_url)
    with office_session(eng) as s:
        register.sync_staff(s, STAFF)
    try:
        yield eng
    finally:
        eng.dispose()


def _add(
    session: Session,
    ref: str,
    received: str,
    applicant_type: str,
    events: Sequence[Event] = (),
    *,
    as_of: date = AS_OF,
) -> None:
    data = register.NewApplication(
        ref=ref,
        received_on=D(received),
        applicant_type=applicant_type,
        applicant_name="张小明",
        content="请求公开某文件",
        channel="in_person",
    )
    register.add_application(
        session,
        data,
        calendar=register.load_calendar(session),
        as_of=as_of,
        recorded_by="wang",
        events=events,
    )


def _replied(on: str, outcome: str) -> Event:
    return make_event("replied", D(on), outcome=outcome)


def _set_figures(session: Session, year: int, **values: str) -> None:
    defaults = {
        "licensing_decisions": "12",
        "penalty_decisions": "3",
        "coercion_decisions": "0",
        "fees_10k_yuan": "1.25",
    }
    for key, value in {**defaults, **values}.items():
        set_yearly_figure(
            session, year=year, key=key, value=Decimal(value), source="区政务服务系统导出", by="wang"
        )


def _row(**cells: int) -> dict[str, int]:
    row = {c: 0 for c in COLUMNS}
    row.update(cells)
    row["total"] = sum(v for k, v in row.items() if k != "total")
    return row


# -- a register whose tables are known ------------------------------------------------------------------


@pytest.fixture
def crafted(engine: Engine) -> Engine:
    """Nine applications across 2023–2026; the expected tables are spelled out in the tests."""
    with office_session(engine) as s:
        # A1: received late in 2024, granted in January 2025 -> row 4 of 2024, row 2 + 3.1 of 2025.
        _add(s, "A1", "2024-12-20", "natural_person", [_replied("2025-01-10", "3.1")])
        # A2: received and answered in 2024 -> nothing in 2025.
        _add(s, "A2", "2024-11-01", "commercial", [_replied("2024-11-20", "3.4.1")])
        # A3: withdrawn in 2025 -> no outcome row, counted in 3.6.3.
        _add(s, "A3", "2025-03-03", "natural_person", [make_event("withdrawn", D("2025-03-10"))])
        # A4: partial disclosure -> only in 3.2.
        _add(s, "A4", "2025-04-01", "legal_services", [_replied("2025-04-21", "3.2")])
        # A5: waiting for a correction on 31 December 2025 -> not concluded: row 4.
        _add(
            s,
            "A5",
            "2025-12-15",
            "research",
            [
                make_event("correction_requested", D("2025-12-18"), days=15),
                make_event("correction_received", D("2026-01-05")),
            ],
        )
        # A6: received 29 December 2025, answered in 2026 -> row 1 and row 4 of 2025.
        _add(s, "A6", "2025-12-29", "public_interest", [_replied("2026-01-08", "3.5.2")])
        # A7: received mid-2024, correction never came, closed in February 2025 -> 3.6.1 of 2025.
        _add(
            s,
            "A7",
            "2024-06-03",
            "other_org",
            [make_event("correction_requested", D("2024-06-05"), days=10), _replied("2025-02-10", "3.6.1")],
        )
        # A8: received end of 2023, open through all of 2024, closed in 2025 (long-running).
        _add(
            s,
            "A8",
            "2023-12-28",
            "natural_person",
            [make_event("correction_requested", D("2024-01-02"), days=10), _replied("2025-06-02", "3.6.1")],
        )
        # A9: received 2023, waiting for a correction ever since -> rows 2 and 4 of 2024 and of 2025.
        _add(
            s,
            "A9",
            "2023-11-01",
            "natural_person",
            [make_event("correction_requested", D("2023-11-03"), days=10)],
        )
    return engine


EXPECTED_2025: dict[str, dict[str, int]] = {
    "1": _row(natural_person=1, legal_services=1, research=1, public_interest=1),
    "2": _row(natural_person=3, other_org=1),
    "3.1": _row(natural_person=1),
    "3.2": _row(legal_services=1),
    "3.6.1": _row(natural_person=1, other_org=1),
    "3.6.3": _row(natural_person=1),
    "3.7": _row(natural_person=3, legal_services=1, other_org=1),
    "4": _row(natural_person=1, research=1, public_interest=1),
}
EXPECTED_2024: dict[str, dict[str, int]] = {
    "1": _row(natural_person=1, commercial=1, other_org=1),
    "2": _row(natural_person=2),
    "3.4.1": _row(commercial=1),
    "3.7": _row(commercial=1),
    "4": _row(natural_person=3, other_org=1),
}


@pytest.mark.parametrize(("year", "expected"), [(2025, EXPECTED_2025), (2024, EXPECTED_2024)])
def test_crafted_register_table_3_cell_by_cell(
    crafted: Engine, year: int, expected: dict[str, dict[str, int]]
) -> None:
    with office_session(crafted) as s:
        data = compute_statistics(s, year=year, office_name=OFFICE)
    assert list(data.requests) == list(ROW_IDS) and len(ROW_IDS) == 25
    for row in ROW_IDS:
        assert list(data.requests[row]) == list(COLUMNS)
        assert data.requests[row] == expected.get(row, _row()), row
    assert not data.failed_hard_checks


def test_withdrawal_partial_and_correction_rules(crafted: Engine) -> None:
    with office_session(crafted) as s:
        req = compute_statistics(s, year=2025, office_name=OFFICE).requests
    outcome_rows = [r for r in ROW_IDS if r.startswith("3.") and r != "3.7"]
    # the withdrawal (no outcome row) is in 3.6.3 and nowhere else
    assert [r for r in outcome_rows if req[r]["natural_person"]] == ["3.1", "3.6.1", "3.6.3"]
    # partial disclosure counts only in 3.2
    assert [r for r in outcome_rows if req[r]["legal_services"]] == ["3.2"]
    # waiting for a correction on 31 December: carried forward, not concluded
    assert req["4"]["research"] == 1 and all(req[r]["research"] == 0 for r in outcome_rows)


def test_row_2_is_last_years_row_4_and_i6_compares_stored_final_report(crafted: Engine) -> None:
    with office_session(crafted) as s:
        _set_figures(s, 2024)
        store_report(s, compute_statistics(s, year=2024, office_name=OFFICE), narrative=None, by="wang")
        finalize_report(s, 2024, by="wang", as_of=AS_OF)
    with office_session(crafted) as s:
        previous = previous_report_data(s, 2024)
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    assert previous is not None and previous["requests"]["4"] == data.requests["2"]
    i6 = _by_id(data.checks)["I6"]
    assert i6.ok and "I6 成立" in i6.message


def test_the_year_just_begun_and_an_empty_register(engine: Engine, crafted: Engine) -> None:
    with office_session(crafted) as s:
        data = compute_statistics(s, year=2026, office_name=OFFICE)
    # A5 (open) and A9 (open since 2023) carried in; A6 answered in January 2026.
    assert data.requests["2"] == _row(natural_person=1, research=1, public_interest=1)
    assert data.requests["3.5.2"] == _row(public_interest=1)
    assert data.requests["4"] == _row(natural_person=1, research=1)
    with office_session(crafted) as s:
        empty = compute_statistics(s, year=2019, office_name=OFFICE)
    assert all(v == 0 for row in empty.requests.values() for v in row.values())
    assert not empty.failed_hard_checks


# -- table 二 and table 四 ---------------------------------------------------------------------------------


def _item(index_no: str, doc_type: str, generated: str, **kw: Any) -> ProactiveItem:
    return ProactiveItem(
        index_no=index_no,
        title=f"文件{index_no}",
        generated_on=D(generated),
        category="规范性文件",
        doc_type=doc_type,
        **kw,
    )


def test_table_2_normative_documents_and_yearly_figures(engine: Engine) -> None:
    with office_session(engine) as s:
        s.add_all(
            [
                _item(
                    "N1", "normative_document", "2024-12-20", valid_from=D("2025-01-01")
                ),  # issued 2025 (valid_from)
                _item("N2", "normative_document", "2025-05-06"),  # issued 2025 (generated_on)
                _item(
                    "N3", "normative_document", "2022-03-01", repealed_on=D("2025-08-01"), validity="repealed"
                ),
                _item(
                    "N4", "normative_document", "2023-03-01", repealed_on=D("2026-02-01")
                ),  # in force at year end
                _item(
                    "N5", "normative_document", "2021-03-01", repealed_on=D("2024-02-01"), validity="repealed"
                ),
                _item("N6", "normative_document", "2026-01-05"),  # next year
                _item("O1", "other", "2025-03-01"),  # not a normative document
                _item("R1", "rule", "2025-03-01"),  # a higher level's rule: a sub-district office has none
            ]
        )
        _set_figures(s, 2025, licensing_decisions="356", fees_10k_yuan="12.3456")
    with office_session(engine) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    assert data.proactive == {
        "rules": {"issued": 0, "repealed": 0, "in_force": 0},
        "normative_documents": {"issued": 2, "repealed": 1, "in_force": 3},
        "licensing": {"decisions": 356},
        "penalties": {"decisions": 3},
        "coercion": {"decisions": 0},
        "fees_10k_yuan": 12.3456,
    }
    assert data.missing == ()


def test_missing_yearly_figure_is_null_and_listed_not_zero(engine: Engine) -> None:
    with office_session(engine) as s:
        set_yearly_figure(s, year=2025, key="行政许可", value=Decimal(5), source="审批系统", by="wang")
    with office_session(engine) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    assert data.proactive["licensing"] == {"decisions": 5}
    assert data.proactive["penalties"] == {"decisions": None} and data.proactive["fees_10k_yuan"] is None
    assert len(data.missing) == 3
    assert any("行政处罚" in m for m in data.missing) and any("行政事业性收费" in m for m in data.missing)
    assert not data.failed_hard_checks  # missing is not an arithmetic error; it blocks finalization instead
    assert data.to_json()["proactive"]["coercion"] == {"decisions": None}


def test_table_4_blocks(engine: Engine) -> None:
    with office_session(engine) as s:
        s.add_all(
            [
                Appeal(
                    kind="reconsideration",
                    filed_on=D("2025-02-01"),
                    concluded_on=D("2025-04-01"),
                    result="upheld",
                ),
                Appeal(
                    kind="reconsideration",
                    filed_on=D("2024-11-01"),
                    concluded_on=D("2025-01-15"),
                    result="corrected",
                ),
                # decided in 2026: still pending on 31 December 2025
                Appeal(
                    kind="reconsideration",
                    filed_on=D("2025-11-20"),
                    concluded_on=D("2026-01-10"),
                    result="upheld",
                ),
                Appeal(
                    kind="reconsideration",
                    filed_on=D("2024-03-01"),
                    concluded_on=D("2024-05-01"),
                    result="upheld",
                ),
                Appeal(
                    kind="litigation",
                    route="direct",
                    filed_on=D("2025-06-01"),
                    concluded_on=D("2025-09-01"),
                    result="other",
                ),
                Appeal(kind="litigation", route="direct", filed_on=D("2025-10-01")),
                Appeal(kind="litigation", route="after_reconsideration", filed_on=D("2024-10-01")),
                Appeal(
                    kind="litigation", route="after_reconsideration", filed_on=D("2026-01-05")
                ),  # next year
            ]
        )
    with office_session(engine) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    assert data.appeals == {
        "reconsideration": {"upheld": 1, "corrected": 1, "other": 0, "pending": 1, "total": 3},
        "litigation_direct": {"upheld": 0, "corrected": 0, "other": 1, "pending": 1, "total": 2},
        "litigation_after_reconsideration": {
            "upheld": 0,
            "corrected": 0,
            "other": 0,
            "pending": 1,
            "total": 1,
        },
    }
    assert [m for m in data.missing if "表四" in m] == []


def test_appeals_that_cannot_be_placed_are_listed(engine: Engine) -> None:
    with office_session(engine) as s:
        s.add_all(
            [
                Appeal(kind="litigation", filed_on=D("2025-06-01")),  # no route
                Appeal(
                    kind="reconsideration",
                    filed_on=D("2025-02-01"),
                    concluded_on=D("2025-03-01"),
                    result="pending",
                ),
            ]
        )
    with office_session(engine) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    problems = [m for m in data.missing if "表四" in m]
    assert len(problems) == 2
    assert any("未注明是否经过复议" in m for m in problems) and any("未填写结果" in m for m in problems)


def test_unknown_applicant_type_is_listed_not_dropped_silently(crafted: Engine) -> None:
    with office_session(crafted) as s:
        s.execute(sa.update(APP).where(APP.c.ref == "A4").values(applicant_type="个体户"))
    with office_session(crafted) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    assert any("个体户" in m and "不属于表三" in m for m in data.missing)


def test_contradictory_dates_fail_i1(crafted: Engine) -> None:
    """Rows 1, 2 and 4 are counted independently of the outcome rows: I1 catches a register whose
    conclusion precedes the receipt (written with raw SQL, as a broken import might)."""
    with office_session(crafted) as s:
        s.execute(sa.update(APP).where(APP.c.ref == "A4").values(concluded_on=D("2024-12-30")))
    with office_session(crafted) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
    failed = [c.id for c in data.failed_hard_checks]
    assert failed == ["I1"]
    assert "法律服务机构" in _by_id(data.checks)["I1"].message


# -- the demo office -----------------------------------------------------------------------------------------


def _oracle(session: Session, year: int) -> dict[str, Counter[str]]:
    """Table 三 counted in Python from the loaded rows (the tests may load rows; the code may not)."""
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    rows: dict[str, Counter[str]] = {r: Counter() for r in ROW_IDS}
    for a in session.exec(select(Application)).all():
        t = a.applicant_type
        c = a.concluded_on
        if jan1 <= a.received_on <= dec31:
            rows["1"][t] += 1
        if a.received_on < jan1 and (c is None or c >= jan1):
            rows["2"][t] += 1
        if c is not None and jan1 <= c <= dec31:
            rows[a.outcome_row or "3.6.3"][t] += 1
            rows["3.7"][t] += 1
        if a.received_on <= dec31 and (c is None or c > dec31):
            rows["4"][t] += 1
    return rows


def test_demo_office_2025_passes_every_hard_identity(engine: Engine) -> None:
    with office_session(engine) as s:
        load_demo(s, calendar=register.load_calendar(s), as_of=D("2026-01-10"))
        _set_figures(s, 2025)
    with office_session(engine) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE_NAME)
        oracle = _oracle(s, 2025)
    assert [c.id for c in data.checks] == [f"I{i}" for i in range(1, 9)]
    assert all(c.ok for c in data.checks), [c.message for c in data.checks if not c.ok]
    for row in ROW_IDS:
        assert {t: data.requests[row][t] for t in APPLICANT_TYPES} == {
            t: oracle[row][t] for t in APPLICANT_TYPES
        }, row
    assert data.requests["1"]["total"] > 100 and data.requests["4"]["total"] > 0
    assert data.requests["3.6.3"]["total"] >= 1  # the demo's withdrawals
    assert data.appeals["reconsideration"]["total"] >= 1
    assert data.missing == ()
    doc = data.to_json()
    assert list(doc) == ["format", "year", "office", "proactive", "requests", "appeals", "checks"]
    assert doc["format"] == "2021" and doc["year"] == 2025 and doc["office"] == OFFICE_NAME
    assert list(doc["appeals"]["reconsideration"]) == ["upheld", "corrected", "other", "pending", "total"]
    assert set(doc["checks"][0]) == {"id", "ok", "message", "checked"}
    assert json.loads(data.dumps()) == doc
    assert ReportData.from_json(data.dumps()).to_json() == doc
    with office_session(engine) as s:
        assert store_report(s, data, narrative=None, by="wang") == (2025, 1)
        assert finalize_report(s, 2025, by="wang", as_of=AS_OF) == (2025, 1)
        assert is_year_final(s, 2025)


# -- the identities on a hand-corrupted report ------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_report() -> dict[str, Any]:
    """A consistent report JSON (built by hand, so these tests need no database)."""
    req = {r: _row() for r in ROW_IDS}
    req["1"] = _row(natural_person=10, commercial=2, legal_services=1)
    req["2"] = _row(natural_person=3)
    req["3.1"] = _row(natural_person=6, commercial=1)
    req["3.2"] = _row(natural_person=2)
    req["3.4.1"] = _row(commercial=1, legal_services=1)
    req["3.6.3"] = _row(natural_person=1)
    req["3.7"] = _row(natural_person=9, commercial=2, legal_services=1)
    req["4"] = _row(natural_person=4)
    data = ReportData(
        year=2025,
        office=OFFICE,
        proactive={
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 2, "repealed": 1, "in_force": 9},
            "licensing": {"decisions": 356},
            "penalties": {"decisions": 12},
            "coercion": {"decisions": 0},
            "fees_10k_yuan": 1.5,
        },
        requests=req,
        appeals={
            "reconsideration": {"upheld": 1, "corrected": 1, "other": 0, "pending": 1, "total": 3},
            "litigation_direct": {"upheld": 0, "corrected": 0, "other": 1, "pending": 0, "total": 1},
            "litigation_after_reconsideration": {
                "upheld": 0,
                "corrected": 0,
                "other": 0,
                "pending": 0,
                "total": 0,
            },
        },
    )
    return data.to_json()


def _by_id(checks: Sequence[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


def _failing(doc: dict[str, Any], **kw: Any) -> list[str]:
    return [
        c.id for c in run_checks(doc, previous=kw.get("previous"), narrative=kw.get("narrative")) if not c.ok
    ]


def test_consistent_report_passes(good_report: dict[str, Any]) -> None:
    assert _failing(good_report) == []


def _corrupt_i1(doc: dict[str, Any]) -> None:
    doc["requests"]["4"]["natural_person"] += 1
    doc["requests"]["4"]["total"] += 1


def _corrupt_i2(doc: dict[str, Any]) -> None:
    doc["requests"]["3.3.4"]["natural_person"] += 1  # the outcome rows no longer add up to 3.7
    doc["requests"]["3.3.4"]["total"] += 1


def _corrupt_i3(doc: dict[str, Any]) -> None:
    # move one natural person from row 4 into 3.1/3.7 without touching the totals: I1 and I2 still hold
    for row, delta in (("3.1", 1), ("3.7", 1), ("4", -1)):
        doc["requests"][row]["natural_person"] += delta


def _corrupt_i4(doc: dict[str, Any]) -> None:
    doc["appeals"]["litigation_direct"]["total"] = 2


def _corrupt_i5_rules(doc: dict[str, Any]) -> None:
    doc["proactive"]["rules"]["issued"] = 1


def _corrupt_i5_fee(doc: dict[str, Any]) -> None:
    doc["proactive"]["fees_10k_yuan"] = -0.5


def _corrupt_i5_count(doc: dict[str, Any]) -> None:
    doc["proactive"]["penalties"]["decisions"] = 2.5


@pytest.mark.parametrize(
    ("corrupt", "identity", "named"),
    [
        (_corrupt_i1, "I1", ["“自然人”列", "第一项 10 + 第二项 3 = 13", "第四项 5 = 14"]),
        (_corrupt_i2, "I2", ["“自然人”列", "总计为 9", "各行之和为 10"]),
        (_corrupt_i3, "I3", ["第 3.1 行“予以公开”", "第四项“结转下年度继续办理”", "“总计”列为"]),
        (_corrupt_i4, "I4", ["行政诉讼（未经复议直接起诉）", "“总计”为 2", "= 1"]),
        (_corrupt_i5_rules, "I5", ["“规章”", "应为 0"]),
        (_corrupt_i5_fee, "I5", ["行政事业性收费", "-0.5"]),
        (_corrupt_i5_count, "I5", ["行政处罚", "2.5"]),
    ],
)
def test_each_hard_identity_fails_by_name(
    good_report: dict[str, Any], corrupt: Any, identity: str, named: list[str]
) -> None:
    doc = copy.deepcopy(good_report)
    corrupt(doc)
    checks = _by_id(run_checks(doc, previous=None, narrative=None))
    assert [c.id for c in checks.values() if not c.ok] == [identity]
    check = checks[identity]
    assert check.hard and check.message.startswith(f"{identity} 不成立（错误，报告不能定稿）")
    for text in named:
        assert text in check.message, (text, check.message)


def test_malformed_report_fails_without_raising(good_report: dict[str, Any]) -> None:
    doc = copy.deepcopy(good_report)
    del doc["requests"]["3.3.2"]
    doc["requests"]["1"]["research"] = "3"
    failing = _failing(doc)
    assert {"I1", "I2", "I3", "I5"} <= set(failing)
    messages = " ".join(c.message for c in run_checks(doc, previous=None, narrative=None))
    assert "无法核对" in messages and "requests.3.3.2" in messages and "（缺少）" in messages


def test_report_data_with_a_hole_is_named_by_i5(good_report: dict[str, Any]) -> None:
    data = ReportData.from_json(good_report)
    del data.requests["3.2"]["research"]
    checks = _by_id(run_checks(data, previous=None, narrative=None))
    assert (
        not checks["I5"].ok
        and "第 3.2 行“部分公开”“科研机构”列应为非负整数，实际为 空值" in checks["I5"].message
    )
    with pytest.raises(InputError, match="年度报告数据格式不正确"):
        ReportData.from_json("{not json")


def test_i6_and_i7_warn_against_last_years_report(good_report: dict[str, Any]) -> None:
    previous = copy.deepcopy(good_report)
    previous["year"] = 2024
    previous["requests"]["4"] = _row(natural_person=3)
    previous["proactive"]["normative_documents"]["in_force"] = 8
    assert _failing(good_report, previous=previous) == []
    previous["requests"]["4"] = _row(natural_person=2, commercial=1)
    previous["proactive"]["normative_documents"]["in_force"] = 10
    checks = _by_id(run_checks(good_report, previous=previous, narrative=None))
    assert [c.id for c in checks.values() if not c.ok] == ["I6", "I7"]
    assert not checks["I6"].hard and "警告" in checks["I6"].message
    assert (
        "“自然人”列本年第二项“上年结转”为 3，上年报告第四项“结转下年度继续办理”为 2" in checks["I6"].message
    )
    assert "“商业企业”列" in checks["I6"].message
    assert "上年现行有效 10 + 本年制发 2 − 本年废止 1 = 11" in checks["I7"].message
    unchecked = _by_id(run_checks(good_report, previous=None, narrative=None))
    assert "未核对" in unchecked["I6"].message
    assert [unchecked[i].checked for i in ("I1", "I6", "I7", "I8")] == [True, False, False, False]
    assert all(unchecked[i].mark == "未核对" for i in ("I6", "I7", "I8")) and unchecked["I1"].mark == "通过"


NARRATIVE_OK = (
    "2025年，本街道办事处新收政府信息公开申请 13 件，上年结转 3 件；予以公开7件、部分公开 2 件，"
    "结转下年度继续办理 4 件。本年制发行政规范性文件 2 件，废止 1 件，现行有效 9 件。"
    "办理行政许可 356 件，行政事业性收费 1.5 万元。被申请行政复议 3 件，行政诉讼 1 件。"
    "按时办结率 100%，平均用时 9 个工作日。"
)


def test_i8_numbers_quoted_in_the_narrative(good_report: dict[str, Any]) -> None:
    quoted = quoted_figures(NARRATIVE_OK)
    assert len(quoted) == 12
    assert [p for p, _, _ in quoted][:4] == ["新收", "上年结转", "予以公开", "部分公开"]
    ok = _by_id(run_checks(good_report, previous=None, narrative=NARRATIVE_OK))["I8"]
    assert ok.ok and "12 个数字" in ok.message
    # full-width digits, sections as a mapping
    sections = {"一": "本年新收政府信息公开申请１３件。", "六": "无。"}
    assert _by_id(run_checks(good_report, previous=None, narrative=sections))["I8"].ok

    wrong = NARRATIVE_OK.replace("新收政府信息公开申请 13 件", "新收政府信息公开申请 15 件").replace(
        "废止 1 件", "废止 2 件"
    )
    i8 = _by_id(run_checks(good_report, previous=None, narrative=wrong))["I8"]
    assert not i8.ok and not i8.hard and "警告" in i8.message
    assert "正文“新收政府信息公开申请 15 件”中的 15 与表三第一项“本年新收”总计 13 不一致" in i8.message
    assert "“行政规范性文件”本年废止件数 1" in i8.message
    assert _failing(good_report, narrative=wrong) == ["I8"]

    missing_figure = copy.deepcopy(good_report)
    missing_figure["proactive"]["licensing"]["decisions"] = None
    i8 = _by_id(run_checks(missing_figure, previous=None, narrative=NARRATIVE_OK))["I8"]
    assert not i8.ok and "尚未录入" in i8.message
    assert (
        _by_id(run_checks(good_report, previous=None, narrative="  "))["I8"].message
        == "I8 未核对：尚无正文。"
    )


# -- yearly figures --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("licensing_decisions", "-1", "不能为负数"),
        ("penalty_decisions", "2.5", "应为整数"),
        ("fees_10k_yuan", "1.23456", "最多保留四位小数"),
        ("fees_10k_yuan", "-0.01", "不能为负数"),
        ("fees_10k_yuan", "NaN", "应为数字"),
        ("fees_10k_yuan", "10000000000", "过大"),
        ("行政审批", "1", "项目“行政审批”无效"),
    ],
)
def test_yearly_figure_validation(engine: Engine, key: str, value: str, message: str) -> None:
    with pytest.raises(InputError) as info, office_session(engine) as s:
        set_yearly_figure(s, year=2025, key=key, value=Decimal(value), source="系统导出", by="wang")
    assert message in str(info.value)
    with office_session(engine) as s:
        assert yearly_figures(s, 2025) == {}


def test_yearly_figure_set_replace_and_read_back_exactly(engine: Engine) -> None:
    with office_session(engine) as s:
        set_yearly_figure(
            s, year=2025, key="行政事业性收费", value=Decimal("12.3456"), source="财政系统", by="wang"
        )
        set_yearly_figure(s, year=2025, key="行政许可", value=Decimal("356"), source="审批系统", by="wang")
        set_yearly_figure(
            s, year=2025, key="licensing_decisions", value=Decimal("357"), source="审批系统（更正）", by="li"
        )
    with office_session(engine) as s:
        figures = yearly_figures(s, 2025)
    assert list(figures) == ["licensing_decisions", "fees_10k_yuan"]
    assert figures["fees_10k_yuan"].value == Decimal("12.3456") and isinstance(
        figures["fees_10k_yuan"].value, Decimal
    )
    assert figures["licensing_decisions"].value == 357 and figures["licensing_decisions"].entered_by == "li"
    assert (
        figures["licensing_decisions"].source == "审批系统（更正）"
        and figures["licensing_decisions"].label == "行政许可"
    )
    assert figures["fees_10k_yuan"].entered_at.tzinfo is not None
    assert figure_key("行政强制") == "coercion_decisions" and figure_key("收入") is None
    with pytest.raises(InputError, match="来源"), office_session(engine) as s:
        set_yearly_figure(s, year=2025, key="行政强制", value=Decimal(1), source=" ", by="wang")


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_import_yearly_figures_csv_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "figures.csv",
        [
            ["年度", "项目", "数值", "来源"],
            ["2025", "行政许可", "356", "区政务服务网"],
            ["2025", "行政处罚", "1,204", "综合执法系统"],
            ["2025", "coercion_decisions", "0", ""],
            ["", "", "", ""],
            ["2025", "行政事业性收费", "12.5", "财政非税系统"],
        ],
    )
    with office_session(engine) as s:
        stored = import_yearly_figures(s, path, by="wang")
    assert [f.key for f in stored] == [
        "licensing_decisions",
        "penalty_decisions",
        "coercion_decisions",
        "fees_10k_yuan",
    ]
    with office_session(engine) as s:
        figures = yearly_figures(s, 2025)
    assert figures["penalty_decisions"].value == 1204
    assert figures["coercion_decisions"].source == "文件 figures.csv"
    assert figures["fees_10k_yuan"].value == Decimal("12.5")

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["year", "key", "value", "source"])
    ws.append([2024, "行政许可", 300, "审批系统"])
    ws.append([2024.0, "行政事业性收费", 0.75, "财政系统"])
    wb.save(tmp_path / "figures.xlsx")
    with office_session(engine) as s:
        import_yearly_figures(s, tmp_path / "figures.xlsx", by="wang")
    with office_session(engine) as s:
        figures = yearly_figures(s, 2024)
    assert figures["licensing_decisions"].value == 300 and figures["fees_10k_yuan"].value == Decimal("0.75")


def test_import_yearly_figures_lists_every_bad_row_and_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "bad.csv",
        [
            ["年度", "项目", "数值", "来源"],
            ["2025", "行政许可", "356", "审批系统"],  # good
            ["2025", "行政处罚", "-3", "执法系统"],  # 3: negative
            ["二〇二五", "行政强制", "1", ""],  # 4: year
            ["2025", "行政审批", "1", ""],  # 5: unknown key
            ["2025", "行政许可", "2", ""],  # 6: duplicate of row 2
            ["2025", "行政强制", "1.5", ""],  # 7: not whole
            ["2025", "行政事业性收费", "约12万", ""],  # 8: not a number
        ],
        encoding="gb18030",
    )
    with pytest.raises(ImportRejected) as info, office_session(engine) as s:
        import_yearly_figures(s, path, by="wang")
    problems = info.value.problems
    assert [p.split("：", 1)[0] for p in problems] == [f"第 {n} 行" for n in (3, 4, 5, 6, 7, 8)]
    assert "不能为负数" in problems[0] and "年度应为" in problems[1] and "行政审批" in problems[2]
    assert "与第 2 行重复" in problems[3] and "应为整数" in problems[4] and "不是数字" in problems[5]
    assert "未导入任何数字" in str(info.value)
    with office_session(engine) as s:
        assert yearly_figures(s, 2025) == {}


def test_import_yearly_figures_refuses_a_wrong_header(engine: Engine, tmp_path: Path) -> None:
    path = _write_csv(tmp_path / "h.csv", [["年度", "名称", "数值"], ["2025", "行政许可", "1"]])
    with pytest.raises(InputError) as info, office_session(engine) as s:
        import_yearly_figures(s, path, by="wang")
    assert "缺少列：项目" in str(info.value) and "不认识的列：名称" in str(info.value)


# -- stored versions, finalization, the lock and reopening ---------------------------------------------------


def test_store_versions_and_finalize_refuses_missing_figures(crafted: Engine) -> None:
    with office_session(crafted) as s:
        data = compute_statistics(s, year=2025, office_name=OFFICE)
        assert store_report(s, data, narrative="本年新收政府信息公开申请 4 件。", by="wang") == (2025, 1)
        assert store_report(s, data, narrative={"一": "本年新收政府信息公开申请 5 件。"}, by="wang") == (
            2025,
            2,
        )
    with office_session(crafted) as s:
        version, status, doc = stored_report(s, 2025)
        assert (version, status) == (2, "draft")
        assert _by_id(ReportData.from_json(doc).checks)["I8"].ok is False  # 5 ≠ 4, stored with the version
        assert stored_report(s, 2025, 1)[2]["checks"][7]["ok"] is True
        with pytest.raises(NotFound):
            stored_report(s, 2025, 9)
    with pytest.raises(ReportBlocked) as info, office_session(crafted) as s:
        finalize_report(s, 2025, by="wang", as_of=AS_OF)
    assert info.value.failed == () and info.value.exit_code == 1
    assert len(info.value.problems) == 4 and all("尚未录入" in p for p in info.value.problems)
    with office_session(crafted) as s:
        assert not is_year_final(s, 2025)


def test_finalize_is_refused_until_the_year_has_ended(crafted: Engine) -> None:
    with office_session(crafted) as s:
        _set_figures(s, 2025)
        store_report(s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang")
    for day in ("2025-06-30", "2025-12-31"):
        with pytest.raises(InputError) as info, office_session(crafted) as s:
            finalize_report(s, 2025, by="wang", as_of=D(day))
        assert not isinstance(info.value, ReportBlocked) and info.value.exit_code == 2
        assert (
            "2025 年度尚未结束" in str(info.value)
            and "2026-01-01" in str(info.value)
            and day in str(info.value)
        )
        with office_session(crafted) as s:
            assert not is_year_final(s, 2025)
    with office_session(crafted) as s:
        assert finalize_report(s, 2025, by="wang", as_of=D("2026-01-01")) == (2025, 1)


def test_finalize_refuses_failing_identities_by_name(crafted: Engine) -> None:
    with office_session(crafted) as s:
        _set_figures(s, 2025)
        store_report(s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang")
        doc = json.loads(s.execute(sa.text("SELECT data FROM annual_report WHERE version = 1")).scalar_one())
        _corrupt_i1(doc)
        _corrupt_i4(doc)
        s.execute(sa.text("UPDATE annual_report SET data = :d WHERE version = 1"), {"d": json.dumps(doc)})
    with pytest.raises(ReportBlocked) as info, office_session(crafted) as s:
        finalize_report(s, 2025, by="wang", as_of=AS_OF)
    assert info.value.failed == ("I1", "I4")
    message = str(info.value)
    assert message.startswith("2025 年度报告第 1 版不能定稿（不成立的勾稽关系：I1、I4）")
    assert "I1 不成立" in message and "I4 不成立" in message


def test_finalize_refuses_when_the_register_changed_after_the_build(crafted: Engine) -> None:
    with office_session(crafted) as s:
        _set_figures(s, 2025)
        store_report(s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang")
        _add(s, "B1", "2025-07-01", "commercial", [_replied("2025-07-15", "3.1")])
    with (
        pytest.raises(ReportBlocked, match="登记簿有变动（表三与现在的数据不一致）"),
        office_session(crafted) as s,
    ):
        finalize_report(s, 2025, by="wang", as_of=AS_OF)


def test_final_year_is_locked_until_reopened_with_a_logged_reason(crafted: Engine) -> None:
    with office_session(crafted) as s:
        _set_figures(s, 2025)
        store_report(s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang")
        assert finalize_report(s, 2025, by="li", as_of=AS_OF) == (2025, 1)
    with office_session(crafted) as s:
        assert is_year_final(s, 2025) and not is_year_final(s, 2024)
        row = s.execute(sa.text("SELECT status, finalized_by, finalized_at FROM annual_report")).one()
        assert row[0] == "final" and row[1] == "li" and row[2] is not None
        # a change reaching into 2025 is refused; one starting in 2026 is not
        with pytest.raises(YearLocked) as info:
            ensure_unlocked(s, since=D("2025-12-20"), until=None)
        assert "2025 年度报告已定稿" in str(info.value) and "重新开启" in str(info.value)
        with pytest.raises(YearLocked):
            ensure_unlocked(s, since=D("2024-03-01"), until=D("2025-01-05"))
        ensure_unlocked(s, since=D("2026-01-05"), until=None)
        ensure_unlocked(s, since=D("2024-03-01"), until=D("2024-06-01"))
        with pytest.raises(YearLocked):
            set_yearly_figure(s, year=2025, key="行政许可", value=Decimal(1), source="更正", by="wang")
        with pytest.raises(YearLocked):
            store_report(s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang")
        with pytest.raises(InputError, match="已经定稿"):
            finalize_report(s, 2025, by="wang", as_of=AS_OF)
    with pytest.raises(InputError, match="原因"), office_session(crafted) as s:
        reopen_year(s, 2025, by="wang", reason="  ")
    with pytest.raises(InputError, match="尚未定稿"), office_session(crafted) as s:
        reopen_year(s, 2024, by="wang", reason="测试")

    with office_session(crafted) as s:
        reopen_year(s, 2025, by="wang", reason="发现一件申请的答复日期登记错误，需更正后重新定稿")
    with office_session(crafted) as s:
        assert not is_year_final(s, 2025)
        ensure_unlocked(s, since=D("2025-12-20"), until=None)
        log = s.exec(select(ReportReopenLog)).all()
        assert [(r.year, r.by, r.reason) for r in log] == [
            (2025, "wang", "发现一件申请的答复日期登记错误，需更正后重新定稿")
        ]
        assert log[0].at.tzinfo is not None
        # the once-final version stays the reference for next year's I6/I7
        assert previous_report_data(s, 2025) is not None
    # the reopening log is append-only
    with pytest.raises(sa.exc.DBAPIError) as refused, crafted.begin() as conn:
        conn.execute(sa.text("UPDATE report_reopen_log SET reason = 'x'"))
    assert "append-only" in str(refused.value.orig)
    with office_session(crafted) as s:
        assert store_report(
            s, compute_statistics(s, year=2025, office_name=OFFICE), narrative=None, by="wang"
        ) == (
            2025,
            2,
        )
        assert finalize_report(s, 2025, by="wang", as_of=AS_OF) == (2025, 2)


def test_year_out_of_range_is_refused(engine: Engine) -> None:
    with office_session(engine) as s, pytest.raises(InputError, match="报告年度"):
        compute_statistics(s, year=1999, office_name=OFFICE)


# -- SQL shape: a handful of statements, index ranges only ----------------------------------------------------


def test_statistics_read_index_ranges_only_in_two_statements(crafted: Engine) -> None:
    statements: list[tuple[str, Any]] = []

    def record(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        statements.append((statement, parameters))

    with office_session(crafted) as s:
        sa.event.listen(crafted, "before_cursor_execute", record)
        try:
            compute_statistics(s, year=2025, office_name=OFFICE)
        finally:
            sa.event.remove(crafted, "before_cursor_execute", record)
    # One statement reads the register (three index ranges), one the catalogue, the figures, the appeals
    # and last year's final report: no fixed cost of a round trip per small table.
    assert len(statements) == 2, [sql for sql, _ in statements]
    on_application = [(sql, p) for sql, p in statements if "FROM application" in sql]
    assert len(on_application) == 1
    if crafted.dialect.name != "sqlite":
        return
    with crafted.connect() as conn:
        for sql, params in on_application:
            plan = " ".join(str(r[3]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert plan.count("COVERING INDEX ix_application_report_") == 3, (sql, plan)
            assert "SCAN application" not in plan, plan
