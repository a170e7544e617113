"""One office's rows: the session-level defence that keeps a unit of work inside its office.

A session opened for an office (:func:`gongkai.store.db.session_scope` with ``office_id``) carries it in
``session.info``. Two listeners on every :class:`~sqlmodel.Session` then act on the ORM:

* every ORM SELECT, UPDATE and DELETE gets ``office_id = <the office>`` for each office-owned model it touches
  (:class:`~gongkai.store.models.OfficeOwned`, aliases included);
* every new office-owned object flushed gets the office's id, and one that names another office is refused.

Core statements (``sa.select(TABLE…)``, ``sa.text``, inserts of row dicts) are not ORM statements and are NOT
covered: each of them filters or stamps with :func:`office_of` explicitly. A session opened without an office
(migrations, the calendar import, backup) is not filtered: it is meant to touch the shared tables only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from gongkai.core.officescope import (
    OFFICE_KEY,
    OfficeScopeError,
    bind_office,
    in_office,
    office_of,
    scoped_office,
)
from gongkai.store.models import OfficeOwned


def _add_office_criteria(state: orm.ORMExecuteState) -> None:
    oid = state.session.info.get(OFFICE_KEY)
    if oid is None:
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement was already scoped
    office_id = int(oid)
    state.statement = state.statement.options(
        *(
            orm.with_loader_criteria(model, model.office_id == office_id, include_aliases=True)
            for model in _owned()
        )
    )


_OWNED: list[Any] = []


def _owned() -> list[Any]:
    """The office-owned models (every subclass of :class:`OfficeOwned`), found once."""
    if not _OWNED:
        _OWNED.extend(sorted(OfficeOwned.__subclasses__(), key=lambda m: m.__name__))
    return _OWNED


def _stamp_new_rows(session: orm.Session, _context: Any, _instances: Any) -> None:
    oid = session.info.get(OFFICE_KEY)
    if oid is None:
        return
    office_id = int(oid)
    for obj in session.new:
        if not isinstance(obj, OfficeOwned):
            continue
        current = getattr(obj, "office_id", None)
        if current is None:
            obj.office_id = office_id  # type: ignore[attr-defined]
        elif current != office_id:
            raise OfficeScopeError(
                f"内部错误：为单位 {office_id} 工作时试图写入单位 {current} 的记录（{type(obj).__name__}），未写入任何数据。"
            )


sa.event.listen(orm.Session, "do_orm_execute", _add_office_criteria)
sa.event.listen(orm.Session, "before_flush", _stamp_new_rows)

__all__ = [
    "OFFICE_KEY",
    "OfficeScopeError",
    "bind_office",
    "in_office",
    "office_of",
    "scoped_office",
]
