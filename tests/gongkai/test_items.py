"""Proactive-disclosure items: the import (CSV UTF-8/GB18030 and XLSX alike, all-or-nothing, idempotent,
changes), reviews and changes (append-only), the Art. 26 due date, the ``[catalogue]`` settings and the
``gongkai item`` commands. Database tests run on SQLite and PostgreSQL (``db_url``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from gongkai.catalogue import items
from gongkai.catalogue.itemimport import ItemImportResult, import_items
from gongkai.catalogue.itemview import item_json
from gongkai.cli.main import main
from gongkai.core.errors import ConfigError, ImportRejected, InputError
from gongkai.core.settings import load_settings
from gongkai.register.deadlines import publication_due
from gongkai.register.repository import load_calendar, sync_staff
from gongkai.store.db import open_database
from gongkai.store.models import ItemChange, ItemReview, ProactiveItem
from tests.offices import office_session

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "gongkai.toml"
STAFF = [("wang", "王丽", ("handler", "administrator")), ("li", "李强", ("handler",))]
STAFF_IDS = {"wang", "li"}
CATS = ("政府信息公开",)
AS_OF = date(2026, 3, 31)

HEADER = [
    "索引号",
    "标题",
    "内容概述",
    "生成日期",
    "变更日期",
    "文号",
    "类别",
    "五公开",
    "公开属性",
    "不公开理由",
    "有效性",
    "废止日期",
    "公开日期",
    "公开渠道",
    "网址",
    "负责人",
    "审核人",
    "审核日期",
    "审核结果",
]
GOOD = [
    [
        "JX/2026-00001",
        "嘉祥街道办事处机构职能",
        "主要职责、内设机构",
        "2026-01-05",
        "",
        "",
        "机构职能",
        "管理",
        "主动公开",
        "",
        "有效",
        "",
        "2026-01-09",
        "政府网站",
        "https://jx.example/1.html",
        "wang",
        "赵建国",
        "2026-01-08",
        "同意公开",
    ],
    [
        "JX/2026-00002",
        "关于印发网格化管理办法的通知",
        "办法全文",
        "2026/1/12",
        "",
        "嘉街发〔2026〕1号",
        "规范性文件",
        "决策",
        "主动公开",
        "",
        "有效",
        "",
        "2026年1月20日",
        "政府网站",
        "https://jx.example/2.html",
        "li",
        "",
        "",
        "",
    ],
    [
        "JX/2026-00003",
        "2026年1月困难群众救助资金发放情况",
        "",
        "2026-02-10",
        "",
        "",
        "社会救助",
        "结果",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "JX/2026-00004",
        "涉及个人隐私的救助对象明细",
        "明细",
        "2026-02-11",
        "",
        "",
        "社会救助",
        "结果",
        "不予公开",
        "《条例》第十五条（个人隐私）",
        "",
        "",
        "",
        "",
        "",
        "",
        "赵建国",
        "2026-02-12",
        "不予公开",
    ],
    [
        "JX/2026-00005",
        "2025年政府信息公开工作年度报告",
        "年度报告",
        "2026-01-20",
        "",
        "",
        "政府信息公开",
        "结果",
        "主动公开",
        "",
        "",
        "",
        "2026-01-28",
        "政府网站",
        "",
        "wang",
        "",
        "",
        "",
    ],
]


# -- helpers -----------------------------------------------------------------------------------


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8", header: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        # Dates as real date cells where given in ISO form, as Excel would store them.
        ws.append([date.fromisoformat(v) if len(v) == 10 and v[4] == "-" else (v or None) for v in row])
    wb.save(path)
    return path


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_database(db_url)
    with office_session(eng) as session:
        sync_staff(session, STAFF)
    yield eng
    eng.dispose()


def _import(engine: Engine, path: Path) -> ItemImportResult:
    with office_session(engine) as session:
        return import_items(session, path, by="wang", staff_ids=STAFF_IDS, categories=CATS, as_of=AS_OF)


def _snapshot(engine: Engine) -> list[dict[str, object]]:
    with office_session(engine) as session:
        found = items.list_items(session)
        return [item_json(i) for i in found]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


# -- import ----------------------------------------------------------------------------------


def test_csv_utf8_gb18030_and_xlsx_give_the_same_items(engine: Engine, db_url: str, tmp_path: Path) -> None:
    result = _import(engine, _csv(tmp_path / "a.csv", GOOD))
    assert (result.rows, result.inserted, result.updated, result.unchanged, result.reviews) == (5, 5, 0, 0, 2)
    first = _snapshot(engine)
    assert [i["index_no"] for i in first] == [
        "JX/2026-00001",
        "JX/2026-00002",
        "JX/2026-00005",
        "JX/2026-00003",
        "JX/2026-00004",
    ]
    two = next(i for i in first if i["index_no"] == "JX/2026-00002")
    assert two["doc_type"] == "normative_document" and two["published_on"] == "2026-01-20"
    four = next(i for i in first if i["index_no"] == "JX/2026-00004")
    assert four["attribute"] == "not_public" and four["attribute_reason"]

    for name, path in (
        ("gb", _csv(tmp_path / "b.csv", GOOD, encoding="gb18030")),
        ("xlsx", _xlsx(tmp_path / "c.xlsx", GOOD)),
    ):
        other = (
            open_database(db_url.replace("gongkai.db", f"{name}.db")) if db_url.startswith("sqlite") else None
        )
        if other is None:
            # PostgreSQL: the same database, re-import must find every item unchanged.
            again = _import(engine, path)
            assert (again.inserted, again.updated, again.unchanged, again.reviews) == (0, 0, 5, 0)
            continue
        try:
            with office_session(other) as session:
                sync_staff(session, STAFF)
            res = _import(other, path)
            assert res.encoding == ("gb18030" if name == "gb" else "xlsx")
            assert _strip_times(_snapshot(other)) == _strip_times(first)
        finally:
            other.dispose()


def _strip_times(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if not k.endswith("_at")} for r in rows]


def test_english_headers_are_accepted(engine: Engine, tmp_path: Path) -> None:
    header = ["index_no", "title", "generated_on", "category", "published_on"]
    path = _csv(
        tmp_path / "en.csv", [["E-1", "Title", "2026-01-05", "统计信息", "2026-01-06"]], header=header
    )
    assert _import(engine, path).inserted == 1


def test_bad_rows_are_all_listed_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    bad = [list(r) for r in GOOD]
    bad[0][3] = "2026-13-01"  # row 2: bad date
    bad[1][6] = "天气预报"  # row 3: unknown category
    bad[2][8] = "不予公开"  # row 4: not public without a reason
    bad.append(list(GOOD[4]))  # row 7: duplicate index number
    bad[4][15] = "nobody"  # row 6: unknown owner
    bad[3][18] = ""  # row 5: incomplete review
    with pytest.raises(ImportRejected) as info:
        _import(engine, _csv(tmp_path / "bad.csv", bad))
    lines = info.value.problems
    assert [line.split("：", 1)[0] for line in lines] == [
        f"文件 bad.csv 第 {n} 行" for n in (2, 3, 4, 5, 6, 7)
    ]
    assert "生成日期" in lines[0] and "有效日期" in lines[0]
    assert "类别" in lines[1] and "天气预报" in lines[1]
    assert "不公开理由" in lines[2]
    assert "审核结果" in lines[3]
    assert "负责人" in lines[4] and "nobody" in lines[4]
    assert "重复" in lines[5]
    assert _count(engine, "proactive_item") == 0
    assert _count(engine, "item_review") == 0


def test_reimport_is_idempotent_and_a_later_change_is_recorded(engine: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "a.csv", GOOD)
    _import(engine, path)
    before = _snapshot(engine)
    again = _import(engine, path)
    assert (again.inserted, again.updated, again.unchanged, again.changes, again.reviews) == (0, 0, 5, 0, 0)
    assert _snapshot(engine) == before

    later = [list(r) for r in GOOD]
    later[0][4] = "2026-03-02"  # 机构职能 changed (new leader)
    later[0][2] = "主要职责、内设机构、负责人"
    res = _import(engine, _csv(tmp_path / "b.csv", later))
    assert (res.updated, res.unchanged, res.changes) == (1, 4, 1)
    with office_session(engine) as session:
        item = items.get_item(session, "JX/2026-00001")
        assert item.changed_on == date(2026, 3, 2) and item.summary.endswith("负责人")
        changes = items.item_changes(session, item)
        assert [(c.changed_on, c.recorded_by) for c in changes] == [(date(2026, 3, 2), "wang")]
        assert "内容概述" in changes[0].what
        # Published before the change: a new 20-working-day period from the change date.
        due = publication_due(item, load_calendar(session))
        assert due is not None and due > date(2026, 3, 27)
    # The same later file again: nothing more.
    assert _import(engine, _csv(tmp_path / "c.csv", later)).changes == 0
    assert _count(engine, "item_change") == 1


# -- reviews, changes, deadline ----------------------------------------------------------------


def test_review_and_change_recorded_and_logs_are_append_only(engine: Engine, tmp_path: Path) -> None:
    _import(engine, _csv(tmp_path / "a.csv", GOOD))
    with office_session(engine) as session:
        review = items.record_review(
            session,
            "JX/2026-00003",
            "赵建国",
            date(2026, 2, 12),
            "删除后公开",
            None,
            True,
            "隐去身份证号",
            "wang",
        )
        assert review.result == "publish_redacted" and review.referral
        with pytest.raises(InputError, match="法律依据"):
            items.record_review(
                session, "JX/2026-00003", "赵建国", date(2026, 2, 12), "withhold", None, False, None, "wang"
            )
        items.record_change(session, "JX/2026-00001", date(2026, 2, 2), "办公时间调整", "wang", as_of=AS_OF)
        with pytest.raises(InputError, match="早于"):
            items.record_change(session, "JX/2026-00001", date(2025, 12, 1), "x", "wang")
    for table, sql in (
        ("item_review", "UPDATE item_review SET reviewer = 'x'"),
        ("item_change", "UPDATE item_change SET what = 'x'"),
    ):
        for statement in (sql, f"DELETE FROM {table}"):
            with pytest.raises(sa.exc.DBAPIError) as info, engine.begin() as conn:
                conn.execute(sa.text(statement))
            assert "append-only" in str(info.value.orig)


def test_publication_due_follows_the_reminder_reading() -> None:
    from gongkai.register.workcal import WorkCalendar

    cal = WorkCalendar()
    item = ProactiveItem(index_no="x", title="t", generated_on=date(2026, 3, 2), category="统计信息")
    assert publication_due(item, cal) == cal.add_workdays(date(2026, 3, 2), 20)
    item.published_on = date(2026, 3, 5)
    assert publication_due(item, cal) is None
    item.changed_on = date(2026, 4, 1)
    assert publication_due(item, cal) == cal.add_workdays(date(2026, 4, 1), 20)
    item.attribute = "not_public"
    assert publication_due(item, cal) is None


def test_add_item_checks_category_and_unique_index(engine: Engine) -> None:
    data = items.ItemData(index_no="A-1", title="t", generated_on=date(2026, 1, 5), category="统计信息")
    with office_session(engine) as session:
        items.add_item(session, data, by="wang", staff_ids=STAFF_IDS, categories=CATS)
    with office_session(engine) as session, pytest.raises(InputError, match="已登记"):
        items.add_item(session, data, by="wang", staff_ids=STAFF_IDS, categories=CATS)
    wrong = items.ItemData(index_no="A-2", title="t", generated_on=date(2026, 1, 5), category="天气")
    with office_session(engine) as session, pytest.raises(InputError, match="类别"):
        items.add_item(session, wrong, by="wang", staff_ids=STAFF_IDS, categories=CATS)
    assert isinstance(ItemReview, type) and isinstance(ItemChange, type)


# -- settings ----------------------------------------------------------------------------------


_MATTER = """
[[catalogue.matters]]
item = "社会救助"
content = "低保名单"
basis = "《社会救助暂行办法》"
time_limit = "每季度结束后20个工作日内"
frequency = "{frequency}"
category = "{category}"
responsible = "嘉祥街道办事处"
channels = ["政府网站"]
audience = "全社会"
method = "主动"
level = "乡级"
"""


def _config(tmp_path: Path, extra: str) -> Path:
    base = CONFIG.read_text(encoding="utf-8").split("\n[catalogue]")[0]
    path = tmp_path / "g.toml"
    path.write_text(base + '\n[catalogue]\ncategories = ["政府信息公开"]\n' + extra, encoding="utf-8")
    return path


def test_catalogue_settings_shipped_and_defaults(tmp_path: Path) -> None:
    settings = load_settings(CONFIG)
    assert 8 <= len(settings.catalogue.matters) <= 12
    assert {m.frequency for m in settings.catalogue.matters} >= {"event", "quarterly", "yearly"}
    ok = load_settings(_config(tmp_path, _MATTER.format(frequency="quarterly", category="社会救助")))
    assert ok.catalogue_owner.id == "wang"  # first administrator
    assert ok.catalogue.matters[0].subitem is None


def test_catalogue_settings_bad_frequency_and_unknown_category(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_config(tmp_path, _MATTER.format(frequency="weekly", category="社会救助")))
    assert "catalogue.matters 第 1 项的 frequency" in str(info.value) and "weekly" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(_config(tmp_path, _MATTER.format(frequency="event", category="天气")))
    assert "catalogue.matters 第 1 项的 category" in str(info.value) and "天气" in str(info.value)
    with pytest.raises(ConfigError, match="catalogue.owner"):
        load_settings(_config(tmp_path, 'owner = "nobody"\n'))


# -- command line ------------------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("GONGKAI_HOME", str(folder))
    monkeypatch.setenv("GONGKAI_CONFIG", str(CONFIG))
    return folder


def _gk(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_item_commands(home: Path, tmp_path: Path) -> None:
    out = _gk("item", "import", str(_csv(tmp_path / "a.csv", GOOD)), "--as-of", "2026-03-31").output
    assert "新登记 5 条" in out
    out = _gk(
        "item",
        "add",
        "--index-no",
        "JX/2026-00010",
        "--title",
        "2026年第一季度统计数据",
        "--generated",
        "2026-03-02",
        "--category",
        "统计信息",
        "--summary",
        "主要指标",
        "--as-of",
        "2026-03-31",
    ).output
    assert "JX/2026-00010" in out and "公开期限" in out
    listed = json.loads(_gk("item", "list", "--unpublished", "--json", "--as-of", "2026-03-31").output)
    assert {i["index_no"] for i in listed} == {"JX/2026-00003", "JX/2026-00010"}
    assert all(i["publication_due"] for i in listed)
    assert "JX/2026-00003" in _gk("item", "list", "--category", "社会救助").output
    _gk(
        "item",
        "review",
        "JX/2026-00010",
        "--reviewer",
        "赵建国",
        "--date",
        "2026-03-03",
        "--result",
        "同意公开",
    )
    _gk(
        "item",
        "change",
        "JX/2026-00001",
        "--date",
        "2026-03-02",
        "--what",
        "负责人调整",
        "--as-of",
        "2026-03-31",
    )
    shown = json.loads(_gk("item", "show", "JX/2026-00010", "--json").output)
    assert shown["reviews"][0]["result"] == "publish" and shown["publication_due"]
    text = _gk("item", "show", "JX/2026-00001").output
    assert "负责人调整" in text and "第二十六条公开期限" in text
    bad = CliRunner().invoke(
        main,
        ["item", "review", "JX/2026-00010", "--reviewer", "赵", "--date", "2026-03-03", "--result", "随便"],
    )
    assert bad.exit_code == 2 and "审核结果" in bad.output


def test_valid_until_is_imported_checked_and_updated(engine: Engine, tmp_path: Path) -> None:
    header = ["索引号", "名称", "生成日期", "类别", "生效日期", "有效期至", "公开日期"]
    rows = [["V-1", "管理办法", "2021-03-01", "规范性文件", "2021-04-01", "2026-03-31", "2021-03-05"]]
    assert _import(engine, _csv(tmp_path / "v1.csv", rows, header=header)).inserted == 1
    assert _snapshot(engine)[0]["valid_until"] == "2026-03-31"
    # A later file extends the validity: the item is updated, not duplicated.
    rows[0][5] = "2031-03-31"
    result = _import(engine, _csv(tmp_path / "v2.csv", rows, header=header))
    assert (result.inserted, result.updated) == (0, 1)
    assert _snapshot(engine)[0]["valid_until"] == "2031-03-31"
    # The end of validity cannot come before the start.
    bad = [["V-2", "办法", "2021-03-01", "规范性文件", "2021-04-01", "2021-03-31", ""]]
    with pytest.raises(ImportRejected) as info:
        _import(engine, _csv(tmp_path / "bad.csv", bad, header=header))
    assert "有效期至" in info.value.problems[0] and "生效日期" in info.value.problems[0]
    assert _count(engine, "proactive_item") == 1
