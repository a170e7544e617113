"""What every Gongkai task needs: the settings, the office's date, the office to work on (its register,
working folder and channels, as :class:`gongkai.services.processes.Works`), secrets, artifacts.

Tasks receive and return plain values (dates, ids, the services' frozen dataclasses), never live ORM rows:
each opens the register itself, so a task can run in another process or be retried on its own. The work is
done by :mod:`gongkai.services.processes`; a task is one call of it, with Prefect's logging and artifacts.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TextIO

from gongkai.core.clockseam import business_date as checked_business_date
from gongkai.core.settings import Settings, gongkai_home, load_settings
from gongkai.runtime.supervise import RUNNER_PID_ENV, die_with_runner
from gongkai.services import processes
from gongkai.services.actor import Actor

# Every flow imports this module: a flow run that `gongkai serve`'s runner started in a subprocess ends with
# the service (SIGKILL included) instead of running on alone.
die_with_runner()


def settings() -> Settings:
    """The configuration (``GONGKAI_CONFIG``, which ``gongkai serve`` and ``gongkai run`` set to the file or
    folder they resolved, else ./config/gongkai.toml, else the shipped demo configuration), loaded when used, for
    the office the flow run's ``office`` parameter names (a worker serves many offices from one folder), else
    ``GONGKAI_OFFICE``'s."""
    from prefect.runtime import flow_run

    office = flow_run.parameters.get("office")
    return load_settings(None, office if isinstance(office, str) else None)


def business_date(as_of: date | None, cfg: Settings) -> date:
    """``as_of`` or today in the office's time zone (never the server's); a future date is refused
    (see :func:`gongkai.core.clockseam.business_date`)."""
    return checked_business_date(as_of, cfg.tz)


@contextmanager
def works(cfg: Settings | None = None) -> Iterator[processes.Works]:
    """The office the services work on: the configured database, upgraded if needed and disposed afterwards, its
    kind (demo or a real office's register) held against the configuration ``cfg`` (default: :func:`settings`);
    the office's folder under ``$GONGKAI_HOME`` for generated files (:meth:`Settings.files_home`); the configured channels with Prefect secrets and the console channel."""
    channels = processes.Channels(secret_loader=load_secret, console_file=console_file())
    chosen = cfg if cfg is not None else settings()
    with processes.open_works(chosen, home=chosen.files_home(gongkai_home()), channels=channels) as office:
        yield office


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


def period_done(process: str, as_of: date) -> bool:
    """Whether the period of ``as_of`` is already done for the scheduled ``process`` (a scheduled run then
    skips: see :func:`gongkai.services.processes.period_done`)."""
    with works() as office:
        return processes.period_done(office, process, as_of)


def settle_period(process: str, as_of: date) -> processes.Settlement:
    """Record the period of ``as_of`` as done for ``process`` unless messages it waits for are unconfirmed (then, in
    the county shape, a follow-up run is scheduled: :func:`follow_up`)."""
    with works() as office:
        settled = processes.settle_period(office, Actor.schedule(process), process, as_of)
    follow_up(process, as_of, settled)
    return settled


FOLLOW_UP_GAP: Final = timedelta(minutes=10)
"""How long after a run that left messages unconfirmed its follow-up run starts at the earliest (the county shape)."""

MAX_FOLLOW_UPS: Final = 6
"""Follow-up runs of one period at most: a fault that persists is for the administrator (told by the alerts; the
failed runs show in the Prefect UI), and the next scheduled run starts again."""


def follow_up_at(settled: processes.Settlement, attempt: int, now: datetime) -> datetime | None:
    """When the follow-up run of a run whose period is ``settled`` should start, or None: the period is done, or
    ``attempt`` follow-ups were already made (:data:`MAX_FOLLOW_UPS`). Not before the outbox can retry (its
    ``retry_at``: a lease that runs out, a channel's backoff) and not within :data:`FOLLOW_UP_GAP`."""
    if settled.done or attempt >= MAX_FOLLOW_UPS:
        return None
    soonest = now + FOLLOW_UP_GAP
    return max(soonest, settled.retry_at) if settled.retry_at is not None else soonest


def follow_up(process: str, as_of: date, settled: processes.Settlement) -> str | None:
    """In the county shape, schedule one more run of this run's own deployment for when the messages it left
    unconfirmed (a mail server down, an interrupted send) can be retried: under ``gongkai serve`` the service's
    retry watcher does that, a worker has none. Only for a run of a deployment outside serve; the follow-up names
    the same office and business date, runs as a scheduled run (nothing if the period got done meanwhile; else only
    what is still owed: the outbox sends each message once), and is made once per attempt (an idempotency key).
    Returns the follow-up run's id, or None."""
    from prefect.runtime import deployment, flow_run

    if os.environ.get(RUNNER_PID_ENV):
        return None  # serve's retry watcher takes it up
    deployment_id = deployment.get_id()
    if deployment_id is None:
        return None  # a run by hand (gongkai run without serve, a test): nothing schedules it again
    parameters: dict[str, Any] = dict(flow_run.get_parameters())
    attempt = int(parameters.get("follow_up") or 0)
    at = follow_up_at(settled, attempt, datetime.now(UTC))
    if at is None:
        if not settled.done:
            logging.getLogger(__name__).warning(
                "%s for %s still owes %s messages after %s follow-up runs: left for the next scheduled run",
                process, as_of.isoformat(), settled.outstanding, attempt,
            )  # fmt: skip
        return None
    return schedule_follow_up(str(deployment_id), parameters, as_of, attempt + 1, at)


def schedule_follow_up(
    deployment_id: str, parameters: dict[str, Any], as_of: date, attempt: int, at: datetime
) -> str:
    """Create the follow-up flow run ``attempt`` of a deployment's run for ``as_of``, scheduled at ``at``, with the
    run's parameters (``as_of`` fixed, ``scheduled``, ``follow_up`` = ``attempt``); a second call for the same
    deployment, date and attempt returns the same run (idempotency key)."""
    from prefect.deployments import run_deployment

    follow = {**parameters, "as_of": as_of.isoformat(), "scheduled": True, "follow_up": attempt}
    run = run_deployment(
        deployment_id,
        parameters=follow,
        scheduled_time=at,
        timeout=0,
        as_subflow=False,
        idempotency_key=f"gongkai-follow-up:{deployment_id}:{as_of.isoformat()}:{attempt}",
    )
    logging.getLogger(__name__).info(
        "Messages of %s left unconfirmed: follow-up run %s scheduled at %s", as_of.isoformat(), attempt, at
    )
    return str(run.id)  # type: ignore[union-attr]


def artifact(key: str, markdown: str, description: str) -> None:
    """Publish a markdown artifact (keys: lowercase letters, digits and dashes)."""
    from prefect.artifacts import create_markdown_artifact

    create_markdown_artifact(key=key, markdown=markdown, description=description)
