"""The administrator's pages (``/admin``, ``/admin/accounts``, ``/admin/audit``, ``/admin/calendar``) against the
real desk on SQLite and PostgreSQL: accounts listed without hashes, a password set ends the person's sessions,
unlock, sign-out everywhere; the audit trail with its actors, filters and pages; the calendar import with the
deadlines it moved, a bad file named row by row with nothing written; every one refused (403, nothing written)
to someone without the role."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from gongkai.core.errors import NotAllowed
from gongkai.register.deadlines import make_event
from gongkai.services.accounts import list_accounts
from gongkai.services.actor import Actor
from gongkai.services.applications import application_detail, record_event
from gongkai.services.audit import audit_trail
from gongkai.services.office import open_office
from tests.desk.conftest import AS_OF, PASSWORDS, DeskSetup, page_text, signed_in
from tests.desk.test_head import XSS, ask, register
from tests.offices import CALENDAR_2027

NEW_PASSWORD = "Hai-New-Pass-2027!"


def accounts(desk: DeskSetup) -> dict[str, tuple[bool, datetime | None, datetime | None]]:
    """Each person's (password set, set at, locked until), read through the service."""
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        return {
            a.staff_id: (a.has_password, a.password_set_at, a.locked_until)
            for a in list_accounts(office, Actor.staff(desk.settings, "chen"))
        }


def audit_actions(desk: DeskSetup) -> list[tuple[str, str, str | None]]:
    engine = sa.create_engine(desk.url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT actor, action, subject FROM audit_entry ORDER BY id")).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


# -- the index ---------------------------------------------------------------------------------------------------


def test_admin_index_links_to_the_pages_and_to_prefect_when_known(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    html = client.get("/admin").text
    for href in ("/admin/accounts", "/admin/audit", "/admin/calendar"):
        assert f'href="{href}"' in html
    assert "Prefect" not in page_text(client.get("/admin"))
    desk.app.state.desk.prefect_ui = "http://127.0.0.1:4200/"
    assert 'href="http://127.0.0.1:4200/"' in client.get("/admin").text


def test_admin_index_for_the_unit_head_shows_the_audit_only(desk: DeskSetup) -> None:
    html = signed_in(desk, "sun").get("/admin").text
    assert 'href="/admin/audit"' in html and 'href="/admin/accounts"' not in html


# -- accounts ----------------------------------------------------------------------------------------------------


def test_accounts_page_lists_every_person_without_hashes(desk: DeskSetup) -> None:
    signed_in(desk, "sun")
    response = signed_in(desk, "chen").get("/admin/accounts")
    assert response.status_code == 200
    text = page_text(response)
    assert "陈静" in text and "孙海" in text and "信息公开工作机构负责人" in text
    assert "已设置" in text and "最近登录" in text
    assert "$argon2" not in response.text and "argon2" not in response.text.lower()
    for form in (
        "/admin/accounts/sun/password",
        "/admin/accounts/sun/unlock",
        "/admin/accounts/sun/sessions",
    ):
        assert f'action="{form}"' in response.text


@pytest.mark.parametrize(
    ("method", "path", "form"),
    [
        ("GET", "/admin/accounts", None),
        ("GET", "/admin/calendar", None),
        ("POST", "/admin/accounts/chen/password", {"new": NEW_PASSWORD, "again": NEW_PASSWORD}),
        ("POST", "/admin/accounts/chen/unlock", {}),
        ("POST", "/admin/accounts/chen/sessions", {}),
    ],
)
def test_accounts_refused_to_a_non_administrator(
    desk: DeskSetup, method: str, path: str, form: dict[str, str] | None
) -> None:
    chen = signed_in(desk, "chen")
    before = audit_actions(desk)
    sun = signed_in(desk, "sun")  # unit head, not administrator
    response = sun.get(path) if method == "GET" else sun.post(path, form)
    assert response.status_code == 403 and "无权" in page_text(response)
    assert audit_actions(desk) == [*before, ("sun", "login", "sun")]  # nothing but sun's own sign-in
    assert chen.get("/").status_code == 200  # chen's session was not ended
    assert desk.make().login("chen", PASSWORDS["chen"]).status_code == 303  # nor the password changed


def test_set_password_ends_the_persons_sessions(desk: DeskSetup, caplog: pytest.LogCaptureFixture) -> None:
    sun = signed_in(desk, "sun")
    assert sun.get("/head").status_code == 200
    caplog.set_level(logging.DEBUG)
    response = signed_in(desk, "chen").post(
        "/admin/accounts/sun/password", {"new": NEW_PASSWORD, "again": NEW_PASSWORD}
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/accounts"
    assert sun.get("/head").status_code == 303  # the old session is gone
    assert desk.make().login("sun", PASSWORDS["sun"]).status_code == 400
    assert desk.make().login("sun", NEW_PASSWORD).status_code == 303
    assert ("chen", "password_set", "sun") in audit_actions(desk)
    assert not [r for r in caplog.records if NEW_PASSWORD in r.getMessage() or "argon2" in r.getMessage()]


@pytest.mark.parametrize(
    ("new", "again", "field", "message"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "again", "两次输入的新密码不一致"),
        ("short", "short", "new", "密码太短"),
    ],
)
def test_bad_password_writes_nothing(desk: DeskSetup, new: str, again: str, field: str, message: str) -> None:
    before = accounts(desk)["sun"]
    sun = signed_in(desk, "sun")
    response = signed_in(desk, "chen").post("/admin/accounts/sun/password", {"new": new, "again": again})
    assert response.status_code == 400 and message in page_text(response)
    assert f'id="{field}-sun-error"' in response.text and 'aria-invalid="true"' in response.text
    assert new not in response.text  # a password is never shown back
    assert accounts(desk)["sun"] == before and sun.get("/head").status_code == 200


def test_unlock(desk: DeskSetup) -> None:
    for _ in range(5):
        desk.make().login("sun", "not-the-password")
    assert accounts(desk)["sun"][2] is not None
    chen = signed_in(desk, "chen")
    assert "锁定至" in page_text(chen.get("/admin/accounts"))
    assert desk.make().login("sun", PASSWORDS["sun"]).status_code == 400
    response = chen.post("/admin/accounts/sun/unlock")
    assert response.status_code == 303
    assert accounts(desk)["sun"][2] is None
    assert desk.make().login("sun", PASSWORDS["sun"]).status_code == 303
    assert ("chen", "account_unlocked", "sun") in audit_actions(desk)


def test_sign_out_everywhere(desk: DeskSetup) -> None:
    sun = signed_in(desk, "sun")
    response = signed_in(desk, "chen").post("/admin/accounts/sun/sessions")
    assert response.status_code == 303
    assert sun.get("/head").status_code == 303
    assert ("chen", "sessions_ended", "sun") in audit_actions(desk)


def test_an_unknown_person_is_named(desk: DeskSetup) -> None:
    response = signed_in(desk, "chen").post(
        "/admin/accounts/nobody/password", {"new": NEW_PASSWORD, "again": NEW_PASSWORD}
    )
    assert response.status_code == 404 and "nobody" in page_text(response)


def test_own_password_set_here_signs_the_administrator_out(desk: DeskSetup) -> None:
    chen = signed_in(desk, "chen")
    response = chen.post(
        "/admin/accounts/chen/password", {"new": "Jing-New-Pass-9!", "again": "Jing-New-Pass-9!"}
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert chen.get("/").status_code == 303


# -- audit -------------------------------------------------------------------------------------------------------


def _history(desk: DeskSetup) -> int:
    """chen registers two applications and asks for an extension of one (with XSS in the reason), sun signs in and
    approves it with a note; chen records a correction request on the other with a note."""
    request_id = ask(desk, "2026-0001", date(2026, 2, 10), reason=XSS[0])
    register(desk, "2026-0002", date(2026, 2, 26))
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        record_event(office, Actor.staff(desk.settings, "chen"), "2026-0002",
                     make_event("correction_requested", AS_OF), note="申请人张小明电话 13800138000")  # fmt: skip
    sun = signed_in(desk, "sun")
    note = XSS[1] + "已与张小明沟通"
    assert (
        sun.post(f"/head/extensions/{request_id}", {"decision": "approve", "note": note}).status_code == 303
    )
    return request_id


def test_audit_lists_sign_ins_events_and_decisions_with_their_actors(desk: DeskSetup) -> None:
    _history(desk)
    response = signed_in(desk, "chen").get("/admin/audit")
    assert response.status_code == 200
    text = page_text(response)
    for line in (
        "sun 批准延期答复 2026-0001",
        "sun 登记办理事项：批准延期答复 2026-0001",
        "chen 登记办理事项：告知补正 2026-0002",
        "chen 申请延期答复 2026-0001 10 个工作日",
        "sun 登录 sun",
        "operator-in-test 设置密码 sun",
    ):
        assert line in text, line
    # Newest first: sun's decision after chen's request.
    assert text.index("sun 批准延期答复 2026-0001") < text.index("chen 申请延期答复 2026-0001")
    # No applicant's personal data, no text people typed into notes.
    for private in ("张小明", "13800138000", "已与", "img src", "alert(1)"):
        assert private not in response.text, private


def test_audit_filters_by_person_and_dates(desk: DeskSetup) -> None:
    _history(desk)
    client = signed_in(desk, "sun")  # the unit head may read the trail too
    only_chen = page_text(client.get("/admin/audit", params={"actor": "chen"}))
    assert "chen 申请延期答复" in only_chen and "sun 登录" not in only_chen
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    assert "sun 登录" in page_text(client.get("/admin/audit", params={"since": today, "until": today}))
    old = page_text(client.get("/admin/audit", params={"since": "2000-01-01", "until": "2000-01-31"}))
    assert "没有符合条件的记录" in old
    bad = client.get("/admin/audit", params={"since": "2026-13-01", "actor": XSS[1]})
    assert bad.status_code == 400 and 'id="since-error"' in bad.text
    assert XSS[1] not in bad.text and "&#34;&gt;&lt;img" in bad.text


def test_audit_pages(desk: DeskSetup) -> None:
    _history(desk)
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        head = Actor.staff(desk.settings, "sun")
        everything = audit_trail(office, head, per_page=1000).rows
        first, second = audit_trail(office, head, per_page=3), audit_trail(office, head, per_page=3, page=2)
        last = audit_trail(office, head, per_page=3, page=-(-len(everything) // 3))
    assert len(everything) > 6
    assert first.has_next and second.has_next and not last.has_next
    assert [*first.rows, *second.rows] == list(everything[:6])
    assert [r.at for r in everything] == sorted((r.at for r in everything), reverse=True)
    page_two = signed_in(desk, "chen").get("/admin/audit", params={"page": "2"})
    assert page_two.status_code == 200


def test_audit_refused_to_a_handler(desk: DeskSetup) -> None:
    clerk = Actor("li", frozenset({"handler"}), "staff")
    with open_office(desk.settings, AS_OF, url=desk.url) as office, pytest.raises(NotAllowed):
        audit_trail(office, clerk)


# -- calendar ----------------------------------------------------------------------------------------------------


def imported_years(desk: DeskSetup) -> list[int]:
    engine = sa.create_engine(desk.url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT year FROM calendar_year ORDER BY year")).scalars())
    finally:
        engine.dispose()


def test_calendar_import_shows_the_year(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    response = client.post(
        "/admin/calendar", files={"file": ("2027放假安排.csv", CALENDAR_2027.encode(), "text/csv")}
    )
    assert response.status_code == 303, page_text(response)
    assert imported_years(desk) == [2027]
    page = page_text(client.get("/admin/calendar"))
    assert "已导入 2027 年放假安排" in page and "2027 本单位导入（2027放假安排.csv） chen" in page


def test_calendar_import_lists_the_deadlines_it_moved(desk: DeskSetup) -> None:
    register(desk, "2026-0001", date(2026, 2, 10))  # counted over the Spring Festival (15-23 February 2026)
    with open_office(desk.settings, AS_OF, url=desk.url) as office:
        before = application_detail(office, Actor.staff(desk.settings, "chen"), "2026-0001").clock.safe_due
    client = signed_in(desk, "chen")
    response = client.post(
        "/admin/calendar",
        {"allow_incomplete": "1", "source": "测试"},
        files={"file": ("2026.csv", "日期,类型,名称\n2026-01-01,off,元旦\n".encode(), "text/csv")},
    )
    assert response.status_code == 303, page_text(response)
    text = page_text(client.get("/admin/calendar"))
    assert "期限变动的申请：1 件" in text and "2026-0001" in text and before.isoformat() in text
    assert "提前" in text
    assert "期限变动的申请" not in page_text(client.get("/admin/calendar"))  # shown once


def test_a_bad_calendar_file_names_its_rows_and_writes_nothing(desk: DeskSetup) -> None:
    bad = CALENDAR_2027 + "2027-13-01,off,错日期\n2027-10-06,不知道,国庆节\n"
    response = signed_in(desk, "chen").post(
        "/admin/calendar", files={"file": ("2027.csv", bad.encode(), "text/csv")}
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "第 20 行" in text and "第 21 行" in text and "未导入任何数据" in text
    assert imported_years(desk) == []


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "请选择要导入的文件"),
        ({"file": ("x.txt", b"abc", "text/plain")}, "只能导入 .csv 或 .xlsx 文件"),
    ],
)
def test_calendar_import_needs_a_csv_or_xlsx(desk: DeskSetup, files: object, message: str) -> None:
    response = signed_in(desk, "chen").post("/admin/calendar", {"source": XSS[0]}, files=files)
    assert response.status_code == 400 and message in page_text(response)
    assert 'id="file-error"' in response.text
    assert XSS[0] not in response.text and "&lt;script&gt;" in response.text  # the source typed, kept escaped
    assert imported_years(desk) == []


def test_calendar_import_refused_to_a_non_administrator(desk: DeskSetup) -> None:
    response = signed_in(desk, "sun").post(
        "/admin/calendar", files={"file": ("2027.csv", CALENDAR_2027.encode(), "text/csv")}
    )
    assert response.status_code == 403
    assert imported_years(desk) == []


def _multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    out = b""
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--B0undary\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"
    return out + b"--B0undary--\r\n"


@pytest.mark.parametrize("case", ["missing", "wrong", "file_first", "right"])
def test_an_upload_is_checked_for_its_csrf_token(desk: DeskSetup, case: str) -> None:
    """asgi-csrf 0.11 cannot check multipart forms (simonw/asgi-csrf#38): the desk checks them before it."""
    client = signed_in(desk, "chen")
    token = client.csrf().encode()
    upload = ("file", "2027.csv", CALENDAR_2027.encode())
    parts = {
        "missing": [upload],
        "wrong": [("csrf_token", None, token[:-4] + b"AAAA"), upload],
        "file_first": [upload, ("csrf_token", None, token)],
        "right": [("source", None, "国办发明电".encode()), ("csrf_token", None, token), upload],
    }[case]
    response = client.http.post(
        "/admin/calendar",
        content=_multipart(*parts),
        headers={"content-type": "multipart/form-data; boundary=B0undary"},
    )
    if case == "right":
        assert response.status_code == 303 and imported_years(desk) == [2027]
    else:
        assert response.status_code == 403 and "请求被拒绝" in response.text
        assert imported_years(desk) == []


def test_every_audit_action_gongkai_writes_has_a_chinese_label() -> None:
    import re
    from pathlib import Path

    from gongkai.services.audit import AUDIT_ACTIONS

    root = Path(__file__).resolve().parents[2] / "gongkai"
    written = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r'record_audit\([^)]*?"([a-z_]+)"', text, flags=re.S))
        written |= (
            {f"{kind}_imported" for kind in re.findall(r'"(register|items)"', text)}
            if 'f"{kind}_imported"' in text
            else set()
        )
    written |= {"extension_approved", "extension_refused"}  # written through a conditional expression
    assert written and written <= set(AUDIT_ACTIONS), sorted(written - set(AUDIT_ACTIONS))
