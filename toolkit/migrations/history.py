"""Which migrations a database has applied, asked of the project's engine: what `status`,
`seed`'s "schema is current" check and the pytest plugin read, and which engine that is."""

from __future__ import annotations

from toolkit.backends.session import Database, open_database
from toolkit.migrations.detect import engine_for
from toolkit.settings import Settings


async def applied_migrations(settings: Settings, db: Database | None = None) -> list[str]:
    """Versions recorded as applied, oldest first; [] on a new database."""
    if db is None:
        async with open_database(settings) as own:
            return await applied_migrations(settings, own)
    if not await db.exists():
        return []
    return await engine_for(settings).applied(await db.connection())


async def engine_name(settings: Settings) -> str:
    """The engine the project's database is migrated by ("aerich" or "tortoise"): the
    configured or detected one, settled against the database's version tables."""
    engine = engine_for(settings)
    async with open_database(settings) as db:
        if await db.exists():
            await engine.applied(await db.connection())
    return engine.name


__all__ = ["applied_migrations", "engine_for", "engine_name"]
