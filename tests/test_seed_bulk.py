"""The bulk path (`--indexes after`): an empty table loaded without its indexes, built after.

It must give the rows the batch path gives for the same seed, leave every index and
constraint as it found them, refuse a duplicate naming the column with the table left as it
was, and keep exactly-once across kill -9 and Ctrl-C.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import (
    CLEAN_ENV,
    TOOLKIT,
    Project,
    _admin,
    make_project,
    model_project,
    pg_url_for,
    query_db,
)

SHAPES = """
import datetime
from decimal import Decimal

from tortoise import fields
from tortoise.models import Model


class Member(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=120, unique=True)
    handle = fields.CharField(max_length=40, unique=True)
    bio = fields.TextField(null=True)
    prefs = fields.JSONField(default=dict)
    balance = fields.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    token = fields.UUIDField(unique=True)
    born = fields.DateField(null=True)
    wake = fields.TimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    active = fields.BooleanField(default=True)
    score = fields.FloatField(null=True)

    class Meta:
        table = "user"  # a reserved word


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, db_index=True)
    parent = fields.ForeignKeyField("models.Category", null=True, related_name="children")

    class Meta:
        table = "b_categories"


class Post(Model):
    id = fields.IntField(primary_key=True)
    author = fields.ForeignKeyField("models.Member", related_name="posts")
    category = fields.ForeignKeyField("models.Category", null=True, related_name="posts")
    title = fields.CharField(max_length=200, db_index=True)
    slug = fields.CharField(max_length=220)
    body = fields.TextField()
    tags = fields.ManyToManyField("models.Category", related_name="tagged")

    class Meta:
        table = "b_posts"
        unique_together = (("author", "slug"),)


class Profile(Model):
    member = fields.OneToOneField("models.Member", primary_key=True, related_name="profile")
    website = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "b_profiles"
"""
TABLES = {"user": "id", "b_categories": "id", "b_posts": "id", "b_profiles": "member_id",
          "b_posts_b_categories": "1, 2"}


def _where(project: Project, url: str | None) -> dict:
    return {"url": url} if url else {"sqlite_path": project.sqlite_path}


def _schema(project: Project, url: str | None) -> list[tuple]:
    """Every index and constraint of the database, as the catalog writes them."""
    if url is None:
        return query_db("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE tbl_name NOT LIKE 'toolkit%' "
                        "ORDER BY type, name", sqlite_path=project.sqlite_path)
    return query_db(
        "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'toolkit%' "
        "UNION ALL SELECT 'constraint', conname, conrelid::regclass::text, "
        "pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' (not valid)' END "
        "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
        "AND conrelid::regclass::text NOT LIKE 'toolkit%' ORDER BY 1, 2", url=url,
    )


def _digest(project: Project, url: str | None, table: str, order: str) -> tuple[int, str]:
    rows = query_db(f'SELECT * FROM "{table}" ORDER BY {order}', **_where(project, url))
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.fixture(params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("pg_url") if request.param == "postgres" else None


def test_bulk_path_gives_the_rows_of_the_batch_path_and_keeps_every_index(
    tmp_path: Path, server: str | None
) -> None:
    project = model_project(tmp_path / "shapes", SHAPES)
    env = {"DATABASE_URL": server} if server else {}
    assert project.run("migrate", env=env).returncode == 0
    before = _schema(project, server)
    results = {}
    # --truncate empties the tables and restarts their rows: the same seed, the same rows.
    for mode in ("live", "after"):
        seeded = project.run(
            "seed", "--all", "--count", "300", "--seed", "7", "--truncate", "--indexes", mode, env=env
        )
        assert seeded.returncode == 0, seeded.stderr
        assert _schema(project, server) == before
        results[mode] = {t: _digest(project, server, t, order) for t, order in TABLES.items()}
    assert results["after"] == results["live"]
    assert results["after"]["user"][0] == 300
    if server is None:  # the root pages exchanged: SQLite finds nothing amiss
        assert query_db("PRAGMA integrity_check", sqlite_path=project.sqlite_path) == [("ok",)]


def test_after_the_bulk_path_the_application_inserts_with_the_next_key(
    tmp_path: Path, server: str | None
) -> None:
    project = make_project(tmp_path / "proj")
    env = {"DATABASE_URL": server} if server else {}
    assert project.run("migrate", env=env).returncode == 0
    assert project.run("seed", "--count", "500", "--indexes", "after", env=env).returncode == 0
    where = _where(project, server)
    query_db("INSERT INTO users (email, username, first_name, last_name, is_active, created_at) "
             "VALUES ('new@example.com', 'new', 'N', 'N', 1 = 1, CURRENT_TIMESTAMP)", **where)
    assert query_db("SELECT id FROM users WHERE username = 'new'", **where) == [(501,)]
    # A unique index is back: the same email again is refused.
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        query_db("INSERT INTO users (email, username, first_name, last_name, is_active, created_at) "
                 "VALUES ('new@example.com', 'new2', 'N', 'N', 1 = 1, CURRENT_TIMESTAMP)", **where)


DUPLICATES = {
    "members.py": """
        from toolkit.seed.definitions import SeedDefinition

        SEED = SeedDefinition(model="Member", fields={"email": ["a@example.com", "b@example.com"]})
    """,
}


def test_a_duplicate_fails_naming_the_column_and_leaves_the_table_as_it_was(
    tmp_path: Path, server: str | None
) -> None:
    project = model_project(tmp_path / "dup", SHAPES, seeds=DUPLICATES)
    env = {"DATABASE_URL": server} if server else {}
    assert project.run("migrate", env=env).returncode == 0
    before = _schema(project, server)
    result = project.run("seed", "--model", "Member", "--count", "50", "--indexes", "after", env=env)
    assert result.returncode == 1
    assert "email" in result.stderr and "duplicate" in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert query_db('SELECT count(*) FROM "user"', **_where(project, server)) == [(0,)]
    assert _schema(project, server) == before


COUNT = 400_000
ARGS = ["seed", "--count", str(COUNT), "--seed", "3", "--indexes", "after"]


def _start(project: Project, env: dict[str, str]) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full.update(env)
    return subprocess.Popen([TOOLKIT, *ARGS], cwd=project.root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _ledger(project: Project, url: str | None, sql: str) -> int:
    try:
        return int(query_db(sql, **_where(project, url))[0][0] or 0)
    except Exception:  # noqa: BLE001 - the ledger's tables don't exist yet
        return 0


def _wait_until_loading(project: Project, url: str | None, proc: subprocess.Popen[str]) -> None:
    """Until the run is allocated (committed before the load starts), and a little more."""
    deadline = time.monotonic() + 60
    while not _ledger(project, url, "SELECT count(*) FROM toolkit_seed_runs"):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, f"the load finished before it could be interrupted: {proc.communicate()}"


_REFERENCES: dict[bool, tuple[int, str]] = {}


def _reference(tmp_path: Path, url: str | None) -> tuple[int, str]:
    """The same seed, uninterrupted, by the batch path, on a database of its own (made once
    per backend: the tests below compare with the same run)."""
    if bool(url) not in _REFERENCES:
        _REFERENCES[bool(url)] = _made_reference(tmp_path, url)
    return _REFERENCES[bool(url)]


def _made_reference(tmp_path: Path, url: str | None) -> tuple[int, str]:
    project = make_project(tmp_path / "reference")
    name = f"tk_test_{uuid.uuid4().hex[:10]}"
    other = pg_url_for(name) if url else None
    if other:
        _admin(f'CREATE DATABASE "{name}"')
    try:
        env = {"DATABASE_URL": other} if other else {}
        assert project.run("migrate", env=env).returncode == 0
        args = [a if a != "after" else "live" for a in ARGS]
        assert project.run(*args, env=env, timeout=300).returncode == 0
        return _digest(project, other, "users", "id")
    finally:
        if other:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _interrupted(
    tmp_path: Path, server: str | None, sig: int
) -> tuple[Project, dict[str, str], list[tuple], subprocess.Popen[str], str]:
    """A bulk load sent `sig` while it loads: the project, its env, the schema before, the
    process and its stderr."""
    project = make_project(tmp_path / "proj")
    env = {"DATABASE_URL": server} if server else {}
    assert project.run("migrate", env=env).returncode == 0
    before = _schema(project, server)
    proc = _start(project, env)
    _wait_until_loading(project, server, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    return project, env, before, proc, err


def _resumed_like_an_uninterrupted_run(
    tmp_path: Path, project: Project, env: dict[str, str], server: str | None, before: list[tuple]
) -> subprocess.CompletedProcess[str]:
    resumed = project.run("seed", "--resume", env=env, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _schema(project, server) == before
    assert _digest(project, server, "users", "id") == _reference(tmp_path, server)
    return resumed


def test_kill_9_in_the_bulk_load_keeps_nothing_and_resume_loads_the_same_rows(
    tmp_path: Path, server: str | None
) -> None:
    project, env, before, _, _ = _interrupted(tmp_path, server, signal.SIGKILL)
    # One transaction: nothing of it stayed, and the ledger says so.
    assert query_db("SELECT count(*) FROM users", **_where(project, server)) == [(0,)]
    assert _ledger(project, server, "SELECT SUM(row_count) FROM toolkit_seed_batches") == 0
    assert _schema(project, server) == before
    resumed = _resumed_like_an_uninterrupted_run(tmp_path, project, env, server, before)
    assert f"Seeded {COUNT} rows" in resumed.stdout


def test_ctrl_c_in_the_bulk_load_commits_what_was_written_and_resume_finishes(
    tmp_path: Path, server: str | None
) -> None:
    project, env, before, proc, err = _interrupted(tmp_path, server, signal.SIGINT)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "seed --resume" in err
    kept = query_db("SELECT count(*) FROM users", **_where(project, server))[0][0]
    assert kept == _ledger(project, server, "SELECT SUM(row_count) FROM toolkit_seed_batches") < COUNT
    assert _schema(project, server) == before
    _resumed_like_an_uninterrupted_run(tmp_path, project, env, server, before)


def test_shards_and_mysql_keep_the_batch_path_with_the_same_rows(tmp_path: Path, mysql_url: str) -> None:
    whole = make_project(tmp_path / "whole")
    assert whole.run("migrate").returncode == 0
    assert whole.run("seed", "--count", "3000", "--seed", "4", "--indexes", "after").returncode == 0
    expected = _digest(whole, None, "users", "id")

    sharded = make_project(tmp_path / "sharded")
    assert sharded.run("migrate").returncode == 0
    for shard in ("1/2", "2/2"):
        done = sharded.run("seed", "--count", "3000", "--seed", "4", "--shard", shard, "--indexes", "after")
        assert done.returncode == 0, done.stderr
    assert _digest(sharded, None, "users", "id") == expected

    mysql = make_project(tmp_path / "mysql")
    env = {"DATABASE_URL": mysql_url}
    assert mysql.run("migrate", env=env).returncode == 0
    done = mysql.run("seed", "--count", "3000", "--seed", "4", "--indexes", "after", env=env)
    assert done.returncode == 0, done.stderr
    from tests.migration_helpers import mysql_query

    rows = mysql_query(mysql_url, "SELECT count(*), count(DISTINCT email) FROM users")
    assert rows == [(3000, 3000)]
