"""Moving one office between databases (``gongkai office export`` / ``gongkai office import``): a single server's
office into the county's database, and back. The rows and the file are :mod:`gongkai.store.officemove`'s; this
module names the file and opens the databases. Export files hold applicants' personal data: created ``0600``, in
the backup folder (``0700``) unless ``--output`` says otherwise, and only their path reaches a message."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from gongkai.services.backup import private_folder
from gongkai.store import officemove
from gongkai.store.db import open_database
from gongkai.store.officemove import Moved, OfficeMoveError

SUFFIX = "jsonl.gz"

__all__ = ["Moved", "OfficeMoveError", "export_office", "import_office"]


def export_office(
    url: str, code: str, *, output: Path | None, folder: Path, tz: ZoneInfo, now: datetime
) -> tuple[Path, Moved]:
    """Export office ``code`` of the database at ``url`` to ``output``, or to a new
    ``gongkai-office-CODE-YYYYMMDD-HHMMSS.jsonl.gz`` in ``folder`` named by ``now`` in ``tz``; the file's path
    and what it holds."""
    if output is not None and output.is_dir():
        raise OfficeMoveError(
            f"--output {output} 是文件夹，应为要写入的导出文件路径（如 {output / ('gongkai-office.' + SUFFIX)}）。"
        )
    if output is None:
        private_folder(folder)
        stamp = now.astimezone(tz).strftime("%Y%m%d-%H%M%S")
        output = next(
            p
            for attempt in range(1000)
            for p in [
                folder / f"gongkai-office-{code}-{stamp}{'' if attempt == 0 else f'-{attempt}'}.{SUFFIX}"
            ]
            if not p.exists()
        )
    engine = open_database(url)
    try:
        return output, officemove.export_office(engine, code, output, now=now)
    finally:
        engine.dispose()


def import_office(url: str, path: Path) -> Moved:
    """Import the export ``path`` into the database at ``url`` (made or upgraded first) as a new office."""
    engine = open_database(url)
    try:
        return officemove.import_office(engine, path)
    finally:
        engine.dispose()
