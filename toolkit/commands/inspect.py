"""`sql`, `history` and `lint`: what the migration files say, read without changing
anything (Django's `sqlmigrate` and `showmigrations`, alembic's `history`, squawk)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from toolkit.backends import DIALECTS
from toolkit.backends.session import open_database
from toolkit.errors import MigrationFailed, UsageError
from toolkit.migrations.engine import Direction
from toolkit.migrations.files import dedent, display, first_line, load_every_file, position_after
from toolkit.migrations.history import applied_migrations, engine_for
from toolkit.migrations.lint import Finding, lint_files
from toolkit.migrations.lint_rank import rank
from toolkit.settings import Settings


@dataclass(frozen=True)
class SqlReport:
    version: str
    direction: Direction
    dialect: str
    sql: str


@dataclass(frozen=True)
class HistoryEntry:
    version: str
    summary: str  # the file's docstring, first line
    applied: bool


@dataclass(frozen=True)
class HistoryReport:
    env: str
    url: str
    entries: list[HistoryEntry]
    database_checked: bool


def _version(settings: Settings, version: str) -> str:
    files = engine_for(settings).files()
    try:
        return files[position_after(version, files, what="a migration", listed="migrations") - 1]
    except UsageError:
        shown = ", ".join(f.removesuffix(".py") for f in files) or "none"
        raise UsageError(f"{version!r} is not a migration; migrations: {shown}") from None


async def sql(
    settings: Settings, version: str, *, backward: bool = False, dialect: str | None = None
) -> SqlReport:
    """The SQL one migration runs (or its downgrade), for `dialect`; no database needed."""
    dialect = dialect or settings.dialect
    if dialect not in DIALECTS:
        raise UsageError(f"--dialect {dialect!r} is not one of {', '.join(DIALECTS)}")
    name = _version(settings, version)
    direction: Direction = "downgrade" if backward else "upgrade"
    try:
        script = await engine_for(settings).script(name, direction, dialect)
    except MigrationFailed:
        raise
    except Exception as exc:
        raise MigrationFailed(
            f"cannot read the SQL of {display(settings, name)}: {first_line(exc)}; fix the file"
        ) from None
    return SqlReport(version=name.removesuffix(".py"), direction=direction, dialect=dialect, sql=dedent(script))


def _summary(settings: Settings, name: str) -> str:
    try:
        tree = ast.parse((settings.app_migrations_dir / name).read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return ""
    doc = ast.get_docstring(tree) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


async def history(settings: Settings, *, database: bool = True) -> HistoryReport:
    """Every migration file in order, with its summary and whether the database has it."""
    files = engine_for(settings).files()
    applied = set(await applied_migrations(settings)) if database else set()
    entries = [HistoryEntry(f.removesuffix(".py"), _summary(settings, f), f in applied) for f in files]
    return HistoryReport(settings.env, settings.masked_url, entries, database)


@dataclass(frozen=True)
class LintReport:
    findings: list[Finding]
    database_checked: bool = False  # ranked by the database's row counts (`--database`)

    @property
    def refused(self) -> list[Finding]:
        """The findings no marker in their file accepts, on a table that may have rows:
        these fail `lint` and `check --strict`."""
        return [f for f in self.findings if not f.accepted and f.downgraded is None]


# Rows counted exactly up to here; past it, PostgreSQL's estimate (pg_class.reltuples)
# is enough to rank by, and costs no scan of a big table.
ROW_COUNT_CAP = 10_000


async def lint(settings: Settings, versions: list[str] | None = None, *, database: bool = False) -> LintReport:
    """PostgreSQL findings for the migration files (all, or the named ones). Earlier files
    are read too, so a type change is judged against the column's real type. With
    `database`, ranked by the rows of each finding's table there (`lint_rank`)."""
    files = engine_for(settings).files()
    load_every_file(settings, files)
    wanted = {_version(settings, v) for v in versions} if versions else set(files)
    findings = [f for f in lint_files([settings.app_migrations_dir / f for f in files]) if f.migration in wanted]
    if not database:
        return LintReport(findings)
    tables = sorted({f.table for f in findings if f.table is not None})
    return LintReport(rank(findings, await table_rows(settings, tables)), database_checked=True)


async def table_rows(settings: Settings, tables: list[str]) -> dict[str, int | None]:
    """Each table's rows on the configured database; None for a table not there (yet)."""
    found: dict[str, int | None] = dict.fromkeys(tables)
    async with open_database(settings) as db:
        if not await db.exists() or not tables:
            return found  # a SQLite file not made yet: no table is there
        conn = await db.connection()
        for table in tables:
            if not await conn.table_exists(table):
                continue
            name = db.backend.quote(table)
            capped = f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT {ROW_COUNT_CAP + 1}) AS capped"
            count = int((await conn.fetch(capped))[0][0])
            if count > ROW_COUNT_CAP and db.backend.dialect == "postgres":
                estimate = await conn.fetch("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(?)", name)
                count = max(count, int(estimate[0][0])) if estimate else count
            found[table] = count
    return found
