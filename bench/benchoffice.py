"""The office a benchmark works for (revision 0010: every register row belongs to an office).

Found, or made on an empty database, the way every command does it (:func:`gongkai.store.registerkind.ensure_office`
against the bench's configuration), so a bench's rows and sessions belong to the office the product would open.
The scripts import it as ``benchoffice`` (they run as ``python bench/NAME.py``, so this folder is on ``sys.path``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from gongkai.core.settings import Settings


def bench_office(engine: Engine, settings: Settings | None = None) -> int:
    """The id of ``settings``' office in ``engine``'s database (default: the configuration ``load_settings``
    finds, i.e. ``GONGKAI_CONFIG`` or the shipped demo one), made with its kind on an empty database."""
    from gongkai.core.settings import load_settings
    from gongkai.store.db import session_scope
    from gongkai.store.registerkind import ensure_office

    with session_scope(engine) as session:
        return ensure_office(session, settings if settings is not None else load_settings(None)).id
