"""`sql`, `history` and `lint`: what the migration files say, read without changing
anything (Django's `sqlmigrate` and `showmigrations`, alembic's `history`, squawk)."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from toolkit.backends import DIALECTS
from toolkit.errors import MigrationFailed, UsageError
from toolkit.migrations.engine import Direction
from toolkit.migrations.files import dedent, display, first_line, load_every_file, position_after
from toolkit.migrations.history import applied_migrations, engine_for
from toolkit.migrations.lint import Finding, lint_files
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

    @property
    def refused(self) -> list[Finding]:
        """The findings no marker in their file accepts: these fail `lint` and `check`."""
        return [f for f in self.findings if not f.accepted]


async def lint(settings: Settings, versions: list[str] | None = None) -> LintReport:
    """PostgreSQL findings for the migration files (all, or the named ones). Earlier files
    are read too, so a type change is judged against the column's real type."""
    files = engine_for(settings).files()
    load_every_file(settings, files)
    wanted = {_version(settings, v) for v in versions} if versions else set(files)
    findings = lint_files([settings.app_migrations_dir / f for f in files])
    return LintReport([f for f in findings if f.migration in wanted])
