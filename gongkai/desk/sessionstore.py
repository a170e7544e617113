"""starsessions' storage for the desk: :mod:`gongkai.accounts.sessions` run in a worker thread."""

from __future__ import annotations

from anyio import to_thread
from sqlalchemy.engine import Engine
from starsessions.stores import SessionStore

from gongkai.accounts import sessions


class DatabaseStore(SessionStore):
    """Sessions in the ``desk_session`` table (hashed ids, idle expiry)."""

    def __init__(self, engine: Engine, office_id: int) -> None:
        self.engine = engine
        self.office_id = office_id

    async def read(self, session_id: str, lifetime: int) -> bytes:
        return await to_thread.run_sync(
            lambda: sessions.read_session(self.engine, self.office_id, session_id)
        )

    async def write(self, session_id: str, data: bytes, lifetime: int, ttl: int) -> str:
        await to_thread.run_sync(
            lambda: sessions.write_session(self.engine, self.office_id, session_id, data, ttl or lifetime)
        )
        return session_id

    async def remove(self, session_id: str) -> None:
        await to_thread.run_sync(lambda: sessions.remove_session(self.engine, self.office_id, session_id))
