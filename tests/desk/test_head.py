"""The unit head's page (``GET /head``, ``POST /head/extensions/{id}``), against the real desk on SQLite and
PostgreSQL: the extension requests waiting, most urgent first; approval recorded as the head with the clock
extended; refusal only with a reason; a handler who is not the unit head refused (403, nothing written); the
unit's overdue applications; applicant and staff text shown escaped."""

from __future__ import annotations

from datetime import date

import pytest

from gongkai.services.actor import Actor
from gongkai.services.applications import application_detail, register_application
from gongkai.services.extensions import pending_extensions, request_extension
from gongkai.services.office import open_office
from tests.desk.conftest import AS_OF, DeskSetup, page_text, signed_in

XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')


def register(desk: DeskSetup, ref: str, received: date, *, assignee: str = "chen") -> None:
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        register_application(
            office,
            Actor.staff(desk.settings, "chen"),
            received_on=received,
            applicant_type="natural_person",
            applicant_name="张小明",
            content="请求公开本街道 2025 年低保名单",
            ref=ref,
            channel="in_person",
            assignee=assignee,
        )


def ask(
    desk: DeskSetup, ref: str, received: date, *, days: int = 10, reason: str = "需要征求第三方意见"
) -> int:
    """Register ``ref`` (assigned to chen) and have chen ask the unit head for ``days`` more working days."""
    register(desk, ref, received)
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        return request_extension(office, Actor.staff(desk.settings, "chen"), ref, days=days, reason=reason)


def waiting(desk: DeskSetup) -> list[int]:
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        return [p.id for p in pending_extensions(office, Actor.staff(desk.settings, "sun"))]


def events(desk: DeskSetup, ref: str) -> list[tuple[str, str, int | None]]:
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        detail = application_detail(office, Actor.staff(desk.settings, "sun"), ref)
    return [(e.kind, e.recorded_by, e.days) for e in detail.events]


def extended(desk: DeskSetup, ref: str) -> bool:
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        return application_detail(office, Actor.staff(desk.settings, "sun"), ref).clock.extended


def test_waiting_requests_most_urgent_first(desk: DeskSetup) -> None:
    later = ask(desk, "2026-0002", date(2026, 2, 26), days=5, reason="材料较多")
    sooner = ask(desk, "2026-0001", date(2026, 2, 10), reason="需要征求第三方意见")
    response = signed_in(desk, "sun").get("/head")
    assert response.status_code == 200
    html, text = response.text, page_text(response)
    assert html.index('href="/applications/2026-0001"') < html.index('href="/applications/2026-0002"')
    assert "需要征求第三方意见" in text and "材料较多" in text and "陈静" in text
    assert f'action="/head/extensions/{sooner}"' in html and f'action="/head/extensions/{later}"' in html
    # The approve form offers the days asked for; the refuse form requires a reason.
    assert f'id="days-{later}" name="days" type="number" min="1" max="20" value="5"' in html
    assert f'<textarea id="reason-{sooner}" name="note" required' in html
    # The original deadline and the working days left before it (Spring Festival 2026: 15-23 February off).
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        first = pending_extensions(office, Actor.staff(desk.settings, "sun"))[0]
    assert first.ref == "2026-0001"
    assert f"{first.original_due.isoformat()}" in text and f"剩 {first.working_days_left} 个工作日" in text


def test_unit_head_approves_with_the_days_asked(desk: DeskSetup) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10), days=10)
    client = signed_in(desk, "sun")
    response = client.post(f"/head/extensions/{request_id}", {"decision": "approve", "days": "", "note": ""})
    assert response.status_code == 303 and response.headers["location"] == "/head"
    assert ("extension_approved", "sun", 10) in events(desk, "2026-0001")
    assert extended(desk, "2026-0001") and waiting(desk) == []
    after = client.get("/head")
    assert "已批准 2026-0001 延期答复 10 个工作日" in page_text(after)
    assert 'action="/head/extensions/' not in after.text


def test_unit_head_may_grant_fewer_days(desk: DeskSetup) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10), days=15)
    response = signed_in(desk, "sun").post(
        f"/head/extensions/{request_id}", {"decision": "approve", "days": "5", "note": "同意"}
    )
    assert response.status_code == 303
    assert ("extension_approved", "sun", 5) in events(desk, "2026-0001")


def test_refusal_needs_a_reason(desk: DeskSetup) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10))
    client = signed_in(desk, "sun")
    response = client.post(f"/head/extensions/{request_id}", {"decision": "refuse", "note": "  "})
    assert response.status_code == 400
    assert f'id="reason-{request_id}-error"' in response.text and "请填写不批准的理由" in page_text(response)
    assert f'aria-invalid="true" aria-describedby="reason-{request_id}-error"' in response.text
    assert waiting(desk) == [request_id]
    refused = client.post(f"/head/extensions/{request_id}", {"decision": "refuse", "note": "可以按期答复"})
    assert refused.status_code == 303
    assert waiting(desk) == [] and not extended(desk, "2026-0001")
    assert "不批准 2026-0001 的延期申请" in page_text(client.get("/head"))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"decision": "approve", "days": "十"}, "days", "应为 1 至 20 之间的整数"),
        ({"decision": "approve", "days": "25"}, "days", "应为 1 至 20 之间的整数"),
        ({"decision": "maybe"}, "", "请选择批准或不批准"),
    ],
)
def test_bad_input_writes_nothing(desk: DeskSetup, form: dict[str, str], field: str, message: str) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10))
    response = signed_in(desk, "sun").post(f"/head/extensions/{request_id}", {**form, "note": XSS[1]})
    assert response.status_code == 400 and message in page_text(response)
    if field:
        assert f'id="{field}-{request_id}-error"' in response.text
    assert waiting(desk) == [request_id] and not extended(desk, "2026-0001")
    assert XSS[1] not in response.text
    if field:  # the note typed is kept, escaped
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in response.text


def test_a_handler_who_is_not_the_unit_head_cannot_decide(desk: DeskSetup) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10))
    client = signed_in(desk, "chen")  # handler and administrator, not unit head
    page = client.get("/head")
    assert page.status_code == 200 and "2026-0001" in page_text(page)
    assert 'action="/head/extensions/' not in page.text  # may view, not decide
    for decision in ("approve", "refuse"):
        response = client.post(f"/head/extensions/{request_id}", {"decision": decision, "note": "理由"})
        assert response.status_code == 403 and "无权批准延期答复" in page_text(response)
    assert waiting(desk) == [request_id]
    assert [kind for kind, _by, _days in events(desk, "2026-0001")] == []
    assert not extended(desk, "2026-0001")


def test_an_unknown_request_is_404(desk: DeskSetup) -> None:
    response = signed_in(desk, "sun").post("/head/extensions/999", {"decision": "approve"})
    assert response.status_code == 404


def test_a_request_decided_already_is_not_decided_again(desk: DeskSetup) -> None:
    request_id = ask(desk, "2026-0001", date(2026, 2, 10))
    client = signed_in(desk, "sun")
    assert (
        client.post(f"/head/extensions/{request_id}", {"decision": "refuse", "note": "不需要"}).status_code
        == 303
    )
    again = client.post(f"/head/extensions/{request_id}", {"decision": "approve"})
    assert again.status_code == 400 and "已经处理过" in page_text(again)
    assert not extended(desk, "2026-0001")


def test_the_units_overdue_applications_with_assignee_and_days(desk: DeskSetup) -> None:
    register(desk, "2026-0009", date(2026, 1, 5), assignee="chen")  # due 2026-02-02: 14 working days late
    register(desk, "2026-0010", date(2026, 2, 27), assignee="chen")  # not late
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        due = application_detail(office, Actor.staff(desk.settings, "sun"), "2026-0009").clock.due
        late = office.calendar.workdays_until(due, AS_OF)
    response = signed_in(desk, "sun").get("/head")
    text = page_text(response)
    assert "逾期未答复的申请：1 件" in text
    assert 'href="/applications/2026-0009"' in response.text and "2026-0010" not in text
    assert f"陈静 {due.isoformat()} 逾期 {late} 个工作日" in text


def test_xss_in_the_reason_is_inert(desk: DeskSetup) -> None:
    ask(desk, "2026-0001", date(2026, 2, 10), reason=XSS[0] + XSS[1])
    html = signed_in(desk, "sun").get("/head").text
    assert XSS[0] not in html and XSS[1] not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_strangers_are_sent_to_sign_in(desk: DeskSetup) -> None:
    assert desk.make().get("/head").status_code == 303
