"""The `toolkit` group: its global options, its commands, and the console-script `main`."""

from __future__ import annotations

import click

from toolkit import __version__
from toolkit.cli import inspect_commands, migration_commands, seed_commands
from toolkit.cli.options import global_options, hidden_global_options


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="toolkit", message="%(prog)s %(version)s")
@click.pass_context
def cli(
    ctx: click.Context,
    env: str | None,
    database_url: str | None,
    app: str | None,
    config: str | None,
    quiet: bool,
    wait: float | None,
) -> None:
    """Migrate and seed a Tortoise ORM database: `toolkit migrate`, then `toolkit seed --count N`."""
    ctx.obj = {"env": env, "database_url": database_url, "app": app, "config": config, "quiet": quiet, "wait": wait}


cli.params[:0] = global_options()

for _command in [*migration_commands.COMMANDS, *inspect_commands.COMMANDS, *seed_commands.COMMANDS]:
    # Every command also takes the global options after its name: `toolkit seed -q`.
    _command.params += hidden_global_options()
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="toolkit")
