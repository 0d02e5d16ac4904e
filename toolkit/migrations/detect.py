"""Which migration engine a project uses: `[toolkit] engine` when set, else what the project
shows, and never a guess when what it shows disagrees.

Tortoise's built-in migrations: `[toolkit] migrations` naming a package (`app.migrations`,
as Tortoise's app config does), `NNNN_*.py` files with `class Migration`, rows of the app in
a `tortoise_migrations` table. Aerich: `aerich.models` among the models, `N_<timestamp>_*.py`
files with `MODELS_STATE`, rows of the app in an `aerich` table. A new project (no files,
no records) gets Aerich, the engine toolkit has always used.

The files and the config are read when the engine is chosen; the database's tables the
first time a command hands the engine a connection (`applied`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.backends.base import Connection, LockHandle
from toolkit.backends.session import Database
from toolkit.errors import ToolkitError
from toolkit.migrations.engine import Direction, Engine, EngineSession
from toolkit.migrations.files import display
from toolkit.migrations.tortoise_plan import TABLE as TORTOISE_TABLE
from toolkit.settings import ENGINES, Settings

DEFAULT = "aerich"
_TORTOISE_FILE = re.compile(r"^\d{4}_\w*\.py$")
_AERICH_FILE = re.compile(r"^\d+_\d{14}_\w*\.py$")
_CLASS_MIGRATION = re.compile(r"^class Migration\(", re.MULTILINE)
_LABEL = {"aerich": "Aerich", "tortoise": "Tortoise's built-in migrations"}


@dataclass(frozen=True)
class Signal:
    engine: str  # "aerich" or "tortoise"
    what: str  # what showed it, for the message


def _file_kind(path: Path) -> str | None:
    name = path.name
    if not (_TORTOISE_FILE.match(name) or _AERICH_FILE.match(name)):
        return None
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if _TORTOISE_FILE.match(name) and _CLASS_MIGRATION.search(text):
        return "tortoise"
    if _AERICH_FILE.match(name) and ("MODELS_STATE" in text or "async def upgrade" in text):
        return "aerich"
    return None


def disk_signals(settings: Settings) -> list[Signal]:
    """What the config and the migration files say (one signal per kind of file)."""
    found: list[Signal] = []
    if settings.migrations_package is not None:
        found.append(Signal("tortoise", f'[toolkit] migrations names the package "{settings.migrations_package}"'))
    if "aerich.models" in settings.models:
        found.append(Signal("aerich", "[toolkit] models lists aerich.models"))
    folder = settings.app_migrations_dir
    if folder.is_dir():
        seen: set[str] = set()
        for path in sorted(folder.glob("*.py")):
            kind = _file_kind(path)
            if kind is not None and kind not in seen:
                seen.add(kind)
                shape = "has `class Migration`" if kind == "tortoise" else "has MODELS_STATE"
                found.append(Signal(kind, f"{display(settings, path.name)} {shape}"))
    return found


async def database_signals(settings: Settings, conn: Connection) -> list[Signal]:
    """Which engines' version tables hold rows of the app."""
    found: list[Signal] = []
    for table, engine in ((TORTOISE_TABLE, "tortoise"), ("aerich", "aerich")):
        if not await conn.table_exists(table):
            continue
        if await conn.fetch(f"SELECT 1 FROM {table} WHERE app = ? LIMIT 1", settings.app):
            found.append(Signal(engine, f'the database records migrations of "{settings.app}" in table "{table}"'))
    return found


def decide(settings: Settings, signals: list[Signal]) -> str:
    """The engine: the configured one, else the one every signal names, else the default."""
    if settings.engine is not None:
        return settings.engine
    kinds = {s.engine for s in signals}
    if len(kinds) > 1:
        said = "; ".join(
            f"{', '.join(s.what for s in signals if s.engine == kind)} (so {_LABEL[kind]})"
            for kind in ENGINES if kind in kinds
        )
        raise ToolkitError(
            f"cannot tell which migration engine this project uses: {said}; set "
            f'[toolkit] engine = "aerich" or "tortoise" in {settings.config_path}'
        )
    return kinds.pop() if kinds else DEFAULT


def build(engine: str, settings: Settings) -> Engine:
    if engine == "tortoise":
        from toolkit.migrations.tortoise_engine import TortoiseEngine

        return TortoiseEngine(settings)
    from toolkit.migrations.aerich_engine import AerichEngine

    return AerichEngine(settings)


def engine_for(settings: Settings) -> Engine:
    """The project's migration engine: the configured one, or the detected one."""
    if settings.engine is not None:
        return build(settings.engine, settings)
    return DetectedEngine(settings)


class DetectedEngine(Engine):
    """The engine the config and the files point to, checked against the database's version
    tables the first time a connection is at hand (with no files, those tables decide)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._disk = disk_signals(settings)
        self._engine = build(decide(settings, self._disk), settings)
        self._checked = False
        self.name, self.version_table = self._engine.name, self._engine.version_table

    async def _check(self, conn: Connection) -> Engine:
        if not self._checked:
            signals = [*self._disk, *await database_signals(self.settings, conn)]
            chosen = decide(self.settings, signals)
            if chosen != self._engine.name:  # only without files: both list the same folder
                self._engine = build(chosen, self.settings)
                self.name, self.version_table = self._engine.name, self._engine.version_table
            self._checked = True
        return self._engine

    def files(self, *, required: bool = True) -> list[str]:
        return self._engine.files(required=required)

    async def applied(self, conn: Connection) -> list[str]:
        return await (await self._check(conn)).applied(conn)

    async def applied_state(self, conn: Connection) -> dict[str, Any] | None:
        return await (await self._check(conn)).applied_state(conn)

    async def recorded_states(self, conn: Connection) -> list[dict[str, Any]]:
        return await (await self._check(conn)).recorded_states(conn)

    @asynccontextmanager
    async def session(
        self, db: Database, lock: LockHandle, *, lock_wait: float = 0.0
    ) -> AsyncIterator[EngineSession]:
        engine = await self._check(await db.connection())
        async with engine.session(db, lock, lock_wait=lock_wait) as session:
            yield session

    async def script(self, name: str, direction: Direction, dialect: str) -> str:
        return await self._engine.script(name, direction, dialect)
