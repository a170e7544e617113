"""Shared pytest fixtures: an isolated GONGKAI_HOME and database URLs.

``db_url`` runs a test twice, against SQLite and PostgreSQL. The PostgreSQL
case needs ``GONGKAI_TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets
it); without it the case is skipped locally and fails under CI.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import HookServer, SmtpSink

# No telemetry from Prefect or anything else during tests.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

POSTGRES_URL_ENV = "GONGKAI_TEST_POSTGRES_URL"
_GONGKAI_ENV_VARS = ("GONGKAI_HOME", "GONGKAI_DATABASE_URL", "GONGKAI_CONFIG", "GONGKAI_OFFICE")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``once`` (killing processes, starting Prefect servers: nothing depends on the
    time zone) run in the README's TZ=UTC pass and are skipped in the other zone's pass; so do the PostgreSQL
    cases (see below).

    So do the staff desk's (``tests/desk``): the desk's clock is injected (``now``, ``as_of``), it shows times in
    the office's zone by the configuration, never the server's, and the date logic under it is the services',
    whose own tests run in both passes."""
    desk = Path(__file__).parent / "desk"
    for item in items:
        if Path(str(item.fspath)).is_relative_to(desk) and item.get_closest_marker("once") is None:
            item.add_marker(pytest.mark.once)
    if os.environ.get("TZ", "UTC") in {"", "UTC"}:
        return
    skip = pytest.mark.skip(reason="does not depend on the time zone: runs once, in the TZ=UTC pass")
    # A PostgreSQL session's time zone is the server's setting, never the client's TZ (libpq reads PGTZ only), so a
    # PostgreSQL case sees the same database in both passes; what the zone changes is the Python side, which this
    # pass runs on SQLite.
    on_postgres = pytest.mark.skip(
        reason="PostgreSQL's session zone is the server's: runs in the TZ=UTC pass"
    )
    for item in items:
        if item.get_closest_marker("once") is not None:
            item.add_marker(skip)
        elif item.get_closest_marker("postgres") is not None:
            item.add_marker(on_postgres)


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(autouse=True)
def _isolated_gongkai_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the developer's real home, database or config."""
    for name in _GONGKAI_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("gongkai-home")
    monkeypatch.setenv("GONGKAI_HOME", str(home))
    # Each `gongkai serve` a test starts gets its own desk port (tests run side by side; 8400 is the default).
    from tests.servers import free_port

    monkeypatch.setenv("GONGKAI_DESK_PORT", str(free_port()))
    return home


def _sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory}/gongkai.db"


def _postgres_database() -> Iterator[str]:
    """Create a fresh database on the configured server, yield its URL, drop it."""
    admin_url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if not admin_url:
        if _running_in_ci():
            pytest.fail(f"{POSTGRES_URL_ENV} is not set, but CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(f"PostgreSQL not configured: set {POSTGRES_URL_ENV}")

    import sqlalchemy as sa  # imported here so that collecting tests stays fast

    name = f"gk_test_{uuid.uuid4().hex}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            _drop_database(admin, name)
    finally:
        admin.dispose()


def _drop_database(admin: Any, name: str) -> None:
    """Drop a test database, retrying briefly: FORCE cannot end an autovacuum worker busy on it unless the
    role has pg_signal_backend (.ci/run grants it; a developer's server may not), and the worker soon ends."""
    import time

    import sqlalchemy as sa

    for attempt in range(20):
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.DBAPIError:
            if attempt == 19:
                raise
            time.sleep(0.5)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: SQLite in tmp_path, or a throwaway PostgreSQL database."""
    if request.param == "sqlite":
        yield _sqlite_url(tmp_path)
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL to an empty SQLite database in tmp_path (for tests that need no PostgreSQL)."""
    return _sqlite_url(tmp_path)


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 collecting what it receives (stop()/start() simulate an outage)."""
    # aiosmtpd's own DEBUG log is the test server's, not Gongkai's: keep it out of the secrets assertions.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def hook() -> Iterator[HookServer]:
    """A real HTTP server on 127.0.0.1 collecting JSON posts (Apprise's json:// channel)."""
    server = HookServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- no secret or personal number in any log line, in any test ------------------------------------

SECRETS_IN_TESTS = ("S3cretPw", "Tok3nSecret", "SECRETKEY")
"""Passwords and tokens the tests put into notification URLs: they must never reach a log line."""
_PHONE = re.compile(r"(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])")
_ID18 = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mail.log"):  # the test SMTP server's own log, not Gongkai's
            return
        try:
            self.lines.append((record.name, record.getMessage()))
        except Exception:  # a malformed record is not this check's business
            pass


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    handler = _Collect()
    loggers = [
        logging.getLogger(),
        logging.getLogger("prefect"),
        logging.getLogger("apprise"),
        logging.getLogger("gongkai"),
        logging.getLogger("gongkai.notify"),
    ]  # console channel: no propagation
    for lg in loggers:
        lg.addHandler(handler)
    yield
    for lg in loggers:
        lg.removeHandler(handler)
    leaks = [
        (name, line)
        for name, line in handler.lines
        if any(s in line for s in SECRETS_IN_TESTS) or _PHONE.search(line) or _ID18.search(line)
    ]
    assert not leaks, f"secret or personal number in a log line: {leaks[:3]}"
