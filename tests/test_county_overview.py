"""The county's read-only view (issue 14): the ``county`` role, ``county_overview`` and ``gongkai county status``.

A configuration folder with two demo offices (``aa``, ``bb``) and the county's own office (``xian``, staff all
``county``) in one database (SQLite and PostgreSQL): each office's row equals what its own 待办 and lists show, the
county person reads and changes nothing, a handler of an ordinary office is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine

from gongkai.cli.main import main
from gongkai.core.errors import ConfigError, NotAllowed
from gongkai.core.settings import Settings, load_settings
from gongkai.notify.outbox import outstanding
from gongkai.register.deadlines import make_event
from gongkai.services import applications, extensions, imports, items, report, review
from gongkai.services.actor import Actor
from gongkai.services.county import county_overview
from gongkai.services.demo import load_demo_if_empty
from gongkai.services.extensions import pending_extensions
from gongkai.services.items import list_catalogue_items
from gongkai.services.office import open_office
from gongkai.services.processes import open_works, plan_reminders
from gongkai.services.review import list_review_tasks
from gongkai.services.worklist import unit_overdue
from gongkai.store.db import open_database
from tests.offices import demo_county

AS_OF = date(2026, 1, 12)
YEAR = AS_OF.year - 1
EVIL = "<script>alert(1)</script>政务公开办"
COUNTY_OFFICE = f"""\
[office]
name = "{EVIL}"
code = "xian"
disclosure_unit = "县人民政府办公室"

[[staff]]
id = "zhou"
name = "周敏"
role = "县级"

[[staff]]
id = "qian"
name = "钱进"
role = ["county", "administrator"]
"""
TABLES = ("application", "application_event", "extension_request", "proactive_item", "yearly_figure")


@dataclass
class County:
    folder: Path
    url: str
    home: Path

    def settings(self, code: str) -> Settings:
        return load_settings(self.folder, code)


@pytest.fixture
def county(tmp_path: Path, db_url: str) -> Iterator[County]:
    """aa and bb hold the demo register as of :data:`AS_OF`; aa also an extension request, planned reminders and a
    draft report of last year; bb a figure of last year and one more open application; xian nothing."""
    folder = tmp_path / "config"
    demo_county(folder, ["aa", "bb"])
    (folder / "xian.toml").write_text(COUNTY_OFFICE, encoding="utf-8")
    setup = County(folder, db_url, tmp_path / "home")
    for code in ("aa", "bb", "xian"):
        settings = setup.settings(code)
        operator = Actor.terminal(settings, "operator-in-test")
        with open_office(settings, AS_OF, url=db_url) as office:
            load_demo_if_empty(office, operator)
            if code == "aa":
                ref = applications.list_applications(office, operator)[-1].ref
                extensions.request_extension(office, operator, ref, days=10, reason="需要会商")
                report.build_annual_report(office, operator, year=YEAR, home=setup.home / code)
            if code == "bb":
                applications.register_application(
                    office,
                    operator,
                    received_on=AS_OF,
                    applicant_type="natural_person",
                    applicant_name="张小明",
                    content="请求公开某文件",
                )
                report.set_figure(
                    office, operator, year=YEAR, key="penalty_decisions", value=Decimal(3), source="执法系统"
                )
    with open_works(setup.settings("aa"), home=setup.home / "aa", url=db_url) as works:
        plan_reminders(works, Actor.schedule("reminders"), AS_OF)
    yield setup


def _engine(county: County) -> Iterator[Engine]:
    engine = open_database(county.url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(county: County) -> Iterator[Engine]:
    yield from _engine(county)


def _own_view(county: County, code: str) -> dict[str, object]:
    """What office ``code``'s own pages show (its 待办 and lists, its report page, its outbox)."""
    settings = county.settings(code)
    reader = Actor.staff(settings, settings.staff[0].id)
    head = Actor("head", frozenset({"unit_head"}), "staff")
    with open_office(settings, AS_OF, url=county.url) as office:
        open_apps = applications.list_applications(office, reader)
        soon = applications.list_applications(office, reader, due_within=3)
        unpublished = list_catalogue_items(office, reader, unpublished=True)
        tasks = list_review_tasks(office, reader, status="open")
        overview = report.report_overview(office, reader, YEAR, home=county.home / code)
        owed = outstanding(
            office.session,
            office_id=office.office_id,
            settings=settings,
            now=datetime(2026, 1, 12, 12, tzinfo=UTC),
        )
        latest = overview.latest
        return {
            "open_applications": len(open_apps),
            "overdue": unit_overdue(office, reader).total,
            "due_soon": sum(1 for a in soon if not a.clock.overdue),
            "pending_extensions": len(pending_extensions(office, head)),
            "items_unpublished": len(unpublished),
            "items_late": sum(1 for i in unpublished if i.publication_due and i.publication_due < AS_OF),
            "review_open": len(tasks),
            "review_overdue": sum(1 for t in tasks if t.overdue),
            "outbox_unconfirmed": owed.total,
            "report_status": "final" if overview.final else ("draft" if latest else "none"),
            "report_version": latest.version if latest else None,
            "missing_figures": list(overview.missing_figures),
        }


def test_each_offices_row_is_what_its_own_pages_show(county: County, engine: Engine) -> None:
    found = county_overview(engine, Actor.operator("county-test"), AS_OF)
    assert [o.code for o in found.offices] == ["aa", "bb", "xian"]
    assert found.report_year == YEAR and found.january
    for row in found.offices:
        own = _own_view(county, row.code)
        shown = {key: row.to_json()[key] for key in own}
        assert shown == own, row.code
    aa, bb, xian = found.offices
    # the data makes every column count something somewhere (a test that cannot fail proves nothing)
    assert aa.open_applications > 0 and aa.overdue > 0 and aa.items_unpublished > 0
    assert aa.pending_extensions == 1 and bb.pending_extensions == 0
    assert aa.outbox_unconfirmed > 0 and bb.outbox_unconfirmed == 0
    assert bb.open_applications == aa.open_applications + 1
    assert (aa.report_status, aa.report_version) == ("draft", 1) and bb.report_status == "none"
    assert "行政处罚" in aa.missing_figures and "行政处罚" not in bb.missing_figures
    assert xian.name == EVIL and xian.open_applications == 0 and xian.report_label == "未生成"
    assert found.totals["open_applications"] == aa.open_applications + bb.open_applications
    assert found.totals["pending_extensions"] == 1


def test_the_overview_takes_a_few_statements_whatever_the_number_of_offices(
    county: County, engine: Engine
) -> None:
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        county_overview(engine, Actor.operator("county-test"), AS_OF)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 12, selects  # the calendar and eight grouped counts, none per office


def test_only_county_people_may_read_it(county: County, engine: Engine) -> None:
    handler = Actor.staff(county.settings("aa"), "li")
    with pytest.raises(NotAllowed, match="county"):
        county_overview(engine, handler, AS_OF)
    reader = Actor.staff(county.settings("xian"), "zhou")
    assert reader.roles == frozenset({"county"})
    assert len(county_overview(engine, reader, AS_OF).offices) == 3
    with pytest.raises(NotAllowed, match="county"):  # an office's own administrator sees no other office
        county_overview(engine, Actor.staff(county.settings("aa"), "wang"), AS_OF)
    assert len(county_overview(engine, Actor.operator("root"), AS_OF).offices) == 3


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}


def test_a_county_person_changes_nothing(county: County, engine: Engine, tmp_path: Path) -> None:
    settings = county.settings("xian")
    zhou = Actor.staff(settings, "zhou")
    before = _counts(engine)
    upload = tmp_path / "register.csv"
    upload.write_text("编号,收到日期\n", encoding="utf-8")
    attempts = {
        "register": lambda o: applications.register_application(
            o, zhou, received_on=AS_OF, applicant_type="natural_person", applicant_name="张", content="x"
        ),
        "event": lambda o: applications.record_event(
            o, zhou, "2026-0001", make_event("correction_requested", AS_OF)
        ),
        "import": lambda o: imports.import_file(o, zhou, "register", upload),
        "extension": lambda o: extensions.request_extension(o, zhou, "2026-0001", days=5, reason="x"),
        "decide": lambda o: extensions.decide_extension(o, zhou, 1, approve=True, note="", days=None),
        "item": lambda o: items.add_item(
            o, zhou, index_no="X-1", title="t", generated_on=AS_OF, category="其他", attribute="proactive"
        ),
        "change": lambda o: items.change_item(o, zhou, "X-1", changed_on=AS_OF, what="x"),
        "figure": lambda o: report.set_figure(
            o, zhou, year=YEAR, key="penalty_decisions", value=Decimal(1), source="x"
        ),
        "build": lambda o: report.build_annual_report(o, zhou, year=YEAR, home=tmp_path),
        "buildable": lambda o: report.check_buildable(o, zhou, YEAR),
        "finalize": lambda o: report.finalize_annual_report(o, zhou, YEAR, home=tmp_path),
        "narrative": lambda o: report.save_narrative(o, zhou, YEAR, {"一": "x"}, home=tmp_path),
        "outcome": lambda o: review.record_review_outcome(
            o, zhou, 1, outcome="kept", reviewer="周", reason="x"
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(NotAllowed, match="无权"), open_office(settings, AS_OF, url=county.url) as office:
            attempt(office)
        assert _counts(engine) == before, name


def test_an_all_county_office_needs_no_unit_head_but_others_still_do(tmp_path: Path) -> None:
    path = tmp_path / "xian.toml"
    path.write_text(COUNTY_OFFICE, encoding="utf-8")
    assert [p.role for p in load_settings(path).staff] == [("county",), ("county", "administrator")]
    path.write_text(COUNTY_OFFICE.replace('role = "县级"', 'role = "handler"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="unit_head"):
        load_settings(path)
    path.write_text(COUNTY_OFFICE.replace('["county", "administrator"]', '"county"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="administrator"):
        load_settings(path)


def test_county_status_prints_a_table_and_the_documented_json(
    county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GONGKAI_DATABASE_URL", county.url)
    runner = CliRunner()
    result = runner.invoke(main, ["county", "status", "--as-of", AS_OF.isoformat(), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert [o["code"] for o in doc["offices"]] == ["aa", "bb", "xian"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for key in [*doc["offices"][0], *doc["totals"], *doc]:
        assert f"`{key}`" in readme, key
    result = runner.invoke(main, ["county", "status", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "aa街道办事处" in result.output and EVIL in result.output
    assert any(line.startswith("合计") for line in lines)
    assert f"{YEAR} 年度报告须于 {YEAR + 1}-01-31 前公开发布：3 个单位尚未定稿。" in lines
    assert "草稿第 1 版" in result.output
