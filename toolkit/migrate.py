"""Kept for the callers not yet moved to `toolkit.commands.migrate` (the CLI, the seeder)."""

from __future__ import annotations

from toolkit.backends.base import Backend
from toolkit.backends.session import Database
from toolkit.commands.migrate import (
    DEFAULT_LOCK_TIMEOUT,
    DryRunReport,
    MigrateReport,
    PendingSql,
    RollbackReport,
    StatusReport,
    dry_run,
    fake,
    migrate,
    retry,
    rollback,
    status,
)
from toolkit.commands.migrate import applied_migrations as _applied
from toolkit.migrations.files import migration_files
from toolkit.settings import Settings


async def applied_migrations(settings: Settings, backend: Backend | None = None) -> list[str]:
    """Versions recorded as applied, oldest first; [] on a new database."""
    db = Database(settings, backend)
    try:
        return await _applied(settings, db)
    finally:
        await db.close()


__all__ = [
    "DEFAULT_LOCK_TIMEOUT", "DryRunReport", "MigrateReport", "PendingSql", "RollbackReport",
    "StatusReport", "applied_migrations", "dry_run", "fake", "migrate", "migration_files",
    "retry", "rollback", "status",
]
