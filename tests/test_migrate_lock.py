"""The migration lock: concurrent `toolkit migrate` runs apply each migration exactly once."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess

import asyncpg

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from tests.migration_helpers import Target, write_migration
from toolkit.lock import MIGRATION_LOCK_KEY

RACERS = 5


def _race(project: Project, env: dict[str, str], n: int) -> list[subprocess.CompletedProcess[str]]:
    """Start `n` real `toolkit migrate` processes at once and wait for all of them."""
    full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full_env.update(env)
    procs = [
        subprocess.Popen(
            [TOOLKIT, "migrate"], cwd=project.root, env=full_env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def test_concurrent_migrates_apply_each_migration_exactly_once(project: Project, target: Target) -> None:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);', 'DROP TABLE "pets";')
    results = _race(project, target.env, RACERS)
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
    assert sorted(target.versions()) == sorted(
        p.name for p in (project.root / "migrations" / "models").glob("*.py")
    )
    assert len(target.versions()) == 2  # no duplicate rows
    # Exactly one process applied them; the others found nothing left to do.
    appliers = [r for r in results if "migration(s) applied" in r.stdout]
    assert len(appliers) == 1
    assert sum("Nothing to migrate" in r.stdout for r in results) == RACERS - 1
    assert {"users", "pets", "aerich"} <= target.tables()


async def test_postgres_waiter_past_lock_timeout_fails_saying_another_migration_runs(
    project: Project, pg_url: str
) -> None:
    holder = await asyncpg.connect(pg_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        result = await asyncio.to_thread(
            project.run, "migrate", "--lock-timeout", "0.3", env={"DATABASE_URL": pg_url}
        )
        tables = await holder.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await holder.close()
    assert result.returncode == 1
    assert result.stderr == (
        "Error: another migration is running on 127.0.0.1:5432 (waited 0.3s for the migration "
        "lock); try again when it finishes, or raise --lock-timeout\n"
    )
    assert tables == []


def test_sqlite_waiter_past_lock_timeout_fails_saying_another_migration_runs(project: Project) -> None:
    fd = os.open(f"{project.sqlite_path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = project.run("migrate", "--lock-timeout", "0.3")
    finally:
        os.close(fd)
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: another migration is running on {project.sqlite_path} (waited 0.3s for the "
        "migration lock); try again when it finishes, or raise --lock-timeout\n"
    )
    assert not project.sqlite_path.exists()


async def test_migrate_goes_on_once_the_lock_is_released(project: Project, pg_url: str) -> None:
    holder = await asyncpg.connect(pg_url)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        waiter = asyncio.create_task(
            asyncio.to_thread(project.run, "migrate", "--lock-timeout", "60", env={"DATABASE_URL": pg_url})
        )
        # Until the waiter is seen polling for the lock, it may not have got that far yet.
        while not await holder.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND query LIKE '%pg_try_advisory_lock%'"
        ):
            assert not waiter.done(), (await waiter).stderr
            await asyncio.sleep(0.05)
        assert not waiter.done()
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        result = await waiter
        versions = [r[0] for r in await holder.fetch("SELECT version FROM aerich")]
    finally:
        await holder.close()
    assert result.returncode == 0, result.stderr
    assert len(versions) == 1
