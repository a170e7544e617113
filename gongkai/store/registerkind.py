"""Demo and live are two kinds of register (CONTRACT section 1), kept per office (CONTRACT section 7).

The shipped configuration is the demo office's (``[office] demo = true``): it loads the fictional demo office
into a new register so that a newcomer sees results at once. A real office's configuration starts an empty
register, and demo data never enters it. The database records each office (table ``office``: its code, name and
kind, written once); :func:`ensure_office` finds the configuration's office (``[office] code``, ``default`` when
absent) and holds the configuration against it wherever the register is opened for work (every command, every
flow, ``gongkai serve``), so a real office's configuration pointed at a demo register — or the demo configuration
pointed at a real register — stops before anything is read or written.

A database whose only office is ``default`` (a register upgraded to revision 0010, or one started without a code)
takes the code a single-file configuration names: the office is renamed, logged and recorded in ``audit_entry``.
Any other configuration whose code the database does not hold is refused (exit 2, nothing written).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import DEFAULT_OFFICE_CODE, Settings, redact_url
from gongkai.store.db import insert_ignoring_conflicts
from gongkai.store.models import utcnow
from gongkai.store.scope import scoped_office
from gongkai.store.tables import APP, APPEAL, AUDIT, FIGURE, ITEM, OFFICE, REPORT

log = logging.getLogger(__name__)

DEMO: Final = "demo"
"""The demo office's register: fictional applications, items and appeals."""
LIVE: Final = "live"
"""A real office's register."""

DEMO_SOURCE: Final = "demo"
"""``Application.source`` of every demo application (what :mod:`gongkai.demo` writes)."""

DEMO_SUBJECT_PREFIX: Final = "【演示】"
"""What every notification from a demo register starts with, so nobody takes it for real work."""

OFFICE_RENAMED: Final = "office_renamed"
OFFICE_ADDED: Final = "office_added"
"""``audit_entry.action`` of the upgrade's office taking the code its configuration names."""


class RegisterKindError(GongkaiError):
    """The configuration is for one kind of register and the database is the other; nothing was written."""


class OfficeMismatch(GongkaiError):
    """The configuration names an office the database does not hold; nothing was written."""


@dataclass(frozen=True)
class OfficeEntry:
    """The office a configuration works on: its row's id, its code and its kind (``demo`` or ``live``)."""

    id: int
    code: str
    kind: str


def register_kind(session: Session) -> str | None:
    """The kind recorded for the session's office (:data:`DEMO` or :data:`LIVE`); for a session opened without an
    office, the kind of the database's only office. ``None`` before the first command."""
    office_id = scoped_office(session)
    stmt = sa.select(OFFICE.c.kind)
    if office_id is not None:
        stmt = stmt.where(OFFICE.c.id == office_id)
    kinds = session.execute(stmt.limit(2)).scalars().all()
    return kinds[0] if len(kinds) == 1 else None


def demo_is_loaded(session: Session, office_id: int | None = None) -> bool:
    """True when the register (of ``office_id``, default the session's office) holds demo applications."""
    office_id = office_id if office_id is not None else scoped_office(session)
    stmt = sa.select(APP.c.id).where(APP.c.source == DEMO_SOURCE)
    if office_id is not None:
        stmt = stmt.where(APP.c.office_id == office_id)
    return session.execute(stmt.limit(1)).first() is not None


def _kind_of_records(session: Session, office_id: int) -> str | None:
    """What an office's records say when no kind is recorded (data written by a path that never asked)."""
    if demo_is_loaded(session, office_id):
        return DEMO
    # The same records as migration 0007 counts (the imported calendar is shared by all offices now).
    for table in (APP, ITEM, APPEAL, FIGURE, REPORT):
        stmt = sa.select(sa.literal(1)).select_from(table).where(table.c.office_id == office_id).limit(1)
        if session.execute(stmt).first() is not None:
            return LIVE
    return None


def _where(session: Session) -> str:
    """The database's location for a message, its password masked."""
    return redact_url(session.get_bind().engine.url.render_as_string(hide_password=False))


def _refusal(session: Session, settings: Settings, kind: str, office: str | None) -> RegisterKindError:
    whose = f"“{office}”" if office else ""
    if kind == DEMO:
        return RegisterKindError(
            f"数据库 {_where(session)} 是{whose}演示登记簿，存有演示单位的虚构数据，不能用真实单位的配置文件 "
            f"{settings.path}（未设 demo = true）打开：请把环境变量 GONGKAI_HOME（或 GONGKAI_DATABASE_URL）指向一个"
            "新的空位置，再运行 gongkai init 建立本单位的登记簿；只想继续看演示，请使用随附的演示配置。"
        )
    return RegisterKindError(
        f"数据库 {_where(session)} 是{whose}（真实单位）的登记簿，不会载入演示数据，也不能用演示配置文件 "
        f"{settings.path}（demo = true）打开：请使用本单位的配置文件（删除 demo = true）；要看演示，请把 "
        "GONGKAI_HOME 指向一个新的空文件夹。"
    )


def _mismatch(session: Session, settings: Settings, code: str, held: list[str]) -> OfficeMismatch:
    listed = "、".join(f"“{c}”" for c in held)
    if settings.folder is not None:
        return OfficeMismatch(
            f"数据库 {_where(session)} 中只有升级前的单个单位“{DEFAULT_OFFICE_CODE}”，不能直接用配置文件夹 "
            f"{settings.folder} 打开：请先用该单位原来的配置文件（在 [office] 中写上它在文件夹中的代码 code）运行一次 "
            "gongkai init，把它改为该代码，再使用配置文件夹。"
        )
    named = f"单位代码“{code}”" if code != DEFAULT_OFFICE_CODE else "未写单位代码（[office] code）"
    return OfficeMismatch(
        f"配置文件 {settings.path} {named}，但数据库 {_where(session)} 中的单位是 {listed}：请在 [office] 中写明"
        "本单位在该数据库中的代码（code），或把 GONGKAI_DATABASE_URL（GONGKAI_HOME）指向本单位的数据库。"
    )


def _office_row(session: Session, code: str) -> tuple[int, str | None, str | None] | None:
    """``(id, kind, name)`` of the office ``code``, or None."""
    stmt = sa.select(OFFICE.c.id, OFFICE.c.kind, OFFICE.c.name).where(OFFICE.c.code == code)
    row = session.execute(stmt).first()
    return None if row is None else (int(row[0]), row[1], row[2])


def ensure_office(session: Session, settings: Settings) -> OfficeEntry:
    """The configuration's office (``[office] code``), after holding the configuration against it; one SELECT once
        the office is recorded.

        A database without offices gets the configuration's (its kind from ``[office] demo``). A database whose only
        office is ``default`` takes the configuration's code (renamed, logged, audited). A database holding other
    offices gets the configuration's when it comes from a configuration folder (a county adding an office; audited),
    never from a lone file (a file pointed at another office's database is a mistake). An office with no kind
        recorded takes the configuration's, unless its records say otherwise. Raises :class:`RegisterKindError` when a
        real office's configuration meets a demo register or the demo configuration a real one, and
        :class:`OfficeMismatch` when the database holds other offices only (exit 2, nothing written either way).
    """
    wanted = DEMO if settings.office.demo else LIVE
    code = settings.office.code
    row = _office_row(session, code)
    if row is None:
        held = list(session.execute(sa.select(OFFICE.c.code).order_by(OFFICE.c.id)).scalars())
        if held == [DEFAULT_OFFICE_CODE] and settings.folder is None:
            session.execute(sa.update(OFFICE).where(OFFICE.c.code == DEFAULT_OFFICE_CODE).values(code=code))
            row = _office_row(session, code)
            assert row is not None
            session.execute(
                sa.insert(AUDIT).values(
                    office_id=row[0],
                    at=utcnow(),
                    actor="system",
                    action=OFFICE_RENAMED,
                    subject=code,
                    detail=f"{DEFAULT_OFFICE_CODE} -> {code}",
                )
            )
            log.info("office %r renamed %r, the code its configuration names", DEFAULT_OFFICE_CODE, code)
        elif held and (settings.folder is None or held == [DEFAULT_OFFICE_CODE]):
            raise _mismatch(session, settings, code, held)
        else:
            values = {
                "code": code,
                "kind": wanted,
                "name": settings.office.name,
                "set_by": "config",
                "created_at": utcnow(),
            }
            # Two commands starting on an empty database at once: the first row written is the office.
            insert_ignoring_conflicts(session, OFFICE, [values], conflict=["code"], returning=OFFICE.c.id)
            row = _office_row(session, code)
            assert row is not None
            if held:  # a county's new office, from its configuration folder
                session.execute(
                    sa.insert(AUDIT).values(
                        office_id=row[0], at=utcnow(), actor="system", action=OFFICE_ADDED, subject=code,
                        detail=f"folder {settings.folder}",
                    )
                )  # fmt: skip
                log.info("office %r added to a database holding %s (configuration folder)", code, held)
    office_id, kind, name = row
    if kind is None:
        # Classified by no one yet (an upgraded register that held no records): its records, else the configuration.
        found = _kind_of_records(session, office_id) or wanted
        if found != wanted:
            raise _refusal(session, settings, found, name)
        session.execute(sa.update(OFFICE).where(OFFICE.c.id == office_id).values(kind=wanted))
        kind = wanted
    if kind != wanted:
        raise _refusal(session, settings, kind, name)
    if name is None:
        # Classified by the upgrade to 0007: the first configuration that matches names the office.
        session.execute(sa.update(OFFICE).where(OFFICE.c.id == office_id).values(name=settings.office.name))
    return OfficeEntry(int(office_id), code, str(kind))


def ensure_register_kind(session: Session, settings: Settings) -> str:
    """The kind of the configuration's office (see :func:`ensure_office`)."""
    return ensure_office(session, settings).kind


__all__ = [
    "DEMO",
    "OFFICE_ADDED",
    "OFFICE_RENAMED",
    "OfficeEntry",
    "OfficeMismatch",
    "ensure_office",
    "DEMO_SOURCE",
    "DEMO_SUBJECT_PREFIX",
    "LIVE",
    "RegisterKindError",
    "demo_is_loaded",
    "ensure_register_kind",
    "register_kind",
]
