"""The county's overview on the desk (issue 14): a ``county`` person signs in to the county office's desk, sees every
office on ``/county`` and downloads last year's county report; every change they post is refused (403) with nothing
written; a handler of an ordinary office gets 403 on ``/county`` and has no link to it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from gongkai.core.settings import load_settings
from gongkai.services.actor import Actor
from gongkai.services.demo import load_demo_if_empty
from gongkai.services.office import open_office
from tests.desk.conftest import DeskSetup, _setup, page_text, signed_in
from tests.offices import demo_county
from tests.test_county_overview import COUNTY_OFFICE, EVIL

AS_OF = date(2026, 3, 2)
TABLES = (
    "application",
    "application_event",
    "extension_request",
    "proactive_item",
    "item_review",
    "yearly_figure",
)
TABLES += ("review_record", "audit_entry", "annual_report")


def _desk(tmp_path: Path, url: str, code: str, passwords: dict[str, str]) -> DeskSetup:
    folder = tmp_path / "config"
    if not folder.exists():
        demo_county(folder, ["aa", "bb"])
        (folder / "xian.toml").write_text(COUNTY_OFFICE, encoding="utf-8")
        for office_code in ("aa", "bb"):
            settings = load_settings(folder, office_code)
            with open_office(settings, date(2026, 1, 12), url=url) as office:
                load_demo_if_empty(office, Actor.terminal(settings, "operator-in-test"))
    return _setup(load_settings(folder, code), url, tmp_path / "home" / code, passwords)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in TABLES}
    finally:
        engine.dispose()


@pytest.fixture
def county_desk(tmp_path: Path, db_url: str) -> DeskSetup:
    return _desk(tmp_path, db_url, "xian", {"zhou": "Min-Pass-2026!"})


def test_a_county_person_sees_every_office_and_the_county_report(county_desk: DeskSetup) -> None:
    client = signed_in(county_desk, "zhou", "Min-Pass-2026!")
    home = client.get("/")
    assert home.status_code == 200 and 'href="/county"' in home.text
    page = client.get("/county")
    assert page.status_code == 200, page_text(page)
    for code in ("aa", "bb", "xian"):
        assert f'id="office-{code}"' in page.text
    assert "aa街道办事处" in page.text and EVIL not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;政务公开办" in page.text
    assert "2025 年度报告" in page_text(page)
    html = client.get("/county/report/2025.html")
    assert html.status_code == 200 and "aa街道办事处" in html.text
    assert "attachment" in html.headers["content-disposition"]
    xlsx = client.get("/county/report/2025.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/county/report/2025.pdf").status_code == 404


def test_a_county_person_changes_nothing_on_the_desk(county_desk: DeskSetup) -> None:
    client = signed_in(county_desk, "zhou", "Min-Pass-2026!")
    before = _counts(county_desk.url)
    posts = {
        "/applications": {
            "received": "2026-03-02",
            "applicant_type": "natural_person",
            "applicant_name": "张小明",
            "content": "请求公开某文件",
            "channel": "in_person",
        },
        "/applications/2026-0001/events": {"kind": "replied", "date": "2026-03-02", "param": "1"},
        "/applications/2026-0001/extension-request": {"days": "10", "reason": "需要会商"},
        "/head/extensions/1": {"decision": "approve", "days": "10"},
        "/items": {"index_no": "X-1", "title": "t", "generated_on": "2026-03-02", "category": "其他"},
        "/review/1": {"outcome": "kept", "reviewer": "周敏", "reason": "x"},
        "/report/2025/build": {},
        "/report/2025/figures/penalty_decisions": {"value": "3", "source": "执法系统"},
        "/report/2025/finalize": {},
    }
    for path, form in posts.items():
        response = client.post(path, form)
        assert response.status_code == 403, (path, page_text(response))
        assert "无权" in page_text(response)
    assert _counts(county_desk.url) == before


def test_an_ordinary_offices_staff_are_refused_the_overview(tmp_path: Path, db_url: str) -> None:
    """A handler, and an office's own administrator too: one office's figures are not another's to see."""
    desk = _desk(tmp_path, db_url, "aa", {"li": "Qiang-Pass-2026!", "wang": "Li-Pass-2026!"})
    for who, password in (("li", "Qiang-Pass-2026!"), ("wang", "Li-Pass-2026!")):
        client = signed_in(desk, who, password)
        assert 'href="/county"' not in client.get("/").text
        refused = client.get("/county")
        assert refused.status_code == 403 and "无权" in page_text(refused)
        assert client.get("/county/report/2025.html").status_code == 403
