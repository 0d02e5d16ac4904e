"""`toolkit check`: are the models, the migration files and the database in sync? For CI."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.backends.session import open_database
from toolkit.commands.makemigrations import model_changes
from toolkit.commands.migrate import status
from toolkit.migrations import drift
from toolkit.migrations.history import engine_for
from toolkit.settings import Settings


@dataclass(frozen=True)
class CheckReport:
    env: str
    url: str
    dialect: str
    model_changes: list[str]  # SQL (target dialect), or operations, no migration file holds yet
    pending: list[str]  # migration files not applied to the database
    database_checked: bool

    edited: list[str] = field(default_factory=list)  # applied files changed since they ran
    drift: list[str] = field(default_factory=list)  # the database against its applied migrations

    @property
    def in_sync(self) -> bool:
        return not self.model_changes and not self.pending and not self.edited and not self.drift


async def check(settings: Settings, *, database: bool = True) -> CheckReport:
    """Compare the models with the last migration, and the migrations with the database.

    Writes nothing. With `database=False` only the first comparison is made, no connection.
    """
    changes = await model_changes(settings)
    pending: list[str] = []
    edited: list[str] = []
    found: list[str] = []
    if database:
        current = await status(settings)
        pending = [p.removesuffix(".py") for p in current.pending]
        edited = [*current.edited, *(new for _, new in current.renamed)]
        found = await _drift(settings) if current.applied else []
    return CheckReport(
        env=settings.env,
        url=settings.masked_url,
        dialect=settings.dialect,
        model_changes=changes,
        pending=pending,
        database_checked=database,
        edited=edited,
        drift=found,
    )


async def _drift(settings: Settings) -> list[str]:
    async with open_database(settings) as db:
        conn = await db.connection()
        state = await engine_for(settings).applied_state(conn)
        return await drift.find(db.backend, conn, state) if state else []
