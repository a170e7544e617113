"""The desk as the staff meet it: the real ``gongkai desk`` (or ``gongkai serve``) process on loopback, and
Debian's Chromium driven by Playwright.

* :class:`DeskProcess` starts the command with its own ``GONGKAI_HOME``, configuration file and SQLite database
  (``GONGKAI_DATABASE_URL``), waits for ``/healthz``, runs other ``gongkai`` commands against the same office,
  and stops it with SIGTERM, failing when it does not exit cleanly or leaves a process of its home behind.
* The fixture ``chromium`` launches ``/usr/bin/chromium`` once per session (never a downloaded browser: no
  ``playwright install``). Without it the browser tests are skipped locally and fail under ``CI=true``.
* The fixture ``people`` opens one browser context per person (their own cookies); every page is watched for
  console errors, uncaught exceptions, Content-Security-Policy violations, dialogs (an ``alert`` is an XSS that
  ran) and failed sub-resources, and the test fails on any of them.
* Screenshots of each page visited go to ``test-output/desk-screenshots/<test>/NN-<what>.png`` at the
  repository root (gitignored; emptied at the start of each test), so a run leaves the main pages to look at.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.servers import free_port, processes_of

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        BrowserContext,
        ConsoleMessage,
        Dialog,
        Locator,
        Page,
        Request,
        Response,
    )

REPO = Path(__file__).resolve().parents[2]
GONGKAI = Path(sys.executable).parent / "gongkai"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",  # the browser's own controls (date fields, file choosers) as an office's browser shows them
)
SCREENSHOTS = REPO / "test-output" / "desk-screenshots"
"""Where the screenshots of each browser test go (one folder per test; gitignored)."""

# Reported to the page's console by an init script (Chromium also logs its own "Refused to …" error).
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                ' at ' + e.sourceFile + ':' + e.lineNumber);
});
"""


def running_in_ci() -> bool:
    """``CI`` set to a true value (as tests/conftest.py reads it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


# -- the desk as a process --------------------------------------------------------------------------------


@dataclass
class DeskProcess:
    """``gongkai desk --port P`` (or ``gongkai serve`` with the desk on P) for one office in ``root``."""

    root: Path
    config_text: str
    command: str = "desk"
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.home = self.root / "home"
        self.config = self.root / "gongkai.toml"
        self.database = self.root / "data" / "desk.db"
        self.database.parent.mkdir(exist_ok=True)
        self.config.write_text(self.config_text, encoding="utf-8")
        self.out = self.root / f"{self.command}.out"
        self.err = self.root / f"{self.command}.err"

    @property
    def url(self) -> str:
        """The desk's address, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    def env(self) -> dict[str, str]:
        """The environment of every command of this office: nothing of the test's GONGKAI_/PREFECT_ settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GONGKAI_"))}
        env.update(
            GONGKAI_HOME=str(self.home),
            GONGKAI_CONFIG=str(self.config),
            GONGKAI_DATABASE_URL=self.database_url,
            GONGKAI_DESK_PORT=str(self.port),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
            **self.extra_env,
        )
        return env

    def gongkai(
        self, *args: str, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run ``gongkai ARGS`` against this office (``input`` on stdin)."""
        return subprocess.run(
            [str(GONGKAI), *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=self.root,
            timeout=timeout,
        )

    def set_password(self, staff_id: str, password: str) -> None:
        """``gongkai user password ID`` with the password on stdin (as an administrator would pipe it)."""
        done = self.gongkai("user", "password", staff_id, input=password + "\n")
        assert done.returncode == 0, done.stdout + done.stderr
        assert password not in done.stdout + done.stderr

    def start(self, timeout: float = 90) -> DeskProcess:
        """Start the command and wait until ``/healthz`` answers ``ok``."""
        args = ["desk", "--port", str(self.port)] if self.command == "desk" else [self.command]
        self.proc = subprocess.Popen(
            [str(GONGKAI), *args],
            stdout=self.out.open("ab"),
            stderr=self.err.open("ab"),
            stdin=subprocess.DEVNULL,
            env=self.env(),
            cwd=self.root,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(
                    f"gongkai {self.command} exited ({self.proc.returncode}) before answering:\n{self.output()}"
                )
            if self.healthy():
                return self
            time.sleep(0.2)
        self.stop()
        pytest.fail(
            f"gongkai {self.command} did not answer /healthz within {timeout:.0f} s:\n{self.output()}"
        )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:  # noqa: S310 - loopback
                return bool(resp.status == 200 and resp.read() == b"ok")
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, wait; fail when it does not exit in time, exits with an error, or leaves a process behind."""
        proc = self.proc
        if proc is None:
            return 0
        self.proc = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            pytest.fail(
                f"gongkai {self.command} did not stop within {timeout:.0f} s of SIGTERM:\n{self.output()}"
            )
        deadline = time.monotonic() + 15
        while (left := processes_of(self.home)) and time.monotonic() < deadline:
            time.sleep(0.2)
        if left:
            for line in left:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            pytest.fail(f"gongkai {self.command} left processes behind after SIGTERM:\n" + "\n".join(left))
        # uvicorn re-raises the SIGTERM it handled once it has shut down (so ``gongkai desk`` ends "killed by
        # SIGTERM", which systemd counts as a clean stop); ``gongkai serve`` exits 0.
        assert code in (0, -signal.SIGTERM), (
            f"gongkai {self.command} exited with {code} on SIGTERM:\n{self.output()}"
        )
        assert "Traceback" not in self.output(), self.output()
        return code

    def output(self) -> str:
        """What the process wrote to stdout and stderr so far."""
        return "".join(
            p.read_text(encoding="utf-8", errors="replace") for p in (self.out, self.err) if p.exists()
        )

    def log_texts(self) -> dict[Path, str]:
        """Every file under GONGKAI_HOME that is not a database (logs, Prefect's files …) as text, and the
        process's captured output."""
        found: dict[Path, str] = {self.out: "", self.err: ""}
        for p in (self.out, self.err):
            if p.exists():
                found[p] = p.read_text(encoding="utf-8", errors="replace")
        if self.home.exists():
            for path in self.home.rglob("*"):
                if path.is_file() and not re.search(r"\.(db|sqlite)(-wal|-shm|-journal)?$", path.name):
                    found[path] = path.read_bytes().decode("utf-8", errors="replace")
        return found


@contextmanager
def running_desk(
    root: Path,
    config_text: str,
    *,
    command: str = "desk",
    passwords: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[DeskProcess]:
    """A started desk (``passwords`` set through ``gongkai user password`` once it answers), stopped after."""
    desk = DeskProcess(root, config_text, command, extra_env=dict(extra_env or {}))
    desk.start()
    try:
        for staff_id, password in (passwords or {}).items():
            desk.set_password(staff_id, password)
        yield desk
    finally:
        desk.stop()


# -- the browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, one per test module."""
    if not CHROMIUM.exists():
        if running_in_ci():
            pytest.fail(f"{CHROMIUM} is missing, but CI must run the browser tests (Debian package chromium)")
        pytest.skip(f"{CHROMIUM} is missing (Debian package chromium): the desk's browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


class Shots:
    """Numbered screenshots of one test, in the order taken."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def path(self, what: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^\w.-]+", "-", what).strip("-")[:80] or "page"
        return self.folder / f"{self.count:02d}-{slug}.png"


@dataclass
class Person:
    """One person's browser (a context of their own: their cookies), watched for problems."""

    name: str
    base: str
    context: BrowserContext
    page: Page
    shots: Shots
    problems: list[str]

    def goto(self, path: str) -> Response | None:
        """Open ``path`` on the desk and take its screenshot."""
        response = self.page.goto(self.base + path)
        self.snap(path)
        return response

    def click(self, target: Locator, what: str | None = None) -> None:
        """Click a link or a form's button (a full page load follows: the forms work without JavaScript) and
        take the screenshot of the page that answers."""
        with self.page.expect_navigation():
            target.click()
        self.snap(what or self.path())

    def snap(self, what: str) -> Path:
        """A full-page screenshot named after the person and ``what``."""
        self.page.wait_for_load_state("load")
        path = self.shots.path(f"{self.name}-{what}")
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def path(self) -> str:
        """The current page's path and query."""
        url = self.page.url
        return url[len(self.base) :] if url.startswith(self.base) else url

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login form (labels 人员标识 and 密码)."""
        self.goto("/login")
        self.page.get_by_label("人员标识").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.click(self.page.get_by_role("button", name="登录"), "after-sign-in")

    def sign_out(self) -> None:
        """The 退出 button of the page's header."""
        self.click(self.page.get_by_role("button", name="退出"), "after-sign-out")


def _watch(page: Page, problems: list[str]) -> None:
    """Record what must never happen on a desk page."""

    def console(message: ConsoleMessage) -> None:
        # A page answered with 400 (a form with mistakes) is expected; failed sub-resources come from "response".
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {page.url}: {message.text}")

    def response(answer: Response) -> None:
        request = answer.request
        if (
            answer.status >= 400
            and request.resource_type != "document"
            and not request.url.endswith("/favicon.ico")
        ):
            problems.append(f"{request.resource_type} {request.url} answered {answer.status} on {page.url}")

    def failed(request: Request) -> None:
        if request.resource_type != "document" and not request.url.endswith("/favicon.ico"):
            problems.append(f"{request.resource_type} {request.url} failed ({request.failure}) on {page.url}")

    def dialog(box: Dialog) -> None:
        problems.append(f"a dialog opened on {page.url} (a script ran): {box.message!r}")
        box.dismiss()

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"uncaught error on {page.url}: {error}"))
    page.on("response", response)
    page.on("requestfailed", failed)
    page.on("dialog", dialog)


class People:
    """Opens a browser per person on a desk; at the end takes each one's last screenshot, closes them and fails
    on any problem seen (console errors, CSP violations, uncaught errors, dialogs, failed resources)."""

    def __init__(self, browser: Browser, shots: Shots) -> None:
        self.browser = browser
        self.shots = shots
        self.opened: list[Person] = []
        self.problems: list[str] = []

    def open(self, name: str, desk: DeskProcess | str) -> Person:
        base = desk if isinstance(desk, str) else desk.url
        context = self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
        context.set_default_timeout(15_000)
        context.add_init_script(_CSP_LISTENER)
        page = context.new_page()
        _watch(page, self.problems)
        person = Person(name, base, context, page, self.shots, self.problems)
        self.opened.append(person)
        return person

    def check(self) -> None:
        """Fail now if anything went wrong on a page so far."""
        assert not self.problems, "problems on the desk's pages:\n" + "\n".join(self.problems)

    def close(self) -> None:
        for person in self.opened:
            try:
                if not person.page.is_closed():
                    person.snap("end")
            finally:
                person.context.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """This test's screenshot folder, emptied (``test-output/desk-screenshots/<test>``)."""
    import shutil

    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.node.user_properties.append(("screenshots", str(folder)))
    return Shots(folder)


@pytest.fixture
def people(chromium: Browser, shots: Shots) -> Iterator[People]:
    """Browsers for the people of a test (see :class:`People`)."""
    crowd = People(chromium, shots)
    try:
        yield crowd
    finally:
        crowd.close()
    crowd.check()


__all__ = [
    "CHROMIUM",
    "SCREENSHOTS",
    "DeskProcess",
    "People",
    "Person",
    "Shots",
    "chromium",
    "people",
    "processes_of",
    "running_desk",
    "running_in_ci",
    "shots",
]
