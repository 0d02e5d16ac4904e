"""The seam between toolkit and a migration engine: what a command needs of one.

Aerich (`toolkit.migrations.aerich_engine`) is the engine today; a second one (Tortoise's
built-in migrations) is one more module implementing these two classes. The command layer
composes the lock, protection and hooks around them; an engine knows its files, its
version table and how to run one file, nothing about the CLI.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from typing import Any, Literal

from toolkit.backends.base import Connection, LockHandle
from toolkit.backends.session import Database

Direction = Literal["upgrade", "downgrade"]
Outcome = Literal["done", "skipped"]


class EngineSession(ABC):
    """The engine ready to run files: the ORM initialised, the lock held."""

    @abstractmethod
    async def run(self, name: str, direction: Direction) -> Outcome:
        """Apply or revert one file in its own transaction, with its record; "skipped" when
        another runner did it first. Raises `StepFailed` or `StepLockLost`."""

    @abstractmethod
    async def record_only(self, name: str) -> None:
        """Record `name` as applied without running it (`migrate --fake`)."""


class Engine(ABC):
    """One migration engine over one database."""

    name: str
    version_table: str

    @abstractmethod
    def files(self, *, required: bool = True) -> list[str]:
        """The migration file names, in the order they apply."""

    @abstractmethod
    async def applied(self, conn: Connection) -> list[str]:
        """Versions recorded as applied, oldest first; [] before the first migration."""

    @abstractmethod
    async def applied_state(self, conn: Connection) -> dict[str, Any] | None:
        """The models state the last applied migration recorded (for drift), or None."""

    @abstractmethod
    async def recorded_states(self, conn: Connection) -> list[dict[str, Any]]:
        """Every models state the database's version table holds (any branch that ran here)."""

    @abstractmethod
    def session(
        self, db: Database, lock: LockHandle, *, lock_wait: float = 0.0
    ) -> AbstractAsyncContextManager[EngineSession]:
        """The engine ready to run files on `db` while `lock` is held; a statement waits at
        most `lock_wait` seconds for a table lock (0: as long as it takes)."""

    @abstractmethod
    async def script(self, name: str, direction: Direction, dialect: str) -> str:
        """The SQL one file runs on `dialect`, without a database (`--dry-run`, `sql`)."""
