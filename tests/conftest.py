"""Shared fixtures: real PostgreSQL databases, throwaway SQLite projects, the real CLI."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from click.testing import CliRunner, Result

from toolkit.cli import cli

REPO = Path(__file__).resolve().parent.parent
# A sample project that uses the pytest plugin; tests/test_pytest_plugin.py runs it in a
# subprocess with its own rootdir, so this suite must not collect it.
collect_ignore = ["downstream"]
# The server the tests create their databases on; .ci/run exports it.
PG_ADMIN_URL = os.environ.get("TOOLKIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TOOLKIT = str(Path(sys.executable).with_name("toolkit"))
CLEAN_ENV = {"DATABASE_URL": None, "TOOLKIT_ENV": None, "TOOLKIT_CONFIG": None}


def _admin(sql: str) -> None:
    async def go() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(go())


def query_db(sql: str, *, sqlite_path: Path | None = None, url: str | None = None) -> list[tuple]:
    """Rows of `sql` from an SQLite file or a PostgreSQL URL, as tuples."""
    if sqlite_path is not None:
        import sqlite3

        db = sqlite3.connect(sqlite_path)
        try:
            rows = [tuple(r) for r in db.execute(sql).fetchall()]
            db.commit()  # for the odd INSERT or DELETE a test makes
            return rows
        finally:
            db.close()

    async def go() -> list[tuple]:
        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    return asyncio.run(go())


def pg_url_for(name: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def pg_database_exists(name: str) -> bool:
    async def go() -> bool:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
        finally:
            await conn.close()

    return asyncio.run(go())


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"tk_test_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield pg_url_for(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Project:
    """A copy of this repository's project files (config, migrations, seeds) in a temp dir."""

    root: Path

    @property
    def sqlite_path(self) -> Path:
        return self.root / "dev.sqlite3"

    def cli(self, *args: str, env: dict[str, str | None] | None = None, input: str | None = None) -> Result:
        """Run the real Click command in-process, from the project root."""
        old = Path.cwd()
        os.chdir(self.root)
        try:
            return CliRunner().invoke(cli, list(args), env={**CLEAN_ENV, **(env or {})}, input=input, catch_exceptions=False)
        finally:
            os.chdir(old)

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the installed `toolkit` executable in a subprocess, from the project root."""
        full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
        full_env.update(env or {})
        return subprocess.run(
            [TOOLKIT, *args], cwd=self.root, env=full_env, capture_output=True, text=True, timeout=timeout
        )


def make_project(root: Path) -> Project:
    for folder in ("config", "migrations", "seeds"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return Project(root)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "proj")


MYSQL_ADMIN_URL = os.environ.get("TOOLKIT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")


def mysql_connect(database: str | None = None):  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    import pymysql

    parts = urlsplit(MYSQL_ADMIN_URL)
    return pymysql.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        password=parts.password or "", database=database, autocommit=True,
    )


def mysql_url_for(name: str) -> str:
    return f"{MYSQL_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def new_mysql_database() -> str:
    name = f"tk_test_{uuid.uuid4().hex[:10]}"
    conn = mysql_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    finally:
        conn.close()
    return name


def drop_mysql_database(name: str) -> None:
    conn = mysql_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        conn.close()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MySQL database for one test, dropped afterwards."""
    name = new_mysql_database()
    try:
        yield mysql_url_for(name)
    finally:
        drop_mysql_database(name)


def _target(request: pytest.FixtureRequest, project: Project):  # type: ignore[no-untyped-def]
    from tests.migration_helpers import target_for

    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(request.param)
    return target_for(request.param, project, request.getfixturevalue(server) if server else None)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def target(request: pytest.FixtureRequest, project: Project):  # type: ignore[no-untyped-def]
    """The database under test, once per backend: SQLite, PostgreSQL, MySQL/MariaDB."""
    return _target(request, project)


@pytest.fixture(params=["sqlite", "postgres"])
def atomic_target(request: pytest.FixtureRequest, project: Project):  # type: ignore[no-untyped-def]
    """The backends whose DDL is transactional: what a test of rolled-back migrations needs."""
    return _target(request, project)


def model_project(root: Path, models_source: str, seeds: dict[str, str] | None = None) -> Project:
    """A throwaway project whose models are `models_source`, its first migration made."""
    import textwrap
    import time

    project = make_project(root)
    module = f"adhoc_models_{root.name}_{int(time.time() * 1000)}"
    (project.root / f"{module}.py").write_text(textwrap.dedent(models_source))
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('models = ["toolkit.models"]', f'models = ["{module}"]'))
    for f in (project.root / "migrations" / "models").glob("*.py"):
        f.unlink()
    for f in (project.root / "seeds").glob("*"):
        f.unlink()
    for name, text in (seeds or {}).items():
        (project.root / "seeds" / name).write_text(textwrap.dedent(text))
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    return project
