"""What every Gongkai task needs: the settings, the database, the office's date, secrets.

Tasks receive and return plain values (dates, ids, dicts), never live ORM rows: each opens the
database itself, so a task can run in another process or be retried on its own.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.engine import Engine

from gongkai.clockseam import office_today
from gongkai.db import open_database
from gongkai.settings import Settings, gongkai_home, load_settings

if TYPE_CHECKING:
    from gongkai.outbox import DeliveryCounts


def settings() -> Settings:
    """The configuration (``GONGKAI_CONFIG`` or ./config/gongkai.toml), loaded when used."""
    return load_settings(None)


def business_date(as_of: date | None, cfg: Settings) -> date:
    """``as_of`` or today in the office's time zone (never the server's)."""
    return as_of if as_of is not None else office_today(cfg.tz)


@contextmanager
def database() -> Iterator[Engine]:
    """The configured database, upgraded if needed, disposed afterwards."""
    engine = open_database()
    try:
        yield engine
    finally:
        engine.dispose()


def load_secret(block_name: str) -> str:
    """The value of a Prefect Secret block (notification URLs with tokens live there or in env)."""
    from prefect.blocks.system import Secret

    block = Secret.load(block_name, _sync=True)  # type: ignore[call-arg]
    return str(block.get())  # type: ignore[union-attr]


class _ConsoleHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a message is emitted (a test runner or a daemon may swap it)."""

    _gongkai_console = True

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def console_file() -> Path:
    """Where the ``console`` channel also writes each message (``$GONGKAI_HOME/messages/console.log``),
    and make sure those messages reach the process's standard error (the newcomer's terminal) once.

    Standard error, never standard output: ``--json`` promises one JSON object on stdout. The ``gongkai.notify``
    logger does not propagate, or the root and Prefect console handlers would print each message again."""
    logger = logging.getLogger("gongkai.notify")
    if not any(getattr(h, "_gongkai_console", False) for h in logger.handlers):
        logger.addHandler(_ConsoleHandler())
        logger.setLevel(logging.INFO)
    logger.propagate = False
    folder = gongkai_home() / "messages"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / "console.log"


def deliver_outbox(engine: Engine, cfg: Settings, as_of: date) -> DeliveryCounts:
    """Deliver what the outbox holds (one digest per person and channel, each reminder once), with the
    configured channels, Prefect secrets and the console channel. Every flow that queues messages ends here."""
    from gongkai.notifier import Notifier
    from gongkai.outbox import deliver

    notifier = Notifier(secret_loader=load_secret, console_file=console_file())
    return deliver(engine, settings=cfg, as_of=as_of, notifier=notifier, now=lambda: datetime.now(UTC))
