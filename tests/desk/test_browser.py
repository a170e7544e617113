"""The desk in a real headless browser (Debian's Chromium under Playwright) against the real ``gongkai desk``
process (issue 13, "Done when"): signing in to the demo office and to a real office whose passwords were set with
``gongkai user password`` from stdin, the 待办 page, signing out, a wrong password shown, a keyboard-only sign-in;
and the whole journey of an application, an import with bad rows and the annual report's PDF.

Every page is watched for console errors, CSP violations, uncaught errors, dialogs and failed resources (the
``people`` fixture fails the test on any); screenshots of each page visited are in
``test-output/desk-screenshots/<test>/`` at the repository root. Selectors are labels and roles, as a person
reads the page."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, expect

from tests.desk import browser
from tests.desk.browser import DeskProcess, People, Person, Shots, running_desk
from tests.offices import LIVE_CONFIG

REPO = Path(__file__).resolve().parents[2]
chromium, shots, people = browser.chromium, browser.shots, browser.people  # the harness's fixtures
pytestmark = [pytest.mark.once]

PASSWORDS = {"chen": "Jing-Browser-2026!", "sun": "Hai-Browser-2026!"}


@pytest.fixture(scope="module")
def live_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskProcess]:
    """河东街道办事处 (chen: handler and administrator; sun: unit head) served by ``gongkai desk``, the
    passwords set through ``gongkai user password ID`` reading stdin."""
    with running_desk(tmp_path_factory.mktemp("live-desk"), LIVE_CONFIG, passwords=PASSWORDS) as desk:
        yield desk


@pytest.fixture(scope="module")
def demo_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskProcess]:
    """The demo office (config/gongkai.toml) served by ``gongkai desk``: its data loaded at start, each person's
    password ``demo-<id>``."""
    config = (REPO / "config" / "gongkai.toml").read_text(encoding="utf-8")
    with running_desk(tmp_path_factory.mktemp("demo-desk"), config) as desk:
        yield desk


def test_demo_office_sign_in_todo_and_sign_out(demo_process: DeskProcess, people: People) -> None:
    wang = people.open("wang", demo_process)
    wang.goto("/")
    expect(wang.page).to_have_url(re.compile(r"/login\?next=%2F$"))  # a stranger is sent to sign in
    wang.sign_in("wang", "demo-wang")
    expect(wang.page).to_have_url(demo_process.url + "/")
    expect(wang.page.get_by_role("heading", name=re.compile("^待办"))).to_be_visible()
    expect(wang.page.get_by_text("王丽（", exact=False)).to_be_visible()
    expect(wang.page.get_by_text("演示", exact=True)).to_be_visible()  # the demo register is marked
    expect(wang.page.get_by_role("heading", name=re.compile("我承办的未办结申请"))).to_be_visible()
    expect(wang.page.get_by_role("link", name="登记申请")).to_be_visible()

    zhao = people.open("zhao", demo_process)  # the unit head sees the approvals in the navigation
    zhao.sign_in("zhao", "demo-zhao")
    expect(
        zhao.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="延期审批")
    ).to_be_visible()
    expect(
        wang.page.get_by_role("navigation", name="主菜单").get_by_role("link", name="延期审批")
    ).to_have_count(0)

    wang.sign_out()
    expect(wang.page.get_by_role("status")).to_have_text("已退出登录。")
    wang.goto("/")
    expect(wang.page).to_have_url(re.compile(r"/login"))  # the session is gone
    zhao.goto("/")
    expect(
        zhao.page.get_by_role("heading", name=re.compile("^待办"))
    ).to_be_visible()  # others stay signed in
    people.check()


def test_real_office_sign_in_with_a_password_set_from_stdin(
    live_process: DeskProcess, people: People
) -> None:
    chen = people.open("chen", live_process)
    chen.sign_in("chen", PASSWORDS["chen"])
    expect(chen.page.get_by_role("heading", name=re.compile("^待办"))).to_be_visible()
    expect(chen.page.get_by_text("陈静（", exact=False)).to_be_visible()
    # A real register starts empty, and is not marked as the demo's.
    expect(chen.page.get_by_text("没有由您承办的未办结申请。")).to_be_visible()
    expect(chen.page.get_by_text("演示", exact=True)).to_have_count(0)
    chen.sign_out()
    expect(chen.page).to_have_url(re.compile(r"/login\?bye=1$"))
    people.check()


def test_a_wrong_password_is_shown_and_nobody_is_signed_in(live_process: DeskProcess, people: People) -> None:
    sun = people.open("sun", live_process)
    sun.sign_in("sun", "not-" + PASSWORDS["sun"])
    expect(sun.page.get_by_role("alert")).to_contain_text("人员标识或密码不正确。")
    expect(sun.page.get_by_label("人员标识")).to_have_value("sun")  # what was typed is kept …
    expect(sun.page.get_by_label("密码")).to_have_value("")  # … but never the password
    sun.goto("/")
    expect(sun.page).to_have_url(re.compile(r"/login"))
    sun.sign_in("sun", PASSWORDS["sun"])  # the right one still works (one failure does not lock)
    expect(sun.page.get_by_role("heading", name=re.compile("^待办"))).to_be_visible()
    people.check()


def test_sign_in_with_the_keyboard_only(live_process: DeskProcess, people: People) -> None:
    chen = people.open("chen-keyboard", live_process)
    chen.goto("/login")
    page = chen.page
    for _ in range(10):  # the user name is focused at once (autofocus) or reached with Tab
        if page.evaluate("document.activeElement && document.activeElement.id") == "username":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username", "Tab never reaches the user name"
    page.keyboard.type("chen")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password", "Tab from the user name goes elsewhere"
    page.keyboard.type(PASSWORDS["chen"])
    chen.snap("typed")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    chen.snap("after-enter")
    expect(page).to_have_url(live_process.url + "/")
    expect(page.get_by_role("heading", name=re.compile("^待办"))).to_be_visible()
    # The skip link is the first stop of the keyboard, and leads to the page's main part.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    people.check()


# -- the harness itself sees what it must fail on ----------------------------------------------------------

_PAGES = {
    "/clean": (400, "", "<!doctype html><title>t</title><p>一张答 400 的页面本身不是问题</p>"),
    "/inline": (
        200,
        "script-src 'self'",
        "<!doctype html><title>t</title><script>document.title='x'</script>",
    ),
    "/style": (200, "style-src 'self'", '<!doctype html><title>t</title><p style="color:red">x</p>'),
    "/alert": (200, "", "<!doctype html><title>t</title><script>alert(1)</script>"),
    "/throw": (200, "", "<!doctype html><title>t</title><script>throw new Error('boom')</script>"),
    "/console": (200, "", "<!doctype html><title>t</title><script>console.error('oops')</script>"),
    "/missing": (200, "", '<!doctype html><title>t</title><link rel="stylesheet" href="/nothing.css">'),
}


@pytest.fixture
def bad_pages() -> Iterator[str]:
    """A loopback HTTP server with one page per kind of problem (:data:`_PAGES`)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Pages(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            status, csp, body = _PAGES.get(self.path, (404, "", "not found"))
            data = body.encode()
            self.send_response(status)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            if csp:
                self.send_header("content-security-policy", csp)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_watch_sees_every_kind_of_problem(chromium: Browser, shots: Shots, bad_pages: str) -> None:
    expected = {
        "/clean": None,
        "/inline": "CSP violation: script-src",
        "/style": "CSP violation: style-src",
        "/alert": "a dialog opened",
        "/throw": "uncaught error",
        "/console": "console error",
        "/missing": "stylesheet",
    }
    for path, problem in expected.items():
        crowd = People(chromium, shots)
        try:
            crowd.open("probe", bad_pages).goto(path)
        finally:
            crowd.close()
        if problem is None:
            assert crowd.problems == [], crowd.problems
        else:
            assert any(problem in p for p in crowd.problems), (path, crowd.problems)


# -- the whole journey (issue 13, "Done when") ----------------------------------------------------------------


def _office_today() -> date:
    from datetime import datetime

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _bad_register() -> bytes:
    """A register file (CONTRACT section 3's columns) whose rows 2, 3 and 4 each have a different mistake."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["编号", "收到日期", "申请方式", "申请人类型", "申请人", "申请内容", "承办人"])
    w.writerow(["IMP-1", "2026-02-30", "网络", "自然人", "甲", "申请公开某文件", "chen"])  # no such date
    w.writerow(["IMP-2", "2026-03-02", "飞鸽", "自然人", "乙", "申请公开某文件", "chen"])  # no such channel
    w.writerow(
        ["IMP-3", "2026-03-02", "网络", "自然人", "丙", "申请公开某文件", "nobody"]
    )  # not on the staff
    return out.getvalue().encode("utf-8")


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[DeskProcess]:
    """``gongkai serve`` for the real office (the desk beside a Prefect server, which the report's button runs)."""
    with running_desk(tmp_path / "serve", LIVE_CONFIG, command="serve", passwords=PASSWORDS) as desk:
        yield desk


def test_the_whole_journey_in_the_browser(serving: DeskProcess, people: People, tmp_path: Path) -> None:
    today = _office_today()
    received = today - timedelta(days=6)
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'

    # The handler registers an application (any script in it is shown as text, never run).
    chen = people.open("chen", serving)
    chen.sign_in("chen", PASSWORDS["chen"])
    chen.click(chen.page.get_by_role("link", name="登记申请").first, "register-form")
    page = chen.page
    page.get_by_label(re.compile("^收到申请之日")).fill(received.isoformat())
    page.get_by_label("申请方式").select_option(label="网络")
    page.get_by_label("申请人类型").select_option(label="自然人")
    page.get_by_label(re.compile("^申请人姓名")).fill("张三" + payload)
    page.get_by_label("联系方式").fill("13800000000")
    page.get_by_label("申请内容").fill("申请公开2025年老旧小区改造的资金使用情况" + payload)
    page.get_by_label("承办人").select_option("chen")
    chen.click(page.get_by_role("button", name="登记", exact=True), "registered")
    expect(page).to_have_url(re.compile(r"/applications/[^/?]+$"))
    ref = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("张三" + payload)).to_be_visible()

    # A correction is requested, then received: each event with its date, recorded as the handler.
    _record(chen, "correction_requested", received + timedelta(days=1))
    _record(chen, "correction_received", received + timedelta(days=3))
    events = page.locator("#events")
    expect(events.get_by_role("row").filter(has_text="告知补正").filter(has_text="陈静")).to_have_count(1)
    expect(events.get_by_role("row").filter(has_text="收到补正")).to_have_count(1)

    # The handler asks the unit head for an extension; the head, in a browser of his own, approves it.
    extension = page.locator("form[action$='/extension-request']")
    extension.get_by_label(re.compile("工作日数")).fill("10")
    extension.get_by_label("理由").fill("需要调取档案并与相关部门核实" + payload)
    chen.click(extension.get_by_role("button"), "extension-asked")
    sun = people.open("sun", serving)
    sun.sign_in("sun", PASSWORDS["sun"])
    expect(sun.page.get_by_role("link", name=re.compile("件延期申请等待您审批"))).to_be_visible()
    sun.goto("/head")
    request = sun.page.get_by_role("article").filter(has_text=ref)
    expect(request).to_have_count(1)
    expect(request.get_by_text("需要调取档案并与相关部门核实" + payload)).to_be_visible()
    request.get_by_label(re.compile("^说明")).fill("同意延期")
    sun.click(request.get_by_role("button", name="批准延期"), "extension-approved")
    chen.goto(f"/applications/{ref}")
    approved = chen.page.locator("#events").get_by_role("row").filter(has_text="批准延期答复")
    expect(approved.filter(has_text="孙海")).to_have_count(1)  # recorded as the head, not the handler

    # The reply, with an outcome of table 三; the application leaves 待办.
    _record(chen, "replied", today, outcome="3.1")
    expect(chen.page.get_by_role("heading", level=1)).to_contain_text("已答复")
    chen.goto("/")
    expect(chen.page.get_by_role("link", name=ref)).to_have_count(0)
    expect(chen.page.get_by_text("没有由您承办的未办结申请。")).to_be_visible()

    # An import with bad rows: every row is named, nothing written.
    chen.goto("/applications")
    chen.click(chen.page.get_by_role("link", name=re.compile("^导入")), "import-form")
    bad = tmp_path / "登记簿-有错误.csv"
    bad.write_bytes(_bad_register())
    chen.page.get_by_label("导入的内容").select_option(label="依申请公开登记簿")
    chen.page.get_by_label("文件", exact=True).set_input_files(str(bad))
    chen.click(chen.page.get_by_role("button", name="导入"), "import-refused")
    problems = chen.page.get_by_role("listitem")
    for row_number in (2, 3, 4):
        expect(problems.filter(has_text=re.compile(f"第 ?{row_number} ?行"))).to_have_count(1)
    listed = serving.gongkai("request", "list", "--all", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "IMP-" not in listed.stdout and ref in listed.stdout

    # The administrator enters last year's figures from other systems (table 二), builds the report from the
    # desk (a run of the annual-report deployment in Prefect) and downloads its PDF.
    year = today.year - 1
    chen.goto(f"/report?year={year}")
    figures = chen.page.locator("form[action*='/figures/']")
    assert figures.count() >= 4
    for i in range(figures.count()):
        form = chen.page.locator("form[action*='/figures/']").nth(i)
        form.get_by_label(re.compile("件数|金额")).fill("0")
        form.get_by_label("来源").fill("区政务服务平台年度统计")
        chen.click(form.get_by_role("button"), f"figure-{i + 1}-saved")
    expect(chen.page.get_by_text("其他系统的年度数据已录齐。")).to_be_visible()
    chen.click(chen.page.get_by_role("button", name="生成年度报告"), "report-started")
    for _ in range(90):
        if chen.page.get_by_text(re.compile("第 1 版")).count():
            break
        chen.page.wait_for_timeout(2_000)
        chen.goto(f"/report?year={year}")
    with chen.page.expect_download() as download:
        chen.page.get_by_role("link", name="PDF", exact=True).click()
    saved = tmp_path / "report.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    # Nothing secret or personal in any log of the service (the desk's, Prefect's, gongkai.log) or its output.
    for where, text in serving.log_texts().items():
        for secret in (*PASSWORDS.values(), "$argon2", "13800000000", "张三"):
            assert secret not in text, f"{secret[:6]}… in {where}"
    people.check()


def _record(person: Person, kind: str, on: date, *, outcome: str | None = None) -> None:
    """Record an event of ``kind`` dated ``on`` with the form for it on the open application page (one form per
    kind, or one form with a choice of kinds)."""
    page = person.page
    form = page.locator("form[action$='/events']").filter(
        has=page.locator(f"input[name=kind][value={kind}], select[name=kind] option[value={kind}]")
    )
    expect(form).to_have_count(1)
    if form.locator("select[name=kind]").count():
        form.locator("select[name=kind]").select_option(kind)
    form.get_by_label("日期", exact=True).fill(on.isoformat())
    if outcome is not None:
        form.get_by_label(re.compile("^办理结果")).select_option(outcome)
    person.click(form.get_by_role("button"), f"recorded-{kind}")
