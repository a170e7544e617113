"""Which office a database session works for: the key it is kept under in ``session.info`` and the Core
conditions built from it. The session-level listeners that apply it to ORM statements are in
:mod:`gongkai.store.scope`; these helpers are for Core statements, which the listeners do not cover."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy import orm

from gongkai.core.errors import GongkaiError

OFFICE_KEY: Final = "gongkai_office_id"
"""Where a session keeps the id of the office it was opened for (``session.info``)."""


class OfficeScopeError(GongkaiError):
    """Work for one office tried to write a row of another, or needed an office and had none (a bug)."""


def office_of(session: orm.Session) -> int:
    """The id of the office ``session`` was opened for; raises :class:`OfficeScopeError` for a session without."""
    oid = session.info.get(OFFICE_KEY)
    if oid is None:
        raise OfficeScopeError("内部错误：此项工作没有指定单位（office），未读写任何数据。")
    return int(oid)


def bind_office(session: orm.Session, office_id: int) -> None:
    """Scope ``session`` to ``office_id`` from now on (after the office was found in the same transaction)."""
    current = session.info.get(OFFICE_KEY)
    if current is not None and int(current) != office_id:
        raise OfficeScopeError(f"内部错误：为单位 {current} 打开的会话不能改为单位 {office_id}。")
    session.info[OFFICE_KEY] = office_id


def scoped_office(session: orm.Session) -> int | None:
    """The id of the office ``session`` was opened for, or None."""
    oid = session.info.get(OFFICE_KEY)
    return None if oid is None else int(oid)


def in_office(session: orm.Session, table: sa.Table) -> sa.ColumnElement[bool]:
    """``table.office_id = <the session's office>`` for a Core statement; raises for a session without an office."""
    return table.c.office_id == office_of(session)


__all__ = [
    "OFFICE_KEY",
    "OfficeScopeError",
    "bind_office",
    "in_office",
    "office_of",
    "scoped_office",
]
