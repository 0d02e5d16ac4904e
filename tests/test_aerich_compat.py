"""toolkit records migrations exactly as Aerich does: each tool sees the other's database as current."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration

AERICH = """
import asyncio, json, sys
from aerich import Command

url, location, action = sys.argv[1:4]
config = {
    "connections": {"default": url},
    "apps": {"models": {"models": ["toolkit.models", "aerich.models"], "default_connection": "default"}},
}

async def main():
    async with Command(tortoise_config=config, app="models", location=location) as cmd:
        await cmd.init()
        print(json.dumps(await (cmd.upgrade() if action == "upgrade" else cmd.heads())))

asyncio.run(main())
"""


def _aerich(project: Project, target: Target, action: str) -> list[str]:
    url = "asyncpg://" + target.url.split("://", 1)[1] if target.dialect == "postgres" else target.url
    result = subprocess.run(
        [sys.executable, "-c", AERICH, url, str(project.root / "migrations"), action],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _rows(target: Target) -> list[tuple[str, str, object]]:
    rows = target.query("SELECT version, app, content FROM aerich ORDER BY id")
    return [(v, a, json.loads(c) if isinstance(c, str) else c) for v, a, c in rows]


def test_database_migrated_by_toolkit_is_current_for_aerich(project: Project, target: Target) -> None:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);')
    assert project.run("migrate", env=target.env).returncode == 0
    assert _aerich(project, target, "heads") == []


def test_database_migrated_by_aerich_is_current_for_toolkit(project: Project, target: Target) -> None:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);')
    assert len(_aerich(project, target, "upgrade")) == 2
    aerich_rows = _rows(target)
    result = project.run("migrate", env=target.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Nothing to migrate")
    assert _rows(target) == aerich_rows


def test_toolkit_writes_the_same_aerich_rows_as_aerich(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    ours = _rows(target)
    for table in ("users", "aerich"):
        target.query(f'DROP TABLE "{table}"')
    assert len(_aerich(project, target, "upgrade")) == 1
    assert _rows(target) == ours
