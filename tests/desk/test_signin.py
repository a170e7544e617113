"""Signing in and out of the desk (CONTRACT section 6), against the real application and database: the
session cookie's flags, a new session id at sign-in (no fixation), the lock after repeated failures, idle and
absolute expiry with the clock injected, sign-out ending the session in the store, CSRF on every POST."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from gongkai.desk.app import HEADERS
from tests.desk.conftest import PASSWORDS, DeskSetup, page_text, signed_in


def test_healthz_needs_no_login(desk: DeskSetup) -> None:
    response = desk.make().get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")


def test_pages_send_strangers_to_the_login(desk: DeskSetup) -> None:
    response = desk.make().get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F"


def test_login_form_matches_the_contract(desk: DeskSetup) -> None:
    response = desk.make().get("/login")
    html = response.text
    for name in ('name="username"', 'name="password"', 'name="csrf_token"'):
        assert name in html
    for key, value in HEADERS:
        assert response.headers[key.decode()] == value.decode()
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]


def test_sign_in_sets_a_new_httponly_samesite_session(desk: DeskSetup) -> None:
    client = desk.make()
    client.get("/login")
    client.post(
        "/login", {"username": "chen", "password": "wrong-password"}
    )  # an anonymous session may exist
    before = client.session_cookie()
    response = client.login("chen", PASSWORDS["chen"])
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("gongkai_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert client.session_cookie() not in (None, before)
    home = client.get("/")
    assert home.status_code == 200 and "陈静" in page_text(home)


def test_wrong_password_and_unknown_id_get_the_same_answer(desk: DeskSetup) -> None:
    client = desk.make()
    wrong = client.login("chen", "not-the-password")
    unknown = client.login("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 400
    assert "人员标识或密码不正确" in page_text(wrong) and "人员标识或密码不正确" in page_text(unknown)
    assert client.get("/").status_code == 303


def test_five_failures_lock_the_account_even_for_the_right_password(desk: DeskSetup) -> None:
    client = desk.make()
    for _ in range(5):
        client.login("chen", "not-the-password")
    locked = client.login("chen", PASSWORDS["chen"])
    assert locked.status_code == 400 and "暂时锁定" in page_text(locked)
    desk.clock.at += timedelta(minutes=16)
    assert client.login("chen", PASSWORDS["chen"]).status_code == 303


def test_a_session_ends_when_idle_and_at_the_absolute_limit(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    assert client.get("/").status_code == 200
    desk.clock.at += timedelta(
        hours=11
    )  # past [desk] max_hours = 10 (the store's idle expiry uses real time)
    assert client.get("/").status_code == 303


def test_sign_out_deletes_the_session_from_the_store(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    cookie = client.session_cookie()
    assert client.post("/logout").status_code == 303
    stale = desk.make()
    stale.http.cookies.set("gongkai_session", cookie or "")
    assert stale.get("/").status_code == 303
    engine = sa.create_engine(desk.url)
    with engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM desk_session WHERE staff_id = 'chen'")).scalar_one()
            == 0
        )
    engine.dispose()


def test_every_post_without_the_csrf_token_is_refused(desk: DeskSetup) -> None:
    client = desk.make()
    refused = client.post("/login", {"username": "chen", "password": PASSWORDS["chen"]}, csrf=False)
    assert refused.status_code == 403 and "请求被拒绝" in refused.text
    assert client.get("/").status_code == 303  # not signed in
    client = signed_in(desk, "chen")
    assert client.post("/logout", csrf=False).status_code == 403
    assert client.get("/").status_code == 200  # still signed in


def test_only_local_redirects_after_sign_in(desk: DeskSetup) -> None:
    client = desk.make()
    response = client.post(
        "/login", {"username": "chen", "password": PASSWORDS["chen"], "next": "//evil.example/x"}
    )
    assert response.headers["location"] == "/"


def test_demo_register_has_the_documented_passwords(demo_desk: DeskSetup) -> None:
    client = signed_in(demo_desk, "zhao")  # demo-zhao
    assert "赵建国" in page_text(client.get("/"))


def test_a_live_register_has_no_password_until_one_is_set(live_settings, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from gongkai.desk.app import create_app
    from tests.desk.conftest import DeskClient

    app = create_app(live_settings, url=db_url, home=tmp_path / "home")
    client = DeskClient(app)
    assert client.login("chen", "demo-chen").status_code == 400


def test_changing_ones_password_needs_the_current_one_and_ends_the_session(desk: DeskSetup) -> None:
    client = signed_in(desk, "chen")
    wrong = client.post(
        "/password", {"current": "not-it", "new": "Another-Pass-77", "again": "Another-Pass-77"}
    )
    assert wrong.status_code == 400 and "当前密码不正确" in page_text(wrong)
    short = client.post("/password", {"current": PASSWORDS["chen"], "new": "short", "again": "short"})
    assert short.status_code == 400 and "至少 10 个字符" in page_text(short)
    done = client.post(
        "/password", {"current": PASSWORDS["chen"], "new": "Another-Pass-77", "again": "Another-Pass-77"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/login?changed=1"
    assert client.get("/").status_code == 303
    assert desk.make().login("chen", PASSWORDS["chen"]).status_code == 400
    assert desk.make().login("chen", "Another-Pass-77").status_code == 303


def test_user_password_reads_stdin_and_user_list_shows_accounts(live_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    gongkai = str(Path(sys.executable).parent / "gongkai")
    env = {**os.environ, "GONGKAI_CONFIG": str(live_settings.path), "GONGKAI_HOME": str(tmp_path / "h")}
    short = subprocess.run(
        [gongkai, "user", "password", "chen"], input="abc\n", capture_output=True, text=True, env=env
    )
    assert short.returncode == 2 and "密码太短" in short.stderr and "abc" not in short.stderr
    ok = subprocess.run(
        [gongkai, "user", "password", "chen"],
        input="Jing-Pass-2026!\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert "Jing-Pass-2026!" not in ok.stdout + ok.stderr
    nobody = subprocess.run(
        [gongkai, "user", "password", "nobody"],
        input="Jing-Pass-2026!\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert nobody.returncode == 2 and "nobody" in nobody.stderr
    refused = subprocess.run(
        [gongkai, "user", "password", "chen", "--by", "sun"],
        input="Other-Pass-2026\n",
        capture_output=True,
        text=True,
        env=env,
    )
    assert refused.returncode == 2 and "管理员" in refused.stderr
    listed = subprocess.run([gongkai, "user", "list"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()[2:]}
    assert "已设置" in lines["chen"] and "未设置" in lines["sun"]
    assert "$argon2" not in listed.stdout


def test_an_unexpected_error_is_a_chinese_page_and_its_message_stays_out_of_the_log(
    desk: DeskSetup,
    caplog,  # type: ignore[no-untyped-def]
) -> None:
    from starlette.routing import Route
    from starlette.testclient import TestClient

    def boom(_request):  # type: ignore[no-untyped-def]
        raise RuntimeError("申请人张三 110101199003077777")

    desk.app.router.routes.append(Route("/boom", boom))
    client = TestClient(desk.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    with caplog.at_level("ERROR", logger="gongkai.desk"):
        response = client.get("/boom")
    assert response.status_code == 500 and "系统出错" in response.text and "张三" not in response.text
    assert "RuntimeError" in caplog.text and "boom" in caplog.text
    assert "张三" not in caplog.text and "110101" not in caplog.text


def test_a_sign_in_clears_away_sessions_that_went_idle(desk: DeskSetup) -> None:
    from datetime import UTC, datetime

    engine = sa.create_engine(desk.url)
    stale = datetime(2026, 3, 1, tzinfo=UTC)  # before the desk's clock (2026-03-02)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO desk_session (key, staff_id, data, created_at, expires_at, office_id) "
                "VALUES ('a' , 'sun', '{}', :t, :t, (SELECT id FROM office WHERE code = 'default'))"
            ),
            {"t": stale},
        )
    signed_in(desk, "chen")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM desk_session WHERE key = 'a'")).scalar_one() == 0
    engine.dispose()
