"""What every Gongkai task needs: the settings, the database, the office's date, secrets.

Tasks receive and return plain values (dates, ids, dicts), never live ORM rows: each opens the
database itself, so a task can run in another process or be retried on its own.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.engine import Engine

from gongkai.core.clockseam import business_date as checked_business_date
from gongkai.core.settings import Settings, gongkai_home, load_settings
from gongkai.runtime.supervise import die_with_runner
from gongkai.store.db import open_database

# Every flow imports this module: a flow run that `gongkai serve`'s runner started in a subprocess ends with
# the service (SIGKILL included) instead of running on alone.
die_with_runner()

if TYPE_CHECKING:
    from gongkai.notify.outbox import DeliveryCounts, Outstanding


def settings() -> Settings:
    """The configuration (``GONGKAI_CONFIG``, which ``gongkai serve`` and ``gongkai run`` set to the file they
    resolved, else ./config/gongkai.toml, else the shipped demo configuration), loaded when used."""
    return load_settings(None)


def business_date(as_of: date | None, cfg: Settings) -> date:
    """``as_of`` or today in the office's time zone (never the server's); a future date is refused
    (see :func:`gongkai.core.clockseam.business_date`)."""
    return checked_business_date(as_of, cfg.tz)


@contextmanager
def database(cfg: Settings | None = None) -> Iterator[Engine]:
    """The configured database, upgraded if needed, disposed afterwards; its kind (demo or a real office's
    register) held against the configuration ``cfg`` (default: :func:`settings`) before any task works on it."""
    from gongkai.store.db import session_scope
    from gongkai.store.registerkind import ensure_register_kind

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
    from gongkai.notify.channels import Notifier
    from gongkai.notify.outbox import deliver
    from gongkai.store.db import session_scope
    from gongkai.store.registerkind import DEMO, DEMO_SUBJECT_PREFIX, register_kind

    with session_scope(engine) as session:
        demo = register_kind(session) == DEMO
    notifier = Notifier(
        secret_loader=load_secret,
        console_file=console_file(),
        title_prefix=DEMO_SUBJECT_PREFIX if demo else "",
    )
    return deliver(engine, settings=cfg, as_of=as_of, notifier=notifier, now=lambda: datetime.now(UTC))


def unsettled(engine: Engine, cfg: Settings, kinds: Collection[str] | None = None) -> Outstanding:
    """What the outbox still owes (of ``kinds``, or every kind): a flow records its period as done only
    when this is empty, so an interrupted or failed delivery is retried, never forgotten."""
    from gongkai.notify.outbox import outstanding

    return outstanding(engine, settings=cfg, now=datetime.now(UTC), kinds=kinds)


def record_if_settled(flow_name: str, period: str, cfg: Settings) -> dict[str, object]:
    """Record ``period`` as done for ``flow_name`` unless the messages it waits for (its process's
    ``outbox_kinds``) are still unconfirmed; returns ``done``, ``outstanding``, ``interrupted`` and
    ``retry_at`` for the run's summary."""
    from gongkai.store.db import session_scope
    from gongkai.store.schedule import PROCESS_BY_FLOW, record_completed

    kinds = PROCESS_BY_FLOW[flow_name].outbox_kinds
    with database() as engine:
        owed = unsettled(engine, cfg, kinds)
        if owed.total == 0:
            with session_scope(engine) as session:
                record_completed(session, flow_name, period)
    return owed_summary(owed)


def owed_summary(owed: Outstanding) -> dict[str, object]:
    """The outstanding part of a run's summary (plain values for Prefect and ``--json``)."""
    return {
        "done": owed.total == 0,
        "outstanding": owed.total,
        "interrupted": owed.interrupted,
        "retry_at": owed.retry_at.isoformat() if owed.retry_at is not None else None,
    }
