"""`makemigrations`: the next migration file for the models' changes, written by the
project's engine (Aerich's differ for every dialect, or Tortoise's autodetector)."""

from __future__ import annotations

from toolkit.makemigrations import MakeMigrationsReport
from toolkit.makemigrations import makemigrations as aerich_makemigrations
from toolkit.migrations.history import engine_for
from toolkit.settings import Settings


async def makemigrations(settings: Settings, name: str | None = None) -> MakeMigrationsReport:
    """Write the next migration for model changes; `path` is None when nothing changed."""
    if engine_for(settings).name == "tortoise":
        from toolkit.migrations.tortoise_make import make_tortoise_migration

        path = await make_tortoise_migration(settings, name)
        return MakeMigrationsReport(path=path, upgrade={}, downgrade={})
    return await aerich_makemigrations(settings, name)


async def model_changes(settings: Settings) -> list[str]:
    """What the models changed since the last migration file ([] when in step): the SQL
    Aerich would write for this dialect, or Tortoise's operations in words."""
    if engine_for(settings).name == "tortoise":
        from toolkit.migrations.tortoise_make import tortoise_model_changes

        return await tortoise_model_changes(settings)
    from toolkit.makemigrations import diff

    _, _, report = await diff(settings)
    changes = report.upgrade.get(settings.dialect) or next((ops for ops in report.upgrade.values() if ops), [])
    return [op.strip() for op in changes]
