"""`bootstrap` (migrate, then seed the profile once) and `reset` (drop, migrate, seed).

`bootstrap` is the one command for a new dev or staging database and is safe to repeat:
a database that holds rows in the profile's tables is not seeded again, and a seed that
was interrupted is finished (from the ledger) instead of started over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.backends import backend_for
from toolkit.backends.base import Connection
from toolkit.commands.migrate import DEFAULT_LOCK_TIMEOUT, MigrateReport, migrate
from toolkit.migrations import checksums, drift
from toolkit.migrations.files import migration_files, models_states
from toolkit.migrations.history import engine_for
from toolkit.migrations.tortoise_plan import TABLE as TORTOISE_TABLE
from toolkit.protect import METADATA, guard
from toolkit.seed import ledger
from toolkit.seed.definitions import load_profiles
from toolkit.seed.run import Progress, SeedReport, SeedRequest, all_tables, seed
from toolkit.settings import Settings

# The version tables every app of a project shares, one row per app and migration.
SHARED = ("aerich", TORTOISE_TABLE, checksums.TABLE)


@dataclass(frozen=True)
class BootstrapReport:
    migrated: MigrateReport
    seeded: SeedReport | None = None
    skipped: str | None = None  # why nothing was seeded
    dropped: tuple[str, ...] = ()  # reset only: the tables dropped first


def _noop(_: object) -> None:
    pass


async def _profile_tables(settings: Settings) -> tuple[dict[str, int] | None, dict[str, str]]:
    from toolkit.db import app_models, orm

    async with orm(settings, url="sqlite://:memory:"):
        tables = all_tables(app_models(settings))
    return load_profiles(settings.seeds_dir).get(settings.env), {m: t.name for m, t in tables.items()}


async def _seed_state(settings: Settings, tables: list[str]) -> tuple[bool, dict[str, int]]:
    """(an unfinished seed run exists, rows per non-empty table) for these tables."""
    backend = backend_for(settings.database_url)
    conn = await backend.connect(1)
    try:
        unfinished = bool(await ledger.unfinished_runs(conn, tables))
        rows = {}
        for table in tables:
            found = await conn.fetch(f"SELECT COUNT(*) FROM {backend.quote(table)}")
            if int(found[0][0]):
                rows[table] = int(found[0][0])
        return unfinished, rows
    finally:
        await conn.close()


async def _seed_profile(
    settings: Settings,
    migrated: MigrateReport,
    *,
    seed_value: int | None,
    locale: str,
    force: bool,
    confirm: Callable[[str], bool] | None,
    progress: Callable[[Progress], None],
    lock_timeout: float | None = None,
) -> BootstrapReport:
    profile, table_of = await _profile_tables(settings)
    if not profile:
        await _load_fixtures(settings)
        return BootstrapReport(
            migrated, skipped=f"no [{settings.env}] profile in seeds/profiles.toml, nothing to seed"
        )
    tables = [table_of[m] for m in profile if m in table_of]
    unfinished, rows = await _seed_state(settings, tables)
    if unfinished:
        await guard(settings, "bootstrap", force=force, confirm=confirm)
        request = SeedRequest(
            counts=dict.fromkeys(profile), resume=True, locale=locale, force=True, lock_timeout=lock_timeout
        )
        return BootstrapReport(migrated, seeded=await seed(settings, request, progress))
    if rows:
        await _load_fixtures(settings)  # reference data is kept current, fake rows are not redone
        held = ", ".join(f"{t}: {n} rows" for t, n in rows.items())
        return BootstrapReport(migrated, skipped=f"the database already holds data ({held}); not seeding again")
    await guard(settings, "bootstrap", force=force, confirm=confirm)
    request = SeedRequest(seed=seed_value, locale=locale, force=True, lock_timeout=lock_timeout)  # guarded above
    return BootstrapReport(migrated, seeded=await seed(settings, request, progress))


async def _load_fixtures(settings: Settings) -> None:
    from toolkit.seed.fixtures import fixture_files, load_fixtures

    if fixture_files(settings):
        # In a task of its own: Tortoise keeps its state in a context variable.
        await asyncio.create_task(load_fixtures(settings))


async def _forget_app(settings: Settings, conn: Connection) -> None:
    """This app's rows of the version tables its apps share, and the seed ledger's entries of
    the tables just dropped."""
    for table in SHARED:
        if await conn.table_exists(table):
            await conn.execute(f"DELETE FROM {table} WHERE app = ?", settings.app)
    await ledger.forget_dropped_tables(conn)


async def bootstrap(
    settings: Settings,
    *,
    seed_value: int | None = None,
    locale: str = "en_US",
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    progress: Callable[[str], None] = _noop,
    seed_progress: Callable[[Progress], None] = _noop,
) -> BootstrapReport:
    """Migrate, then seed the environment's profile unless the database holds data already."""
    migrated = await migrate(settings, lock_timeout=lock_timeout, progress=progress)
    return await _seed_profile(
        settings, migrated, seed_value=seed_value, locale=locale, force=force,
        confirm=confirm, progress=seed_progress, lock_timeout=lock_timeout,
    )


async def reset(
    settings: Settings,
    *,
    seed_value: int | None = None,
    locale: str = "en_US",
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Callable[[str], None] = _noop,
    seed_progress: Callable[[Progress], None] = _noop,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> BootstrapReport:
    """Drop the app's tables (with Aerich's, the ledger and the metadata), migrate, seed.

    The app's tables are every table the current models, any migration file or any version
    the database recorded (another branch's included) declares: the result is a fresh database.

    Where protection applies, it refuses unless `force`, or `confirm` says yes.
    """
    await guard(settings, "reset", force=force, confirm=confirm)
    migration_files(settings)  # no migrations, no reset: fail before dropping anything
    # In a task of its own: Tortoise keeps its state in a context variable, and a state left
    # from loading the models would stand in the way of Aerich's own init below.
    _, table_of = await asyncio.create_task(_profile_tables(settings))
    backend = backend_for(settings.database_url)
    several = len(settings.tortoise_apps) > 1  # `toolkit --app NAME reset`: that app alone
    dropped: list[str] = []
    if await backend.ensure_reachable(timeout=5, create=False):
        conn = await backend.connect(1)
        try:
            # Every table any migration ever made, not only today's models: a removed
            # model's table would otherwise make the first migration fail on replay.
            states = [*models_states(settings), *await engine_for(settings).recorded_states(conn)]
            ever = [t for state in states for t in drift.expected(state)]
            names = [*table_of.values(), *ever]
            if several:  # the other apps' records stay in the tables they share
                names = [n for n in names if n not in SHARED]
            else:
                names += [*SHARED, *ledger.LEDGER_TABLES, METADATA]
            dropped = [n for n in dict.fromkeys(names) if await conn.table_exists(n)]
            progress(f"dropping {len(dropped)} table(s)")
            await backend.drop_tables(conn, dropped)
            if several:
                await _forget_app(settings, conn)
        finally:
            await conn.close()
    migrated = await migrate(settings, lock_timeout=lock_timeout, progress=progress)
    report = await _seed_profile(
        settings, migrated, seed_value=seed_value, locale=locale, force=True, confirm=None,
        progress=seed_progress, lock_timeout=lock_timeout,
    )
    return BootstrapReport(report.migrated, report.seeded, report.skipped, tuple(dropped))
