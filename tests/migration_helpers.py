"""Helpers for the migration tests: real migration files in a temp project, and a look at the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import REPO, Project, mysql_connect, query_db

_INIT = next((REPO / "migrations" / "models").glob("0_*.py"))
# The init migration's MODELS_STATE: the extra files change SQL only, not the models.
INIT_MODELS_STATE = re.search(r"^MODELS_STATE = \(.*?^\)", _INIT.read_text(), re.S | re.M).group(0)  # type: ignore[union-attr]

_TEMPLATE = '''"""Migration {number}: {label} (written by a test)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = {in_transaction}

UPGRADE = {{
    "mysql": """{up_mysql}""",
    "postgres": """{up_pg}""",
    "sqlite": """{up_sqlite}""",
}}

DOWNGRADE = {{
    "mysql": """{down_mysql}""",
    "postgres": """{down}""",
    "sqlite": """{down}""",
}}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return UPGRADE[db.capabilities.dialect]


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWNGRADE[db.capabilities.dialect]


{models_state}
'''


def mysql_sql(sql: str) -> str:
    """The same SQL for MySQL, whose identifiers take backticks (no ANSI_QUOTES there)."""
    return sql.replace('"', "`")


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
            up_mysql=mysql_sql(upgrade),
            down=downgrade,
            down_mysql=mysql_sql(downgrade),
            models_state=INIT_MODELS_STATE,
        ),
        encoding="utf-8",
    )
    return path


@dataclass
class Target:
    """The database a test migrates: the project's SQLite file, or a fresh server database."""

    dialect: str
    env: dict[str, str]  # what to pass to `project.run` / `project.cli`
    url: str
    sqlite_path: Path | None = None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.dialect == "mysql":
            return mysql_query(self.url, sql)
        return query_db(sql, sqlite_path=self.sqlite_path, url=self.url)

    def tables(self) -> set[str]:
        if self.sqlite_path is not None:
            if not self.sqlite_path.exists():
                return set()
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        elif self.dialect == "mysql":
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        else:
            sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        return {r[0] for r in self.query(sql)}

    def q(self, sql: str) -> str:
        """`sql` as toolkit writes it for this dialect: MySQL quotes names with backticks."""
        return mysql_sql(sql) if self.dialect == "mysql" else sql

    def versions(self) -> list[str]:
        """The `aerich` table's versions, one entry per row (duplicates kept), oldest first."""
        if "aerich" not in self.tables():
            return []
        return [r[0] for r in self.query("SELECT version FROM aerich ORDER BY id")]


def mysql_query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of `sql` on the MySQL database of `url`; double-quoted names work (ANSI_QUOTES)."""
    from urllib.parse import urlsplit

    conn = mysql_connect(urlsplit(url).path.lstrip("/"))
    try:
        with conn.cursor() as cur:
            cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')")
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


def target_for(kind: str, project: Project, url: str | None) -> Target:
    if kind == "sqlite":
        return Target("sqlite", {}, f"sqlite://{project.sqlite_path}", project.sqlite_path)
    assert url is not None
    return Target(kind, {"DATABASE_URL": url}, url)
