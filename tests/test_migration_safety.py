"""Migrations never lose data: rebuilds keep child rows, data migrations are atomic, an applied
file edited or renamed is refused, and statements decide atomicity, not patterns."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from tests.migration_helpers import INIT_MODELS_STATE, Target, mysql_query, write_migration

PARENT_CHILD = (
    'CREATE TABLE "parent" ("id" INTEGER PRIMARY KEY, "name" VARCHAR(20) NOT NULL);\n'
    'CREATE TABLE "child" ("id" INTEGER PRIMARY KEY, "parent_id" INT NOT NULL '
    'REFERENCES "parent" ("id") ON DELETE CASCADE);\n'
    + "".join(f'INSERT INTO "parent" VALUES ({i}, \'p{i}\');\n' for i in range(1, 51))
    + "".join(f'INSERT INTO "child" VALUES ({i}, {i % 50 + 1});\n' for i in range(1, 1001))
)
# sqlite.org's own recipe for a change ALTER TABLE can't make: create, copy, drop, rename.
REBUILD = (
    'CREATE TABLE "new__parent" ("id" INTEGER PRIMARY KEY, "name" VARCHAR(50) NOT NULL);\n'
    'INSERT INTO "new__parent" ("id", "name") SELECT "id", "name" FROM "parent";\n'
    'DROP TABLE "parent";\n'
    'ALTER TABLE "new__parent" RENAME TO "parent";'
)

HOOKED = '''"""Migration {number}: a data migration (written by a test)."""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True


async def upgrade(db: BaseDBAsyncClient) -> str:
    {hook}
    return """{sql}"""


async def downgrade(db: BaseDBAsyncClient) -> str:
    return """DELETE FROM "users" WHERE "username" = 'hooked';"""


{state}
'''

INSERT_HOOKED = (
    "INSERT INTO \"users\" (\"username\", \"email\", \"first_name\", \"last_name\", \"is_active\", "
    "\"created_at\") VALUES ('hooked', 'hooked@example.com', 'Hoo', 'Ked', {true}, "
    "'2026-01-01 00:00:00')"
)


def _hooked(project: Project, number: int, hook: str, sql: str, dialect: str = "sqlite") -> Path:
    path = project.root / "migrations" / "models" / f"{number}_2099010100000{number}_data.py"
    text = HOOKED.format(number=number, hook=hook, sql=sql, state=INIT_MODELS_STATE)
    if dialect == "mysql":  # backticks in the SQL the file runs, not in its Python
        head, state = text.split("MODELS_STATE", 1)
        text = re.sub(r'(?<!")"([a-z_]+)"(?!")', r"`\1`", head) + "MODELS_STATE" + state
    path.write_text(text)
    return path


def _true(target: Target) -> str:
    return "1" if target.dialect == "sqlite" else "TRUE"


def test_sqlite_table_rebuild_in_a_migration_keeps_every_child_row(project: Project) -> None:
    write_migration(project.root, 1, "family", PARENT_CHILD, 'DROP TABLE "child"; DROP TABLE "parent";')
    write_migration(project.root, 2, "rebuild", REBUILD)
    result = project.run("migrate")
    assert result.returncode == 0, result.stderr
    db = Target("sqlite", {}, "", project.sqlite_path)
    assert db.query('SELECT count(*) FROM "child"') == [(1000,)]
    assert db.query("PRAGMA foreign_key_check") == []


def test_sqlite_migration_that_orphans_rows_is_rolled_back_naming_the_table(project: Project) -> None:
    write_migration(project.root, 1, "family", PARENT_CHILD, 'DROP TABLE "child"; DROP TABLE "parent";')
    broken = write_migration(project.root, 2, "orphans", 'DELETE FROM "parent" WHERE "id" <= 10;').name
    result = project.run("migrate")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migration migrations/models/{broken} failed on SQLite: it leaves 200 row(s) of "
        "child pointing at missing rows of parent (PRAGMA foreign_key_check) (its changes were "
        "rolled back and it is still pending; the 2 before it in this run stay applied); "
        "fix the file and run `toolkit migrate` again"
    )
    db = Target("sqlite", {}, "", project.sqlite_path)
    assert db.query('SELECT count(*) FROM "parent"') == [(50,)]
    assert len(db.versions()) == 2


def test_a_data_migration_is_atomic_with_its_sql(project: Project, atomic_target: Target) -> None:
    hook = f'await db.execute_query("""{INSERT_HOOKED.format(true=_true(atomic_target))}""")'
    broken = _hooked(project, 1, hook, 'INSERT INTO "nowhere" VALUES (1);').name
    result = project.run("migrate", env=atomic_target.env)
    assert result.returncode == 1
    assert f"{broken} failed on " in result.stderr
    assert "(its changes were rolled back and it is still pending;" in result.stderr
    assert atomic_target.query("""SELECT count(*) FROM "users" WHERE "username" = 'hooked'""") == [(0,)]
    assert len(atomic_target.versions()) == 1


def test_a_data_migration_that_succeeds_commits_its_rows_and_its_record(project: Project, target: Target) -> None:
    hook = f'await db.execute_script("""{INSERT_HOOKED.format(true=_true(target))}""")'
    _hooked(project, 1, hook, "", target.dialect)
    result = project.run("migrate", env=target.env)
    assert result.returncode == 0, result.stderr
    assert target.query("""SELECT count(*) FROM "users" WHERE "username" = 'hooked'""") == [(1,)]
    assert len(target.versions()) == 2
    assert project.run("rollback", env=target.env).returncode == 0
    assert target.query("""SELECT count(*) FROM "users" WHERE "username" = 'hooked'""") == [(0,)]


def test_sqlite_execute_script_in_a_data_migration_stays_in_its_transaction(project: Project) -> None:
    hook = f'await db.execute_script("""{INSERT_HOOKED.format(true="1")}""")'
    _hooked(project, 1, hook, 'INSERT INTO "nowhere" VALUES (1);')
    assert project.run("migrate").returncode == 1
    db = Target("sqlite", {}, "", project.sqlite_path)
    assert db.query("""SELECT count(*) FROM "users" WHERE "username" = 'hooked'""") == [(0,)]


def test_a_case_end_on_its_own_line_keeps_the_migration_atomic(project: Project, atomic_target: Target) -> None:
    sql = (
        'CREATE TABLE "toys" ("id" INTEGER PRIMARY KEY, "kind" VARCHAR(10));\n'
        'UPDATE "toys" SET "kind" = CASE WHEN "id" > 1 THEN \'big\'\nEND;\n'
        'INSERT INTO "nowhere" VALUES (1);'
    )
    write_migration(project.root, 1, "toys", sql)
    result = project.run("migrate", env=atomic_target.env)
    assert result.returncode == 1
    assert "(its changes were rolled back and it is still pending;" in result.stderr
    assert "toys" not in atomic_target.tables()


def test_a_script_with_its_own_commit_in_a_transaction_is_refused_and_nothing_kept(
    project: Project, atomic_target: Target
) -> None:
    name = write_migration(project.root, 1, "own", 'CREATE TABLE "toys" ("id" INTEGER);\nCOMMIT;').name
    result = project.run("migrate", env=atomic_target.env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migrations/models/{name} runs `COMMIT` itself, inside the transaction toolkit "
        "opens for it; nothing of it was kept. Set RUN_IN_TRANSACTION = False in the file to "
        "run it as written, outside a transaction"
    )
    assert "toys" not in atomic_target.tables()


def test_an_applied_migration_edited_afterwards_stops_migrate_and_check(project: Project, target: Target) -> None:
    path = write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);', 'DROP TABLE "pets";')
    assert project.run("migrate", env=target.env).returncode == 0
    path.write_text(path.read_text().replace('"pets" ("id" INTEGER PRIMARY KEY)', '"pets" ("id" INTEGER PRIMARY KEY, "x" INT)'))
    write_migration(project.root, 2, "toys", 'CREATE TABLE "toys" ("id" INTEGER PRIMARY KEY);')
    result = project.run("migrate", env=target.env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migrations/models/{path.name} was edited after it was applied to this database "
        "(its checksum differs from the one recorded when it ran); restore it as it was applied "
        "and put the change in a new migration"
    )
    assert "toys" not in target.tables()
    status = json.loads(project.run("status", "--json", env=target.env).stdout)
    assert status["edited"] == [path.name]
    assert project.run("check", env=target.env).returncode == 1


def test_an_applied_migration_renamed_afterwards_is_not_applied_again(project: Project, target: Target) -> None:
    path = write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);', 'DROP TABLE "pets";')
    assert project.run("migrate", env=target.env).returncode == 0
    renamed = path.with_name("1_20990101000001_animals.py")
    path.rename(renamed)
    result = project.run("migrate", env=target.env)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migrations/models/{renamed.name} is the applied migration {path.name} under a "
        f"new name; rename it back to {path.name}"
    )
    assert len(target.versions()) == 2
    status = json.loads(project.run("status", "--json", env=target.env).stdout)
    assert status["pending"] == []


def test_migrations_applied_before_checksums_get_a_baseline(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    target.query("DELETE FROM toolkit_migration_checksums")
    assert project.run("migrate", env=target.env).returncode == 0
    assert target.query("SELECT count(*) FROM toolkit_migration_checksums") == [(1,)]


def _start_migrate(project: Project, env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full_env.update(env)
    return subprocess.Popen(
        [TOOLKIT, "migrate"], cwd=project.root, env=full_env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(predicate: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _slow_migration(project: Project, sleep: str) -> str:
    """Migration 1: sleeps inside its own step, then creates a table; SQL for every dialect."""
    path = project.root / "migrations" / "models" / "1_20990101000001_slow.py"
    path.write_text(
        "RUN_IN_TRANSACTION = True\n\n"
        "async def upgrade(db):\n"
        f'    return "{sleep}; CREATE TABLE pets (id INT PRIMARY KEY);"\n\n'
        "async def downgrade(db):\n"
        '    return "DROP TABLE pets;"\n\n' + INIT_MODELS_STATE + "\n"
    )
    return path.name


def test_postgres_lost_lock_connection_never_applies_a_migration_twice(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    name = _slow_migration(project, "SELECT pg_sleep(3)")
    first = _start_migrate(project, db.env)
    _wait_for(lambda: bool(db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'")))
    # The lock's session dies (idle_session_timeout, pg_terminate_backend, a failover).
    db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'toolkit migration lock'")
    second = _start_migrate(project, db.env)
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert second.returncode == 0, err2
    assert first.returncode == 1
    assert err1.splitlines()[-1].startswith("Error: lost the migration lock on 127.0.0.1:5432 (")
    assert err1.splitlines()[-1].endswith(
        f"while applying migrations/models/{name}: {name} was rolled back and is still pending; "
        "stopped so no other run's migrations interleave; run `toolkit migrate` again"
    )
    assert db.versions().count(name) == 1
    assert db.query("SELECT count(*) FROM toolkit_migration_checksums") == [(2,)]


def test_mysql_lost_lock_connection_never_applies_a_migration_twice(project: Project, mysql_url: str) -> None:
    database = mysql_url.rsplit("/", 1)[1]
    url = mysql_url
    env = {"DATABASE_URL": url}
    assert project.run("migrate", env=env).returncode == 0
    name = _slow_migration(project, "SELECT SLEEP(3)")
    first = _start_migrate(project, env)
    sleeping = "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(3)%'"
    _wait_for(lambda: bool(mysql_query(url, sleeping)))
    lock = f"SELECT IS_USED_LOCK('toolkit_migrations:{database}')"
    (holder,) = mysql_query(url, lock)[0]
    mysql_query(url, f"KILL {int(holder)}")
    second = _start_migrate(project, env)
    _, err1 = first.communicate(timeout=60)
    _, err2 = second.communicate(timeout=60)
    assert second.returncode == 0, err2
    assert first.returncode == 1
    assert err1.splitlines()[-1].startswith("Error: lost the migration lock on 127.0.0.1:3306 (")
    assert f"{name} ran and is recorded;" in err1
    versions = [r[0] for r in mysql_query(url, "SELECT version FROM aerich")]
    assert versions.count(name) == 1


def test_sqlite_lock_file_gets_the_database_files_mode(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    lock = project.sqlite_path.with_name("dev.sqlite3.lock")
    lock.unlink()
    project.sqlite_path.chmod(0o664)
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);')
    assert project.run("migrate").returncode == 0
    assert lock.stat().st_mode & 0o777 == 0o664
    assert lock.stat().st_gid == project.sqlite_path.stat().st_gid


def test_a_migration_file_that_fails_to_import_is_named_with_its_line(project: Project) -> None:
    path = project.root / "migrations" / "models" / "1_20990101000001_bad.py"
    path.write_text("import os\n\nraise RuntimeError('boom')\n")
    result = project.run("migrate")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migration migrations/models/{path.name} fails to import at line 3: "
        "RuntimeError: boom; fix the file"
    )
    path.write_text("async def upgrade(db):\n    return (\n")
    result = project.run("migrate")
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: migration migrations/models/{path.name} has a syntax error at line 2: "
    )


def test_postgres_connection_cut_mid_migration_says_the_server_rolled_it_back(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    name = _slow_migration(project, "SELECT pg_sleep(3)")
    run = _start_migrate(project, db.env)
    _wait_for(lambda: bool(db.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'")))
    db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%'")
    _, err = run.communicate(timeout=60)
    assert run.returncode == 1
    last = err.splitlines()[-1]
    assert last.startswith(
        f"Error: lost the connection to PostgreSQL at 127.0.0.1:5432 while applying migrations/models/{name} ("
    ), last
    assert last.endswith(
        "); the server rolled that migration back and it is still pending; run `toolkit migrate` again"
    )
    assert "pets" not in db.tables()


def test_mysql_migration_killed_half_way_is_refused_next_time_naming_it(project: Project, mysql_url: str) -> None:
    url = mysql_url
    env = {"DATABASE_URL": url}
    assert project.run("migrate", env=env).returncode == 0
    name = _slow_migration(project, "SELECT SLEEP(2)")
    run = _start_migrate(project, env)
    sleeping = "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(2)%'"
    _wait_for(lambda: bool(mysql_query(url, sleeping)))
    run.kill()
    run.communicate(timeout=30)
    result = project.run("migrate", env=env)
    assert result.returncode == 1
    stem = name.removesuffix(".py")
    assert result.stderr.splitlines()[-1] == (
        f"Error: migration migrations/models/{name} was interrupted while it ran on MySQL, "
        "which can't roll DDL back: some of its statements may have run and it is not "
        f"recorded; finish it by hand and record it with `toolkit migrate --fake {stem}`, "
        f"or undo what it did and clear the mark with `toolkit migrate --retry {stem}`"
    )
