"""Tortoise's built-in migrations through toolkit: migrate, status and rollback with the real
CLI on every backend; concurrent runs; a migration and its record commit together; the
SQLite rebuild keeps child rows; the files and the table stay Tortoise's own."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT
from tests.migration_helpers import Target, target_for
from tests.tortoise_helpers import (
    BOOM,
    INITIAL,
    WIDEN,
    TortoiseProject,
    tortoise_migrate,
    tortoise_pending,
    tortoise_project,
)
from toolkit.commands import migrate as core


@pytest.fixture
def shop(tmp_path: Path) -> TortoiseProject:
    return tortoise_project(tmp_path / "shop", ("0001_initial.py", INITIAL), ("0002_widen.py", WIDEN))


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(request: pytest.FixtureRequest, shop: TortoiseProject) -> Target:
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(request.param)
    return target_for(request.param, shop, request.getfixturevalue(server) if server else None)


@pytest.fixture(params=["sqlite", "postgres"])
def atomic_db(request: pytest.FixtureRequest, shop: TortoiseProject) -> Target:
    return target_for(request.param, shop, request.getfixturevalue("pg_url") if request.param == "postgres" else None)


def _recorded(db: Target) -> list[str]:
    if "tortoise_migrations" not in db.tables():
        return []
    return [r[0] for r in db.query(db.q('SELECT "name" FROM "tortoise_migrations" ORDER BY "id"'))]


def test_migrate_status_rollback_through_the_cli(shop: TortoiseProject, db: Target) -> None:
    before = shop.status(db.env)
    assert before["applied"] == [] and before["pending"] == ["0001_initial", "0002_widen"]

    done = shop.run("migrate", env=db.env)
    assert done.returncode == 0, done.stderr
    assert "2 migration(s) applied" in done.stdout
    assert {"author", "book", "tortoise_migrations"} <= db.tables()
    assert "aerich" not in db.tables()  # Tortoise's table, not Aerich's
    assert _recorded(db) == ["0001_initial", "0002_widen"]
    columns = db.query(db.q("SELECT \"app\", \"version\" FROM \"toolkit_migration_checksums\" ORDER BY \"version\""))
    assert columns == [("models", "0001_initial.py"), ("models", "0002_widen.py")]
    assert shop.status(db.env)["up_to_date"] is True

    back = shop.run("rollback", env=db.env)
    assert back.returncode == 0, back.stderr
    assert "Reverted 0002_widen.py" in back.stdout
    assert _recorded(db) == ["0001_initial"]
    assert shop.status(db.env)["pending"] == ["0002_widen"]

    zero = shop.run("rollback", "--to", "zero", env=db.env)
    assert zero.returncode == 0, zero.stderr
    assert _recorded(db) == [] and not {"author", "book"} & db.tables()


def test_concurrent_migrates_on_a_fresh_postgres_database_apply_each_migration_once(
    shop: TortoiseProject, pg_url: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    env["DATABASE_URL"] = pg_url
    procs = [
        subprocess.Popen([TOOLKIT, "migrate"], cwd=shop.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for code, _, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    db = target_for("postgres", shop, pg_url)
    assert _recorded(db) == ["0001_initial", "0002_widen"]  # one row each, no duplicate
    assert sum("2 migration(s) applied" in out for _, out, _ in results) == 1
    assert sum("Nothing to migrate" in out for _, out, _ in results) == 3


def test_a_data_migration_that_raises_keeps_nothing_and_records_nothing(shop: TortoiseProject, atomic_db: Target) -> None:
    (shop.migrations / "0002_widen.py").unlink()
    shop.add("0002_boom.py", BOOM)
    done = shop.run("migrate", env=atomic_db.env)
    assert done.returncode == 1
    assert "0002_boom.py failed" in done.stderr
    assert "the data migration broke after CreateModel" in done.stderr
    assert "rolled back and it is still pending" in done.stderr
    assert "tag" not in atomic_db.tables()  # the CreateModel went with the RunPython
    assert _recorded(atomic_db) == ["0001_initial"]
    versions = [r[0] for r in atomic_db.query("SELECT version FROM toolkit_migration_checksums")]
    assert versions == ["0001_initial.py"]


def test_a_crash_between_commit_and_record_leaves_tortoise_unrecorded_but_not_toolkit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tortoise's executor commits the migration, then writes its row: a failure in between
    leaves the tables there and the migration pending, and the next run fails on them."""
    from tortoise.migrations.recorder import MigrationRecorder

    async def crash(self: MigrationRecorder, app: str, name: str) -> None:
        raise RuntimeError("killed before the record")

    monkeypatch.setattr(MigrationRecorder, "record_applied", crash)
    theirs = tortoise_project(tmp_path / "theirs", ("0001_initial.py", INITIAL))
    their_db = target_for("sqlite", theirs, None)
    with pytest.raises(RuntimeError, match="killed before the record"):
        asyncio.run(tortoise_migrate(theirs, their_db.url))
    assert {"author", "book"} <= their_db.tables()  # committed...
    assert _recorded(their_db) == []  # ...and not recorded

    ours = tortoise_project(tmp_path / "ours", ("0001_initial.py", INITIAL))
    our_db = target_for("sqlite", ours, None)
    with pytest.raises(Exception, match="killed before the record"):
        asyncio.run(core.migrate(ours.settings()))
    assert not {"author", "book"} & our_db.tables()  # the record failed: the migration went with it
    assert _recorded(our_db) == []


def test_the_sqlite_rebuild_keeps_the_child_rows_tortoise_cascades_away(tmp_path: Path) -> None:
    """Tortoise rebuilds "author" for the AlterField: DROP TABLE with foreign keys on is a
    DELETE, and every book goes with its author (ON DELETE CASCADE)."""
    rows = ["INSERT INTO author (id, name) VALUES (1, 'Ann')", "INSERT INTO book (title, author_id) VALUES ('B', 1)"]

    theirs = tortoise_project(tmp_path / "theirs", ("0001_initial.py", INITIAL), ("0002_widen.py", WIDEN))
    their_db = target_for("sqlite", theirs, None)
    asyncio.run(tortoise_migrate(theirs, their_db.url, target="models.0001_initial"))
    for sql in rows:
        their_db.query(sql)
    asyncio.run(tortoise_migrate(theirs, their_db.url))
    assert their_db.query("SELECT count(*) FROM book") == [(0,)]  # Tortoise's executor: gone

    ours = tortoise_project(tmp_path / "ours", ("0001_initial.py", INITIAL), ("0002_widen.py", WIDEN))
    our_db = target_for("sqlite", ours, None)
    settings = ours.settings()
    asyncio.run(core.migrate(settings, to="0001"))
    for sql in rows:
        our_db.query(sql)
    done = ours.run("migrate")
    assert done.returncode == 0, done.stderr
    assert our_db.query("SELECT title, author_id FROM book") == [("B", 1)]
    assert our_db.query("SELECT id, name, bio FROM author") == [(1, "Ann", None)]
    assert our_db.query("PRAGMA foreign_key_check") == []


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_database_migrated_by_tortoise_is_current_for_toolkit_and_the_reverse(
    shop: TortoiseProject, kind: str, request: pytest.FixtureRequest
) -> None:
    db = target_for(kind, shop, request.getfixturevalue("pg_url") if kind == "postgres" else None)
    asyncio.run(tortoise_migrate(shop, db.url, target="models.0001_initial"))
    settings = shop.settings(db.env)
    report = asyncio.run(core.status(settings))
    assert report.applied == ["0001_initial.py"] and report.pending == ["0002_widen.py"]

    assert asyncio.run(core.migrate(settings)).applied == ["0002_widen.py"]
    assert asyncio.run(tortoise_pending(shop, db.url)) == []  # nothing left for Tortoise either
    assert _recorded(db) == ["0001_initial", "0002_widen"]

    asyncio.run(core.rollback(settings, to="zero", force=True))
    assert asyncio.run(tortoise_pending(shop, db.url)) == ["models.0001_initial", "models.0002_widen"]


def test_a_held_table_lock_fails_the_migration_after_the_lock_wait_naming_the_blocker(
    shop: TortoiseProject, pg_url: str
) -> None:
    import asyncpg

    from toolkit.errors import MigrationFailed

    settings = shop.settings({"DATABASE_URL": pg_url})

    async def go() -> str:
        await core.migrate(settings, to="0001")
        holder = await asyncpg.connect(pg_url)
        try:
            async with holder.transaction():
                await holder.execute("SELECT count(*) FROM author")
                with pytest.raises(MigrationFailed) as failed:
                    await core.migrate(settings, lock_wait=0.5)
        finally:
            await holder.close()
        return str(failed.value)

    message = asyncio.run(go())
    assert 'waited longer than the lock wait for a lock on table "author", held by pid' in message
    assert "(SELECT count(*) FROM author); it was rolled back and is still pending" in message
    assert _recorded(target_for("postgres", shop, pg_url)) == ["0001_initial"]
