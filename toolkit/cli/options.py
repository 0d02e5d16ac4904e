"""Options more than one module declares: the global ones and `--lock-timeout`."""

from __future__ import annotations

from typing import Any

import click

from toolkit.cli.completion import environments


def global_options(**extra: Any) -> list[click.Option]:
    """The options of the group. `extra` makes the hidden copies every command also takes."""
    return [
        click.Option(["--env", "env"], metavar="NAME", shell_complete=environments, help="Environment from the config file (else TOOLKIT_ENV, else default_env).", **extra),
        click.Option(["--database-url", "database_url"], metavar="URL", help="Database URL (else DATABASE_URL, else the environment's database_url).", **extra),
        click.Option(["--app", "app"], metavar="NAME", help="Tortoise app to work on, of [toolkit.apps] (else TOOLKIT_APP, else [toolkit] app, else the first); its migrations are in migrations/NAME/.", **extra),
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


def global_after_command(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    # `toolkit seed -q` means `toolkit -q seed`: a global option given after the command
    # (the group has already stored its own values) wins over one given before it.
    if value is not None:
        root = ctx.find_root()
        root.obj = {**(root.obj or {}), str(param.name): value}


def hidden_global_options() -> list[click.Option]:
    """The copies of the global options a command accepts after its name."""
    return global_options(hidden=True, expose_value=False, callback=global_after_command)


lock_timeout = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another migration holding the migration lock.",
)

lock_wait = click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="PostgreSQL: how long a migration's statement may wait for a table lock before the migration gives up (0: no bound), so the application's queries don't queue behind it.",
)
