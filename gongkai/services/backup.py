"""Backup and restore of the whole database (CONTRACT section 7): ``gongkai backup``, ``gongkai restore`` and the
``nightly-backup`` flow's step (a backup into the configured folder, then the oldest of its own backups beyond
``[backup] keep`` deleted).

Backups hold applicants' personal data: the folder is kept ``0700``, each file is created ``0600``, and only a
file's path (never its contents, never the database URL's password) reaches a message or a log. The copy itself is
:mod:`gongkai.store.backup`'s. Everything is taken as parameters (the database URL, the folder, the clock), so a
later per-office scoping only has to pass other values.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from gongkai.services.actor import Actor
from gongkai.services.processes import Notice, Works
from gongkai.store import backup as store
from gongkai.store.backup import BackupError, Restored

log = logging.getLogger("gongkai.backup")

OWN_NAME: Final = re.compile(r"gongkai-\d{8}-\d{6}(?:-\d{1,2})?\.(?:sqlite|dump)")
"""The names of the backups Gongkai makes in its folder; retention deletes nothing else."""

__all__ = ["BackupError", "NightlyBackup", "Restored", "backup_failed_notice", "make_backup", "nightly_backup",
           "private_folder", "prune", "restore"]  # fmt: skip


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and its parents) owner-only, and make it ``0700`` if it is looser."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if stat.S_IMODE(folder.stat().st_mode) != 0o700:
            os.chmod(folder, 0o700)
    except OSError as exc:
        raise BackupError(f"无法创建或使用备份文件夹 {folder}：{exc.strerror}。请检查路径和权限。") from None
    return folder


def make_backup(
    url: str, *, output: Path | None, folder: Path, tz: ZoneInfo, now: datetime, manual: bool = False
) -> Path:
    """Back up the database at ``url`` to ``output``, or to a new ``gongkai-YYYYMMDD-HHMMSS.(sqlite|dump)`` in
    ``folder`` (``0700``) named by ``now`` in the office's zone ``tz``; return the file's path. A ``manual``
    backup (``gongkai backup``, e.g. before an upgrade) is named ``gongkai-YYYYMMDD-HHMMSS-manual…``, which the
    nightly retention never deletes."""
    kind = store.backend(url)
    if output is not None:
        if output.is_dir():
            raise BackupError(
                f"--output {output} 是文件夹，应为要写入的备份文件路径（如 {output / 'gongkai.sqlite'}）。"
            )
        return store.backup_database(url, output)
    private_folder(folder)
    stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M%S")
    suffix = store.SUFFIX[kind]
    label = "-manual" if manual else ""
    for attempt in range(100):
        name = (
            f"gongkai-{stamp}{label}.{suffix}"
            if attempt == 0
            else f"gongkai-{stamp}{label}-{attempt}.{suffix}"
        )
        if not (folder / name).exists():
            return store.backup_database(url, folder / name)
    raise BackupError(f"备份文件夹 {folder} 中同一秒的备份文件过多，请稍后再试。")


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the oldest of Gongkai's own backups in ``folder`` beyond the ``keep`` newest (by the time in their
    names); files of any other name are never touched. The paths deleted."""
    own = sorted(
        (p for p in folder.iterdir() if OWN_NAME.fullmatch(p.name) and p.is_file()),
        key=lambda p: (p.name.split(".")[0][8:23], len(p.name), p.name),
    )
    deleted = own[: max(len(own) - keep, 0)]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


def restore(backup: Path, url: str) -> Restored:
    """Restore ``backup`` into the empty database at ``url`` and upgrade it to the current schema (see
    :func:`gongkai.store.backup.restore_database`)."""
    return store.restore_database(backup, url)


@dataclass(frozen=True)
class NightlyBackup:
    """One nightly backup: the file made and the old backups deleted."""

    as_of: date
    file: str
    size: int
    deleted: Sequence[str]

    def to_json(self) -> dict[str, Any]:
        """``as_of``, ``file``, ``size`` (bytes), ``deleted`` (paths)."""
        return {
            "as_of": self.as_of.isoformat(),
            "file": self.file,
            "size": self.size,
            "deleted": list(self.deleted),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NightlyBackup:
        """Read back :meth:`to_json`."""
        return cls(date.fromisoformat(data["as_of"]), str(data["file"]), int(data["size"]),
                   [str(p) for p in data["deleted"]])  # fmt: skip


def nightly_backup(works: Works, actor: Actor, as_of: date) -> NightlyBackup:
    """Back up the office's database into ``[backup] folder`` and keep only the ``[backup] keep`` newest of
    Gongkai's backups there."""
    cfg = works.settings.backup
    folder = cfg.folder_in(works.home)
    url = works.engine.url.render_as_string(hide_password=False)
    made = make_backup(url, output=None, folder=folder, tz=works.settings.tz, now=works.now())
    deleted = prune(folder, cfg.keep)
    log.info("Backup written to %s; %d old backup(s) deleted", made, len(deleted))
    return NightlyBackup(as_of, str(made), made.stat().st_size, [str(p) for p in deleted])


def backup_failed_notice(as_of: date, reason: str, folder: Path) -> Notice:
    """The administrators' message when the nightly backup of ``as_of`` failed (once per day). ``reason`` is a
    Gongkai error's sentence (paths and causes, never personal data) or an exception's type name."""
    text = (
        f"{as_of.isoformat()} 的夜间数据备份失败：{reason.rstrip('。')}。"
        f"请检查备份文件夹 {folder} 的权限和磁盘空间，并尽快用 gongkai backup 手动备份一次。"
    )
    return Notice(f"backup-failed:{as_of.isoformat()}", "backup", text, as_of.isoformat())
