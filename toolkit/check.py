"""`toolkit check`: are the models, the migration files and the database in sync? For CI."""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.makemigrations import diff
from toolkit.migrate import status
from toolkit.settings import Settings


@dataclass(frozen=True)
class CheckReport:
    env: str
    url: str
    dialect: str
    model_changes: list[str]  # SQL (target dialect) that no migration file holds yet
    pending: list[str]  # migration files not applied to the database
    database_checked: bool

    @property
    def in_sync(self) -> bool:
        return not self.model_changes and not self.pending


async def check(settings: Settings, *, database: bool = True) -> CheckReport:
    """Compare the models with the last migration, and the migrations with the database.

    Writes nothing. With `database=False` only the first comparison is made, no connection.
    """
    _, _, report = await diff(settings)
    changes = report.upgrade.get(settings.dialect) or next(
        (ops for ops in report.upgrade.values() if ops), []
    )
    pending: list[str] = []
    if database:
        pending = [p.removesuffix(".py") for p in (await status(settings)).pending]
    return CheckReport(
        env=settings.env,
        url=settings.masked_url,
        dialect=settings.dialect,
        model_changes=[op.strip() for op in changes],
        pending=pending,
        database_checked=database,
    )
