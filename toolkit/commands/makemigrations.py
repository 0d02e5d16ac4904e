"""`makemigrations`: the next migration file for the models' changes, written by the
project's engine (Aerich's differ for every dialect, or Tortoise's autodetector)."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import UsageError
from toolkit.makemigrations import MakeMigrationsReport
from toolkit.makemigrations import makemigrations as aerich_makemigrations
from toolkit.migrations.history import engine_for
from toolkit.migrations.questioner import Questioner
from toolkit.migrations.safe_sql import safe_steps
from toolkit.migrations.writer import write_safe_steps
from toolkit.settings import Settings


async def makemigrations(
    settings: Settings, name: str | None = None, *, safe: bool = False, questioner: Questioner | None = None
) -> tuple[MakeMigrationsReport, list[Path]]:
    """Write the next migration for model changes; `path` is None when nothing changed.
    With `safe`, its PostgreSQL statements take the forms that don't lock a busy table, in
    the migrations written after it (the paths returned): docs/lint.md. `questioner`
    decides which dropped-and-added fields are renames (default: none)."""
    if safe and engine_for(settings).name == "tortoise":
        raise UsageError(
            "--safe rewrites the PostgreSQL SQL of Aerich migrations; Tortoise's migrations hold "
            "operations, not SQL: leave out --safe (and [toolkit] safe_migrations)"
        )
    report = await _write(settings, name, questioner or Questioner())
    if not safe or report.path is None or "postgres" not in report.upgrade:
        return report, []
    steps = safe_steps(report.upgrade["postgres"], report.downgrade.get("postgres", []))
    if not steps.rewritten:
        return report, []
    return report, write_safe_steps(settings, report.path, steps, sorted(report.upgrade))


async def _write(settings: Settings, name: str | None, questioner: Questioner) -> MakeMigrationsReport:
    if engine_for(settings).name == "tortoise":
        from toolkit.migrations.tortoise_make import make_tortoise_migration, tortoise_model_changes

        if questioner.renames:
            raise UsageError(
                "--rename answers the rename questions of Aerich's differ; Tortoise's autodetector "
                "doesn't ask them: leave out --rename (edit the written operations instead)"
            )
        operations = await tortoise_model_changes(settings)
        path = await make_tortoise_migration(settings, name)
        return MakeMigrationsReport(path=path, upgrade={}, downgrade={}, operations=operations if path else [])
    return await aerich_makemigrations(settings, name, questioner)


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
