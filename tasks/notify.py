"""The task every process that tells the administrators something shares."""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import works
from prefect import task

from gongkai.services import processes
from gongkai.services.actor import Actor


@task(name="notify-administrators")
def notify_administrators(process: str, as_of: date, notice: processes.Notice) -> processes.NoticeSent:
    """One message to the administrators (or the notice's recipients) through the outbox: once per key,
    retried like reminders."""
    with works() as office:
        return processes.notify_administrators(office, Actor.schedule(process), as_of, notice)
