"""The `toolkit` command: parse options, call one core function, print its report.

- `app`: the group, its global options, `main` (the console script `toolkit.cli:main`);
- `migration_commands`, `seed_commands`: the commands, options and the core call only;
- `run`: runs a core coroutine; the only place a `ToolkitError` becomes an exit code;
- `output`: every report as text or JSON, and the seeding progress bar;
- `options`: options several modules declare; `docs`: renders docs/cli.md.

Core modules are imported inside the commands, so `--help` and `--version` start without
loading a database driver, Faker or Tortoise (or even asyncio).
"""

from __future__ import annotations

from toolkit.cli.app import cli, main

__all__ = ["cli", "main"]
