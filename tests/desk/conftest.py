"""The desk under test: the real application (create_app) on a real database (SQLite and PostgreSQL through
``db_url``), driven over ASGI by Starlette's test client, with the clock injected (``now``, ``as_of``).

``desk`` is a real office's desk (河东街道办事处: chen is handler and administrator, sun the unit head) with
passwords set through the service; ``demo_desk`` the demo office's, with the documented demo passwords.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from gongkai.core.settings import Settings, load_settings
from gongkai.desk.app import create_app
from gongkai.desk.web import CSRF_COOKIE
from gongkai.services.accounts import set_password
from gongkai.services.actor import Actor
from gongkai.services.office import open_office
from tests.offices import LIVE_CONFIG

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 3, 2)
PASSWORDS = {"chen": "Jing-Pass-2026!", "sun": "Hai-Pass-2026!"}


@dataclass
class Clock:
    """The desk's injected clock (UTC), moved by tests."""

    at: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 2, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.at


class DeskClient:
    """A browser-like client of the desk: cookies kept, forms posted with the page's CSRF token."""

    def __init__(self, app: Any) -> None:
        self.http = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def csrf(self) -> str:
        """The CSRF token of the current cookie (a page is fetched first when there is none)."""
        if CSRF_COOKIE not in self.http.cookies:
            self.http.get("/login")
        token = self.http.cookies.get(CSRF_COOKIE)
        assert token
        return token

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, files: Any = None, csrf: bool = True
    ) -> httpx.Response:
        """POST a form (with the CSRF token unless ``csrf`` is false)."""
        form = dict(data or {})
        if csrf:
            form = {"csrf_token": self.csrf(), **form}
        return self.http.post(path, data=form, files=files)

    def login(self, username: str, password: str) -> httpx.Response:
        return self.post("/login", {"username": username, "password": password})

    def session_cookie(self) -> str | None:
        return self.http.cookies.get("gongkai_session")


def page_text(response: httpx.Response) -> str:
    """A page's visible text, tags removed and spaces collapsed (for assertions on what a person reads)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


@dataclass
class DeskSetup:
    settings: Settings
    url: str
    clock: Clock
    make: Callable[[], DeskClient]
    app: Any


def _setup(settings: Settings, url: str, home: Path, passwords: dict[str, str]) -> DeskSetup:
    with open_office(settings, url=url) as office:
        for staff_id, password in passwords.items():
            set_password(office, Actor.terminal(settings, "operator-in-test"), staff_id, password)
    clock = Clock()
    app = create_app(settings, url=url, home=home, now=clock, as_of=AS_OF)
    return DeskSetup(settings, url, clock, lambda: DeskClient(app), app)


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    path = tmp_path / "config" / "gongkai.toml"
    path.parent.mkdir()
    path.write_text(LIVE_CONFIG, encoding="utf-8")
    return load_settings(path)


@pytest.fixture
def desk(live_settings: Settings, db_url: str, tmp_path: Path) -> Iterator[DeskSetup]:
    """A real office's desk with chen's and sun's passwords set (:data:`PASSWORDS`)."""
    yield _setup(live_settings, db_url, tmp_path / "home", PASSWORDS)


@pytest.fixture
def sqlite_desk(live_settings: Settings, sqlite_url: str, tmp_path: Path) -> Iterator[DeskSetup]:
    """:func:`desk` on SQLite only, for what does not depend on the database (a test through Prefect)."""
    yield _setup(live_settings, sqlite_url, tmp_path / "home", PASSWORDS)


@pytest.fixture
def demo_desk(tmp_path: Path) -> Iterator[DeskSetup]:
    """The demo office's desk on SQLite, its demo data loaded (passwords ``demo-<id>``)."""
    from gongkai.services.demo import load_demo_if_empty

    settings = load_settings(REPO / "config" / "gongkai.toml")
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    with open_office(settings, date(2026, 1, 12), url=url) as office:
        load_demo_if_empty(office, Actor.terminal(settings, "operator-in-test"))
    yield _setup(settings, url, tmp_path / "home", {})


def signed_in(setup: DeskSetup, username: str, password: str | None = None) -> DeskClient:
    """A client signed in as ``username`` (the fixture's password, or ``demo-<id>`` in the demo)."""
    client = setup.make()
    response = client.login(username, password or PASSWORDS.get(username, f"demo-{username}"))
    assert response.status_code == 303, page_text(response)
    return client
