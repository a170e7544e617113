"""The services of items, the calendar and the annual report called with a handler's Actor, as the desk will:
a handler does the catalogue's daily work and enters figures; importing a calendar, finalizing and reopening a
report are refused (NotAllowed) with nothing written. On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gongkai.core.errors import NotAllowed
from gongkai.core.settings import Settings, load_settings
from gongkai.services.actor import Actor
from gongkai.services.items import add_item, change_item, item_detail, list_catalogue_items, review_item
from gongkai.services.office import open_office
from gongkai.services.report import finalize_annual_report, reopen_annual_report, set_figure, show_figures
from gongkai.services.workcalendar import calendar_year, import_calendar

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 1, 12)


@pytest.fixture
def settings() -> Settings:
    return load_settings(REPO / "config" / "gongkai.toml")


def test_a_handler_keeps_the_catalogue(settings: Settings, db_url: str) -> None:
    li = Actor.staff(settings, "li")
    with open_office(settings, AS_OF, records=True, url=db_url) as office:
        added = add_item(
            office,
            li,
            index_no="T-001",
            title="办公时间",
            generated_on=date(2026, 1, 5),
            category="机构职能",
            attribute="proactive",
            published_on=date(2026, 1, 7),
        )
        review_item(office, li, "T-001", reviewer="赵建国", reviewed_on=date(2026, 1, 6), result="同意公开")
        changed = change_item(office, li, "T-001", changed_on=date(2026, 1, 9), what="办公时间调整")
    assert added.publication_due is None  # published in time
    assert changed.publication_due is not None  # the change is due within 20 working days (Art. 26)
    with open_office(settings, AS_OF, url=db_url) as office:
        listed = list_catalogue_items(office, li, unpublished=True)
        detail = item_detail(office, li, "T-001").to_json()
    assert [v.fields["index_no"] for v in listed] == ["T-001"]
    assert detail["publication_due"] == changed.publication_due.isoformat()
    assert [r["recorded_by"] for r in detail["reviews"]] == ["li"]
    assert [c["what"] for c in detail["changes"]] == ["办公时间调整"] and detail["content_reviews"] == []


CALENDAR_2027 = "日期,类型,名称\n" + "\n".join(
    f"{d},off,{n}"
    for d, n in [
        ("2027-01-01", "元旦"),
        ("2027-02-08", "春节"),
        ("2027-04-05", "清明节"),
        ("2027-05-03", "劳动节"),
        ("2027-06-09", "端午节"),
        ("2027-09-15", "中秋节"),
        ("2027-10-01", "国庆节"),
    ]
)


def test_only_an_administrator_imports_a_calendar(settings: Settings, db_url: str, tmp_path: Path) -> None:
    csv_file = tmp_path / "2027.csv"
    csv_file.write_text(CALENDAR_2027, encoding="utf-8")
    with pytest.raises(NotAllowed, match="li 无权导入放假安排"):
        with open_office(settings, AS_OF, records=True, url=db_url) as office:
            import_calendar(office, Actor.staff(settings, "li"), csv_file)
    assert calendar_year(2027, url=db_url).announced is False
    with open_office(settings, AS_OF, records=True, url=db_url) as office:
        done = import_calendar(office, Actor.staff(settings, "wang"), csv_file)
    assert [(y.year, y.days_off) for y in done.years] == [(2027, 7)]
    shown = calendar_year(2027, url=db_url)
    assert shown.announced and "wang" in shown.source and len(shown.workdays_per_month) == 12


def test_a_handler_enters_figures_but_cannot_finalize_or_reopen(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    li = Actor.staff(settings, "li")
    with open_office(settings, AS_OF, url=db_url) as office:
        set_figure(
            office, li, year=2025, key="licensing_decisions", value=Decimal(12), source="县行政审批服务局"
        )
    for attempt in (
        lambda office: finalize_annual_report(office, li, 2025, home=tmp_path),
        lambda office: reopen_annual_report(office, li, 2025, reason="更正"),
    ):
        with pytest.raises(NotAllowed, match="administrator"):
            with open_office(settings, AS_OF, records=True, url=db_url) as office:
                attempt(office)
    with open_office(settings, AS_OF, url=db_url) as office:
        figures = show_figures(office, li, 2025)
    assert [(f.key, f.shown, f.entered_by) for f in figures] == [("licensing_decisions", "12", "li")]
