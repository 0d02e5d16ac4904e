"""`makemigrations` for Tortoise's built-in migrations: Tortoise's own differ
(`OperationGenerator`, what its `MigrationAutodetector` runs) between the state the files
replay to and the models now, written by Tortoise's `MigrationWriter`. The file is one
`tortoise makemigrations` would write, numbered after the last file in the folder.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.errors import UsageError
from toolkit.migrations.files import migration_files
from toolkit.migrations.tortoise_plan import Plan, orm, other_apps, package_of
from toolkit.settings import Settings

if TYPE_CHECKING:
    from tortoise.migrations.operations import TortoiseOperation

_NAME = re.compile(r"^[A-Za-z0-9_]+$")


async def _operations(settings: Settings) -> tuple[list[str], list[TortoiseOperation]]:
    """The migration files, and the operations that take their state to the models."""
    from tortoise import Tortoise
    from tortoise.migrations.schema_generator.operation_generator import OperationGenerator
    from tortoise.migrations.schema_generator.state import ModelState, State
    from tortoise.migrations.schema_generator.state_apps import StateApps

    names = migration_files(settings, required=False)
    plan = Plan(settings, names, "toolkit_make", offline=True)
    old = await plan.before(names[-1]) if names else await plan.start()
    if names:
        await plan.migrations[names[-1]].apply(old, dry_run=True, schema_editor=None)
    async with orm(settings, connect=False):
        new = State(models={}, apps=StateApps())
        # Every app's models, so a foreign key into another one is one the differ can follow.
        for app, models in dict(Tortoise.apps.items()).items():
            if app in settings.tortoise_apps:
                for model in models.values():
                    new.models[(app, model.__name__)] = ModelState.make_from_model(app, model)
        return names, OperationGenerator(old, new).generate(app_labels=[settings.app])


def _dependencies(settings: Settings, names: list[str], operations: list[TortoiseOperation]) -> list[tuple[str, str]]:
    """The previous file of the app, and the last file of each other app its new
    operations point into (`"accounts.User"`), as Tortoise's autodetector depends on them."""
    found = [(settings.app, names[-1].removesuffix(".py"))] if names else []
    fields = [f for op in operations for _, f in getattr(op, "fields", [])]
    fields += [f for op in operations if (f := getattr(op, "field", None)) is not None]
    targets = {str(getattr(f, "model_name", "")).partition(".")[0] for f in fields}
    for other in other_apps(settings):
        files = migration_files(other, required=False)
        if files and other.app in targets:
            found.append((other.app, files[-1].removesuffix(".py")))
    return found


async def tortoise_model_changes(settings: Settings) -> list[str]:
    """What the models changed since the last migration file, one line per operation
    (`check`'s model changes); [] when the files hold every change."""
    # In a task of its own: Tortoise keeps its state in a context variable.
    _, operations = await asyncio.create_task(_operations(settings))
    return [op.describe() for op in operations]


async def make_tortoise_migration(settings: Settings, name: str | None = None) -> Path | None:
    """Write the next migration for the model changes; None when there are none."""
    from tortoise.migrations.writer import MigrationWriter, format_migration_name

    if name is not None and not _NAME.match(name):
        raise UsageError(f"--name {name!r} may hold only letters, digits and _")
    names, operations = await asyncio.create_task(_operations(settings))
    if not operations:
        return None
    number = int(names[-1].split("_", 1)[0]) + 1 if names else 1
    label = name or ("initial" if not names else f"auto_{datetime.now():%Y%m%d_%H%M}")
    stem = format_migration_name(number, label)
    app = settings.app
    writer = MigrationWriter(
        stem,
        app,
        operations,
        dependencies=_dependencies(settings, names, operations) or None,
        initial=True if not names else None,
        migrations_module=package_of(settings),
    )
    folder = settings.app_migrations_dir
    folder.mkdir(parents=True, exist_ok=True)
    # A package, as Tortoise's loader wants it (`tortoise migrate` imports it by name).
    (folder / "__init__.py").touch(exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(writer.as_string(), encoding="utf-8")
    return path
