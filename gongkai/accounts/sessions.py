"""The desk's sessions in the database, for starsessions' server-side session middleware (a maintained
library makes the ids, sets the cookie and regenerates the id at sign-in; this is only its storage).

The cookie carries a random id; the table keeps its SHA-256, so a copy of the database signs nobody in. A
session ends when idle for ``[desk] idle_minutes`` (``expires_at``, extended as the person works) and at the
latest ``[desk] max_hours`` after sign-in (checked by the desk against the session's ``signed_in_at``).
Each desk serves one office (``office_id``): a session belongs to it, and another office's desk does not find it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete

from gongkai.store.models import DeskSession, utcnow
from gongkai.store.scope import OFFICE_KEY
from gongkai.store.tables import DESK_SESSION

# A session whose data did not change is written again only when its expiry moves by more than this
# (every page view would otherwise be a write).
_TOUCH_EVERY = timedelta(seconds=60)


def _key(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def _session(engine: Engine, office_id: int) -> Session:
    return Session(engine, info={OFFICE_KEY: office_id})


def read_session(engine: Engine, office_id: int, session_id: str, *, now: datetime | None = None) -> bytes:
    """The stored data of a live session of the office, or ``b""`` (unknown, expired or another office's)."""
    now = now or utcnow()
    with _session(engine, office_id) as s:
        row = s.get(DeskSession, _key(session_id))
        if row is None or row.office_id != office_id or row.expires_at <= now:
            return b""
        return row.data.encode("utf-8")


def write_session(
    engine: Engine, office_id: int, session_id: str, data: bytes, ttl: int, *, now: datetime | None = None
) -> None:
    """Store ``data`` for ``session_id``, alive ``ttl`` seconds from ``now``."""
    now = now or utcnow()
    expires = now + timedelta(seconds=max(ttl, 1))
    text = data.decode("utf-8")
    try:
        staff_id = json.loads(text).get("staff_id")
    except (ValueError, AttributeError):
        staff_id = None
    with _session(engine, office_id) as s:
        # A Core read sees every office's row: another office's session id is never overwritten from this desk.
        owner = s.execute(
            sa.select(DESK_SESSION.c.office_id).where(DESK_SESSION.c.key == _key(session_id))
        ).scalar()
        if owner is not None and owner != office_id:
            return
        row = s.get(DeskSession, _key(session_id))
        if row is None:
            row = DeskSession(
                key=_key(session_id), staff_id=staff_id, data=text, created_at=now, expires_at=expires
            )
        elif row.data == text and expires - row.expires_at < _TOUCH_EVERY:
            return
        else:
            row.data, row.staff_id, row.expires_at = text, staff_id, expires
        s.add(row)
        s.commit()


def remove_session(engine: Engine, office_id: int, session_id: str) -> None:
    """Forget a session (sign-out)."""
    with _session(engine, office_id) as s:
        s.exec(delete(DeskSession).where(col(DeskSession.key) == _key(session_id)))
        s.commit()
