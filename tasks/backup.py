"""Tasks of the nightly-backup flow: the backup with its retention, and the administrators' alert when it fails."""

from __future__ import annotations

from datetime import date

from gongkai.tasks.common import works
from prefect import get_run_logger, task

from gongkai.core.errors import GongkaiError
from gongkai.services import backup, processes
from gongkai.services.actor import Actor

ACTOR = Actor.schedule("backup")


@task(name="backup-database")
def backup_database(as_of: date) -> backup.NightlyBackup:
    """Back up the whole database into ``[backup] folder`` and delete the oldest of its own backups beyond
    ``[backup] keep``. Only the file's path is logged."""
    with works() as office:
        made = backup.nightly_backup(office, ACTOR, as_of)
    get_run_logger().info("Backup %s written; %d old backup(s) deleted", made.file, len(made.deleted))
    return made


@task(name="alert-backup-failed")
def alert_backup_failed(as_of: date, error: BaseException) -> processes.NoticeSent:
    """Tell the administrators, through the outbox (once per day), that the backup of ``as_of`` failed: the
    Gongkai error's sentence (paths and causes only), or the exception's type for anything else."""
    reason = str(error) if isinstance(error, GongkaiError) else f"程序错误（{type(error).__name__}）"
    with works() as office:
        folder = office.settings.backup.folder_in(office.home)
        return processes.notify_administrators(
            office, ACTOR, as_of, backup.backup_failed_notice(as_of, reason, folder)
        )
