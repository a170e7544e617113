"""The desk's application pages (issue 13, "The handler's day"), against the real application and database
(SQLite and PostgreSQL through ``desk``): registering (CONTRACT section 6 field names), the deadline before
saving, the application's page with its timeline and clock, the event forms and their refusals, the extension
request, the register list with its search, filters and pages, the export, and applicant text kept inert."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from markupsafe import escape

from gongkai.core.idnumber import id_check_digit
from gongkai.services.actor import Actor
from gongkai.services.applications import ApplicationDetail, application_detail, list_applications
from gongkai.services.office import Office, open_office
from tests.desk.conftest import AS_OF, DeskClient, DeskSetup, page_text, signed_in

ID_NUMBER = "11010519900307" + "123"
ID_NUMBER += id_check_digit(ID_NUMBER)
MASKED = "110*************" + ID_NUMBER[-2:]
XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def form(**overrides: str) -> dict[str, str]:
    """A good registration form (CONTRACT section 6 names), with ``overrides``."""
    values = {
        "received": "2026-02-26",
        "applicant_type": "natural_person",
        "applicant_name": "张三",
        "content": "申请公开2025年老旧小区改造项目的资金使用情况",
        "channel": "in_person",
        "contact": "13800000000",
        "id_number": ID_NUMBER,
        "assignee": "chen",
        "ref": "",
    }
    values.update(overrides)
    return values


@contextmanager
def office_of(setup: DeskSetup) -> Iterator[Office]:
    with open_office(setup.settings, url=setup.url, as_of=AS_OF) as office:
        yield office


def refs(setup: DeskSetup) -> list[str]:
    """Every registered application's ref (through the service, closed ones included)."""
    with office_of(setup) as office:
        return sorted(a.ref for a in list_applications(office, _reader(setup), include_closed=True))


def detail(setup: DeskSetup, ref: str) -> ApplicationDetail:
    with office_of(setup) as office:
        return application_detail(office, _reader(setup), ref)


def _reader(setup: DeskSetup) -> Actor:
    return Actor.terminal(setup.settings, "test-reader")


def register(client: DeskClient, **overrides: str) -> str:
    """Register through the desk; the new application's ref."""
    response = client.post("/applications", form(**overrides))
    assert response.status_code == 303, page_text(response)
    location = response.headers["location"]
    assert location.startswith("/applications/")
    from urllib.parse import unquote

    return unquote(location.removeprefix("/applications/"))


def event(
    client: DeskClient, ref: str, kind: str, date: str = "2026-03-02", param: str = "", note: str = ""
) -> Any:
    return client.post(
        f"/applications/{ref}/events", {"kind": kind, "date": date, "param": param, "note": note}
    )


def audit_rows(setup: DeskSetup, action: str) -> list[Any]:
    engine = sa.create_engine(setup.url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.text(
                        "SELECT actor, action, subject, detail FROM audit_entry WHERE action = :a ORDER BY id"
                    ),
                    {"a": action},
                )
            )
    finally:
        engine.dispose()


# -- registering ---------------------------------------------------------------------------------------


def test_the_form_offers_choices_in_chinese_and_sensible_defaults(desk: DeskSetup) -> None:
    html = signed_in(desk, "chen").get("/applications/new").text
    for name in ("received", "applicant_type", "applicant_name", "content", "channel", "contact", "id_number",
                 "assignee", "ref", "csrf_token"):  # fmt: skip
        assert f'name="{name}"' in html
    assert html.index('name="csrf_token"') < html.index('name="received"')  # the token first in the form
    assert '<option value="natural_person"' in html and "自然人" in html and "法律服务机构" in html
    assert '<option value="letter"' in html and "平常信函" in html
    assert re.search(r'<option value="chen" selected>', html)  # the signed-in handler
    assert 'value="2026-03-02"' in html  # the business date
    assert 'name="preview"' in html and "计算期限" in html
    assert 'hx-get="/applications/deadline"' in html
    assert '<option value="sun"' not in html  # not a handler


def test_register_then_the_page_shows_it(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = client.post("/applications", form(ref="河东-2026-001"))
    assert response.status_code == 303
    assert response.headers["location"] == "/applications/%E6%B2%B3%E4%B8%9C-2026-001"
    page = client.get(response.headers["location"])
    text = page_text(page)
    assert page.status_code == 200
    for shown in (
        "河东-2026-001",
        "张三",
        "老旧小区改造",
        "13800000000",
        ID_NUMBER,
        "当面",
        "自然人",
        "陈静",
        "已登记申请",
    ):
        assert shown in text, shown
    assert "计算过程" in text and "法定答复期限" in text
    found = detail(desk, "河东-2026-001")
    assert (found.applicant_name, found.applicant_id_number, found.view.assignee) == (
        "张三",
        ID_NUMBER,
        "chen",
    )


def test_without_a_ref_the_next_one_of_the_year_is_given(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    assert register(client) == "2026-0001"
    assert register(client, applicant_name="李四") == "2026-0002"


def test_the_deadline_is_shown_before_saving_and_nothing_is_written(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = client.post("/applications", {**form(), "preview": "1"})
    text = page_text(response)
    assert response.status_code == 200
    assert "法定答复期限" in text and "从严掌握的答复日" in text and "计算过程" in text
    # the 20th working day after 2026-02-26 (Saturday 28 February is a make-up working day)
    assert "2026-03-25" in text
    assert 'value="张三"' in response.text  # the values typed are kept
    assert refs(desk) == []


def test_the_deadline_fragment_for_htmx(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    box = client.get("/applications/deadline", params={"received": "2026-02-26", "channel": "in_person"})
    assert box.status_code == 200 and "<html" not in box.text
    assert "2026-03-25" in page_text(box)
    bad = client.get("/applications/deadline", params={"received": "2026-02-30", "channel": "pigeon"})
    assert bad.status_code == 200  # htmx swaps only successful answers: the messages are in the box
    assert "收到日期" in page_text(bad) and "申请方式" in page_text(bad)
    assert refs(desk) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("received", "2026-02-30", "“收到日期”应为有效日期"),
        ("received", "", "请填写“收到日期”"),
        ("received", "2026-03-05", "晚于今天"),
        ("applicant_type", "alien", "“申请人类型”应为以下之一"),
        ("channel", "pigeon", "“申请方式”应为以下之一"),
        ("applicant_name", "  ", "“申请人”不能为空"),
        ("content", "", "“申请内容”不能为空"),
        ("id_number", "110105199003071230", "“证件号码”"),
        ("applicant_name", "名" * 201, "“申请人”最长 200 个字符"),
        ("content", "字" * 10_001, "“申请内容”最长 10000 个字符"),
        ("contact", "1" * 201, "“联系方式”最长 200 个字符"),
        ("ref", "x" * 65, "“编号”最长 64 个字符"),
        ("assignee", "nobody", "“承办人”应为配置文件中的工作人员之一"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    desk: DeskSetup, field: str, value: str, message: str
) -> None:
    client = signed_in(desk, "chen")
    response = client.post("/applications", form(**{field: value}))
    assert response.status_code == 400
    html = response.text
    assert message in page_text(response)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html), field
    assert f'id="{field}-error"' in html
    if field != "received":
        assert 'value="2026-02-26"' in html  # what was typed is kept
    assert refs(desk) == []


def test_every_bad_field_is_named_at_once(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = client.post("/applications", form(received="x", applicant_name="", content="", channel="y"))
    assert response.status_code == 400
    for field in ("received", "applicant_name", "content", "channel"):
        assert f'id="{field}-error"' in response.text
    assert refs(desk) == []


def test_a_duplicate_ref_is_refused(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    register(client, ref="R-1")
    response = client.post("/applications", form(ref="R-1", applicant_name="另一人"))
    assert response.status_code == 400 and "编号“R-1”已登记" in page_text(response)
    assert 'id="ref-error"' in response.text
    assert refs(desk) == ["R-1"]


def test_the_id_number_is_masked_in_the_list_and_full_only_on_the_page(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    listing = client.get("/applications")
    assert MASKED in listing.text and ID_NUMBER not in listing.text
    assert ID_NUMBER in client.get(f"/applications/{ref}").text


# -- events --------------------------------------------------------------------------------------------


def test_correction_request_and_correction_are_recorded_with_the_actor(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    page = client.get(f"/applications/{ref}").text
    assert 'value="correction_requested"' in page and 'value="correction_received"' not in page
    response = event(client, ref, "correction_requested", "2026-02-27", "10", note="请补充项目名称")
    assert response.status_code == 303 and response.headers["location"] == f"/applications/{ref}"
    found = detail(desk, ref)
    assert found.clock.state == "awaiting_correction"
    assert [(e.kind, e.days, e.recorded_by, e.note) for e in found.events] == [
        ("correction_requested", 10, "chen", "请补充项目名称")
    ]
    page = client.get(f"/applications/{ref}")
    text = page_text(page)
    assert "告知补正" in text and "请补充项目名称" in text and "陈静" in text and "等待补正" in text
    assert 'value="correction_received"' in page.text and 'value="correction_requested"' not in page.text
    assert event(client, ref, "correction_received", "2026-03-02").status_code == 303
    found = detail(desk, ref)
    assert [e.kind for e in found.events] == ["correction_requested", "correction_received"]
    assert found.clock.state == "in_progress" and found.events[1].recorded_by == "chen"
    # recorded_at in the office's time (UTC+8), as the page shows it
    shown = found.events[1].recorded_at.astimezone(desk.settings.tz).strftime("%Y-%m-%d %H:%M")
    assert shown in page_text(client.get(f"/applications/{ref}"))


def test_a_refused_event_is_shown_at_its_form_and_nothing_is_written(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    response = event(client, ref, "correction_received", "2026-03-02")  # no correction was asked for
    assert response.status_code == 400
    assert 'id="act-correction_received-error"' in response.text
    assert detail(desk, ref).events == ()
    response = event(client, ref, "replied", "2026-03-02", "")  # a reply needs its outcome
    assert response.status_code == 400 and "办理结果" in page_text(response)
    response = event(client, ref, "consultation_sent", "2026-02-30")
    assert response.status_code == 400 and "“日期”应为有效日期" in page_text(response)
    response = event(client, ref, "replied", "2026-02-20", "3.1")  # before receipt
    assert response.status_code == 400
    response = event(client, ref, "no_such_kind", "2026-03-02")
    assert response.status_code == 400
    assert detail(desk, ref).events == ()


def test_a_reply_closes_the_application_and_removes_it_from_the_todo(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    assert ref in page_text(client.get("/"))
    page = client.get(f"/applications/{ref}").text
    assert '<optgroup label="（三）不予公开">' in page and '<option value="3.3.4">' in page
    assert event(client, ref, "replied", "2026-03-02", "3.3.4", note="涉及第三方").status_code == 303
    found = detail(desk, ref)
    assert found.clock.state == "replied" and found.events[-1].outcome == "3.3.4"
    assert ref not in page_text(client.get("/"))
    page = client.get(f"/applications/{ref}")
    assert "保护第三方合法权益" in page_text(page)
    assert 'value="replied"' not in page.text and "/events" not in page.text  # no action on a closed one


def test_consultation_fee_withdrawal_and_the_art35_date(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    assert event(client, ref, "consultation_sent", "2026-02-27").status_code == 303
    assert 'value="consultation_replied"' in client.get(f"/applications/{ref}").text
    assert event(client, ref, "consultation_replied", "2026-03-02").status_code == 303
    assert event(client, ref, "fee_notice_sent", "2026-03-02").status_code == 303
    assert event(client, ref, "fee_paid", "2026-03-02").status_code == 303
    assert event(client, ref, "delayed_reply_set", "2026-03-02", "2026-04-30").status_code == 303
    assert detail(desk, ref).clock.due.isoformat() == "2026-04-30"
    assert event(client, ref, "withdrawn", "2026-03-02").status_code == 303
    assert detail(desk, ref).clock.state == "withdrawn"
    kinds = [e.kind for e in detail(desk, ref).events]
    assert kinds == ["consultation_sent", "consultation_replied", "fee_notice_sent", "fee_paid",
                     "delayed_reply_set", "withdrawn"]  # fmt: skip


def test_only_a_unit_head_approves_an_extension(desk: DeskSetup) -> None:
    chen = signed_in(desk, "chen")
    ref = register(chen)
    assert 'value="extension_approved"' not in chen.get(f"/applications/{ref}").text
    refused = event(chen, ref, "extension_approved", "2026-03-02", "10")
    assert refused.status_code == 403
    assert detail(desk, ref).events == ()
    sun = signed_in(desk, "sun")
    assert 'value="extension_approved"' in sun.get(f"/applications/{ref}").text
    assert event(sun, ref, "extension_approved", "2026-03-02", "10").status_code == 303
    found = detail(desk, ref)
    assert [(e.kind, e.days, e.recorded_by) for e in found.events] == [("extension_approved", 10, "sun")]
    assert found.clock.extended


def test_posting_without_the_csrf_token_writes_nothing(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    assert client.post("/applications", form(), csrf=False).status_code == 403
    assert refs(desk) == []
    ref = register(client)
    response = client.post(
        f"/applications/{ref}/events", {"kind": "withdrawn", "date": "2026-03-02"}, csrf=False
    )
    assert response.status_code == 403 and detail(desk, ref).events == ()


def test_an_unknown_application_is_404(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    assert client.get("/applications/2026-9999").status_code == 404
    assert event(client, "2026-9999", "withdrawn").status_code == 404


# -- extension requests --------------------------------------------------------------------------------


def test_asking_the_unit_head_for_an_extension(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    ref = register(client)
    for days, reason, message in [("0", "材料多", "1 至 20"), ("21", "材料多", "1 至 20"), ("x", "材料多", "1 至 20"), ("²", "材料多", "1 至 20"),
                                  ("5", "", "理由")]:  # fmt: skip
        bad = client.post(f"/applications/{ref}/extension-request", {"days": days, "reason": reason})
        assert bad.status_code == 400 and message in page_text(bad), (days, reason)
        assert 'id="extension-request-error"' in bad.text or 'aria-invalid="true"' in bad.text
    response = client.post(f"/applications/{ref}/extension-request", {"days": "10", "reason": "需调取档案"})
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    text = page_text(page)
    assert "已提交负责人审批" in text and "需调取档案" in text and "待审批" in text
    again = client.post(f"/applications/{ref}/extension-request", {"days": "10", "reason": "再次"})
    assert again.status_code == 400 and "等待审批" in page_text(again)
    assert [r.actor for r in audit_rows(desk, "extension_requested")] == ["chen"]


# -- the list ------------------------------------------------------------------------------------------


def test_search_by_name_content_ref_and_state(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    a = register(client, ref="A-100", applicant_name="王五", content="申请公开垃圾分类招标文件")
    b = register(client, ref="B-200", applicant_name="赵六", content="申请公开老旧小区改造资金")
    c = register(client, ref="C-300", applicant_name="钱七 100%", content="申请公开街道预算")
    event(client, b, "correction_requested", "2026-02-27")
    event(client, c, "replied", "2026-03-02", "3.1")

    def listed(**params: str) -> list[str]:
        response = client.get("/applications", params=params)
        assert response.status_code == 200, page_text(response)
        return re.findall(r'<td><a href="/applications/([^"]+)">', response.text)

    assert listed() == [a, b]  # open ones by default
    assert listed(q="王五") == [a]
    assert listed(q="老旧小区") == [b]
    assert listed(q="B-2") == [b]
    assert listed(q="b-2") == [b]  # the case of Latin letters does not matter
    assert listed(q="100%") == []  # closed: not in the default scope
    assert listed(q="100%", scope="all") == [c]
    assert listed(q="_", scope="all") == []  # LIKE's wildcards are searched for literally
    assert listed(state="awaiting_correction") == [b]
    assert listed(state="replied") == [c]
    assert listed(scope="closed") == [c]
    assert sorted(listed(scope="all")) == [a, b, c]
    assert listed(assignee="sun") == []
    assert listed(assignee="chen") == [a, b]
    assert listed(year="2025") == []
    assert listed(year="2026", q="赵") == [b]


def test_the_list_pages_by_fifty_and_keeps_the_filters(desk: DeskSetup) -> None:
    with office_of(desk) as office:
        from gongkai.services.applications import register_application

        for i in range(51):
            register_application(
                office, _reader(desk), received_on=AS_OF, applicant_type="commercial",
                applicant_name=f"公司{i}", content="申请公开", ref=f"P-{i:03d}", assignee="chen",
            )  # fmt: skip
    client = signed_in(desk, "chen")
    first = client.get("/applications", params={"assignee": "chen"})
    assert first.text.count('<td><a href="/applications/P-') == 50
    assert "共 51 件" in page_text(first)
    assert "page=2" in first.text and "assignee=chen" in first.text
    second = client.get("/applications", params={"assignee": "chen", "page": "2"})
    assert second.text.count('<td><a href="/applications/P-') == 1
    assert client.get("/applications", params={"page": "99"}).status_code == 200


def test_bad_filters_are_named_and_ignored(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    register(client)
    response = client.get("/applications", params={"state": "bogus", "year": "abc", "scope": "x"})
    assert response.status_code == 400
    text = page_text(response)
    assert "状态" in text and "年度" in text and "范围" in text
    odd = client.get("/applications", params={"page": "²", "year": "9" * 5000})  # no int() of anything
    assert odd.status_code == 400 and "年度" in page_text(odd)


# -- export --------------------------------------------------------------------------------------------


def test_export_csv_and_xlsx_with_the_filters_masked_and_audited(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    a = register(client, applicant_name="王五", content='=HYPERLINK("http://x")')
    register(client, applicant_name="赵六", content="其他")
    response = client.get("/applications/export.csv", params={"q": "王五"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["编号", "收到日期", "申请方式", "申请人类型", "申请人"]
    assert len(rows) == 2 and rows[1][0] == a and rows[1][4] == "王五"
    assert MASKED in rows[1] and ID_NUMBER not in response.text
    assert rows[1][6] == '\'=HYPERLINK("http://x")'  # shown as text, never run as a formula
    xlsx = client.get("/applications/export.xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    ws = wb.active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][0] == "编号" and len(values) == 3
    assert {r[4] for r in values[1:]} == {"王五", "赵六"}
    assert all(r[5] == MASKED for r in values[1:])
    formula_cell = next(c for c in ws["G"][1:] if str(c.value).startswith("="))
    assert formula_cell.data_type == "s" and formula_cell.quotePrefix
    exported = audit_rows(desk, "register_exported")
    assert [r.actor for r in exported] == ["chen", "chen"]
    assert "CSV" in exported[0].detail and "共 1 件" in exported[0].detail
    assert "王五" not in exported[0].detail  # the search text is not kept: it may be a name


# -- applicant text stays text ------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_applicant_text_is_inert_on_every_page_and_in_the_export(desk: DeskSetup, payload: str) -> None:
    client = signed_in(desk, "chen")
    ref = register(client, ref=f"X{payload}", applicant_name=payload, content=payload, contact=payload)
    assert event(client, ref, "consultation_sent", "2026-03-02", note=payload).status_code == 303
    pages = [
        client.get("/applications"),
        client.get("/applications", params={"q": payload}),
        client.get(f"/applications/{ref}"),
        client.get("/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert payload not in page.text
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert str(escape(payload)) in pages[2].text  # shown, as text
    assert str(escape(ref)) in pages[3].text  # 待办 lists it
    bad = client.post("/applications", form(applicant_name=payload, content=""))
    assert bad.status_code == 400 and payload not in bad.text
    exported = client.get("/applications/export.csv").content.decode("utf-8-sig")
    assert payload in exported  # the export is data, not HTML: the text as given


def test_every_page_of_the_demo_register_renders(demo_desk: DeskSetup) -> None:
    """The demo office's applications in every state and outcome: the list, its pages, each application's page."""
    client = signed_in(demo_desk, "wang")
    first = client.get("/applications", params={"scope": "all"})
    assert first.status_code == 200
    total = int(re.search(r"共 (\d+) 件", page_text(first)).group(1))  # type: ignore[union-attr]
    refs_seen: list[str] = []
    for number in range(1, -(-total // 50) + 1):
        listing = client.get("/applications", params={"scope": "all", "page": str(number)})
        refs_seen += re.findall(r'<td><a href="/applications/([^"]+)">', listing.text)
    assert len(refs_seen) == total > 0
    for ref in refs_seen:
        page = client.get(f"/applications/{ref}")
        assert page.status_code == 200, ref
        assert "计算过程" in page_text(page)
    assert client.get("/applications/export.xlsx", params={"scope": "all"}).status_code == 200
