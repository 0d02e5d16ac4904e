"""Seeding and migrating never interleave: a seed holds the migration lock's shared side,
`migrate`/`rollback` its exclusive side. The second to come waits, or fails in one line
naming what runs; the first finishes, its ledger whole."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT, Project, mysql_connect
from tests.migration_helpers import Target
from toolkit.lock import MIGRATION_LOCK_KEY

ROWS = 60_000  # batch path, 1,000 a batch: the seed runs a while, committing as it goes


def _where(target: Target) -> str:
    if target.sqlite_path is not None:
        return str(target.sqlite_path)
    parts = urlsplit(target.url)
    return f"{parts.hostname}:{parts.port}"


@contextlib.contextmanager
def _held(target: Target, side: str) -> Iterator[None]:
    """The lock held from outside (SQLite, MySQL), as a running migration ("exclusive") or
    seed ("shared") holds it."""
    if target.sqlite_path is not None:
        fd = os.open(f"{target.sqlite_path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX if side == "exclusive" else fcntl.LOCK_SH)
        try:
            yield
        finally:
            os.close(fd)
    else:
        database = urlsplit(target.url).path.lstrip("/")
        name = f"toolkit_migrations:{database}" if side == "exclusive" else f"toolkit_seed:{database}:0"
        conn = mysql_connect(database)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT GET_LOCK(%s, 0)", (name,))
                assert cur.fetchone()[0] == 1
            yield
        finally:
            conn.close()


def _pg_held(target: Target, side: str) -> contextlib.AbstractContextManager[None]:
    return _PgHolder(target.url, side)


class _PgHolder:
    """A PostgreSQL session holding the advisory lock, on a thread of its own (asyncpg)."""

    def __init__(self, url: str, side: str) -> None:
        self.url, self.side = url, side
        self.ready, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import asyncio

        import asyncpg

        async def go() -> None:
            conn = await asyncpg.connect(self.url)
            fn = "pg_advisory_lock" if self.side == "exclusive" else "pg_advisory_lock_shared"
            await conn.execute(f"SELECT {fn}($1)", MIGRATION_LOCK_KEY)
            self.ready.set()
            while not self.done.is_set():
                await asyncio.sleep(0.05)
            await conn.close()

        asyncio.run(go())

    def __enter__(self) -> None:
        self.thread.start()
        assert self.ready.wait(10)

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(10)


def held(target: Target, side: str) -> contextlib.AbstractContextManager[None]:
    return _pg_held(target, side) if target.dialect == "postgres" else _held(target, side)


def _env(target: Target, **extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in CLEAN_ENV} | target.env | extra


def _ledger_runs(target: Target) -> list[tuple[object, ...]]:
    return target.query('SELECT table_name, row_count FROM toolkit_seed_runs')


def test_migrate_and_rollback_refuse_while_a_seed_runs_naming_it(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    with held(target, "shared"):
        for command in (["migrate"], ["rollback", "--to", "zero"]):
            result = project.run(*command, "--lock-timeout", "0.3", env=target.env)
            assert result.returncode == 1, result.stderr
            assert result.stderr == (
                f"Error: a seed is running on {_where(target)} (waited 0.3s for it to finish); "
                "try again when it finishes, or raise --lock-timeout\n"
            )
    assert "users" in target.tables()  # the rollback did nothing


def test_a_seed_refuses_while_a_migration_runs_naming_it(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    with held(target, "exclusive"):
        result = project.run("seed", "--count", "5", env=_env(target, TOOLKIT_LOCK_TIMEOUT="0.3"))
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f"Error: a migration is running on {_where(target)} (waited 0.3s for the migration lock); "
        "seed again when it finishes, or wait longer with --lock-timeout SECONDS\n"
    )
    assert target.query("SELECT COUNT(*) FROM users")[0][0] == 0
    assert "toolkit_seed_runs" not in target.tables()  # nothing recorded either
    with held(target, "exclusive"):
        flagged = project.run("seed", "--count", "5", "--lock-timeout", "0.2", env=_env(target, TOOLKIT_LOCK_TIMEOUT="600"))
    assert flagged.returncode == 1 and "(waited 0.2s for the migration lock)" in flagged.stderr  # the flag wins


def test_a_seed_waits_for_the_migration_then_loads(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    with held(target, "exclusive"):
        proc = subprocess.Popen(
            [TOOLKIT, "seed", "--count", "5"], cwd=project.root, env=_env(target),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        time.sleep(1.0)
        assert proc.poll() is None  # still waiting
        assert target.query("SELECT COUNT(*) FROM users")[0][0] == 0
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert target.query("SELECT COUNT(*) FROM users")[0][0] == 5


def test_seeds_run_side_by_side_under_the_shared_lock(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    with held(target, "shared"):  # another seed
        result = project.run("seed", "--count", "5", env=_env(target, TOOLKIT_LOCK_TIMEOUT="0.3"))
    assert result.returncode == 0, result.stderr


def test_rollback_to_zero_during_a_real_seed_waits_for_it_and_keeps_the_ledger(
    project: Project, target: Target
) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    seed = subprocess.Popen(
        [TOOLKIT, "seed", "--count", str(ROWS), "--batch-size", "1000", "--indexes", "live", "--concurrency", "1"],
        cwd=project.root, env=_env(target), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 60
    while "toolkit_seed_batches" not in target.tables() or not target.query(
        "SELECT COUNT(*) FROM toolkit_seed_batches"
    )[0][0]:
        assert seed.poll() is None, seed.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    refused = project.run("rollback", "--to", "zero", "--lock-timeout", "0.2", env=target.env)
    out, err = seed.communicate(timeout=120)
    assert seed.returncode == 0, err
    if refused.returncode == 0:  # the seed was already done: then the rollback came after it
        pytest.skip("the seed finished before the rollback started")
    assert refused.stderr.startswith(f"Error: a seed is running on {_where(target)} ")
    assert refused.stderr.count("\n") == 1
    assert target.query("SELECT COUNT(*) FROM users")[0][0] == ROWS
    assert [tuple(r) for r in _ledger_runs(target)] == [("users", ROWS)]
    assert target.query("SELECT SUM(row_count) FROM toolkit_seed_batches")[0][0] == ROWS
    # Now it runs, and takes everything away.
    gone = project.run("rollback", "--to", "zero", "--lock-timeout", "30", env=target.env)
    assert gone.returncode == 0, gone.stderr
    assert "users" not in target.tables()


def test_mysql_a_seed_past_the_slots_says_how_many_seeds_run(project: Project, mysql_url: str) -> None:
    from toolkit.backends.mysql_locks import SEED_SLOTS

    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    database = urlsplit(mysql_url).path.lstrip("/")
    conn = mysql_connect(database)
    try:
        with conn.cursor() as cur:
            for i in range(SEED_SLOTS):  # as many seeds as may run at once
                cur.execute("SELECT GET_LOCK(%s, 0)", (f"toolkit_seed:{database}:{i}",))
        result = project.run("seed", "--count", "5", env=env | {"TOOLKIT_LOCK_TIMEOUT": "0.3"})
    finally:
        conn.close()
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: {SEED_SLOTS} seeds are running at once on 127.0.0.1:3306 (waited 0.3s for one to "
        "finish); seed again when one finishes, or wait longer with --lock-timeout SECONDS\n"
    )
