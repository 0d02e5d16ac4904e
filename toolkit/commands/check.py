"""`toolkit check`: are the models, the migration files and the database in sync? For CI."""

from __future__ import annotations

from dataclasses import dataclass, field

from toolkit.backends.session import open_database
from toolkit.commands.inspect import lint
from toolkit.commands.makemigrations import model_changes
from toolkit.commands.migrate import status
from toolkit.migrations import drift
from toolkit.migrations.history import engine_for
from toolkit.migrations.lint import Finding
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
    # Lint findings no marker accepts, in the pending migrations (every file without a
    # database): warnings, which fail `check` only when it is strict.
    lint: list[Finding] = field(default_factory=list)

    @property
    def in_sync(self) -> bool:
        return not self.model_changes and not self.pending and not self.edited and not self.drift


async def check(settings: Settings, *, database: bool = True) -> CheckReport:
    """Compare the models with the last migration, and the migrations with the database.

    Writes nothing. With `database=False` only the first comparison is made, no connection.
    The PostgreSQL lint runs whatever the database, as `lint` does: the files carry that SQL.
    """
    changes = await model_changes(settings)
    pending: list[str] = []
    pending_files: list[str] | None = None  # None: every file (no database to ask)
    edited: list[str] = []
    found: list[str] = []
    if database:
        current = await status(settings)
        pending = [p.removesuffix(".py") for p in current.pending]
        pending_files = current.pending
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
        lint=await _lint(settings, pending_files),
    )


async def _lint(settings: Settings, files: list[str] | None) -> list[Finding]:
    if files == [] or not engine_for(settings).files(required=False):
        return []
    wanted = None if files is None else set(files)
    report = await lint(settings)
    return [f for f in report.refused if wanted is None or f.migration in wanted]


async def _drift(settings: Settings) -> list[str]:
    async with open_database(settings) as db:
        conn = await db.connection()
        state = await engine_for(settings).applied_state(conn)
        return await drift.find(db.backend, conn, state) if state else []
