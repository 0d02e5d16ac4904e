"""Tortoise's built-in migrations read without a database: the files as `Migration` objects,
the models state before each one (replayed from the files, as Tortoise's executor does),
the SQL a file runs on a dialect (Tortoise's `sqlmigrate`), the state as Aerich-describe
dicts (for drift and reset), and the ORM session the engine runs them in.

Files are imported by path, never through `importlib.import_module(package)` as Tortoise's
loader does: one process (a test run, the pytest plugin) may hold several projects whose
packages share a name, and `sys.modules` would hand one project another one's migration.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from toolkit.errors import MigrationFailed
from toolkit.migrations.files import display, load
from toolkit.settings import Settings

if TYPE_CHECKING:
    from tortoise.backends.base.client import BaseDBAsyncClient
    from tortoise.connection import ConnectionHandler
    from tortoise.migrations.migration import Migration
    from tortoise.migrations.schema_editor.base import BaseSchemaEditor
    from tortoise.migrations.schema_generator.state import State

TABLE = "tortoise_migrations"  # Tortoise's `MigrationRecorder` table
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def package_of(settings: Settings) -> str | None:
    """The migrations package as Tortoise's config names it (`app.migrations`), or None when
    the folder is not importable from the project root by a dotted name."""
    if settings.migrations_package is not None:
        return settings.migrations_package
    try:
        parts = settings.app_migrations_dir.relative_to(settings.project_root).parts
    except ValueError:
        return None
    return ".".join(parts) if parts and all(_IDENTIFIER.match(p) for p in parts) else None


def tortoise_config(settings: Settings) -> dict[str, Any]:
    """The project's Tortoise config as Tortoise's own CLI reads it: the app's models (without
    Aerich's) and its migrations package."""
    from toolkit.db import AERICH_MODELS
    from toolkit.db import tortoise_config as base

    config = base(settings)
    for each in config["apps"].values():
        each["models"] = [m for m in each["models"] if m != AERICH_MODELS]
    app = config["apps"][settings.app]
    package = package_of(settings)
    if package is not None:
        app["migrations"] = package
    return config


@asynccontextmanager
async def orm(settings: Settings, *, connect: bool = True) -> AsyncIterator[str]:
    """Tortoise initialised for the app (connections closed on the way out); yields the
    connection name. `connect=False`: the models only, no database client."""
    from tortoise import Tortoise

    from toolkit.db import initialised

    config = tortoise_config(settings)
    config["apps"][settings.app].pop("migrations", None)  # files are loaded by path, not by Tortoise
    start = Tortoise.init(config=config, init_connections=connect)
    async with initialised(settings, start, Tortoise.close_connections):
        yield next(iter(config["connections"]))


def other_apps(settings: Settings) -> list[Settings]:
    """The settings of each other app of [toolkit.apps] (its own migrations folder)."""
    from dataclasses import replace

    return [replace(settings, app=app, models=models) for app, models in settings.apps.items() if app != settings.app]


def load_migration(settings: Settings, name: str) -> Migration:
    """The file's `Migration`, named as Tortoise names it (the file name without .py)."""
    from tortoise.migrations.migration import Migration

    module = load(settings.app_migrations_dir / name)
    cls = getattr(module, "Migration", None)
    if not (isinstance(cls, type) and issubclass(cls, Migration)):
        raise MigrationFailed(
            f"{display(settings, name)} has no `class Migration(migrations.Migration)`; "
            "it is not a Tortoise migration (set [toolkit] engine if it is an Aerich one)"
        )
    return cls(name.removesuffix(".py"), settings.app)


class Plan:
    """The app's migrations in file order and the models state before each of them."""

    def __init__(self, settings: Settings, names: list[str], alias: str, *, offline: bool) -> None:
        self.settings = settings
        self.names = names
        self.alias = alias
        self.offline = offline
        self.migrations = {name: load_migration(settings, name) for name in names}
        self._before: dict[str, State] = {}
        self._check_dependencies()

    def _check_dependencies(self) -> None:
        earlier: set[str] = set()
        for name in self.names:
            migration = self.migrations[name]
            for app, parent in migration.dependencies:
                if app == self.settings.app and parent != "__first__" and parent not in earlier:
                    raise MigrationFailed(
                        f"{display(self.settings, name)} depends on {parent}, which is not a "
                        "migration file before it; renumber the files in dependency order"
                    )
            earlier.add(migration.name)

    def empty(self) -> State:
        from tortoise.connection import ConnectionHandler
        from tortoise.migrations.schema_generator.state import State
        from tortoise.migrations.schema_generator.state_apps import StateApps

        # Offline, a handler of its own: the models' querysets are never built.
        connections: ConnectionHandler | None = ConnectionHandler() if self.offline else None
        apps = StateApps(
            default_connections={app: self.alias for app in self.settings.tortoise_apps}, connections=connections
        )
        return State(models={}, apps=apps)

    async def start(self) -> State:
        """The state this app's first migration starts from: the migrations of other apps
        that its files depend on (`("accounts", "0002_...")`), and theirs, applied."""
        state = self.empty()
        await self._apply_dependencies(state, list(self.migrations.values()), set())
        return state

    async def _apply_dependencies(self, state: State, migrations: list[Migration], done: set[tuple[str, str]]) -> None:
        from toolkit.migrations.files import migration_files, position_after

        others = {o.app: o for o in other_apps(self.settings)}
        for migration in migrations:
            for app, parent in migration.dependencies:
                if app == migration.app_label or (app, parent) in done or parent == "__first__":
                    continue
                if app not in others:
                    raise MigrationFailed(
                        f"migration {migration.name} of {migration.app_label} depends on {app}.{parent}, "
                        f"and {app} is not an app of [toolkit.apps] in {self.settings.config_path}"
                    )
                files = migration_files(others[app], required=False)
                upto = files[: position_after(parent, files, what=f"a migration of {app}", listed="files")]
                for name in upto:
                    if (app, name.removesuffix(".py")) not in done:
                        needed = load_migration(others[app], name)
                        await self._apply_dependencies(state, [needed], done)
                        await needed.apply(state, dry_run=True, schema_editor=None)
                        done.add((app, name.removesuffix(".py")))

    async def before(self, name: str) -> State:
        """A fresh copy of the models state just before `name` runs."""
        if not self._before:
            state = await self.start()
            for each in self.names:
                self._before[each] = state.clone()
                await self.migrations[each].apply(state, dry_run=True, schema_editor=None)
        return self._before[name].clone()

    async def described_after_each(self) -> list[dict[str, Any]]:
        """The models state after each migration, in order, as Aerich describes it."""
        states = []
        state = await self.start()
        for name in self.names:
            await self.migrations[name].apply(state, dry_run=True, schema_editor=None)
            states.append(describe(state, self.settings.app))
        return states


def describe(state: State, app: str) -> dict[str, Any]:
    """The app's models in the state as Aerich's `get_models_describe` writes them, the
    version table included (as Aerich's states include `aerich`)."""
    from tortoise.migrations.recorder import MigrationRecorder

    described: dict[str, Any] = {}
    for label, models in state.apps.apps.items():
        if label != app:
            continue
        for model in models.values():
            found = model.describe(serializable=True)
            described[str(found["name"])] = found
    recorder = MigrationRecorder(None).model.describe(serializable=True)
    described[TABLE] = recorder
    return described


def refuse_irreversible(settings: Settings, migration: Migration, name: str) -> None:
    stuck = [op for op in migration.operations if not getattr(op, "reversible", True)]
    if stuck:
        raise MigrationFailed(
            f"{display(settings, name)} cannot be rolled back: its operation "
            f"'{stuck[0].describe()}' has no reverse (give RunPython a reverse_code, RunSQL a "
            "reverse_sql)"
        )


def refuse_transaction_control(settings: Settings, migration: Migration, name: str, dialect: str) -> None:
    """A RunSQL that commits or begins by itself would end the transaction toolkit opens for
    the migration, and its record would no longer commit with it."""
    from tortoise.migrations.operations import RunSQL

    from toolkit.migrations.statements import split, transaction_control

    for op in migration.operations:
        if not isinstance(op, RunSQL):
            continue
        for sql in (op.sql, op.reverse_sql):
            scripts = sql if isinstance(sql, (list, tuple)) else [sql]
            texts = [s[0] if isinstance(s, (list, tuple)) else s for s in scripts]
            control = transaction_control([st for t in texts if t for st in split(str(t), dialect)])
            if control is not None:
                raise MigrationFailed(
                    f"{display(settings, name)} runs `{control}` itself, inside the transaction "
                    "toolkit opens for it; nothing of it was kept. Set `atomic = False` on its "
                    "Migration to run it as written, outside a transaction"
                )


def editor_for(client: BaseDBAsyncClient, *, atomic: bool = True, collect: bool = False) -> BaseSchemaEditor:
    """Tortoise's schema editor for the client's database, as its executor picks one."""
    from tortoise.migrations import schema_editor as editors

    dialect = client.capabilities.dialect
    if dialect == "postgres":
        psycopg = "psycopg" in type(client).__module__
        cls: type[BaseSchemaEditor] = editors.PsycopgSchemaEditor if psycopg else editors.AsyncpgSchemaEditor
    else:
        cls = {"sqlite": editors.SqliteSchemaEditor, "mysql": editors.MySQLSchemaEditor}.get(
            dialect, editors.BaseSchemaEditor
        )
    return cls(client, atomic=atomic, collect_sql=collect)


async def script(settings: Settings, names: list[str], name: str, direction: str, dialect: str) -> str:
    """The SQL `name` runs on `dialect`, collected by Tortoise's schema editor over a client
    that never connects (Tortoise's `sqlmigrate`); what can't be SQL (RunPython) says so."""
    from toolkit.backends import offline_client

    plan = Plan(settings, names[: names.index(name) + 1], f"toolkit_{dialect}", offline=True)
    migration = plan.migrations[name]
    editor = editor_for(offline_client(dialect), atomic=False, collect=True)
    state = await plan.before(name)
    if direction == "upgrade":
        await migration.apply(state, schema_editor=editor, collect_sql=True)
    else:
        refuse_irreversible(settings, migration, name)
        await migration.unapply(state, schema_editor=editor, collect_sql=True)
    lines = editor.collected_sql
    return "\n".join(s if s.startswith("--") or s.rstrip().endswith(";") else f"{s};" for s in lines)
