"""On a live PostgreSQL, a migration that can't get its table lock in time gives up in one
line naming the blocker, instead of queueing every application query behind it."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration
from toolkit.commands.migrate import migrate
from toolkit.settings import resolve


async def test_a_held_table_lock_fails_the_migration_naming_the_blocker(
    project: Project, pg_url: str, monkeypatch
) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert (await asyncio.to_thread(project.run, "migrate", env=db.env)).returncode == 0
    name = write_migration(project.root, 1, "city", 'ALTER TABLE "users" ADD COLUMN "nick" VARCHAR(20);').name
    holder = await asyncpg.connect(pg_url)
    app = await asyncpg.connect(pg_url)
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT count(*) FROM users")  # a long read: ACCESS SHARE
        pid = holder.get_server_pid()
        monkeypatch.chdir(project.root)
        settings = resolve(database_url=pg_url)
        run = asyncio.create_task(migrate(settings, lock_wait=1.0))
        await asyncio.sleep(0.5)
        # The application reads while the migration waits: it is not stuck behind the ALTER
        # for longer than the lock wait.
        await app.execute("SET statement_timeout = '4s'")
        assert await app.fetchval("SELECT count(*) FROM users") == 0
        try:
            await run
        except Exception as exc:
            message = str(exc)
        else:
            raise AssertionError("the migration should have given up")
        assert message == (
            f'migrations/models/{name} waited longer than the lock wait for a lock on table "users", '
            f"held by pid {pid} (SELECT count(*) FROM users); it was rolled back and is still "
            "pending, and no query of the application waited behind it longer than that; run "
            "`toolkit migrate` again when the table is quieter, or raise --lock-wait"
        )
    finally:
        await holder.close()
        await app.close()
    status = await asyncio.to_thread(project.run, "status", "--exit-code", env=db.env)
    assert status.returncode == 1  # still pending
    columns = await asyncio.to_thread(
        db.query, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
    )
    assert ("nick",) not in columns
    assert (await asyncio.to_thread(project.run, "migrate", env=db.env)).returncode == 0


def test_an_index_built_concurrently_applies_once_and_rolls_back(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    write_migration(
        project.root, 1, "city_index", 'CREATE INDEX CONCURRENTLY "idx_city" ON "users" ("city");',
        'DROP INDEX CONCURRENTLY "idx_city";', in_transaction=False,
    )
    applied = project.run("migrate", env=db.env)
    assert applied.returncode == 0, applied.stderr
    assert db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'idx_city'") == [("idx_city",)]
    assert len(db.versions()) == 2
    assert project.run("lint").returncode == 0  # the safe form is no finding
    reverted = project.run("rollback", env=db.env)
    assert reverted.returncode == 0, reverted.stderr
    assert db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'idx_city'") == []
    assert len(db.versions()) == 1
