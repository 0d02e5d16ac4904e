"""Commands that read migration files and change nothing: sql, history, lint."""

from __future__ import annotations

import sys

import click

from toolkit.cli import migration_output as output
from toolkit.cli.run import resolve_settings, run_core

DIALECTS = ("mysql", "postgres", "sqlite")


@click.command()
@click.argument("version")
@click.option("--backward", is_flag=True, help="The SQL that reverts VERSION instead.")
@click.option("--dialect", type=click.Choice(DIALECTS), help="The dialect to print (default: the configured database's).")
@click.pass_context
def sql(ctx: click.Context, version: str, backward: bool, dialect: str | None) -> None:
    """Print the SQL one migration runs (number or name); needs no database."""
    from toolkit.commands.inspect import sql as core

    settings = resolve_settings(ctx)
    output.print_sql(run_core(lambda: core(settings, version, backward=backward, dialect=dialect), wait=False))


@click.command()
@click.option("--no-database", is_flag=True, help="List the files only; don't ask the database which are applied.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, migrations: [{version, summary, applied}].")
@click.pass_context
def history(ctx: click.Context, no_database: bool, as_json: bool) -> None:
    """List every migration in order, with its summary and whether it is applied."""
    from toolkit.commands.inspect import history as core

    settings = resolve_settings(ctx)
    output.print_history(run_core(lambda: core(settings, database=not no_database)), as_json)


@click.command()
@click.argument("versions", nargs=-1, metavar="[VERSION]...")
@click.option("--database", "database", is_flag=True, help="Rank the findings by their tables' rows on the configured database; one on an empty or missing table is safe there and fails nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of findings: rule, migration, statement, line, reason, fix, table, accepted, rows, downgraded.")
@click.pass_context
def lint(ctx: click.Context, versions: tuple[str, ...], database: bool, as_json: bool) -> None:
    """Flag PostgreSQL operations that lock or rewrite a busy table; exit 1 on a finding not accepted."""
    from toolkit.commands.inspect import lint as core

    settings = resolve_settings(ctx)
    report = run_core(lambda: core(settings, list(versions) or None, database=database), wait=database)
    output.print_lint(settings, report, as_json=as_json)
    if report.refused:
        sys.exit(1)


COMMANDS = [sql, history, lint]


@click.command()
@click.option("--models", "models", multiple=True, metavar="MODULE", help="A Tortoise model module (repeatable); default: the models.py files found here.")
def init(models: tuple[str, ...]) -> None:
    """Write a starting config/toolkit.toml and create migrations/ and seeds/ here."""
    from pathlib import Path

    from toolkit.commands.init import init as core

    report = run_core(lambda: core(Path.cwd(), list(models) or None), wait=False)
    output.print_init(report)


COMMANDS.append(init)
