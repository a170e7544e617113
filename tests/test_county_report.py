"""``gongkai county report`` (CONTRACT section 7): three offices in one database (SQLite and PostgreSQL), each office's
tables as its own report has them, the total cell by cell, identities named per office, a finalized office's stored
figures, the HTML escaped, the workbook's numbers, the JSON's keys as the README documents them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from gongkai.cli.main import main
from gongkai.core.codes import APPLICANT_TYPES
from gongkai.core.errors import NotAllowed
from gongkai.demo.office import load_demo
from gongkai.register import repository as register
from gongkai.register.deadlines import make_event
from gongkai.report import layout
from gongkai.report.stats import (
    APPEAL_BLOCKS,
    APPEAL_COLUMNS,
    COLUMNS,
    ROW_IDS,
    compute_statistics,
    finalize_report,
    set_yearly_figure,
    store_report,
    stored_report,
)
from gongkai.services.actor import Actor
from gongkai.services.county import county_report
from gongkai.store.db import open_database
from gongkai.store.tables import APP, FIGURE
from tests.offices import office_session

REPO = Path(__file__).resolve().parents[1]
STAFF = [("wang", "王丽", ["handler", "administrator"]), ("li", "李强", ["handler"])]
YEAR = 2025
EVIL = "西山<script>alert('x')</script>街道办事处"
OFFICES = {"a-jiaxiang": "嘉祥街道办事处", "b-hedong": "河东街道办事处", "c-xishan": EVIL}
"""c-xishan has finalized 2025; a-jiaxiang and c-xishan hold the demo register, b-hedong three applications."""
OPERATOR = Actor.operator("county-test")


def _figures(session: Any, **values: str) -> None:
    defaults = {
        "licensing_decisions": "12",
        "penalty_decisions": "3",
        "coercion_decisions": "1",
        "fees_10k_yuan": "0.1",
    }
    for key, value in {**defaults, **values}.items():
        set_yearly_figure(
            session, year=YEAR, key=key, value=Decimal(value), source="县政务服务系统", by="wang"
        )


def _add(session: Any, ref: str, received: str, applicant_type: str, *events: Any) -> None:
    register.add_application(
        session,
        register.NewApplication(
            ref=ref,
            received_on=date.fromisoformat(received),
            applicant_type=applicant_type,
            applicant_name="张小明",
            content="请求公开某文件",
            channel="in_person",
        ),
        calendar=register.load_calendar(session),
        as_of=date(2026, 1, 20),
        recorded_by="wang",
        events=events,
    )


@pytest.fixture
def county(db_url: str) -> Iterator[Engine]:
    engine = open_database(db_url)
    try:
        for code, name in OFFICES.items():
            with office_session(engine, code) as s:
                s.execute(sa.text("UPDATE office SET name = :n WHERE code = :c"), {"n": name, "c": code})
                register.sync_staff(s, STAFF)
                if code == "b-hedong":
                    replied = make_event("replied", date(2025, 4, 21), outcome="3.2")
                    _add(s, "H1", "2025-04-01", "legal_services", replied)
                    _add(s, "H2", "2025-12-29", "public_interest")
                    _add(
                        s,
                        "H3",
                        "2024-12-20",
                        "natural_person",
                        make_event("replied", date(2025, 1, 10), outcome="3.1"),
                    )
                    _figures(s, licensing_decisions="5", fees_10k_yuan="0.2")
                else:
                    load_demo(s, calendar=register.load_calendar(s), as_of=date(2026, 1, 10))
                    _figures(s)
        with office_session(engine, "c-xishan") as s:
            store_report(s, compute_statistics(s, year=YEAR, office_name=EVIL), narrative=None, by="wang")
            finalize_report(s, YEAR, by="wang", as_of=date(2026, 1, 20))
        yield engine
    finally:
        engine.dispose()


def _own(engine: Engine, code: str) -> dict[str, Any]:
    """The office's tables as its own report has them: the final version if it has one, else the statistics."""
    with office_session(engine, code) as s:
        if code == "c-xishan":
            return stored_report(s, YEAR)[2]
        return compute_statistics(s, year=YEAR, office_name=OFFICES[code]).to_json()


def _tables(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("proactive", "requests", "appeals")}


def test_each_office_as_its_own_report_and_the_total_cell_by_cell(county: Engine) -> None:
    report = county_report(county, OPERATOR, YEAR).to_json()
    assert [o["code"] for o in report["offices"]] == list(OFFICES)
    assert [o["status"] for o in report["offices"]] == ["live", "live", "final"]
    assert [o["status_label"] for o in report["offices"]] == [
        "未定稿（实时统计）",
        "未定稿（实时统计）",
        "已定稿",
    ]
    own = {code: _own(county, code) for code in OFFICES}
    for office in report["offices"]:
        assert _tables(office) == _tables(own[office["code"]]), office["code"]
        assert office["ok"] and office["failures"] == [] and office["missing"] == []
    # Two offices hold the same demo register: the total is not one office's figures twice by accident.
    assert own["a-jiaxiang"]["requests"] != own["b-hedong"]["requests"]
    total = report["total"]
    for r in ROW_IDS:
        for c in COLUMNS:
            assert total["requests"][r][c] == sum(own[k]["requests"][r][c] for k in OFFICES), (r, c)
    for b in APPEAL_BLOCKS:
        for c in APPEAL_COLUMNS:
            assert total["appeals"][b][c] == sum(own[k]["appeals"][b][c] for k in OFFICES), (b, c)
    assert total["proactive"]["normative_documents"] == {
        k: sum(own[o]["proactive"]["normative_documents"][k] for o in OFFICES)
        for k in ("issued", "repealed", "in_force")
    }
    assert total["proactive"]["licensing"] == {"decisions": 12 + 5 + 12}
    assert total["proactive"]["fees_10k_yuan"] == 0.4  # 0.1 + 0.2 + 0.1 added as decimals
    assert total["requests"]["1"]["total"] > 200
    assert (total["office_count"], total["final_count"], total["ok"], report["ok"]) == (3, 1, True, True)


def test_a_finalized_office_is_counted_from_its_stored_report(county: Engine) -> None:
    # Behind the year lock's back (raw SQL): the live statistics now differ from the final report.
    with office_session(county, "c-xishan") as s:
        s.execute(
            sa.update(FIGURE)
            .where(FIGURE.c.year == YEAR, FIGURE.c.key == "licensing_decisions")
            .values(value=99)
        )
        assert compute_statistics(s, year=YEAR, office_name=EVIL).proactive["licensing"] == {"decisions": 99}
    office = county_report(county, OPERATOR, YEAR).offices[2]
    assert (office.code, office.status_label, office.version) == ("c-xishan", "已定稿", 1)
    assert office.proactive["licensing"] == {"decisions": 12}


def test_a_year_not_finalized_anywhere_is_counted_live_and_missing_figures_stay_null(county: Engine) -> None:
    report = county_report(county, OPERATOR, 2026)
    assert [o.status for o in report.offices] == ["live", "live", "live"]
    assert report.total["proactive"]["licensing"] == {"decisions": None}
    assert any("行政许可" in m and "嘉祥街道办事处" in m for m in report.total_missing)
    assert report.ok  # a figure not entered is missing, not an arithmetic error


def test_no_statement_per_application_and_a_few_per_office(county: Engine) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    sa.event.listen(county, "before_cursor_execute", count)
    try:
        county_report(county, OPERATOR, YEAR)
    finally:
        sa.event.remove(county, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH", "("))]
    # one listing of the offices and final reports, then two statements per office counted live
    assert len(selects) <= 1 + 2 * 2, selects


def test_only_the_county_may(county: Engine) -> None:
    for someone in (
        Actor("li", frozenset({"handler"}), "staff"),
        Actor("wang", frozenset({"administrator"}), "staff"),
    ):
        with pytest.raises(NotAllowed, match="county"):
            county_report(county, someone, YEAR)
    assert county_report(county, Actor("zhou", frozenset({"county"}), "staff"), YEAR).offices


# -- the command line --------------------------------------------------------------------------------------------


@pytest.fixture
def cli(county: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    monkeypatch.setenv("GONGKAI_DATABASE_URL", county.url.render_as_string(hide_password=False))
    monkeypatch.setenv("GONGKAI_HOME", str(tmp_path / "home"))
    return county


def gongkai(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_an_office_whose_identities_fail_is_named_with_exit_1(cli: Engine) -> None:
    # b-hedong: an application received in 2025 "concluded" in 2024 (a broken import) breaks I1;
    # a-jiaxiang: a negative yearly figure written past the validation breaks I5.
    with office_session(cli, "b-hedong") as s:
        s.execute(sa.update(APP).where(APP.c.ref == "H1").values(concluded_on=date(2024, 12, 30)))
    with office_session(cli, "a-jiaxiang") as s:
        s.execute(
            sa.update(FIGURE)
            .where(FIGURE.c.year == YEAR, FIGURE.c.key == "penalty_decisions")
            .values(value=-2)
        )
    done = gongkai("county", "report", "--year", str(YEAR))
    assert done.exit_code == 1, done.output
    doc = json.loads(done.stdout)
    b = doc["offices"][1]
    assert not doc["ok"] and not b["ok"] and doc["offices"][2]["ok"]
    assert {(v["identity"], v["table"], v["column"]) for v in b["failures"]} >= {
        ("I1", "表三", "法律服务机构")
    }
    errors = done.stderr
    i1 = re.search(
        r"单位“河东街道办事处”（b-hedong，未定稿（实时统计）） I1 不成立：表三“(.+?)”“法律服务机构”", errors
    )
    assert i1 is not None, errors
    assert layout.TABLE3_ROWS[-2].label in i1[1]  # （七）总计 + 四、结转下年度继续办理
    assert (
        "单位“嘉祥街道办事处”（a-jiaxiang，未定稿（实时统计）） I5 不成立：表二“行政处罚”“本年处理决定数量”：应为 非负整数，实际为 -2"
        in errors
    )
    assert "西山" not in errors.split("勾稽关系不成立：")[1]
    assert "勾稽关系不成立：单位“嘉祥街道办事处”" in errors


def test_a_bad_year_is_exit_2_and_writes_nothing(cli: Engine, tmp_path: Path) -> None:
    out = tmp_path / "county.html"
    for year in ("1999", "abc"):
        done = CliRunner().invoke(
            main, ["county", "report", "--year", year, "--format", "html", "--output", str(out)]
        )
        assert done.exit_code == 2, done.output
        assert not out.exists()
    assert "报告年度应为 2000 至 2100" in gongkai("county", "report", "--year", "1999").stderr


def test_html_escapes_an_office_name_and_holds_the_tables(cli: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out" / "county.html"
    done = gongkai("county", "report", "--year", str(YEAR), "--format", "html", "--output", str(out))
    assert done.exit_code == 0, done.output
    assert str(out) in done.stdout
    page = out.read_text(encoding="utf-8")
    assert "<script>" not in page and "西山&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;街道办事处" in page
    total = county_report(cli, OPERATOR, YEAR).total
    row = re.search(
        r'<table class="table-3" id="total-table-3">.*?<tr data-row="3\.7">(.*?)</tr>', page, re.S
    )
    assert row is not None
    assert re.findall(r'<td class="num">(\d+)</td>', row[1]) == [
        str(total["requests"]["3.7"][c]) for c in COLUMNS
    ]
    assert layout.TABLE3_CORNER in page and "已定稿" in page
    # An existing file is kept unless --force is given.
    again = gongkai("county", "report", "--year", str(YEAR), "--format", "html", "--output", str(out))
    assert again.exit_code == 2 and "--force" in again.stderr


def test_an_edited_template_is_used(cli: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "templates" / "county"
    folder.mkdir(parents=True)
    (folder / "county_report.html.j2").write_text(
        "{% for o in offices %}{{ o.name }}={{ o.summary[0] }};{% endfor %}", encoding="utf-8"
    )
    monkeypatch.setenv("GONGKAI_TEMPLATES", str(tmp_path / "templates"))
    out = tmp_path / "edited.html"
    assert (
        gongkai("county", "report", "--year", str(YEAR), "--format", "html", "--output", str(out)).exit_code
        == 0
    )
    assert out.read_text(encoding="utf-8").startswith("嘉祥街道办事处=")
    assert "&lt;script&gt;" in out.read_text(encoding="utf-8")


def test_xlsx_holds_the_same_numbers(cli: Engine, tmp_path: Path) -> None:
    done = gongkai("county", "report", "--year", str(YEAR), "--format", "xlsx")
    assert done.exit_code == 0, done.output
    path = Path(done.stdout.splitlines()[0].rsplit("：", 1)[1])
    assert path.suffix == ".xlsx" and path.is_file()
    doc = county_report(cli, OPERATOR, YEAR).to_json()
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["汇总", "表二", "表四", "勾稽关系"]
    sheet = wb["汇总"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == layout.TABLE3_ROWS[0].label and rows[1][4] == APPLICANT_TYPES["natural_person"]
    bodies = [*doc["offices"], {**doc["total"], "code": None, "name": "合计"}]
    assert len(rows) == 2 + len(bodies)
    for row, body in zip(rows[2:], bodies, strict=True):
        assert row[1] == body["name"]
        assert list(row[4:]) == [
            body["requests"][r.row_id][c] for r in layout.TABLE3_ROWS for c, _ in layout.APPLICANT_COLUMNS
        ]
    table2 = list(wb["表二"].iter_rows(values_only=True))
    assert [r[-1] for r in table2[1:]] == [b["proactive"]["fees_10k_yuan"] for b in bodies]
    table4 = list(wb["表四"].iter_rows(values_only=True))
    assert [r[4:] for r in table4[1:]] == [
        tuple(b["appeals"][blk][c] for blk, _ in layout.APPEAL_BLOCKS for c, _ in layout.APPEAL_RESULTS)
        for b in bodies
    ]


def _readme_keys() -> set[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### County report JSON") :]
    section = section[: section.index("\n#", 1)]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.M))


def test_the_json_keys_are_those_the_readme_documents(cli: Engine) -> None:
    done = gongkai("county", "report", "--year", str(YEAR))
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    keys = {*doc, *(f"offices[].{k}" for k in doc["offices"][0]), *(f"total.{k}" for k in doc["total"])}
    assert keys == _readme_keys()
    assert list(doc) == ["format", "year", "ok", "offices", "total"]
