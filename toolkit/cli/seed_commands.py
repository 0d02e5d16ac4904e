"""The seeding commands: seed, and bootstrap and reset (migrate, then seed the profile)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import click

from toolkit.cli import output
from toolkit.cli.completion import models as model_names
from toolkit.cli.options import lock_timeout as lock_timeout_option
from toolkit.cli.run import confirm_on_terminal, resolve_settings, root_obj, run_core, say

if TYPE_CHECKING:
    from toolkit.commands.bootstrap import BootstrapReport

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


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    from toolkit.errors import UsageError
    from toolkit.seed.anchor import parse_now

    try:
        return parse_now(value)
    except UsageError as exc:
        raise click.BadParameter(str(exc).removeprefix("--now "), param_hint="--now") from None


def _model_counts(models: tuple[str, ...]) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for item in models:
        name, _, n = item.partition("=")
        if n and not n.strip().isdigit():
            raise click.BadParameter(f"{item!r}: COUNT must be a positive integer", param_hint="--model")
        counts[name.strip()] = int(n) if n else None
    return counts


@click.command()
@click.option("--count", type=int, metavar="N", help="Rows to insert into each chosen model (without --model or --all: the models defined in seeds/).")
@click.option("--model", "models", multiple=True, metavar="NAME[=COUNT]", shell_complete=model_names, help="Model to seed (repeatable); COUNT overrides --count. Empty parent tables are seeded first.")
@click.option("--all", "all_models", is_flag=True, help="Seed every model with --count rows (link tables get links).")
@click.option("--batch-size", type=int, metavar="B", help="Rows per batch, one transaction each [default: 10000 on PostgreSQL and MySQL/MariaDB, 50000 on SQLite].")
@click.option("--concurrency", type=int, default=4, show_default=True, metavar="C", help="Batches written at once (PostgreSQL, MySQL/MariaDB).")
@click.option("--indexes", type=click.Choice(["auto", "after", "live"]), default="auto", show_default=True, help="after: load an empty table without its indexes and build them after, in one transaction (PostgreSQL, SQLite); live: batches into the indexed table; auto: after for runs of 50,000 rows or more.")
@click.option("--seed", "seed", type=click.IntRange(min=0), metavar="S", help="Random seed: the same seed gives the same rows.")
@click.option("--truncate", is_flag=True, help="Empty the tables first (and restart their row sequence).")
@click.option("--shard", callback=_parse_shard, metavar="K/N", help="Load only part K of N of the run (K from 1).")
@click.option("--locale", default="en_US", show_default=True, metavar="LOCALE", help="Faker locale of the generated data.")
@click.option("--now", callback=_parse_now, metavar="WHEN", help="The moment dates and times are spread back from (2026-03-01 or an ISO time) [default: today, UTC]; kept with the run, so --resume and shards agree.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), metavar="SECONDS", help="How long to wait for a migration holding the migration lock [default: TOOLKIT_LOCK_TIMEOUT, else 30].")
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
    indexes: str,
    seed: int | None,
    truncate: bool,
    shard: tuple[int, int],
    locale: str,
    now: dt.datetime | None,
    lock_timeout: float | None,
    resume: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Insert realistic rows: the env's profile from seeds/profiles.toml, or the models asked for."""
    from toolkit.seed.run import SeedRequest
    from toolkit.seed.run import seed as core

    settings = resolve_settings(ctx)
    request = SeedRequest(
        counts=_model_counts(models),
        count=count,
        all_models=all_models,
        batch_size=batch_size,
        concurrency=concurrency,
        indexes=indexes,
        seed=seed,
        truncate=truncate,
        shard=shard,
        locale=locale,
        now=now,
        lock_timeout=lock_timeout,
        resume=resume,
        dry_run=dry_run,
        force=force,
    )
    quiet = root_obj(ctx).get("quiet")
    with output.SeedProgress(enabled=not quiet and not as_json and not dry_run) as bar:
        report = run_core(lambda: core(settings, request, progress=bar, confirm=confirm_on_terminal()))
    if as_json:
        output.print_seed_json(settings, report)
        return
    output.print_seed(report)


# --- bootstrap and reset: the same options and the same run, two core functions ---------


def _profile_options(force_help: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(
            [
                click.option("--seed", "seed_value", type=click.IntRange(min=0), metavar="S", help="Random seed for the profile's rows."),
                click.option("--locale", default="en_US", show_default=True, help="Faker locale of the generated data."),
                lock_timeout_option,
                click.option("--force", is_flag=True, help=force_help),
                click.option("--json", "as_json", is_flag=True, help="Print a JSON object: env, database_url, dropped, applied, seeded (the seed report) or skipped."),
            ]
        ):
            command = option(command)
        return command

    return decorate


def _migrate_then_seed(
    ctx: click.Context,
    core: Callable[..., Coroutine[Any, Any, BootstrapReport]],
    *,
    seed_value: int | None,
    locale: str,
    lock_timeout: float,
    force: bool,
    as_json: bool,
) -> None:
    settings = resolve_settings(ctx)
    with output.SeedProgress(enabled=not root_obj(ctx).get("quiet") and not as_json) as bar:
        report = run_core(
            lambda: core(
                settings, seed_value=seed_value, locale=locale, lock_timeout=lock_timeout, force=force,
                confirm=confirm_on_terminal(),
                progress=lambda m: say(ctx, m), seed_progress=bar,
            )
        )
    if as_json:
        output.print_bootstrap_json(settings, report)
    else:
        output.print_bootstrap(settings, report)


@click.command()
@_profile_options(force_help="Seed even a protected environment, or a database another environment migrated.")
@click.pass_context
def bootstrap(
    ctx: click.Context, seed_value: int | None, locale: str, lock_timeout: float, force: bool, as_json: bool
) -> None:
    """Migrate, then seed the environment's profile once: safe to run again."""
    from toolkit.commands.bootstrap import bootstrap as core

    _migrate_then_seed(
        ctx, core, seed_value=seed_value, locale=locale, lock_timeout=lock_timeout, force=force, as_json=as_json
    )


@click.command()
@_profile_options(force_help="Reset even a protected environment, or a database another environment migrated.")
@click.pass_context
def reset(
    ctx: click.Context, seed_value: int | None, locale: str, lock_timeout: float, force: bool, as_json: bool
) -> None:
    """Drop all of the app's tables, migrate and seed the environment's profile (for dev)."""
    from toolkit.commands.bootstrap import reset as core

    _migrate_then_seed(
        ctx, core, seed_value=seed_value, locale=locale, lock_timeout=lock_timeout, force=force, as_json=as_json
    )


COMMANDS = [seed, bootstrap, reset]
