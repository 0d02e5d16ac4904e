"""An SQLite file's schema as PRAGMA reports it, and the one `Tortoise.generate_schemas()` builds."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import Project

_GENERATE = """
import asyncio, sys
from tortoise import Tortoise

async def main():
    await Tortoise.init(db_url="sqlite://" + sys.argv[1], modules={"models": [sys.argv[2]]})
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()

asyncio.run(main())
"""


def sqlite_schema(path: Path) -> dict[str, dict[str, Any]]:
    """Each table's columns, unique column groups, other indexes and foreign keys, via PRAGMA.

    Unique groups are compared by their columns: `generate_schemas()` declares them in
    CREATE TABLE (an automatic index), a migration may add them as a named unique index.
    """
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]
        schema: dict[str, dict[str, Any]] = {}
        for table in names:
            columns = {r[1]: (r[2].upper(), bool(r[3]), r[4], r[5]) for r in db.execute(f'PRAGMA table_info("{table}")')}
            uniques, indexes = set(), set()
            for _, name, unique, *_ in db.execute(f'PRAGMA index_list("{table}")').fetchall():
                cols = tuple(r[2] for r in db.execute(f'PRAGMA index_info("{name}")'))
                if unique:
                    uniques.add(cols)
                else:
                    indexes.add((name, cols))
            keys = {(r[2], r[3], r[4], r[6]) for r in db.execute(f'PRAGMA foreign_key_list("{table}")')}
            schema[table] = {"columns": columns, "uniques": uniques, "indexes": indexes, "foreign_keys": keys}
        return schema
    finally:
        db.close()


def generated_sqlite_schema(project: Project, path: Path) -> dict[str, dict[str, Any]]:
    """What `Tortoise.generate_schemas()` builds on SQLite for the project's models now."""
    (module,) = project.root.glob("adhoc_models_*.py")
    path.unlink(missing_ok=True)
    made = subprocess.run(
        [sys.executable, "-c", _GENERATE, str(path), module.stem],
        cwd=project.root, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
    return sqlite_schema(path)
