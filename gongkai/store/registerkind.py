"""Demo and live are two kinds of register (CONTRACT section 1).

The shipped configuration is the demo office's (``[office] demo = true``): it loads the fictional demo office
into a new register so that a newcomer sees results at once. A real office's configuration starts an empty
register, and demo data never enters it. The database records which kind it is (``register_info``, written
once); :func:`ensure_register_kind` holds the configuration against it wherever the register is opened for
work (every command, every flow, ``gongkai serve``), so a real office's configuration pointed at a demo register
— or the demo configuration pointed at a real register — stops before anything is read or written.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlmodel import Session

from gongkai.core.errors import GongkaiError
from gongkai.core.settings import Settings, redact_url
from gongkai.store.db import insert_ignoring_conflicts
from gongkai.store.models import (
    AnnualReport,
    Appeal,
    Application,
    CalendarYear,
    ProactiveItem,
    YearlyFigure,
    utcnow,
)
from gongkai.store.tables import APP, REGISTER_INFO

DEMO: Final = "demo"
"""The demo office's register: fictional applications, items and appeals."""
LIVE: Final = "live"
"""A real office's register."""

DEMO_SOURCE: Final = "demo"
"""``Application.source`` of every demo application (what :mod:`gongkai.demo` writes)."""

DEMO_SUBJECT_PREFIX: Final = "【演示】"
"""What every notification from a demo register starts with, so nobody takes it for real work."""

_ROW_ID: Final = 1


class RegisterKindError(GongkaiError):
    """The configuration is for one kind of register and the database is the other; nothing was written."""


def register_kind(session: Session) -> str | None:
    """The kind recorded in the database (:data:`DEMO` or :data:`LIVE`), or ``None`` before the first command."""
    return session.execute(sa.select(REGISTER_INFO.c.kind).where(REGISTER_INFO.c.id == _ROW_ID)).scalar()


def demo_is_loaded(session: Session) -> bool:
    """True when the register holds demo applications (``source == "demo"``)."""
    stmt = sa.select(APP.c.id).where(APP.c.source == DEMO_SOURCE).limit(1)
    return session.execute(stmt).first() is not None


def _kind_of_records(session: Session) -> str | None:
    """What the register's records say when no kind is recorded (data written by a path that never asked)."""
    if demo_is_loaded(session):
        return DEMO
    # The same records as migration 0007 counts.
    for model in (Application, ProactiveItem, Appeal, CalendarYear, YearlyFigure, AnnualReport):
        if session.execute(sa.select(sa.literal(1)).select_from(model).limit(1)).first() is not None:
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


def ensure_register_kind(session: Session, settings: Settings) -> str:
    """The register's kind, after holding the configuration against it; one SELECT once the kind is recorded.

    A register with no kind recorded takes the configuration's (``[office] demo``), unless its records say
    otherwise (demo applications, or a real office's records). Raises :class:`RegisterKindError` (exit 2, nothing
    written) when a real office's configuration meets a demo register or the demo configuration a real one.
    """
    wanted = DEMO if settings.office.demo else LIVE
    stmt = sa.select(REGISTER_INFO.c.kind, REGISTER_INFO.c.office_name).where(REGISTER_INFO.c.id == _ROW_ID)
    row = session.execute(stmt).first()
    if row is None:
        found = _kind_of_records(session) or wanted
        if found != wanted:
            raise _refusal(session, settings, found, None)
        row_values = {
            "id": _ROW_ID,
            "kind": wanted,
            "office_name": settings.office.name,
            "set_by": "config",
            "created_at": utcnow(),
        }
        # Two commands starting on an empty register at once: the first row written is the register's kind.
        insert_ignoring_conflicts(
            session, REGISTER_INFO, [row_values], conflict=["id"], returning=REGISTER_INFO.c.id
        )
        row = session.execute(stmt).one()
    kind, office = row
    if kind != wanted:
        raise _refusal(session, settings, kind, office)
    if office is None:
        # Classified by the upgrade to 0007: the first configuration that matches names the office.
        session.execute(
            sa.update(REGISTER_INFO)
            .where(REGISTER_INFO.c.id == _ROW_ID)
            .values(office_name=settings.office.name)
        )
    return str(kind)


__all__ = [
    "DEMO",
    "DEMO_SOURCE",
    "DEMO_SUBJECT_PREFIX",
    "LIVE",
    "RegisterKindError",
    "demo_is_loaded",
    "ensure_register_kind",
    "register_kind",
]
