"""The CLI reference can't go stale, and nothing in the CLI goes without help text."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from toolkit import clidocs
from toolkit.cli import cli

CLI_MD = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def all_commands(group: click.Group, path: str = "toolkit") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += all_commands(command, f"{path} {name}")
        else:
            found.append((f"{path} {name}", command))
    return found


COMMANDS = all_commands(cli)


def test_docs_cli_md_matches_the_commands_help() -> None:
    assert CLI_MD.read_text() == clidocs.render(), (
        "docs/cli.md is out of date; regenerate it with: python -m toolkit.clidocs > docs/cli.md"
    )


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_text(path: str, command: click.Command) -> None:
    assert (command.help or "").strip(), f"`{path}` has no help text: give it a docstring"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_option_has_help_text(path: str, command: click.Command) -> None:
    missing = [
        "/".join(p.opts)
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()
    ]
    assert missing == [], f"`{path}`: options without help text: {', '.join(missing)}"


def test_every_command_and_option_is_in_the_reference() -> None:
    text = clidocs.render()
    for path, command in COMMANDS:
        assert f"`{path}`" in text
        for p in command.params:
            if isinstance(p, click.Option) and not p.hidden:
                assert f"`{p.opts[-1]}" in text or f" {p.opts[-1]}" in text, (path, p.opts)
