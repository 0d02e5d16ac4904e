"""Render the CLI reference (docs/cli.md) from the Click commands themselves.

    python -m toolkit.clidocs > docs/cli.md

(`toolkit.clidocs` is the stable name; the code is here.) A test compares docs/cli.md with
`render()`, so the reference can't drift from `--help`.
"""

from __future__ import annotations

import click

from toolkit.cli.app import cli

HEADER = """\
# CLI reference

<!-- Generated from the commands' --help by `python -m toolkit.clidocs > docs/cli.md`.
     Don't edit by hand: tests/test_docs.py fails when this file is out of date. -->
"""

FOOTER = """
## Exit codes

| Code | Meaning |
| --- | --- |
| 0 | success (`status --exit-code`: nothing pending) |
| 1 | failure (`status --exit-code`: migrations are pending) |
| 2 | usage error: a bad option, value, environment or configuration |
| 130 | interrupted (Ctrl-C); committed work is kept |
"""


def _usage(command: click.Command, ctx: click.Context) -> str:
    return " ".join(command.collect_usage_pieces(ctx))


def _section(command: click.Command, ctx: click.Context, level: int) -> list[str]:
    title = ctx.command_path
    lines = [f"{'#' * level} `{title}`", ""]
    lines += ["```", f"Usage: {ctx.command_path} {_usage(command, ctx)}", "```", ""]
    if command.help:
        lines += [click.unstyle(command.help).strip(), ""]
    # get_help_record is what --help prints; it is None for arguments and hidden options.
    rows = [row for p in command.get_params(ctx) if (row := p.get_help_record(ctx))]
    if rows:
        lines += ["| Option | Description |", "| --- | --- |"]
        for names, help_text in rows:
            text = " ".join(help_text.split()).replace("|", "\\|")
            lines.append(f"| `{names}` | {text} |")
        lines.append("")
    return lines


def _walk(command: click.Command, ctx: click.Context, level: int) -> list[str]:
    lines = _section(command, ctx, level)
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            sub = command.commands[name]
            sub_ctx = click.Context(sub, info_name=name, parent=ctx, **sub.context_settings)
            lines += _walk(sub, sub_ctx, min(level + 1, 3))
    return lines


def render() -> str:
    """The Markdown reference of every command and option, in a stable order."""
    # The same contexts `toolkit ... --help` builds, so names and defaults match it exactly.
    root = click.Context(cli, info_name="toolkit", **cli.context_settings)
    return HEADER + "\n" + "\n".join(_walk(cli, root, 2)).rstrip() + "\n" + FOOTER


def main() -> None:
    click.echo(render(), nl=False)


if __name__ == "__main__":
    main()
