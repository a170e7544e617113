"""Importing a file from the desk: a request register (CONTRACT section 3) or catalogue items, all or nothing, as
:func:`gongkai.services.applications.import_register` and :func:`gongkai.services.items.import_catalogue_items`
do for the command line, and recorded in the audit trail in the same transaction (a refused file leaves no entry,
as it leaves no row)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from gongkai.core.errors import InputError
from gongkai.services.actor import Actor, require_work
from gongkai.services.office import Office

__all__ = ["IMPORT_KINDS", "IMPORT_SUFFIXES", "FileImported", "import_file"]

IMPORT_KINDS: Final[dict[str, str]] = {"register": "依申请公开登记簿", "items": "主动公开信息（目录条目）"}
IMPORT_SUFFIXES: Final = (".csv", ".xlsx")


@dataclass(frozen=True)
class FileImported:
    """What an import did, as counts with their Chinese labels (in the order staff read them)."""

    kind: str
    file: str
    encoding: str
    counts: tuple[tuple[str, int], ...]


def import_file(office: Office, actor: Actor, kind: str, path: Path) -> FileImported:
    """Import ``path`` as ``kind`` (``register`` or ``items``) recorded as ``actor`` (roles as the command line's
    imports: rows recording an extension only by a unit head); :class:`~gongkai.core.errors.ImportRejected`
    lists every bad row and nothing is written."""
    require_work(actor, "导入文件")
    from gongkai.services.applications import import_register
    from gongkai.services.items import import_catalogue_items
    from gongkai.store.audit import record_audit

    if kind not in IMPORT_KINDS:
        raise InputError(f"导入类型应为以下之一：{'、'.join(IMPORT_KINDS.values())}。")
    if path.suffix.lower() not in IMPORT_SUFFIXES:
        raise InputError(f"文件 {path.name} 的格式无法导入：只接受 .csv 或 .xlsx 文件。")
    if kind == "register":
        done = import_register(office, actor, path)
        result = FileImported(
            kind,
            done.file,
            done.encoding,
            (
                ("数据行", done.rows),
                ("新登记申请", done.inserted),
                ("追加事件", done.events_added),
                ("未变化", done.unchanged),
            ),
        )
    else:
        items = import_catalogue_items(office, actor, path)
        result = FileImported(
            kind,
            items.file,
            items.encoding,
            (
                ("数据行", items.rows),
                ("新增条目", items.inserted),
                ("更新条目", items.updated),
                ("未变化", items.unchanged),
                ("记录变更", items.changes),
                ("记录审核", items.reviews),
            ),
        )
    detail = "，".join(f"{label} {n}" for label, n in result.counts)
    record_audit(office.session, actor.name, f"{kind}_imported", path.name[:200], detail)
    return result
