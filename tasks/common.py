"""What every Gongkai task needs: the settings, the database, the office's date, secrets.

Tasks receive and return plain values (dates, ids, dicts), never live ORM rows: each opens the
database itself, so a task can run in another process or be retried on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

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
def database(cfg: Settings | None = None) -> Iterator[Engine]:
    """The configured database, upgraded if needed, disposed afterwards; its kind (demo or a real office's
    register) held against the configuration ``cfg`` (default: :func:`settings`) before any task works on it."""
    from gongkai.db import session_scope
    from gongkai.registerkind import ensure_register_kind

    engine = open_database()
    try:
        with session_scope(engine) as session:
            ensure_register_kind(session, cfg if cfg is not None else settings())
        yield engine
    finally:
        engine.dispose()


def load_secret(block_name: str) -> str:
    """The value of a Prefect Secret block (notification URLs with tokens live there or in env)."""
    from prefect.blocks.system import Secret

    block = Secret.load(block_name, _sync=True)  # type: ignore[call-arg]
    return str(block.get())  # type: ignore[union-attr]


def console_file() -> Path:
    """Where the ``console`` channel also writes each message (``$GONGKAI_HOME/messages/console.log``),
    and make sure those messages reach the process's standard output (the newcomer's terminal)."""
    import logging
    import sys

    logger = logging.getLogger("gongkai.notify")
    if not any(getattr(h, "_gongkai_console", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._gongkai_console = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    folder = gongkai_home() / "messages"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / "console.log"


def deliver_outbox(engine: Engine, cfg: Settings, as_of: date) -> DeliveryCounts:
    """Deliver what the outbox holds (one digest per person and channel, each reminder once), with the
    configured channels, Prefect secrets and the console channel. Every flow that queues messages ends here."""
    from gongkai.db import session_scope
    from gongkai.notifier import Notifier
    from gongkai.outbox import deliver
    from gongkai.registerkind import DEMO, DEMO_SUBJECT_PREFIX, register_kind

    with session_scope(engine) as session:
        demo = register_kind(session) == DEMO
    notifier = Notifier(
        secret_loader=load_secret, console_file=console_file(), title_prefix=DEMO_SUBJECT_PREFIX if demo else ""
    )
    return deliver(engine, settings=cfg, as_of=as_of, notifier=notifier, now=lambda: datetime.now(UTC))
