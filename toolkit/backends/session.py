"""The database of one command: its backend and one toolkit connection, opened once and
passed down, so a command doesn't reconnect for every question it asks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from toolkit.backends import backend_for
from toolkit.backends.base import Backend, Connection
from toolkit.settings import Settings


class Database:
    """Opened by the command layer; everything below asks it for the connection."""

    def __init__(self, settings: Settings, backend: Backend | None = None) -> None:
        self.settings = settings
        self.backend = backend or backend_for(settings.database_url)
        self._conn: Connection | None = None
        self._exists: bool | None = None

    async def exists(self, *, create: bool = False) -> bool:
        """Whether the database is there (False: a fresh SQLite file not made yet). Raises
        `DatabaseUnavailable` with a fix when it can't be used."""
        if self._exists is None or (create and not self._exists):
            self._exists = await self.backend.ensure_reachable(timeout=5, create=create)
        return self._exists

    async def connection(self) -> Connection:
        """toolkit's connection for this command (a pool of one), opened on first use."""
        if self._conn is None:
            self._conn = await self.backend.connect(1)
            self._exists = True
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings)
    try:
        yield db
    finally:
        await db.close()
