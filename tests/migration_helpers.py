"""Helpers for the migration tests: real migration files in a temp project, and a look at the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO, Project, query_db

_INIT = next((REPO / "migrations" / "models").glob("0_*.py"))
# The init migration's MODELS_STATE: the extra files change SQL only, not the models.
INIT_MODELS_STATE = re.search(r"^MODELS_STATE = \(.*?^\)", _INIT.read_text(), re.S | re.M).group(0)  # type: ignore[union-attr]

_TEMPLATE = '''"""Migration {number}: {label} (written by a test)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = {in_transaction}

UPGRADE = {{
    "postgres": """{up_pg}""",
    "sqlite": """{up_sqlite}""",
}}

DOWNGRADE = {{
    "postgres": """{down}""",
    "sqlite": """{down}""",
}}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return UPGRADE[db.capabilities.dialect]


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWNGRADE[db.capabilities.dialect]


{models_state}
'''


def write_migration(
    root: Path,
    number: int,
    label: str,
    upgrade: str,
    downgrade: str = "",
    *,
    sqlite: str | None = None,
    in_transaction: bool = True,
) -> Path:
    """Add `migrations/models/<number>_<stamp>_<label>.py` with the same SQL for both dialects."""
    path = root / "migrations" / "models" / f"{number}_2099010100000{number}_{label}.py"
    path.write_text(
        _TEMPLATE.format(
            number=number,
            in_transaction=in_transaction,
            label=label,
            up_pg=upgrade,
            up_sqlite=upgrade if sqlite is None else sqlite,
            down=downgrade,
            models_state=INIT_MODELS_STATE,
        ),
        encoding="utf-8",
    )
    return path


@dataclass
class Target:
    """The database a test migrates: the project's SQLite file, or a fresh PostgreSQL database."""

    dialect: str
    env: dict[str, str]  # what to pass to `project.run` / `project.cli`
    url: str
    sqlite_path: Path | None = None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return query_db(sql, sqlite_path=self.sqlite_path, url=self.url)

    def tables(self) -> set[str]:
        if self.sqlite_path is not None:
            if not self.sqlite_path.exists():
                return set()
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        else:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        return {r[0] for r in self.query(sql)}

    def versions(self) -> list[str]:
        """The `aerich` table's versions, one entry per row (duplicates kept), oldest first."""
        if "aerich" not in self.tables():
            return []
        return [r[0] for r in self.query("SELECT version FROM aerich ORDER BY id")]


def target_for(kind: str, project: Project, pg_url: str | None) -> Target:
    if kind == "sqlite":
        return Target("sqlite", {}, f"sqlite://{project.sqlite_path}", project.sqlite_path)
    assert pg_url is not None
    return Target("postgres", {"DATABASE_URL": pg_url}, pg_url)


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
    import sqlite3

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
    import subprocess
    import sys

    (module,) = project.root.glob("adhoc_models_*.py")
    path.unlink(missing_ok=True)
    made = subprocess.run(
        [sys.executable, "-c", _GENERATE, str(path), module.stem],
        cwd=project.root, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
    return sqlite_schema(path)
