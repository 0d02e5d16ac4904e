"""Aerich as the migration engine: its files, its `aerich` table, its session.

Each file is applied exactly as `aerich upgrade` records it (a row in `aerich`: version,
app, content = the file's MODELS_STATE), so a database is current for plain Aerich and for
toolkit alike. The session is Aerich's own `Command` (which initialises Tortoise and Aerich
for the app); stepping through the files ourselves, instead of `Command.upgrade()` for all
of them at once, lets the runner name the file that failed, prove the lock before each
commit, and make each migration atomic on SQLite too.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from toolkit.backends import offline_client
from toolkit.backends.base import Connection, LockHandle
from toolkit.backends.session import Database
from toolkit.migrations import files, runner
from toolkit.migrations.engine import Direction, Engine, EngineSession, Outcome
from toolkit.settings import Settings


class AerichSession(EngineSession):
    def __init__(self, step: runner.Step) -> None:
        self.step = step

    async def run(self, name: str, direction: Direction) -> Outcome:
        return await runner.run(self.step, name, direction)

    async def record_only(self, name: str) -> None:
        await runner.record_only(self.step, name)


class AerichEngine(Engine):
    name = "aerich"
    version_table = "aerich"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def files(self, *, required: bool = True) -> list[str]:
        return files.migration_files(self.settings, required=required)

    async def applied(self, conn: Connection) -> list[str]:
        if not await conn.table_exists(self.version_table):
            return []
        rows = await conn.fetch("SELECT version FROM aerich WHERE app = ? ORDER BY id", self.settings.app)
        return [r[0] for r in rows]

    async def applied_state(self, conn: Connection) -> dict[str, Any] | None:
        states = await self.recorded_states(conn)
        return states[-1] if states else None

    async def recorded_states(self, conn: Connection) -> list[dict[str, Any]]:
        if not await conn.table_exists(self.version_table):
            return []
        rows = await conn.fetch("SELECT content FROM aerich WHERE app = ? ORDER BY id", self.settings.app)
        return [dict(json.loads(r[0]) if isinstance(r[0], (str, bytes)) else r[0]) for r in rows]

    @asynccontextmanager
    async def session(
        self, db: Database, lock: LockHandle, *, lock_wait: float = 0.0
    ) -> AsyncIterator[EngineSession]:
        from toolkit.db import tortoise_config

        conn = await db.connection()
        async with _aerich_command(self.settings):
            alias = next(iter(tortoise_config(self.settings)["connections"]))
            yield AerichSession(runner.Step(self.settings, db.backend, alias, lock, conn, lock_wait))

    async def script(self, name: str, direction: Direction, dialect: str) -> str:
        # The files only ask the client for its dialect; one that never connects is enough.
        module = files.load(self.settings.app_migrations_dir / name)
        return await runner.script_of(module, name, direction, offline_client(dialect))


@asynccontextmanager
async def _aerich_command(settings: Settings) -> AsyncIterator[Any]:
    """Aerich's `Command`, entered: Tortoise initialised for the app, closed on the way out."""
    from aerich import Command

    from toolkit.db import initialised, tortoise_config

    command = Command(
        tortoise_config=tortoise_config(settings),
        app=settings.app,
        location=str(settings.migrations_dir),
    )
    async with initialised(settings, command.__aenter__(), command.aclose):
        yield command
