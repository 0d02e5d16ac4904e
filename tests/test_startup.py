"""`--help` and `--version` start instantly: they import Click, not the database stack.

Checked by module, never by time: a fresh interpreter runs the real command group and then
lists what got imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click

from toolkit.cli import cli

# Database drivers, the ORM and migration tool, the data generators.
HEAVY = ("asyncpg", "aiosqlite", "sqlite3", "_sqlite3", "tortoise", "pypika", "aerich", "asyncclick", "faker", "numpy")

PROBE = """
import json, sys
from toolkit.cli import cli
for args in json.loads(sys.argv[1]):
    try:
        cli.main(args, prog_name="toolkit")
    except SystemExit as exc:
        assert exc.code in (0, None), (args, exc.code)
print("MODULES " + json.dumps(sorted(sys.modules)))
"""


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append([*prefix, name])
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
    return paths


def modules_after(invocations: list[list[str]]) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(invocations)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_every_command_is_probed() -> None:
    assert {"migrate", "makemigrations", "rollback", "status", "seed"} <= {p[0] for p in command_paths(cli)}


def test_help_and_version_of_the_group_import_nothing_heavy() -> None:
    assert heavy_in(modules_after([["--help"], ["--version"]])) == []


def test_help_of_every_command_imports_nothing_heavy() -> None:
    invocations = [[*path, "--help"] for path in command_paths(cli)]
    assert heavy_in(modules_after(invocations)) == []


def test_help_does_not_even_import_asyncio() -> None:
    # asyncio costs more start-up time than Click itself; commands import it when they run.
    invocations = [["--help"], ["--version"], *([*p, "--help"] for p in command_paths(cli))]
    assert "asyncio" not in modules_after(invocations)


def test_the_real_executable_imports_nothing_heavy_for_help() -> None:
    # -X importtime lists every module the process imported, entry point included.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "toolkit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "Usage: " in result.stdout
    imported = {
        line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "click" in imported
    assert heavy_in(imported) == []


def complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    toolkit = str(Path(sys.executable).with_name("toolkit"))
    return subprocess.run([toolkit], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)


def test_shell_completion_script_comes_from_click() -> None:
    result = complete({"_TOOLKIT_COMPLETE": "bash_source"})
    assert result.returncode == 0, result.stderr
    assert "_toolkit_completion()" in result.stdout
    assert "complete -o nosort -F _toolkit_completion toolkit" in result.stdout


def test_shell_completion_completes_commands_and_options() -> None:
    commands = complete({"_TOOLKIT_COMPLETE": "bash_complete", "COMP_WORDS": "toolkit se", "COMP_CWORD": "1"})
    assert commands.stdout.split() == ["plain,seed"]
    options = complete({"_TOOLKIT_COMPLETE": "bash_complete", "COMP_WORDS": "toolkit seed --tr", "COMP_CWORD": "2"})
    assert options.stdout.split() == ["plain,--truncate"]
