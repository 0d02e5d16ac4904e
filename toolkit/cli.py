"""The `toolkit` command: parse options, call one core function, print its report.

Core modules are imported inside the commands, so `--help` and `--version` start without
loading a database driver, Faker or Tortoise. Every core failure is a `ToolkitError`,
turned into a one-line message and an exit code in `_run`, and nowhere else.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from toolkit import __version__
from toolkit.errors import ToolkitError

T = TypeVar("T")
EXIT_INTERRUPTED = 130


class _Failure(click.ClickException):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # Click declares it on the class

    def show(self, file: Any = None) -> None:
        label = "Interrupted" if self.exit_code == EXIT_INTERRUPTED else "Error"
        click.echo(f"{label}: {self.format_message()}", err=True)


def _run(make: Callable[[], Coroutine[Any, Any, T]], *, wait: bool = True) -> T:
    """Run one core coroutine; the single place where core errors become exit codes.

    With the global `--wait SECONDS`, the same event loop first waits for the database.
    """
    ctx = click.get_current_context(silent=True)
    obj = (ctx.find_root().obj if ctx else None) or {}
    settings, seconds = obj.get("settings"), obj.get("wait")

    async def main() -> T:
        if wait and settings is not None and seconds is not None:
            from toolkit.wait import wait_for_database

            await wait_for_database(settings, seconds, progress=lambda m: _say(ctx, m) if ctx else None)
        return await make()

    import asyncio  # here, not at the top: it costs `--help` more than click itself

    try:
        return asyncio.run(main())
    except ToolkitError as exc:
        raise _Failure(str(exc), exc.exit_code) from None
    except KeyboardInterrupt:
        raise _Failure("interrupted", EXIT_INTERRUPTED) from None
    except Exception as exc:  # a bug or an unmapped driver error: still one line
        if os.environ.get("TOOLKIT_DEBUG"):
            raise
        first = (str(exc) or "").strip().splitlines()
        raise _Failure(
            f"unexpected {type(exc).__name__}: {first[0] if first else ''} "
            "(set TOOLKIT_DEBUG=1 to see the traceback)",
            1,
        ) from None


def _settings(ctx: click.Context) -> Any:
    from toolkit.settings import resolve

    obj = ctx.find_root().obj or {}
    try:
        settings = resolve(env=obj.get("env"), database_url=obj.get("database_url"), config=obj.get("config"))
    except ToolkitError as exc:
        raise _Failure(str(exc), exc.exit_code) from None
    obj["settings"] = settings  # for `--wait`, in `_run`
    return settings


def _say(ctx: click.Context, message: str) -> None:
    if not (ctx.find_root().obj or {}).get("quiet"):
        click.echo(message, err=True)


def _global_options(**extra: Any) -> list[click.Option]:
    """The options of the group. `extra` makes the hidden copies every command also takes."""
    return [
        click.Option(["--env", "env"], metavar="NAME", help="Environment from the config file (else TOOLKIT_ENV, else default_env).", **extra),
        click.Option(["--database-url", "database_url"], metavar="URL", help="Database URL (else DATABASE_URL, else the environment's database_url).", **extra),
        click.Option(["--config", "config"], metavar="PATH", type=click.Path(dir_okay=False), help="Config file (else TOOLKIT_CONFIG, else config/toolkit.toml).", **extra),
        click.Option(["-q", "--quiet", "quiet"], is_flag=True, default=None if extra else False, help="Print only results and errors, no progress.", **extra),
        click.Option(
            ["--wait", "wait"],
            type=click.FloatRange(min=0),
            metavar="SECONDS",
            help="Before the command, retry connecting to the database for up to SECONDS (with backoff).",
            **extra,
        ),
    ]


def _global_after_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    # `toolkit seed -q` means `toolkit -q seed`: a global option given after the command
    # (the group has already stored its own values) wins over one given before it.
    if value is not None:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), str(param.name): value}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="toolkit", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    env: str | None,
    database_url: str | None,
    config: str | None,
    quiet: bool,
    wait: float | None,
) -> None:
    """Migrate and seed a Tortoise ORM database: `toolkit migrate`, then `toolkit seed --count N`."""
    ctx.obj = {"env": env, "database_url": database_url, "config": config, "quiet": quiet, "wait": wait}


cli.params[:0] = _global_options()


# --- migrations -----------------------------------------------------------------------

_lock_timeout = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another migration holding the migration lock.",
)


@cli.command()
@_lock_timeout
@click.option(
    "--dry-run",
    "--sql",
    "dry_run",
    is_flag=True,
    help="Print the SQL of each pending migration for this database, in order; change nothing.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print a JSON object: env, database_url, dialect, and applied (or, with --dry-run, pending: [{name, sql}]).",
)
@click.pass_context
def migrate(ctx: click.Context, lock_timeout: float, dry_run: bool, as_json: bool) -> None:
    """Apply every pending migration (each in its own transaction), under the migration lock."""
    from toolkit import migrate as core

    settings = _settings(ctx)
    if dry_run:
        plan = _run(lambda: core.dry_run(settings))
        if as_json:
            pending = [{"name": p.name, "sql": p.sql} for p in plan.pending]
            head = {"env": plan.env, "database_url": plan.url, "dialect": plan.dialect}
            click.echo(json.dumps({**head, "pending": pending}, indent=2))
        elif not plan.pending:
            click.echo(f"-- Nothing to migrate: {settings.env} ({plan.url}) is up to date.")
        for p in [] if as_json else plan.pending:
            click.echo(f"-- Migration {p.name} ({plan.dialect})\n{p.sql}\n")
        return
    report = _run(lambda: core.migrate(settings, lock_timeout=lock_timeout, progress=lambda m: _say(ctx, m)))
    where = f"{settings.env} ({settings.masked_url})"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "env": settings.env,
                    "database_url": settings.masked_url,
                    "dialect": settings.dialect,
                    "applied": [a.removesuffix(".py") for a in report.applied],
                },
                indent=2,
            )
        )
        return
    if not report.applied:
        click.echo(f"Nothing to migrate: {where} is up to date.")
        return
    for name in report.applied:
        click.echo(f"Applied {name}")
    click.echo(f"Migrated {where}: {len(report.applied)} migration(s) applied.")


@cli.command()
@click.option("--name", metavar="NAME", help="Label for the migration file (letters, digits, _).")
@click.pass_context
def makemigrations(ctx: click.Context, name: str | None) -> None:
    """Write a new migration for model changes, with SQL for SQLite and PostgreSQL."""
    from toolkit.makemigrations import makemigrations as core

    settings = _settings(ctx)
    report = _run(lambda: core(settings, name))
    if report.path is None:
        click.echo("No changes: the models match the last migration.")
        return
    rel = os.path.relpath(report.path, settings.project_root)
    click.echo(f"Wrote {rel} ({', '.join(sorted(report.upgrade))})")


@cli.command()
@click.option("--steps", type=int, metavar="N", help="Revert the last N applied migrations.")
@click.option("--to", "to", metavar="VERSION", help="Revert every migration applied after VERSION (number or name; 'zero' for all).")
@_lock_timeout
@click.option("--force", is_flag=True, help="Roll back even a protected environment, or a database another environment migrated.")
@click.pass_context
def rollback(ctx: click.Context, steps: int | None, to: str | None, lock_timeout: float, force: bool) -> None:
    """Revert applied migrations; the default is the last one."""
    from toolkit import migrate as core

    settings = _settings(ctx)
    report = _run(
        lambda: core.rollback(
            settings, steps=steps, to=to, lock_timeout=lock_timeout,
            progress=lambda m: _say(ctx, m), force=force, confirm=_confirm_on_terminal(),
        )
    )
    if not report.reverted:
        click.echo("Nothing to roll back.")
        return
    for name in report.reverted:
        click.echo(f"Reverted {name}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, applied, pending, missing_files, up_to_date.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when migrations are pending.")
@click.pass_context
def status(ctx: click.Context, as_json: bool, exit_code: bool) -> None:
    """Show the environment, the database and the applied and pending migrations."""
    from toolkit import migrate as core

    settings = _settings(ctx)
    report = _run(lambda: core.status(settings))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "env": report.env,
                    "database_url": report.url,
                    "applied": [a.removesuffix(".py") for a in report.applied],
                    "pending": [p.removesuffix(".py") for p in report.pending],
                    "missing_files": [m.removesuffix(".py") for m in report.missing],
                    "up_to_date": not report.pending,
                },
                indent=2,
            )
        )
    else:
        click.echo(f"Environment: {report.env}")
        click.echo(f"Database:    {report.url}")
        click.echo(f"Applied ({len(report.applied)}):")
        for name in report.applied:
            click.echo(f"  [x] {name.removesuffix('.py')}")
        click.echo(f"Pending ({len(report.pending)}):")
        for name in report.pending:
            click.echo(f"  [ ] {name.removesuffix('.py')}")
        for name in report.missing:
            click.echo(f"  [?] {name.removesuffix('.py')} (applied, but its file is missing)")
    if exit_code and report.pending:
        sys.exit(1)


@cli.command()
@click.option(
    "--no-database",
    is_flag=True,
    help="Only compare the models with the migration files; don't connect to the database.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, dialect, in_sync, model_changes, pending.")
@click.pass_context
def check(ctx: click.Context, no_database: bool, as_json: bool) -> None:
    """Exit 1 if the models have changes no migration holds, or migrations are pending (for CI)."""
    from toolkit.check import check as core

    settings = _settings(ctx)
    report = _run(lambda: core(settings, database=not no_database))
    if as_json:
        click.echo(
            json.dumps(
                {
                    "env": report.env,
                    "database_url": report.url,
                    "dialect": report.dialect,
                    "in_sync": report.in_sync,
                    "model_changes": report.model_changes,
                    "pending": report.pending if report.database_checked else None,
                },
                indent=2,
            )
        )
    else:
        if report.model_changes:
            click.echo(f"Model changes that no migration holds ({len(report.model_changes)}); run `toolkit makemigrations`:")
            for op in report.model_changes:
                click.echo("  " + " ".join(op.split()))
        if report.pending:
            click.echo(f"Pending migrations on {report.env} ({report.url}) ({len(report.pending)}); run `toolkit migrate`:")
            for name in report.pending:
                click.echo(f"  [ ] {name}")
        if report.in_sync:
            if report.database_checked:
                click.echo(f"In sync: the models, the migrations and {report.env} ({report.url}) are up to date.")
            else:
                click.echo("In sync: the migrations hold every model change.")
    if not report.in_sync:
        sys.exit(1)


@cli.command()
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Give up after SECONDS (default: the global --wait, else 60).",
)
@click.pass_context
def wait(ctx: click.Context, timeout: float | None) -> None:
    """Wait until the database accepts connections, retrying with backoff."""
    from toolkit.wait import DEFAULT_WAIT, wait_for_database

    settings = _settings(ctx)
    seconds = timeout if timeout is not None else (ctx.find_root().obj or {}).get("wait")
    seconds = DEFAULT_WAIT if seconds is None else seconds
    report = _run(lambda: wait_for_database(settings, seconds, progress=lambda m: _say(ctx, m)), wait=False)
    click.echo(f"{report.label} at {report.where} is reachable (after {report.attempts} attempt(s)).")


# --- seeding --------------------------------------------------------------------------

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def _parse_shard(_: click.Context, __: click.Parameter, value: str | None) -> tuple[int, int]:
    if value is None:
        return (1, 1)
    match = _SHARD.match(value)
    if not match:
        raise click.BadParameter(f"{value!r} is not K/N, as in 1/3")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise click.BadParameter(f"{value!r}: K must be between 1 and N, as in 1/3 (got {k}/{n})")
    return (k, n)


class _ProgressLine:
    """rows, rows/s and ETA on one terminal line; nothing when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and p.done < p.total:
            return
        self.last = now
        rate = p.done / max(now - self.started, 1e-9)
        eta = (p.total - p.done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * p.done / max(p.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        click.echo(
            f"\r{p.table} [{bar}] {p.done:,}/{p.total:,} rows  {rate:,.0f} rows/s  ETA {eta:4.1f}s",
            err=True,
            nl=False,
        )
        if p.done >= p.total:
            click.echo("", err=True)
            self.started = time.perf_counter()


@cli.command()
@click.option("--count", type=int, metavar="N", help="Rows to insert into each chosen model (without --model or --all: the models defined in seeds/).")
@click.option("--model", "models", multiple=True, metavar="NAME[=COUNT]", help="Model to seed (repeatable); COUNT overrides --count. Empty parent tables are seeded first.")
@click.option("--all", "all_models", is_flag=True, help="Seed every model with --count rows (link tables get links).")
@click.option("--batch-size", type=int, metavar="B", help="Rows per batch, one transaction each [default: 10000 on PostgreSQL, 50000 on SQLite].")
@click.option("--concurrency", type=int, default=4, show_default=True, metavar="C", help="Batches written at once (PostgreSQL).")
@click.option("--seed", "seed", type=click.IntRange(min=0), metavar="S", help="Random seed: the same seed gives the same rows.")
@click.option("--truncate", is_flag=True, help="Empty the tables first (and restart their row sequence).")
@click.option("--shard", callback=_parse_shard, metavar="K/N", help="Load only part K of N of the run (K from 1).")
@click.option("--locale", default="en_US", show_default=True, metavar="LOCALE", help="Faker locale of the generated data.")
@click.option("--resume", is_flag=True, help="Finish the interrupted seed runs on this database.")
@click.option("--dry-run", is_flag=True, help="Print the plan and a few sample rows per model; write nothing.")
@click.option("--force", is_flag=True, help="Seed even a protected environment, or a database another environment migrated.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as a JSON object.")
@click.pass_context
def seed(
    ctx: click.Context,
    count: int | None,
    models: tuple[str, ...],
    all_models: bool,
    batch_size: int | None,
    concurrency: int,
    seed: int | None,
    truncate: bool,
    shard: tuple[int, int],
    locale: str,
    resume: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Insert realistic rows: the env's profile from seeds/profiles.toml, or the models asked for."""
    from toolkit.seed.run import SeedRequest
    from toolkit.seed.run import seed as core

    settings = _settings(ctx)
    request = SeedRequest(
        counts=_model_counts(models),
        count=count,
        all_models=all_models,
        batch_size=batch_size,
        concurrency=concurrency,
        seed=seed,
        truncate=truncate,
        shard=shard,
        locale=locale,
        resume=resume,
        dry_run=dry_run,
        force=force,
    )
    quiet = (ctx.find_root().obj or {}).get("quiet")
    bar = _ProgressLine(enabled=not quiet and not as_json and not dry_run and sys.stderr.isatty())
    report = _run(lambda: core(settings, request, progress=bar, confirm=_confirm_on_terminal()))
    if as_json:
        click.echo(json.dumps(_seed_json(settings, report), indent=2))
        return
    _print_seed(report)


def _model_counts(models: tuple[str, ...]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for item in models:
        name, _, n = item.partition("=")
        if n and not n.strip().isdigit():
            raise click.BadParameter(f"{item!r}: COUNT must be a positive integer", param_hint="--model")
        counts[name.strip()] = int(n) if n else None
    return counts


def _confirm_on_terminal() -> Callable[[str], bool] | None:
    """Ask the user when stdin is a terminal; elsewhere (CI, scripts) refuse instead."""
    return _confirm if sys.stdin.isatty() else None


def _confirm(question: str) -> bool:
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:  # Ctrl-C or end of input at the prompt: a "no"
        click.echo("", err=True)
        return False


def _seed_json(settings: Any, report: Any) -> dict[str, Any]:
    return {
        "env": settings.env,
        "database_url": settings.masked_url,
        "seed": report.seed,
        "locale": report.locale,
        "shard": f"{report.shard[0]}/{report.shard[1]}",
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second, 1),
        "nothing_to_resume": report.nothing_to_resume,
        "dry_run": report.dry_run,
        "skipped": report.skipped,
        "plan": [
            {
                "model": p.model,
                "table": p.table,
                "rows": p.rows,
                "auto": p.auto,
                "link": p.link,
                "reasons": list(p.reasons),
                "deferred": list(p.deferred),
            }
            for p in report.plan
        ],
        "tables": [
            {
                "model": t.model,
                "table": t.table,
                "rows": t.rows,
                "run_id": t.run_id,
                "first_index": t.first_index,
                "resumed": t.resumed,
            }
            for t in report.tables
        ],
        **({"samples": report.samples} if report.dry_run else {}),
    }


def _print_seed(report: Any) -> None:
    if report.nothing_to_resume:
        click.echo("Nothing to resume: every seed run on this database is complete.")
        return
    if report.dry_run:
        click.echo(f"Dry run (seed {report.seed}): nothing was written. The plan, in load order:")
        for line in _plan_lines(report):
            click.echo(f"  {line}")
        for model, rows in report.samples.items():
            click.echo(f"Sample rows of {model}:")
            for row in rows:
                click.echo("  " + json.dumps(row, ensure_ascii=False, default=str))
        return
    for p in report.auto_seeded:
        click.echo(f"Seeding {p.model} first: {'; '.join(p.reasons)} ({p.rows} rows)")
    for p in report.capped:
        click.echo(f"Fewer {p.model} rows than asked: {'; '.join(p.reasons)}")
    for model in report.skipped:
        click.echo(f"No {model} rows added: every pair of rows it links already exists")
    tables = ", ".join(f"{t.rows} into {t.table}" for t in report.tables) or "0"
    click.echo(
        f"Seeded {report.rows} rows ({tables}) in {report.seconds:.2f}s, "
        f"{report.rows_per_second:,.0f} rows/s (seed {report.seed})"
    )


def _plan_lines(report: Any) -> list[str]:
    lines = []
    for i, p in enumerate(report.plan, 1):
        notes = list(p.reasons) + ([f"{', '.join(p.deferred)} filled after loading"] if p.deferred else [])
        tag = " [auto]" if p.auto and not p.link else ""
        tail = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"{i}. {p.model} -> {p.table}: {p.rows} {'links' if p.link else 'rows'}{tag}{tail}")
    return lines


_seed_option = click.option("--seed", "seed_value", type=click.IntRange(min=0), metavar="S", help="Random seed for the profile's rows.")
_locale_option = click.option("--locale", default="en_US", show_default=True, help="Faker locale of the generated data.")


def _print_bootstrap(settings: Any, report: Any) -> None:
    if report.dropped:
        click.echo(f"Dropped {len(report.dropped)} table(s): {', '.join(report.dropped)}")
    for name in report.migrated.applied:
        click.echo(f"Applied {name}")
    where = f"{settings.env} ({settings.masked_url})"
    if report.migrated.applied:
        click.echo(f"Migrated {where}: {len(report.migrated.applied)} migration(s) applied.")
    else:
        click.echo(f"Nothing to migrate: {where} is up to date.")
    if report.seeded is not None:
        _print_seed(report.seeded)
    else:
        click.echo(f"Not seeding: {report.skipped}.")


@cli.command()
@_seed_option
@_locale_option
@_lock_timeout
@click.option("--force", is_flag=True, help="Seed even a protected environment, or a database another environment migrated.")
@click.pass_context
def bootstrap(ctx: click.Context, seed_value: int | None, locale: str, lock_timeout: float, force: bool) -> None:
    """Migrate, then seed the environment's profile once: safe to run again."""
    from toolkit.bootstrap import bootstrap as core

    settings = _settings(ctx)
    bar = _ProgressLine(enabled=not (ctx.find_root().obj or {}).get("quiet") and sys.stderr.isatty())
    report = _run(
        lambda: core(
            settings, seed_value=seed_value, locale=locale, lock_timeout=lock_timeout, force=force,
            confirm=_confirm_on_terminal(),
            progress=lambda m: _say(ctx, m), seed_progress=bar,
        )
    )
    _print_bootstrap(settings, report)


@cli.command()
@_seed_option
@_locale_option
@_lock_timeout
@click.option("--force", is_flag=True, help="Reset even a protected environment, or a database another environment migrated.")
@click.pass_context
def reset(ctx: click.Context, seed_value: int | None, locale: str, lock_timeout: float, force: bool) -> None:
    """Drop all of the app's tables, migrate and seed the environment's profile (for dev)."""
    from toolkit.bootstrap import reset as core

    settings = _settings(ctx)
    bar = _ProgressLine(enabled=not (ctx.find_root().obj or {}).get("quiet") and sys.stderr.isatty())
    report = _run(
        lambda: core(
            settings, seed_value=seed_value, locale=locale, lock_timeout=lock_timeout,
            progress=lambda m: _say(ctx, m), seed_progress=bar,
            force=force, confirm=_confirm_on_terminal(),
        )
    )
    _print_bootstrap(settings, report)


for _command in cli.commands.values():
    _command.params += _global_options(hidden=True, expose_value=False, callback=_global_after_command)


def main() -> None:
    cli(prog_name="toolkit")


if __name__ == "__main__":
    main()
