"""The third backend, MySQL/MariaDB, end to end on a real server: migrate, seed, lock, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pymysql

from tests.conftest import (
    CLEAN_ENV,
    TOOLKIT,
    Project,
    drop_mysql_database,
    make_project,
    model_project,
    mysql_connect,
    mysql_url_for,
    new_mysql_database,
)
from tests.migration_helpers import mysql_query
from tests.test_seed_relation_shapes import MODELS as RELATION_MODELS
from tests.test_seed_relation_shapes import ORPHANS


def test_migrate_seed_append_and_rollback(project: Project, mysql_url: str) -> None:
    env = {"DATABASE_URL": mysql_url}
    migrated = project.run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert project.run("status", "--exit-code", env=env).returncode == 0
    for _ in range(2):
        seeded = project.run("seed", "--count", "5000", "--seed", "3", env=env)
        assert seeded.returncode == 0, seeded.stderr
    assert mysql_query(mysql_url, "SELECT count(*), count(DISTINCT email), count(DISTINCT username) FROM users") == [
        (10000, 10000, 10000)
    ]
    # The same seed gives the same rows as on SQLite: one generator, whatever the backend.
    other = make_project(project.root.parent / "on_sqlite")
    assert other.run("migrate").returncode == 0
    assert other.run("seed", "--count", "5000", "--seed", "3").returncode == 0
    import sqlite3

    expected = sqlite3.connect(other.sqlite_path).execute(
        "SELECT id, email, username, first_name, birth_date FROM users ORDER BY id"
    ).fetchall()
    got = mysql_query(
        mysql_url, "SELECT id, email, username, first_name, birth_date FROM users WHERE id <= 5000 ORDER BY id"
    )
    assert [(r[0], r[1], r[2], r[3], r[4] and r[4].isoformat()) for r in got] == expected
    rolled = project.run("rollback", "--to", "zero", env=env)
    assert rolled.returncode == 0, rolled.stderr
    assert mysql_query(mysql_url, "SELECT count(*) FROM information_schema.tables "
                                  "WHERE table_schema = DATABASE() AND table_name = 'users'") == [(0,)]
    assert project.run("migrate", env=env).returncode == 0


def test_concurrent_migrations_apply_once(project: Project, mysql_url: str) -> None:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full["DATABASE_URL"] = mysql_url
    procs = [
        subprocess.Popen([TOOLKIT, "migrate"], cwd=project.root, env=full, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert mysql_query(mysql_url, "SELECT version, count(*) FROM aerich GROUP BY version") == [
        ("0_20261124011702_init.py", 1)
    ]


def test_a_held_lock_times_out_naming_the_server_and_spares_other_databases(
    project: Project, mysql_url: str
) -> None:
    from toolkit.backends.mysql import MIGRATION_LOCK_NAME, lock_name

    database = urlsplit(mysql_url).path.lstrip("/")
    other = new_mysql_database()
    holder = mysql_connect()
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, 0)", (lock_name(MIGRATION_LOCK_NAME, database),))
        result = project.run("migrate", "--lock-timeout", "0.3", env={"DATABASE_URL": mysql_url})
        # Named locks are server-wide: the name holds the database, so another one migrates.
        elsewhere = project.run("migrate", "--lock-timeout", "0.3", env={"DATABASE_URL": mysql_url_for(other)})
    finally:
        holder.close()
        drop_mysql_database(other)
    assert result.returncode == 1
    assert "another migration is running on 127.0.0.1:3306" in result.stderr
    assert elsewhere.returncode == 0, elsewhere.stderr


def test_a_failing_migration_names_the_file_and_what_stays(project: Project, mysql_url: str) -> None:
    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    init = next((project.root / "migrations" / "models").glob("0_*.py")).read_text()
    state = init[init.index("MODELS_STATE = (") :]
    (project.root / "migrations" / "models" / "1_20990101000001_broken.py").write_text(
        "from tortoise import BaseDBAsyncClient\n\n"
        "async def upgrade(db: BaseDBAsyncClient) -> str:\n"
        '    return "CREATE TABLE toys (id INT PRIMARY KEY); SELECT * FROM nowhere;"\n\n'
        "async def downgrade(db: BaseDBAsyncClient) -> str:\n"
        '    return "DROP TABLE toys;"\n\n' + state
    )
    failed = project.run("migrate", env=env)
    assert failed.returncode == 1
    assert "Error: migration migrations/models/1_20990101000001_broken.py failed on MySQL:" in failed.stderr
    assert "MySQL commits each DDL statement, so its statements before the error stay" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert project.run("status", "--exit-code", env=env).returncode == 1  # still pending


def test_seed_all_keeps_every_relation_valid(tmp_path: Path, mysql_url: str) -> None:
    project = model_project(tmp_path / "shapes", RELATION_MODELS)
    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--all", "--count", "150", "--seed", "5", env=env)
    assert result.returncode == 0, result.stderr
    for sql in ORPHANS:
        assert mysql_query(mysql_url, sql) == [(0,)], sql
    assert mysql_query(mysql_url, "SELECT count(*) FROM s_products_s_products")[0][0] > 0


def test_kill_9_then_resume_gives_the_rows_of_an_uninterrupted_run(project: Project, mysql_url: str) -> None:
    env = {"DATABASE_URL": mysql_url}
    args = ["seed", "--count", "60000", "--seed", "13", "--batch-size", "2000", "--concurrency", "2"]
    assert project.run("migrate", env=env).returncode == 0
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full.update(env)
    proc = subprocess.Popen([TOOLKIT, *args], cwd=project.root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def committed() -> int:
        try:
            return int(mysql_query(mysql_url, "SELECT COALESCE(SUM(row_count), 0) FROM toolkit_seed_batches")[0][0])
        except pymysql.err.ProgrammingError:
            return 0  # the ledger is not there yet

    deadline = time.monotonic() + 60
    while committed() < 6000:
        assert proc.poll() is None, f"seed finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = mysql_query(mysql_url, "SELECT count(*) FROM users")[0][0]
    assert 0 < partial < 60000 and partial == committed()
    resumed = project.run("seed", "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    rows = mysql_query(mysql_url, "SELECT id, email, username, created_at FROM users ORDER BY id")
    assert len(rows) == 60000

    clean = new_mysql_database()
    try:
        clean_env = {"DATABASE_URL": mysql_url_for(clean)}
        assert project.run("migrate", env=clean_env).returncode == 0
        assert project.run(*args, env=clean_env).returncode == 0
        assert mysql_query(mysql_url_for(clean), "SELECT id, email, username, created_at FROM users ORDER BY id") == rows
    finally:
        drop_mysql_database(clean)


def test_a_missing_database_or_a_wrong_password_is_one_clear_line(project: Project, mysql_url: str) -> None:
    missing = mysql_url.rsplit("/", 1)[0] + "/tk_no_such_db"
    result = project.run("seed", "--count", "5", env={"DATABASE_URL": missing})
    assert result.returncode == 1
    assert result.stderr.startswith("Error: database 'tk_no_such_db' does not exist on MySQL at 127.0.0.1:3306")
    wrong = mysql_url.replace("://root@", "://root:wrong-secret@")
    result = project.run("status", env={"DATABASE_URL": wrong})
    assert result.returncode == 1
    assert "refused user 'root'" in result.stderr and "wrong-secret" not in result.stderr


PLAYERS = """
from tortoise import fields
from tortoise.models import Model


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "m_teams"


class Player(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="players")
    name = fields.CharField(max_length=40)
    number = fields.IntField(default=0)

    class Meta:
        table = "m_players"
        unique_together = (("team", "name"),)
"""


def test_changing_a_unique_together_led_by_a_foreign_key_migrates_both_ways(
    tmp_path: Path, mysql_url: str
) -> None:
    project = model_project(tmp_path / "players", PLAYERS)
    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    (module,) = project.root.glob("adhoc_models_*.py")
    module.write_text(module.read_text().replace('(("team", "name"),)', '(("team", "name", "number"),)'))
    assert project.run("makemigrations").returncode == 0
    # InnoDB keeps the index its foreign key uses until another one can serve it.
    for args in (["migrate"], ["rollback"], ["migrate"]):
        result = project.run(*args, env=env)
        assert result.returncode == 0, (args, result.stderr)
    assert project.run("seed", "--all", "--count", "50", env=env).returncode == 0
