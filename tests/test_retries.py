"""`migrate --retries N`: a migration that gave up waiting for a table lock (rolled back,
still pending) is tried again with backoff, and the last failure says how many tries."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from tests.migration_helpers import Target, write_migration
from toolkit.errors import ConfigError
from toolkit.migrations.executor import Retries
from toolkit.settings import resolve

_WAITING = (
    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "WHERE c.relname = 'users' AND NOT l.granted"
)


async def _until(conn: asyncpg.Connection, waiting: bool, within: float = 20.0) -> None:
    """Poll until a session is (or no longer is) queued for a lock on "users"."""
    for _ in range(int(within / 0.05)):
        if bool(await conn.fetchval(_WAITING)) == waiting:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no session {'started' if waiting else 'stopped'} waiting for the lock")


async def _hold_users(pg_url: str) -> asyncpg.Connection:
    holder = await asyncpg.connect(pg_url)
    await holder.execute("BEGIN")
    await holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    return holder


def _migrate(project: Project, db: Target) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV} | db.env
    return subprocess.Popen(
        [TOOLKIT, "migrate", "--lock-wait", "1", "--retries", "2"],
        cwd=project.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _ready(project: Project, pg_url: str) -> tuple[Target, str]:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    name = write_migration(project.root, 1, "nick", 'ALTER TABLE "users" ADD COLUMN "nick" VARCHAR(20);').name
    return db, name


async def test_a_lock_released_after_the_first_try_lets_the_retry_apply_it(project: Project, pg_url: str) -> None:
    db, name = _ready(project, pg_url)
    holder = await _hold_users(pg_url)
    watcher = await asyncpg.connect(pg_url)
    try:
        run = _migrate(project, db)
        await _until(watcher, waiting=True)  # the first try queues for the lock...
        await _until(watcher, waiting=False)  # ...and gives up after --lock-wait
        await holder.execute("COMMIT")
        out, err = await asyncio.to_thread(run.communicate, timeout=60)
    finally:
        await holder.close()
        await watcher.close()
    assert run.returncode == 0, err
    assert "trying again in 1s (attempt 2 of 3)" in err
    assert f"Applied {name.removesuffix('.py')}" in out
    assert (await asyncio.to_thread(db.versions)).count(name) == 1
    sql = "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
    assert ("nick",) in await asyncio.to_thread(db.query, sql)


async def test_a_lock_never_released_fails_after_every_try_in_one_line(project: Project, pg_url: str) -> None:
    db, name = _ready(project, pg_url)
    holder = await _hold_users(pg_url)
    try:
        pid = holder.get_server_pid()
        run = _migrate(project, db)
        out, err = await asyncio.to_thread(run.communicate, timeout=60)
    finally:
        await holder.close()
    assert run.returncode == 1
    assert "attempt 3 of 3" in err
    message = err.strip().splitlines()[-1]
    assert message == (
        f'Error: migrations/models/{name} waited longer than the lock wait for a lock on table "users", '
        f"held by pid {pid} (LOCK TABLE users IN ACCESS EXCLUSIVE MODE) in each of 3 attempts; it was "
        "rolled back and is still pending, and no query of the application waited behind it longer "
        "than that; run `toolkit migrate` again when the table is quieter, or raise --lock-wait or --retries"
    )
    assert "Traceback" not in err
    assert name not in await asyncio.to_thread(db.versions)
    assert project.run("status", "--exit-code", env=db.env).returncode == 1  # still pending


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [Retries(3).pause(n) for n in (1, 2, 3, 4, 5, 6)] == [1, 2, 4, 8, 16, 30]
    assert Retries(3, backoff=0.01).pause(3) == 0.04


CONFIG = """
[toolkit]
models = ["toolkit.models"]
{extra}

[env.dev]
database_url = "sqlite://dev.sqlite3"
"""


def _root(tmp_path: Path, extra: str) -> Path:
    (tmp_path / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "config" / "toolkit.toml").write_text(CONFIG.format(extra=extra))
    return tmp_path


def test_retries_come_from_the_environment_over_the_config(tmp_path: Path) -> None:
    root = _root(tmp_path, "lock_retries = 2")
    assert resolve(cwd=root, environ={}).lock_retries == 2
    assert resolve(cwd=root, environ={"TOOLKIT_LOCK_RETRIES": "4"}).lock_retries == 4
    assert resolve(cwd=_root(tmp_path / "b", ""), environ={}).lock_retries == 0


@pytest.mark.parametrize("extra", ["lock_retries = -1", "lock_retries = true", 'lock_retries = "x"'])
def test_a_bad_retry_count_is_refused_in_one_line(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigError, match=r"\[toolkit\] lock_retries must be a whole number of retries, 0 or more"):
        resolve(cwd=_root(tmp_path, extra), environ={})
