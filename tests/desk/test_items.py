"""The desk's catalogue pages (主动公开): the item list with its filters and pages, adding an item, one item with
its pre-publication review (Art. 17) and change (Art. 26) forms, and the latest catalogue and guide with their
downloads. Real application, real database (SQLite and PostgreSQL through ``db_url``), the clock injected
(business date 2026-03-02); what was written is read back through the services, as ``gongkai item show`` does."""

from __future__ import annotations

import json
import re
from datetime import date
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from gongkai.core.home import gongkai_home
from gongkai.services.actor import Actor
from gongkai.services.items import add_item, item_detail, list_catalogue_items
from gongkai.services.office import open_office
from gongkai.services.processes import open_works, update_catalogue
from tests.desk.conftest import AS_OF, DeskSetup, page_text, signed_in

XSS = "<script>alert(1)</script>"
XSS2 = '"><img src=x onerror=alert(1)>'

GOOD = {
    "index_no": "HD/2026-00001",
    "title": "河东街道2026年工作要点",
    "summary": "全年重点工作安排",
    "generated": "2026-02-20",
    "category": "规划计划",
    "attribute": "proactive",
    "five_publics": "决策",
    "owner": "chen",
}


def items_in(setup: DeskSetup) -> list[dict[str, Any]]:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        return [i.to_json() for i in list_catalogue_items(office, Actor.terminal(setup.settings, "test"))]


def detail(setup: DeskSetup, index_no: str) -> dict[str, Any]:
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        return item_detail(office, Actor.terminal(setup.settings, "test"), index_no).to_json()


def seed(setup: DeskSetup, index_no: str, **kw: Any) -> None:
    """An item registered through the service (as chen)."""
    values: dict[str, Any] = {
        "title": f"关于{index_no}的通知",
        "generated_on": date(2026, 2, 20),
        "category": "机构职能",
        "attribute": "proactive",
    }
    values.update(kw)
    with open_office(setup.settings, AS_OF, url=setup.url) as office:
        add_item(office, Actor.staff(setup.settings, "chen"), index_no=index_no, **values)


def url_of(index_no: str) -> str:
    return "/items/" + quote(index_no, safe="/")


def form_of(html: str, action: str) -> str:
    found = re.search(rf'<form[^>]*action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert found, f"no form posting to {action}"
    return found.group(1)


def assert_inert(html: str) -> None:
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")


# -- adding an item ----------------------------------------------------------------------------------------


def test_the_add_form_offers_the_vocabularies_in_chinese(desk: DeskSetup) -> None:
    html = signed_in(desk, "chen").get("/items/new").text
    form = form_of(html, "/items")
    assert form.lstrip().startswith('<input type="hidden" name="csrf_token"')
    for choice in (
        "规划计划（第二十条第（三）项）",
        "主动公开",
        "依申请公开",
        "不予公开",
        "决策公开",
        "陈静",
        "孙海",
    ):
        assert choice in form
    for name in GOOD | {"reason": "", "doc_number": "", "issuing_body": "", "valid_from": "", "valid_until": "",
                        "published": "", "channel": "", "url": ""}:  # fmt: skip
        assert f'name="{name}"' in form and f'for="{name}"' in form


def test_add_an_item_and_see_its_page(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = client.post("/items", GOOD)
    assert response.status_code == 303, page_text(response)
    assert response.headers["location"] == "/items/HD/2026-00001"
    written = detail(desk, "HD/2026-00001")
    assert written["five_publics"] == "决策" and written["owner"] == "chen"
    due = written["publication_due"]
    assert due == "2026-03-20"
    page = client.get(response.headers["location"])
    text = page_text(page)
    assert page.status_code == 200
    assert f"已登记主动公开信息 HD/2026-00001：第二十六条公开期限 {due}。" in text  # the flash
    assert "河东街道2026年工作要点" in text and "全年重点工作安排" in text and "决策公开" in text
    assert "已登记主动公开信息" not in page_text(client.get(response.headers["location"]))  # flash shown once


def test_bad_input_is_shown_per_field_and_nothing_is_written(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    unreadable = client.post("/items", {**GOOD, "title": "", "generated": "2026-13-01", "attribute": "maybe"})
    assert unreadable.status_code == 400
    html = unreadable.text
    for name in ("title", "generated", "attribute"):
        assert f'id="{name}-error"' in html and f'aria-describedby="{name}-error"' in html
    assert 'value="HD/2026-00001"' in html  # what was typed is kept
    refused = client.post(
        "/items",
        {**GOOD, "category": "天气", "attribute": "not_public", "generated": "2026-03-03",
         "url": "javascript:alert(1)", "owner": "nobody", "valid_from": "2026-02-01", "valid_until": "2026-01-01"},
    )  # fmt: skip
    assert refused.status_code == 400
    html = refused.text
    for name in ("category", "reason", "generated", "url", "owner", "valid_until"):
        assert f'id="{name}-error"' in html, name
    assert "不公开理由" in page_text(refused) and "晚于今天" in page_text(refused)
    assert items_in(desk) == []


def test_a_taken_index_number_is_refused_on_its_field(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001")
    response = signed_in(desk, "chen").post("/items", GOOD)
    assert response.status_code == 400 and 'id="index_no-error"' in response.text
    assert "已登记" in page_text(response)
    assert [i["title"] for i in items_in(desk)] == ["关于HD/2026-00001的通知"]


def test_an_unknown_item_is_404(desk: DeskSetup) -> None:
    response = signed_in(desk, "chen").get("/items/HD/none")
    assert response.status_code == 404 and "没有索引号" in page_text(response)


# -- the list ----------------------------------------------------------------------------------------------


def test_the_list_pages_filters_and_marks_overdue_dates(desk: DeskSetup) -> None:
    for n in range(1, 52):
        seed(desk, f"HD/2026-{n:05d}", title=f"第{n}号通知", published_on=date(2026, 2, 25))
    seed(desk, "HD/2025-00900", title="逾期未公开的通知", generated_on=date(2026, 1, 5), category="规划计划")
    client = signed_in(desk, "chen")
    first = client.get("/items")
    assert first.status_code == 200
    assert first.text.count('<tr class="') == 50
    text = page_text(first)
    assert "共 52 条" in text and "第 1 / 2 页" in text and "逾期未公开的通知" in text and "已逾期" in text
    assert 'href="/items?page=2"' in first.text
    second = client.get("/items?page=2")
    assert second.text.count('<tr class="') == 2
    only = client.get("/items?unpublished=1")
    assert "共 1 条" in page_text(only) and "2026-02-02" in page_text(only) and "已逾期" in page_text(only)
    assert page_text(client.get("/items?category=规划计划")).count("逾期未公开的通知") == 1
    found = client.get("/items?q=2026-0005")
    assert "共 2 条" in page_text(found) and 'value="2026-0005"' in found.text
    assert "共 1 条" in page_text(client.get("/items?q=第51号"))
    assert "共 0 条" in page_text(client.get("/items?q=%25"))  # % is a character, not a wildcard


# -- pre-publication review and change ---------------------------------------------------------------------


def test_a_review_is_recorded_with_the_signed_in_person(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001")
    client = signed_in(desk, "sun")
    page = client.get(url_of("HD/2026-00001"))
    form = form_of(page.text, "/items/HD/2026-00001/review")
    assert 'value="孙海"' in form and 'value="2026-03-02"' in form  # reviewer and date defaults
    for choice in ("同意公开", "删除（处理）后公开", "不予公开"):
        assert choice in form
    response = client.post(
        "/items/HD/2026-00001/review",
        {"reviewer": "孙海", "reviewed_on": "2026-02-25", "result": "publish_redacted", "referral": "1",
         "note": "删除联系电话后公开"},
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/items/HD/2026-00001"
    (review,) = detail(desk, "HD/2026-00001")["reviews"]
    assert (review["result"], review["recorded_by"], review["referral"]) == ("publish_redacted", "sun", True)
    text = page_text(client.get(response.headers["location"]))
    assert "已登记" in text and "删除（处理）后公开" in text and "删除联系电话后公开" in text


def test_bad_review_input_per_field_and_nothing_written(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001")
    client = signed_in(desk, "chen")
    for data, field, words in (
        ({"reviewer": "", "reviewed_on": "2026-02-25", "result": "publish"}, "reviewer", "审核人"),
        ({"reviewer": "陈静", "reviewed_on": "二月", "result": "publish"}, "reviewed_on", "有效日期"),
        ({"reviewer": "陈静", "reviewed_on": "2026-02-25", "result": "withhold"}, "legal_ground", "法律依据"),
        ({"reviewer": "陈静", "reviewed_on": "2026-02-01", "result": "publish"}, "reviewed_on", "早于"),
        ({"reviewer": "陈静", "reviewed_on": "2026-02-25", "result": "maybe"}, "result", "审核结果"),
    ):
        response = client.post("/items/HD/2026-00001/review", data)
        assert response.status_code == 400, data
        assert f'id="{field}-error"' in response.text and words in page_text(response), data
        assert "--legal-ground" not in response.text
    assert detail(desk, "HD/2026-00001")["reviews"] == []


def test_a_change_is_recorded_and_moves_the_due_date(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001", generated_on=date(2026, 1, 5), published_on=date(2026, 1, 20))
    client = signed_in(desk, "chen")
    assert detail(desk, "HD/2026-00001")["publication_due"] is None
    response = client.post(
        "/items/HD/2026-00001/change", {"changed_on": "2026-02-27", "what": "办公时间调整"}
    )
    assert response.status_code == 303
    written = detail(desk, "HD/2026-00001")
    (change,) = written["changes"]
    assert (change["what"], change["recorded_by"]) == ("办公时间调整", "chen")
    assert written["publication_due"] == "2026-03-26"  # Saturday 28 February 2026 is a working day
    assert "变更后的信息应于 2026-03-26 前公开" in page_text(client.get(response.headers["location"]))


def test_bad_change_input_per_field_and_nothing_written(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001", generated_on=date(2026, 1, 5), published_on=date(2026, 1, 20))
    client = signed_in(desk, "chen")
    for data, field in (
        ({"changed_on": "2026-02-27", "what": " "}, "what"),
        ({"changed_on": "2026-03-03", "what": "办公时间调整"}, "changed_on"),
        ({"changed_on": "2026-01-01", "what": "办公时间调整"}, "changed_on"),
        ({"changed_on": "", "what": "办公时间调整"}, "changed_on"),
    ):
        response = client.post("/items/HD/2026-00001/change", data)
        assert response.status_code == 400 and f'id="{field}-error"' in response.text, data
        assert ">办公时间调整</textarea>" in response.text or field == "what"  # what was typed is kept
    assert detail(desk, "HD/2026-00001")["changes"] == []


# -- escaping ----------------------------------------------------------------------------------------------


def test_xss_in_an_item_is_inert_on_every_page(desk: DeskSetup) -> None:
    index_no = f"HD/{XSS2}"
    client = signed_in(desk, "chen")
    added = client.post(
        "/items", {**GOOD, "index_no": index_no, "title": XSS, "summary": XSS2, "generated": "2026-02-02"}
    )
    assert added.status_code == 303, page_text(added)
    page_url = added.headers["location"]
    assert client.post(page_url + "/review", {"reviewer": XSS, "reviewed_on": "2026-02-25", "result": "withhold",
                                              "legal_ground": XSS2, "note": XSS}).status_code == 303  # fmt: skip
    assert client.post(page_url + "/change", {"changed_on": "2026-02-26", "what": XSS}).status_code == 303
    refused = client.post("/items", {**GOOD, "index_no": index_no, "title": XSS})
    assert refused.status_code == 400
    pages = [client.get(page_url), client.get("/items"), client.get("/items?q=" + quote(XSS2)), refused,
             client.get("/")]  # fmt: skip
    for page in pages:
        assert page.status_code in (200, 400)
        assert_inert(page.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].text
    assert XSS in unescape(page_text(client.get("/items")))  # shown as text, escaped in the HTML


# -- the latest catalogue and guide ------------------------------------------------------------------------


def run_catalogue_update(setup: DeskSetup) -> None:
    with open_works(setup.settings, home=gongkai_home(), url=setup.url) as works:
        update_catalogue(works, Actor.schedule("catalogue"), AS_OF)


def test_the_catalogue_page_before_any_update(desk: DeskSetup) -> None:
    response = signed_in(desk, "chen").get("/catalogue")
    assert response.status_code == 200 and "尚未生成" in page_text(response)


def test_the_latest_catalogue_with_its_findings_and_files(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001", published_on=date(2026, 2, 25))
    seed(desk, "HD/2025-00900", title="逾期未公开的通知", generated_on=date(2026, 1, 5))
    seed(desk, f"HD/{XSS2}", title=XSS, summary="", published_on=date(2026, 2, 25))
    run_catalogue_update(desk)
    client = signed_in(desk, "chen")
    page = client.get("/catalogue")
    text = page_text(page)
    assert page.status_code == 200
    assert "2026-Q1" in text and "2026-03-02" in text
    assert "新增 2" in text  # the published entries (the unpublished one is not in the catalogue)
    assert "逾期未公开" in text and "无公开前审查记录" in text and "缺少必备项" in text
    assert 'href="/items/HD/2025-00900"' in page.text
    assert_inert(page.text)
    for name in (
        "catalogue.html",
        "catalogue.xlsx",
        "catalogue.csv",
        "catalogue.md",
        "guide.html",
        "guide.md",
    ):
        assert f'href="/catalogue/files/{name}"' in page.text
    csv = client.get("/catalogue/files/catalogue.csv")
    assert csv.status_code == 200 and "HD/2026-00001" in csv.content.decode("utf-8-sig")
    assert csv.headers["content-type"].startswith("text/csv")
    assert (
        "attachment" in csv.headers["content-disposition"]
        and "2026-Q1-catalogue.csv" in csv.headers["content-disposition"]
    )
    html = client.get("/catalogue/files/catalogue.html")
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]


def test_only_the_snapshot_files_inside_the_home_are_served(desk: DeskSetup, tmp_path: Path) -> None:
    seed(desk, "HD/2026-00001", published_on=date(2026, 2, 25))
    run_catalogue_update(desk)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret", encoding="utf-8")
    (gongkai_home() / "desk-secret").write_text("also secret", encoding="ascii")
    engine = sa.create_engine(desk.url)
    try:
        with engine.begin() as conn:
            files = json.loads(conn.execute(sa.text("SELECT files FROM catalogue_snapshot")).scalar_one())
            files["outside.txt"] = str(outside)
            files["catalogue.md"] = str(gongkai_home() / "catalogue" / ".." / "desk-secret")
            conn.execute(sa.text("UPDATE catalogue_snapshot SET files = :f"), {"f": json.dumps(files)})
    finally:
        engine.dispose()
    client = signed_in(desk, "chen")
    for path in (
        "/catalogue/files/outside.txt",
        "/catalogue/files/desk-secret",
        "/catalogue/files/..%2Fdesk-secret",
        "/catalogue/files/../../desk-secret",
        "/catalogue/files/%2Fetc%2Fpasswd",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "secret" not in response.text
    tampered = client.get("/catalogue/files/catalogue.md")  # its stored path now leads to desk-secret
    assert tampered.status_code == 404 and "secret" not in tampered.text
    assert client.get("/catalogue/files/catalogue.csv").status_code == 200
    page = client.get("/catalogue")
    assert 'href="/catalogue/files/outside.txt"' not in page.text
    assert 'href="/catalogue/files/catalogue.md"' not in page.text


def test_no_csrf_token_or_no_session_writes_nothing(desk: DeskSetup) -> None:
    seed(desk, "HD/2026-00001")
    client = signed_in(desk, "chen")
    assert client.post("/items", GOOD | {"index_no": "HD/2026-00002"}, csrf=False).status_code == 403
    change = {"changed_on": "2026-02-27", "what": "办公时间调整"}
    assert client.post("/items/HD/2026-00001/change", change, csrf=False).status_code == 403
    stranger = desk.make()
    response = stranger.post("/items/HD/2026-00001/change", change)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert [i["index_no"] for i in items_in(desk)] == ["HD/2026-00001"]
    assert detail(desk, "HD/2026-00001")["changes"] == []
