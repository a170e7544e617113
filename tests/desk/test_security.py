"""Attacks on the running desk (issue 13, "Done when"): the real ``gongkai desk`` process on loopback, spoken to
over HTTP with httpx, its routes read from the application's routing table so that every page added later is
covered without touching this file.

* every POST route refuses a request without a valid CSRF token (403) and nothing in the database changes;
* a handler cannot record or approve an extension, nor finalize or reopen a report (403, nothing written);
* session fixation (a new session id at sign-in) and the cookies' flags (HttpOnly, SameSite; Secure when
  ``[desk] base_url`` is https); five failed sign-ins lock the account;
* every GET page sends a stranger to ``/login`` and carries the CSP and anti-framing headers;
* XSS payloads put into every applicant field (through the services) never come back unescaped on any page;
* no password, Argon2 hash or session id in any log file, the process's output or the test's;
* a request over ``[desk] upload_limit_mb`` is refused with 413.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.routing import Route

from gongkai.desk.security import CSP
from gongkai.desk.web import CSRF_COOKIE, SESSION_COOKIE
from tests.desk.browser import DeskProcess

pytestmark = [pytest.mark.once]

CONFIG = """\
[office]
name = "河东街道办事处"
disclosure_unit = "河东街道党政办公室"

[desk]
upload_limit_mb = 1

[[staff]]
id = "chen"
name = "陈静"
role = ["handler", "administrator"]

[[staff]]
id = "sun"
name = "孙海"
role = "unit_head"

[[staff]]
id = "li"
name = "李明"
role = "handler"

[[staff]]
id = "zhou"
name = "周洁"
role = "handler"

[[staff]]
id = "wu"
name = "吴芳"
role = "handler"

[[staff]]
id = "boss"
name = "全权"
role = ["handler", "unit_head", "administrator"]
"""
PASSWORDS = {
    "chen": "Jing-Secure-2026!",
    "sun": "Hai-Secure-2026!",
    "li": "Ming-Secure-2026!",
    "zhou": "Jie-Secure-2026!",
    "wu": "Fang-Secure-2026!",
    "boss": "Quan-Secure-2026!",
}
NEW_PASSWORD = "Fang-Changed-2026!"
PUBLIC = {"/login", "/healthz"}
"""GET routes a stranger may open."""

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x")
"""What must never appear in a page: the payloads' markup, unescaped."""
XSS_REF = "X" + IMG
ID_NUMBER = "11010519491231002X"
"""An application reference is applicant-facing text too (shown in every list and link)."""


def _today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


# -- the desk under attack ------------------------------------------------------------------------------------


@dataclass
class Target:
    """The running desk, its routing table and what was put in its register."""

    desk: DeskProcess
    routes: list[Route]
    plain_ref: str
    handler_ref: str
    extension_id: int
    seen_cookies: set[str]

    def client(self) -> Http:
        return Http(self, self.desk.url)

    def signed_in(self, staff_id: str, password: str | None = None) -> Http:
        http = self.client()
        response = http.login(staff_id, password or PASSWORDS[staff_id])
        assert response.status_code == 303, response.text
        return http


class Http:
    """A browser-like httpx client: cookies kept, forms posted with the CSRF token of its cookie."""

    def __init__(self, target: Target, base: str) -> None:
        self.target = target
        self.http = httpx.Client(base_url=base, follow_redirects=False, timeout=60)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self._seen(self.http.get(path, **kw))

    def csrf(self) -> str:
        if CSRF_COOKIE not in self.http.cookies:
            self.get("/login")
        return str(self.http.cookies[CSRF_COOKIE])

    def post(
        self, path: str, data: dict[str, str] | None = None, *, csrf: str | None = "", **kw: Any
    ) -> httpx.Response:
        """POST ``data`` with this client's token (``csrf=""``), another token, or none (``csrf=None``)."""
        form = dict(data or {})
        if csrf is not None:
            form = {"csrf_token": csrf or self.csrf(), **form}
        return self._seen(self.http.post(path, data=form, **kw))

    def login(self, staff_id: str, password: str) -> httpx.Response:
        return self.post("/login", {"username": staff_id, "password": password})

    def session(self) -> str | None:
        value = self.http.cookies.get(SESSION_COOKIE)
        return str(value) if value else None

    def _seen(self, response: httpx.Response) -> httpx.Response:
        for header in response.headers.get_list("set-cookie"):
            if header.startswith(f"{SESSION_COOKIE}="):
                value = header.split("=", 1)[1].split(";", 1)[0]
                if len(value.strip("\"'")) >= 16:  # not the empty value that expires it
                    self.target.seen_cookies.add(value)
        return response


def _seed(desk: DeskProcess) -> tuple[str, str, int]:
    """Passwords through the service; an application with a payload in every applicant field (and in its
    reference, an event's note and an extension request's reason); a plain one of li's with a pending request."""
    from gongkai.core.settings import load_settings
    from gongkai.services import applications, extensions
    from gongkai.services.accounts import set_password
    from gongkai.services.actor import Actor
    from gongkai.services.office import open_office

    settings = load_settings(desk.config)
    received = _today() - timedelta(days=3)
    with open_office(settings, _today(), url=desk.database_url) as office:
        operator = Actor.terminal(settings, "operator-in-test")
        for staff_id, password in PASSWORDS.items():
            set_password(office, operator, staff_id, password)
        boss, li = Actor.staff(settings, "boss"), Actor.staff(settings, "li")
        applications.register_application(
            office,
            boss,
            ref=XSS_REF,
            received_on=received,
            applicant_type="natural_person",
            applicant_name="张三" + SCRIPT + IMG,
            content="申请公开某文件" + SCRIPT + IMG,
            contact="地址" + SCRIPT + IMG,
            id_number=ID_NUMBER,
            channel="online",
            assignee="boss",
        )
        applications.record_event(
            office,
            boss,
            XSS_REF,
            applications.parse_event(f"correction_requested:{received.isoformat()}"),
            note=SCRIPT + IMG,
        )
        extensions.request_extension(office, boss, XSS_REF, days=5, reason="理由" + SCRIPT + IMG)
        plain = applications.register_application(
            office,
            li,
            received_on=received,
            applicant_type="commercial",
            applicant_name="某公司",
            content="申请公开某项目的批复",
            channel="post",
            assignee="li",
        ).ref
        handler = applications.register_application(
            office, li, received_on=received, applicant_type="natural_person", applicant_name="李四",
            content="申请公开某通知", channel="in_person", assignee="li",
        ).ref  # fmt: skip
        request_id = extensions.request_extension(office, li, plain, days=10, reason="需要调取档案")
    return plain, handler, request_id


def _routes(desk: DeskProcess) -> list[Route]:
    """The desk's routing table, as ``create_app`` builds it for this office."""
    from gongkai.core.settings import load_settings
    from gongkai.desk.app import create_app

    app = create_app(load_settings(desk.config), url=desk.database_url, home=desk.home)
    app.state.desk.register.close()
    return [r for r in app.routes if isinstance(r, Route)]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    desk = DeskProcess(tmp_path_factory.mktemp("secure-desk"), CONFIG)
    plain, handler, request_id = _seed(desk)
    found = Target(desk, _routes(desk), plain, handler, request_id, set())
    desk.start()
    try:
        yield found
    finally:
        desk.stop()
    _assert_no_secrets(found)  # whatever the module's tests did


def _path(route: Route, **values: str) -> str:
    """``route``'s path with its parameters filled (``ref``, ``id`` …; ``1`` for any other)."""
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: quote(values.get(m.group(1), "1"), safe=""), route.path)


def _methods(route: Route) -> set[str]:
    return set(route.methods or ())


def _snapshot(desk: DeskProcess, *, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but ``skip``), to tell that nothing was written."""
    with sqlite3.connect(desk.database) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
            for t in tables
            if t not in skip
        }


def _form(target: Target) -> dict[str, str]:
    """Fields that would make each POST route of CONTRACT section 6 succeed (all of them, sent to every route)."""
    today = _today().isoformat()
    return {
        "received": today,
        "applicant_type": "natural_person",
        "applicant_name": "王五",
        "content": "申请公开某文件",
        "channel": "online",
        "assignee": "li",
        "ref": "CSRF-NEW",
        "kind": "correction_requested",
        "date": today,
        "param": "",
        "note": "说明",
        "days": "10",
        "reason": "理由",
        "decision": "approve",
        "username": "boss",
        "password": PASSWORDS["boss"],
        "current": PASSWORDS["boss"],
        "new": "Quan-Changed-2026!",
        "again": "Quan-Changed-2026!",
        "year": str(_today().year - 1),
    }


# -- CSRF ---------------------------------------------------------------------------------------------------


def test_every_post_route_refuses_a_request_without_a_valid_csrf_token(target: Target) -> None:
    posts = [r for r in target.routes if "POST" in _methods(r)]
    assert {"/login", "/logout"} <= {r.path for r in posts}
    boss, other = target.signed_in("boss"), target.signed_in("chen")
    foreign = other.csrf()  # a valid token, but of another browser's cookie
    for route in posts:
        path = _path(route, ref=target.plain_ref, id=str(target.extension_id))
        for how, token in (
            ("no token", None),
            ("a forged token", "forged"),
            ("another cookie's token", foreign),
        ):
            before = _snapshot(target.desk)
            refused = boss.post(path, _form(target), csrf=token)
            assert refused.status_code == 403 and "请求被拒绝" in refused.text, f"POST {path} with {how}"
            assert _snapshot(target.desk) == before, f"POST {path} with {how} wrote to the database"
        before = _snapshot(target.desk)
        multipart = boss.http.post(path, data=_form(target), files={"file": ("a.csv", b"x,y\n", "text/csv")})
        assert multipart.status_code == 403, f"POST {path} as multipart without a token"
        bearer = boss.post(path, _form(target), csrf=None, headers={"authorization": "Bearer anything"})
        assert bearer.status_code == 403, f"POST {path} without a token but with a bearer header"
        assert _snapshot(target.desk) == before
    assert boss.get("/").status_code == 200  # still signed in: the refused /logout ended nothing
    assert (
        target.client().post("/login", {"username": "boss", "password": PASSWORDS["boss"]}).status_code == 303
    )


def _multipart(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of ``(name, filename, content)`` parts in that order, and its content type."""
    boundary = secrets.token_hex(12)
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_an_upload_form_with_its_token_first_gets_through_and_only_then(target: Target) -> None:
    """Upload forms are multipart: the token is found before any file (asgi-csrf's rule), checked, and the page
    then reads the whole form."""
    client = target.client()
    token = client.csrf()
    fields = [("username", None, b"li"), ("password", None, PASSWORDS["li"].encode())]
    upload = ("file", "登记簿.csv", "编号,收到日期\n".encode() * 2000)
    body, content_type = _multipart([("csrf_token", None, token.encode()), upload, *fields])
    signed = client.http.post("/login", content=body, headers={"content-type": content_type})
    assert signed.status_code == 303, signed.text  # the fields after the file were read by the page
    assert "李明" in client.get("/").text
    for parts, what in (
        ([upload, ("csrf_token", None, token.encode()), *fields], "a file before the token"),
        ([("csrf_token", None, b"forged"), *fields], "a forged token"),
        ([("csrf_token", None, (token + "x").encode()), *fields], "a changed token"),
        (fields, "no token"),
    ):
        stranger = target.client()
        stranger.http.cookies.set(CSRF_COOKIE, token, domain="127.0.0.1")
        body, content_type = _multipart(parts)
        refused = stranger.http.post("/login", content=body, headers={"content-type": content_type})
        assert refused.status_code == 403 and "请求被拒绝" in refused.text, what
        assert stranger.session() is None, what


# -- roles ------------------------------------------------------------------------------------------------------


def _route(target: Target, method: str, pattern: str) -> Route:
    for route in target.routes:
        if method in _methods(route) and re.fullmatch(pattern, route.path):
            return route
    pytest.fail(f"no {method} route matching {pattern} in the routing table")


def test_a_handler_cannot_record_an_extension(target: Target) -> None:
    route = _route(target, "POST", r"/applications/\{ref(:\w+)?\}/events")
    li = target.signed_in("li")
    path = _path(route, ref=target.handler_ref)
    event = {"kind": "extension_approved", "date": _today().isoformat(), "param": "10", "note": ""}
    before = _snapshot(target.desk, skip=("desk_session",))
    refused = li.post(path, event)
    assert refused.status_code == 403
    assert _snapshot(target.desk, skip=("desk_session",)) == before
    shown = target.desk.gongkai("request", "show", target.handler_ref, "--json")
    assert shown.returncode == 0 and "extension_approved" not in shown.stdout
    accepted = target.signed_in("sun").post(path, event)  # the unit head may (the route itself works)
    assert accepted.status_code == 303, accepted.text


def test_a_handler_cannot_approve_an_extension_request(target: Target) -> None:
    route = _route(target, "POST", r"/head/extensions/\{id(:\w+)?\}")
    path = _path(route, id=str(target.extension_id))
    decision = {"decision": "approve", "days": "10", "note": "同意"}
    li = target.signed_in("li")
    before = _snapshot(target.desk, skip=("desk_session",))
    assert li.post(path, decision).status_code == 403
    assert _snapshot(target.desk, skip=("desk_session",)) == before
    assert target.signed_in("sun").post(path, decision).status_code == 303
    shown = target.desk.gongkai("request", "show", target.plain_ref, "--json")
    assert '"extension_approved"' in shown.stdout and '"recorded_by": "sun"' in shown.stdout


def test_a_handler_cannot_finalize_or_reopen_a_report(target: Target) -> None:
    routes = [r for r in target.routes if "POST" in _methods(r) and re.search("finali[sz]e|reopen", r.path)]
    assert routes, "no route finalizes or reopens a report"
    li = target.signed_in("li")
    year = str(_today().year - 1)
    for route in routes:
        path = _path(route, year=year)
        before = _snapshot(target.desk, skip=("desk_session",))
        refused = li.post(path, {"year": year, "reason": "更正数据"})
        assert refused.status_code == 403, f"POST {path} as a handler"
        assert _snapshot(target.desk, skip=("desk_session",)) == before


# -- sessions and sign-in ------------------------------------------------------------------------------------


def test_a_session_id_planted_before_sign_in_is_never_the_signed_in_one(target: Target) -> None:
    planted = secrets.token_urlsafe(32)
    victim = target.client()
    victim.get("/login")
    victim.http.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    assert victim.login("chen", PASSWORDS["chen"]).status_code == 303
    assert victim.session() not in (None, planted)
    attacker = target.client()
    attacker.http.cookies.set(SESSION_COOKIE, planted, domain="127.0.0.1")
    assert attacker.get("/").status_code == 303  # the planted id is signed in as nobody

    # An attacker's own live session, planted in the victim's browser, is replaced at the victim's sign-in.
    attacker = target.signed_in("li")
    own = attacker.session()
    victim = target.client()
    victim.get("/login")
    victim.http.cookies.set(SESSION_COOKIE, own or "", domain="127.0.0.1")
    assert victim.login("chen", PASSWORDS["chen"]).status_code == 303
    assert victim.session() not in (None, own)
    assert "李明" in attacker.get("/").text and "陈静" not in attacker.get("/").text


def _set_cookie(response: httpx.Response, name: str) -> tuple[str, set[str]]:
    """The value ``response`` sets for cookie ``name`` and its attributes (lower case, ``samesite=lax`` …)."""
    found = [c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}=")]
    assert found, f"no {name} cookie set"
    value, *attributes = found[-1].split(";")
    return value.split("=", 1)[1], {a.strip().lower() for a in attributes}


def test_cookie_flags(target: Target) -> None:
    client = target.client()
    _, csrf = _set_cookie(client.get("/login"), CSRF_COOKIE)
    assert "samesite=strict" in csrf and "secure" not in csrf
    _, session = _set_cookie(client.login("chen", PASSWORDS["chen"]), SESSION_COOKIE)
    assert {"httponly", "samesite=lax", "path=/"} <= session
    assert "secure" not in session  # over plain http on loopback a Secure cookie would never come back


def test_cookies_are_secure_when_the_desk_is_reached_over_https(tmp_path: Path) -> None:
    config = CONFIG.replace("[desk]\n", '[desk]\nbase_url = "https://xxgk.example.gov.cn"\n')
    desk = DeskProcess(tmp_path / "https-desk", config)
    _seed(desk)
    desk.start()
    try:
        client = httpx.Client(base_url=desk.url, follow_redirects=False, timeout=60)
        token, csrf = _set_cookie(client.get("/login"), CSRF_COOKIE)
        assert {"secure", "samesite=strict"} <= csrf
        client.cookies.clear()  # (httpx would not send a Secure cookie over http: the proxy's part)
        signed = client.post(
            "/login",
            data={"csrf_token": token, "username": "chen", "password": PASSWORDS["chen"]},
            headers={"cookie": f"{CSRF_COOKIE}={token}"},
        )
        assert signed.status_code == 303, signed.text
        _, session = _set_cookie(signed, SESSION_COOKIE)
        assert {"secure", "httponly", "samesite=lax"} <= session
    finally:
        desk.stop()


def test_five_failed_sign_ins_lock_the_account(target: Target) -> None:
    client = target.client()
    for attempt in range(5):
        failed = client.login("zhou", f"wrong-password-{attempt}")
        assert failed.status_code == 400 and client.session() is None
        assert attempt == 4 or "人员标识或密码不正确" in failed.text
    locked = client.login("zhou", PASSWORDS["zhou"])
    assert locked.status_code == 400 and "暂时锁定" in locked.text and client.session() is None
    assert target.client().login("zhou", PASSWORDS["zhou"]).status_code == 400  # from any browser
    assert target.client().login("li", PASSWORDS["li"]).status_code == 303  # only that account


# -- every page -----------------------------------------------------------------------------------------------


def test_every_page_sends_strangers_to_the_login_and_carries_the_security_headers(target: Target) -> None:
    gets = [r for r in target.routes if "GET" in _methods(r)]
    assert {"/", "/login", "/healthz"} <= {r.path for r in gets}
    for path in [_path(r, ref=target.plain_ref, id=str(target.extension_id)) for r in gets] + [
        "/static/desk.css"
    ]:
        response = target.client().get(path)
        if path in PUBLIC or path.startswith("/static/"):
            assert response.status_code == 200, path
        else:
            assert response.status_code == 303, (
                f"GET {path} without a session answered {response.status_code}"
            )
            assert response.headers["location"] == f"/login?next={quote(path, safe='')}", path
        assert response.headers["content-security-policy"] == CSP, path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert re.fullmatch(r"app;dur=\d+\.\d", response.headers.get("server-timing", "")), path  # bench/
        if not path.startswith("/static/"):
            assert response.headers["cache-control"] == "no-store", path


def test_xss_payloads_are_shown_as_text_on_every_page(target: Target) -> None:
    boss = target.signed_in("boss")
    query = "?" + "&".join(
        f"{name}={quote(SCRIPT + IMG)}"
        for name in ("q", "state", "assignee", "year", "scope", "page", "next")
    )
    escaped_ref = "X&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
    pages_with_the_ref = []
    gets = [r for r in target.routes if "GET" in _methods(r) and r.path not in PUBLIC]
    for route in gets:
        for ref in (XSS_REF, target.plain_ref):
            path = _path(route, ref=ref, id=str(target.extension_id), year=str(_today().year))
            for url in (path, path + query):
                response = boss.get(url)
                if "html" not in response.headers.get("content-type", ""):
                    continue
                for raw in RAW:
                    assert raw not in response.text, f"GET {url}: {raw!r} unescaped"
                if escaped_ref in response.text or escaped_ref.replace("&#34;", "&quot;") in response.text:
                    pages_with_the_ref.append(url)
    login = target.client().get("/login?next=" + quote("/" + SCRIPT + IMG))
    assert not any(raw in login.text for raw in RAW)
    assert "/" in pages_with_the_ref, "the payload reference should be listed (escaped) on the 待办 page"


# -- secrets --------------------------------------------------------------------------------------------------


def _assert_no_secrets(target: Target, extra: str = "") -> None:
    """No password, Argon2 hash, session id or applicant's data in any log file under GONGKAI_HOME, in the desk's
    output or in ``extra`` (the test's own captured output)."""
    secrets_ = [*PASSWORDS.values(), NEW_PASSWORD, "$argon2", *target.seen_cookies, ID_NUMBER, "张三"]
    texts = {**{str(p): t for p, t in target.desk.log_texts().items()}, "the test's output": extra}
    leaks = [(where, s[:12] + "…") for where, text in texts.items() for s in secrets_ if s and s in text]
    assert not leaks, f"secrets found: {leaks}"


def test_no_password_hash_or_session_id_in_any_log(target: Target, capfd: pytest.CaptureFixture[str]) -> None:
    wu = target.signed_in("wu")
    assert target.client().login("wu", "wrong-" + PASSWORDS["wu"]).status_code == 400
    changed = wu.post("/password", {"current": PASSWORDS["wu"], "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert changed.status_code == 303, changed.text
    again = target.signed_in("wu", NEW_PASSWORD)
    assert again.get("/").status_code == 200
    listed = target.desk.gongkai("user", "list")
    assert listed.returncode == 0 and "wu" in listed.stdout
    assert target.seen_cookies, "no session cookie was seen"
    captured = capfd.readouterr()
    _assert_no_secrets(target, captured.out + captured.err + listed.stdout + listed.stderr)
    # The store keeps a hash of each session id, never the id.
    database = b"".join(p.read_bytes() for p in target.desk.database.parent.iterdir())
    for cookie in target.seen_cookies:
        assert cookie.encode() not in database


# -- size limit -------------------------------------------------------------------------------------------------


def test_a_request_over_the_upload_limit_is_refused_with_413(target: Target) -> None:
    boss = target.signed_in("boss")
    posts = [r for r in target.routes if "POST" in _methods(r)]
    uploads = [r for r in posts if re.search("import|upload", r.path)] or [
        r for r in posts if r.path == "/login"
    ]
    big = b"x" * (1024 * 1024 + 1)
    for route in uploads:
        path = _path(route, ref=target.plain_ref)
        before = _snapshot(target.desk, skip=("desk_session",))
        sized = boss.http.post(
            path, data={"csrf_token": boss.csrf()}, files={"file": ("big.csv", big, "text/csv")}
        )
        assert sized.status_code == 413 and "上限为 1 MB" in sized.text, path

        def chunks() -> Iterator[bytes]:
            yield f"csrf_token={boss.csrf()}&data=".encode()
            for start in range(0, len(big), 64 * 1024):
                yield big[start : start + 64 * 1024]

        streamed = boss.http.post(  # a form whose body only grows past the limit as it is read
            path, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
        )
        assert streamed.status_code == 413, f"{path} without a Content-Length"
        assert _snapshot(target.desk, skip=("desk_session",)) == before
    assert target.desk.healthy()


def test_an_offices_desk_finds_nothing_of_another_office_in_the_same_database(tmp_path: Path) -> None:
    """Two demo offices of one configuration folder in one database, with the same refs and index numbers: the
    desk of one reads and changes its own rows only; another office's refs and items are not found (404), and a
    change posted to one writes nothing."""
    import sqlalchemy as sa
    from click.testing import CliRunner

    from gongkai.cli.main import main
    from gongkai.core.settings import load_settings
    from gongkai.desk.app import create_app
    from tests.desk.conftest import AS_OF, Clock, DeskClient
    from tests.offices import demo_county

    folder = tmp_path / "county"
    demo_county(folder, ["hedong", "hexi"])
    url = f"sqlite:///{tmp_path / 'county.db'}"
    runner = CliRunner()
    env = {"GONGKAI_DATABASE_URL": url, "GONGKAI_HOME": str(tmp_path / "home")}
    for code in ("hedong", "hexi"):
        done = runner.invoke(
            main, ["--config", str(folder), "--office", code, "demo", "--as-of", "2026-01-12"], env=env
        )
        assert done.exit_code == 0, done.output
    added = runner.invoke(main, [
        "--config", str(folder), "--office", "hedong", "request", "add", "--ref", "HD-ONLY", "--received",
        "2026-02-24", "--applicant-type", "自然人", "--applicant-name", "河东独有申请人", "--content", "河东独有内容",
        "--by", "wang"], env=env)  # fmt: skip
    assert added.exit_code == 0, added.output
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        hedong = conn.execute(sa.text("SELECT id FROM office WHERE code = 'hedong'")).scalar_one()
        shared_ref, item = conn.execute(
            sa.text(
                "SELECT a.ref, (SELECT index_no FROM proactive_item WHERE office_id = :o LIMIT 1) FROM application a "
                "WHERE a.office_id = :o AND a.ref <> 'HD-ONLY' LIMIT 1"
            ),
            {"o": hedong},
        ).one()
        conn.execute(sa.text("UPDATE application SET content = '只在河东改过的内容' WHERE office_id = :o AND ref = :r"),
                     {"o": hedong, "r": shared_ref})  # fmt: skip
        before = conn.execute(sa.text("SELECT count(*) FROM application_event")).scalar_one()
    hexi = load_settings(folder, "hexi")
    app = create_app(hexi, url=url, home=tmp_path / "home", now=Clock(), as_of=AS_OF)
    client = DeskClient(app)
    assert client.login("wang", "demo-wang").status_code == 303

    assert client.get("/applications/HD-ONLY").status_code == 404
    assert client.get("/items/" + str(item)).status_code == 200  # hexi's own item of that number
    shown = client.get(f"/applications/{shared_ref}")
    assert (
        shown.status_code == 200 and "只在河东改过的内容" not in shown.text
    )  # hexi's application of that ref
    listing = client.get("/applications?scope=all")
    assert "HD-ONLY" not in listing.text and "河东独有" not in listing.text
    refused = client.post(
        "/applications/HD-ONLY/events", {"kind": "replied", "date": "2026-03-02", "param": "1"}
    )
    assert refused.status_code == 404
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM application_event")).scalar_one() == before
    engine.dispose()
