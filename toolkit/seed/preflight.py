"""Refusals before anything is written: a database or schema that isn't ready, a --truncate
that would empty more than was asked, a plan that shards can't share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from toolkit.backends.base import Backend, Connection
from toolkit.errors import NotMigrated, UsageError
from toolkit.seed.plan import PlannedTable, pair_columns
from toolkit.seed.table import Table
from toolkit.settings import Settings


async def require_database(settings: Settings, backend: Backend) -> None:
    """The database exists and its schema has every migration: else say to migrate."""
    if not await backend.ensure_reachable(timeout=5, create=False):
        raise NotMigrated(
            f"database {settings.masked_url} does not exist yet; run `toolkit migrate` first"
        )
    await _require_current_schema(settings, backend)


async def _require_current_schema(settings: Settings, backend: Backend) -> None:
    """Seeding a schema that is behind the models fails on some column; say why instead."""
    from toolkit.backends.session import Database
    from toolkit.migrations.files import migration_files
    from toolkit.migrations.history import applied_migrations

    if not settings.app_migrations_dir.is_dir():
        return  # a schema made some other way: the table checks below still apply
    db = Database(settings, backend)
    try:
        done = set(await applied_migrations(settings, db))
    finally:
        await db.close()
    pending = [f for f in migration_files(settings) if f not in done]
    if pending:
        raise NotMigrated(
            f"{len(pending)} migration(s) pending on {settings.masked_url} "
            f"({pending[0].removesuffix('.py')}"
            f"{', ...' if len(pending) > 1 else ''}); run `toolkit migrate` first"
        )


async def require_tables(conn: Connection, tables: Mapping[str, Table], settings: Settings) -> None:
    for t in tables.values():
        if not await conn.table_exists(t.name):
            raise NotMigrated(
                f"table {t.name!r} does not exist in {settings.masked_url}; "
                "run `toolkit migrate` first"
            )


def refuse_other_app_models(
    names: Iterable[str], other: Mapping[str, Sequence[str]], settings: Settings
) -> None:
    """A model named to seed that Tortoise left out of the app, as its Meta.app names another
    one: say so, rather than call it unknown."""
    for name in names:
        app = next((a for a, models in other.items() if name in models), None)
        if app is not None:
            raise UsageError(
                f'{name} belongs to app "{app}" (its Meta.app), and toolkit seeds app '
                f'"{settings.app}" alone; set [toolkit] app = "{app}" in '
                f"{settings.config_path} to seed that app, or drop {name}'s Meta.app"
            )


async def refuse_hidden_truncation(
    conn: Connection, backend: Backend, tables: Mapping[str, Table], emptied: set[str]
) -> None:
    """--truncate must not empty tables nobody asked for: rows that point at the emptied
    tables would go too (PostgreSQL's TRUNCATE ... CASCADE, SQLite's ON DELETE CASCADE)."""
    for model, t in tables.items():
        if t.name in emptied or not any(
            c.references is not None and c.references[0] in emptied and c.references[0] != t.name
            for c in t.columns
        ):
            continue
        if await conn.fetch(f"SELECT 1 FROM {backend.quote(t.name)} LIMIT 1"):
            raise UsageError(
                f"--truncate would also empty {t.name}, whose rows point at the tables being "
                f"emptied; add --model {model.split('.')[0]} (or --all), or empty it first"
            )
    # Tables no model describes (another app's, a hand-made one): their rows would go too
    # (TRUNCATE ... CASCADE, ON DELETE CASCADE), or stop the run half-way (RESTRICT).
    described = {t.name for t in tables.values()}
    for name in sorted(emptied):
        for other in await backend.referencing_tables(conn, name):
            if other in emptied or other in described:
                continue
            if await conn.fetch(f"SELECT 1 FROM {backend.quote(other)} LIMIT 1"):
                raise UsageError(
                    f"--truncate would also empty {other} (no model describes it), whose rows "
                    f"point at {name}; empty {other} first, or seed without --truncate"
                )


def _has_keyed_columns(p: PlannedTable) -> bool:
    """Columns handed out once (one-to-one, pairs) or filled later: shards can't agree on them."""
    return bool(p.deferred) or pair_columns(p.table) is not None or any(
        c.one_to_one or c.unique for c in p.table.foreign_keys
    )


def refuse_shards(plan: Sequence[PlannedTable]) -> None:
    for p in plan:
        if p.auto and not p.table.link_of:
            raise UsageError(
                f"--shard can't seed {p.model} on the fly ({'; '.join(p.reasons)}); "
                f"seed {p.model} first, then start the shards"
            )
        if _has_keyed_columns(p):
            raise UsageError(
                f"--shard can't seed {p.model}: its one-to-one, link or self-referencing "
                "columns need one process to hand them out; seed it without --shard"
            )


async def connections_free(conn: Connection, backend: Backend) -> int | None:
    """How many more connections the server accepts now (None: no such limit)."""
    if backend.dialect == "postgres":
        rows = await conn.fetch(
            "SELECT current_setting('max_connections')::int "
            "- current_setting('superuser_reserved_connections')::int "
            "- (SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return int(rows[0][0])
    if backend.dialect == "mysql":
        rows = await conn.fetch(
            "SELECT @@max_connections - (SELECT COUNT(*) FROM information_schema.PROCESSLIST)"
        )
        return int(rows[0][0])
    return None


async def refuse_excess_concurrency(conn: Connection, backend: Backend, concurrency: int) -> None:
    """--concurrency N opens up to N connections (one is open already): refuse more than
    the server has left, before anything is written."""
    free = await connections_free(conn, backend)
    if free is not None and concurrency - 1 > free:
        raise UsageError(
            f"--concurrency {concurrency} needs {concurrency} connections, but the "
            f"{backend.dialect} server accepts only {free + 1} more now (max_connections); "
            f"use --concurrency {max(1, free + 1)} or less"
        )
