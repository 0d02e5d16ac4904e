"""The migration commands: migrate, makemigrations, rollback, status, check, and wait.

Each one resolves the settings, runs one core function through `run_core` and hands its
report to `output`. The core is imported inside the commands, so `--help` doesn't load it.
"""

from __future__ import annotations

import sys

import click

from toolkit.cli import migration_output as output
from toolkit.cli.completion import rollback_versions, versions
from toolkit.cli.options import lock_timeout as lock_timeout_option
from toolkit.cli.options import lock_wait as lock_wait_option
from toolkit.cli.run import confirm_on_terminal, resolve_settings, root_obj, run_core, say

retries_option = click.option(
    "--retries",
    type=click.IntRange(min=0),
    metavar="N",
    help="Try a migration that gave up waiting for a table lock (--lock-wait) up to N more times, after 1 s, 2 s, 4 s... (default: TOOLKIT_LOCK_RETRIES, else [toolkit] lock_retries, else 0).",
)

@click.command()
@lock_timeout_option
@lock_wait_option
@retries_option
@click.option(
    "--dry-run",
    "--sql",
    "dry_run",
    is_flag=True,
    help="Print the SQL of each pending migration for this database, in order; change nothing.",
)
@click.option("--to", "to", metavar="VERSION", shell_complete=versions, help="Migrate up to and including VERSION (number or name); an earlier one than the last applied reverts back to it, as rollback --to.")
@click.option("--fake", is_flag=True, help="Record the pending migrations (up to --to) as applied without running them: adopting an existing database.")
@click.option("--retry", metavar="VERSION", shell_complete=versions, help="Clear the mark of a migration interrupted half-way (MySQL), once undone by hand, then migrate.")
@click.option("--force", is_flag=True, help="With --to an earlier version: revert even where protection applies.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON object: env, database_url, dialect, and applied (or, with --dry-run, pending: [{name, sql}]).",
)
@click.pass_context
def migrate(
    ctx: click.Context, lock_timeout: float, lock_wait: float, retries: int | None, dry_run: bool,
    to: str | None, fake: bool, retry: str | None, force: bool, as_json: bool,
) -> None:
    """Apply every pending migration (each in its own transaction), under the migration lock."""
    from toolkit.commands import migrate as core

    settings = resolve_settings(ctx)
    if dry_run:
        plan = run_core(lambda: core.dry_run(settings))
        output.print_dry_run(settings, plan, as_json)
        return
    progress = lambda m: say(ctx, m)  # noqa: E731
    if fake:
        report = run_core(lambda: core.fake(settings, to, lock_timeout=lock_timeout, progress=progress))
        output.print_migrate(settings, report, as_json, faked=True)
        return
    if retry is not None:
        run_core(lambda: core.retry(settings, retry, lock_timeout=lock_timeout))
    report = run_core(
        lambda: core.migrate(
            settings, lock_timeout=lock_timeout, lock_wait=lock_wait, to=to, progress=progress,
            force=force, confirm=confirm_on_terminal(), retries=retries,
        )
    )
    output.print_migrate(settings, report, as_json)


@click.command()
@click.option("--name", metavar="NAME", help="Label for the migration file (letters, digits, _).")
@click.option("--empty", is_flag=True, help="Write an empty data migration (SQL slots and Python hooks run in its transaction); needs --name.")
@click.option("--merge", is_flag=True, help="Two branches each added migration N: number the newer one after the last, with today's models state.")
@click.option("--safe/--no-safe", "safe", default=None, help="PostgreSQL: write the forms that don't lock a busy table (indexes built CONCURRENTLY, constraints NOT VALID then validated), in migrations after the one written; SQLite and MySQL SQL unchanged (default: [toolkit] safe_migrations).")
@click.option("--rename", "renames", multiple=True, metavar="MODEL.OLD:NEW", help="Take field OLD of MODEL (class or table name), dropped, and NEW, added with its type, as one field renamed: its values kept; OLD_MODEL:NEW_MODEL, a model dropped and one alike created, as its table renamed. Repeatable. Without it such a pair is asked about on a terminal, else written as a drop and an add.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: path (null when nothing changed), dialects, operations (in words), warnings, lint (the findings in the files written), and with --safe safe_steps (the files after path).")
@click.pass_context
def makemigrations(
    ctx: click.Context, name: str | None, empty: bool, merge: bool, safe: bool | None, renames: tuple[str, ...], as_json: bool,
) -> None:
    """Write a new migration for model changes, with SQL for SQLite, PostgreSQL and MySQL/MariaDB, and list its operations."""
    settings = resolve_settings(ctx)
    if merge:
        from toolkit.migrations.writer import merge_branches

        moved = run_core(lambda: merge_branches(settings))
        output.print_merge(settings, moved)
        return
    if empty:
        from toolkit.migrations.writer import write_data_migration

        if not name:
            raise click.UsageError("--empty needs --name NAME (what the data migration does)")
        path = run_core(lambda: write_data_migration(settings, name))
        output.print_data_migration(settings, path)
        return
    from toolkit.commands.inspect import lint
    from toolkit.commands.makemigrations import makemigrations as core
    from toolkit.migrations.questioner import Questioner

    chosen = settings.safe_migrations if safe is None else safe
    # Rename questions go to the terminal, if there is one; --rename answers them ahead.
    ask = confirm_on_terminal()
    report, steps = run_core(lambda: core(settings, name, safe=chosen, questioner=Questioner(renames, ask)))
    written = [p.name for p in ([report.path] if report.path is not None else []) + steps]
    findings = run_core(lambda: lint(settings, written)) if written else None
    output.print_makemigrations(settings, report, as_json=as_json, lint=findings, steps=steps)
    if findings is not None and not as_json:
        output.print_lint(settings, findings, as_json=False, warnings=True)


@click.command()
@click.option("--steps", type=int, metavar="N", help="Revert the last N applied migrations.")
@click.option("--to", "to", metavar="VERSION", shell_complete=rollback_versions, help="Revert every migration applied after VERSION (number or name; 'zero' for all).")
@lock_timeout_option
@lock_wait_option
@retries_option
@click.option("--dry-run", is_flag=True, help="Print the SQL each revert would run, in order; change nothing.")
@click.option("--force", is_flag=True, help="Roll back even a protected environment, or a database another environment migrated.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, dialect, reverted (or, with --dry-run, planned: [{name, sql}]).")
@click.pass_context
def rollback(
    ctx: click.Context, steps: int | None, to: str | None, lock_timeout: float, lock_wait: float,
    retries: int | None, dry_run: bool, force: bool, as_json: bool,
) -> None:
    """Revert applied migrations; the default is the last one."""
    from toolkit.commands import migrate as core

    settings = resolve_settings(ctx)
    report = run_core(
        lambda: core.rollback(
            settings, steps=steps, to=to, lock_timeout=lock_timeout, lock_wait=lock_wait,
            progress=lambda m: say(ctx, m), force=force, confirm=confirm_on_terminal(),
            dry_run=dry_run, retries=retries,
        )
    )
    output.print_rollback(settings, report, dry_run=dry_run, as_json=as_json)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, applied, pending, missing_files, edited, renamed, up_to_date.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when migrations are pending.")
@click.pass_context
def status(ctx: click.Context, as_json: bool, exit_code: bool) -> None:
    """Show the environment, the database and the applied and pending migrations."""
    from toolkit.commands import migrate as core

    settings = resolve_settings(ctx)
    report = run_core(lambda: core.status(settings))
    output.print_status(report, as_json)
    if exit_code and report.pending:
        sys.exit(1)


@click.command()
@click.option(
    "--no-database",
    is_flag=True,
    help="Only compare the models with the migration files; don't connect to the database.",
)
@click.option("--strict", is_flag=True, help="Also exit 1 on a lint finding no marker accepts (otherwise a warning).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, dialect, in_sync, model_changes, pending, edited, drift, lint.")
@click.pass_context
def check(ctx: click.Context, no_database: bool, strict: bool, as_json: bool) -> None:
    """Exit 1 if the models have changes no migration holds, migrations are pending, or the database drifted from them (for CI); warn of lint findings in the pending migrations."""
    from toolkit.commands.check import check as core

    settings = resolve_settings(ctx)
    report = run_core(lambda: core(settings, database=not no_database))
    output.print_check(settings, report, as_json, strict=strict)
    if not report.in_sync or (strict and report.lint):
        sys.exit(1)


@click.command()
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Give up after SECONDS (default: the global --wait, else 60).",
)
@click.pass_context
def wait(ctx: click.Context, timeout: float | None) -> None:
    """Wait until the database accepts connections, retrying with backoff."""
    from toolkit.commands.wait import DEFAULT_WAIT, wait_for_database

    settings = resolve_settings(ctx)
    seconds = timeout if timeout is not None else root_obj(ctx).get("wait")
    seconds = DEFAULT_WAIT if seconds is None else seconds
    report = run_core(lambda: wait_for_database(settings, seconds, progress=lambda m: say(ctx, m)), wait=False)
    output.print_wait(report)


COMMANDS = [migrate, makemigrations, rollback, status, check, wait]
