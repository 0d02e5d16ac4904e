"""Protection from destructive commands run in the wrong place.

Two signals, both checked before `seed`, `seed --truncate`, `reset`, `rollback` and
`bootstrap` write anything:
- the environment says `protected = true` in the config file;
- the database remembers the environment that first migrated it (in `toolkit_metadata`,
  written by `migrate`), and the command comes from another one: a dev config pointed at
  the staging URL.

Either one refuses without `--force`. The CLI may pass a `confirm` callback (it does when
stdin is a terminal) to ask instead of refusing.

A database migrated without naming an environment (no `--env`, no TOOLKIT_ENV) is recorded
as "unknown", not as the config's default: a staging server migrated by a bare `toolkit
migrate` must not become fair game for every dev config. An unknown environment on a
remote server is guarded; on this machine (SQLite, localhost) it is the everyday dev loop.
The first migrate that names an environment claims an unknown database.
"""

from __future__ import annotations

from collections.abc import Callable

from toolkit.backends import backend_for
from toolkit.backends.base import Backend
from toolkit.errors import ToolkitError, UsageError
from toolkit.settings import Settings

METADATA = "toolkit_metadata"
ENVIRONMENT_KEY = "environment"
UNKNOWN = "unknown"
# "key" is quoted: it is a reserved word in MySQL.
_DDL = f'CREATE TABLE IF NOT EXISTS {METADATA} ("key" VARCHAR(64) NOT NULL PRIMARY KEY, value TEXT NOT NULL)'


async def remember_environment(settings: Settings, backend: Backend | None = None) -> None:
    """Record the environment that migrates the database, unless one is recorded already."""
    backend = backend or backend_for(settings.database_url)
    named = _named(settings)
    conn = await backend.connect(1)
    try:
        async with conn.serialized() as tx:
            await tx.execute(_DDL)
            found = await tx.fetch(f'SELECT value FROM {METADATA} WHERE "key" = ?', ENVIRONMENT_KEY)
            if not found:
                await tx.execute(
                    f'INSERT INTO {METADATA} ("key", value) VALUES (?, ?)', ENVIRONMENT_KEY,
                    settings.env if named else UNKNOWN,
                )
            elif found[0][0] == UNKNOWN and named:
                await tx.execute(
                    f'UPDATE {METADATA} SET value = ? WHERE "key" = ?', settings.env, ENVIRONMENT_KEY
                )
    finally:
        await conn.close()


def _named(settings: Settings) -> bool:
    """Whether the command names its environment (a flag or TOOLKIT_ENV), not the default."""
    return settings.env_source != "config"


async def recorded_environment(settings: Settings) -> str | None:
    """The environment that first migrated the database; None for a new or older database."""
    backend = backend_for(settings.database_url)
    if not await backend.ensure_reachable(timeout=5, create=False):
        return None
    conn = await backend.connect(1)
    try:
        if not await conn.table_exists(METADATA):
            return None
        found = await conn.fetch(f'SELECT value FROM {METADATA} WHERE "key" = ?', ENVIRONMENT_KEY)
        return str(found[0][0]) if found else None
    finally:
        await conn.close()


async def risks(settings: Settings) -> list[str]:
    """Why a destructive command here needs --force; empty when it doesn't."""
    reasons = []
    if settings.protected:
        reasons.append(f"environment {settings.env!r} is protected")
    recorded = await recorded_environment(settings)
    if recorded == UNKNOWN:
        backend = backend_for(settings.database_url)
        if not backend.is_local:
            reasons.append(
                f"this database on {backend.where} was first migrated without naming an "
                "environment; run `toolkit --env NAME migrate` once to record whose it is"
            )
    elif recorded is not None and recorded != settings.env:
        reasons.append(
            f"this database was first migrated by environment {recorded!r}, not {settings.env!r}"
        )
    return reasons


async def guard(
    settings: Settings,
    action: str,
    *,
    force: bool,
    confirm: Callable[[str], bool] | None = None,
) -> None:
    """Raise `UsageError` unless `action` may run here (or `force`, or the user confirms)."""
    if force:
        return
    reasons = await risks(settings)
    if not reasons:
        return
    where = f"{settings.masked_url}: {'; '.join(reasons)}"
    if confirm is not None:
        if confirm(f"`toolkit {action}` on {where}. Run it anyway?"):
            return
        raise ToolkitError(f"`toolkit {action}` cancelled; nothing was changed")
    raise UsageError(f"refusing to run `toolkit {action}` on {where}; pass --force to run it anyway")
