"""The SQL `makemigrations` ships applies, on every backend, for changes real projects made.

Each test changes a throwaway project's models, runs the real `makemigrations` and
`migrate` (and `rollback` where the downgrade was the problem), then looks at the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import textwrap
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Project, model_project, query_db

# The server the tests create their databases on; .ci/run exports it.
MYSQL_ADMIN_URL = os.environ.get("TOOLKIT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")

HEAD = """
from tortoise import fields
from tortoise.models import Model
"""


def _mysql(database: str | None = None) -> Any:
    import pymysql

    parts = urlsplit(MYSQL_ADMIN_URL)
    return pymysql.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username or "root",
        password=parts.password or "", database=database, autocommit=True,
    )


def _mysql_query(url: str, sql: str) -> list[tuple[Any, ...]]:
    conn = _mysql(urlsplit(url).path.lstrip("/"))
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


@pytest.fixture
def shipped_mysql_url() -> Iterator[str]:
    """A fresh, empty MySQL database for one test, dropped afterwards."""
    name = f"tk_test_{uuid.uuid4().hex[:10]}"
    conn = _mysql()
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"{MYSQL_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@dataclass
class Db:
    dialect: str
    env: dict[str, str]
    run_sql: Callable[[str], list[tuple[Any, ...]]]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.run_sql(sql.replace('"', "`") if self.dialect == "mysql" else sql)

    def fails(self, sql: str) -> bool:
        try:
            self.query(sql)
        except Exception:
            return True
        return False


def _sqlite(path: Path) -> Callable[[str], list[tuple[Any, ...]]]:
    def run(sql: str) -> list[tuple[Any, ...]]:
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA foreign_keys = ON")  # as the ORM connects
            rows = [tuple(r) for r in db.execute(sql).fetchall()]
            db.commit()
            return rows
        finally:
            db.close()

    return run


def _db(kind: str, project: Project, request: pytest.FixtureRequest) -> Db:
    if kind == "sqlite":
        return Db("sqlite", {}, _sqlite(project.sqlite_path))
    if kind == "postgres":
        url = request.getfixturevalue("pg_url")
        return Db("postgres", {"DATABASE_URL": url}, lambda sql: query_db(sql, url=url))
    url = request.getfixturevalue("shipped_mysql_url")
    return Db("mysql", {"DATABASE_URL": url}, lambda sql: _mysql_query(url, sql))


def _project(tmp_path: Path, source: str) -> Project:
    return model_project(tmp_path / "proj", HEAD + textwrap.dedent(source))


def _change(project: Project, old: str, new: str) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    text = module.read_text()
    assert old in text, old
    module.write_text(text.replace(old, new))


def _ok(project: Project, db: Db, *args: str) -> None:
    result = project.run(*args, env=db.env)
    assert result.returncode == 0, (args, result.stderr)


def _columns(db: Db, table: str) -> dict[str, tuple[str, bool]]:
    """Column name -> (type, nullable)."""
    if db.dialect == "sqlite":
        return {r[1]: (r[2].lower(), not r[3]) for r in db.query(f'PRAGMA table_info("{table}")')}
    rows = db.query(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        f"WHERE table_name = '{table}' AND table_schema = "
        + ("DATABASE()" if db.dialect == "mysql" else "'public'")
    )
    return {r[0]: (str(r[1]).lower(), r[2] == "YES") for r in rows}


def _tables(db: Db) -> set[str]:
    if db.dialect == "sqlite":
        return {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    schema = "DATABASE()" if db.dialect == "mysql" else "'public'"
    return {r[0] for r in db.query(f"SELECT table_name FROM information_schema.tables WHERE table_schema = {schema}")}


PROFILES = """

class Person(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "q_people"


class Profile(Model):
    person = fields.OneToOneField("models.Person", primary_key=True, related_name="profile")

    class Meta:
        table = "q_profiles"


class Tag(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "q_tags"
"""


@pytest.mark.parametrize("kind", ["postgres", "mysql"])
def test_a_link_to_a_model_keyed_by_a_one_to_one_gets_the_key_type(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, PROFILES)
    db = _db(kind, project, request)
    _ok(project, db, "migrate")
    _change(project, '        table = "q_tags"\n', '        table = "q_tags"\n\n    profiles = fields.ManyToManyField("models.Profile", related_name="tags")\n')
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")  # was: type "none" does not exist
    assert _columns(db, "q_tags_q_profiles")["profile_id"][0] in ("integer", "int")
    db.query("INSERT INTO q_people (id) VALUES (1)")
    db.query("INSERT INTO q_profiles (person_id) VALUES (1)")
    db.query("INSERT INTO q_tags (id) VALUES (1)")
    db.query("INSERT INTO q_tags_q_profiles (q_tags_id, profile_id) VALUES (1, 1)")
    _ok(project, db, "rollback")


ACCOUNTS = """

class Account(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=20, description="login")

    class Meta:
        table = "user"
"""


def test_a_described_column_on_a_table_named_user_migrates_on_postgres(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, ACCOUNTS)
    db = _db("postgres", project, request)
    _ok(project, db, "migrate")
    _change(project, '    name = fields.CharField(max_length=20, description="login")\n',
            '    name = fields.CharField(max_length=20, description="login")\n'
            '    nick = fields.CharField(max_length=20, null=True, description="what friends say")\n')
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")  # was: syntax error at or near "user"
    comment = db.query("SELECT col_description('\"user\"'::regclass, 3)")
    assert comment == [("what friends say",)]
    _ok(project, db, "rollback")


NOTES = """

class Note(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=20)

    class Meta:
        table = "q_notes"
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_a_new_text_or_json_field_gives_existing_rows_its_default(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, NOTES)
    db = _db(kind, project, request)
    _ok(project, db, "migrate")
    db.query("INSERT INTO q_notes (title) VALUES ('a'), ('b')")
    _change(project, "    title = fields.CharField(max_length=20)\n",
            '    title = fields.CharField(max_length=20)\n    body = fields.TextField(default="")\n'
            "    extra = fields.JSONField(default=dict)\n    tags = fields.JSONField(default=list, null=True)\n")
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")  # was: column "body" contains null values (PostgreSQL, SQLite)
    rows = db.query('SELECT body, extra, tags FROM q_notes ORDER BY id')
    # MySQL gave the rows '' (no JSON at all); the ORM reads these.
    assert [(body, json.loads(extra), json.loads(tags)) for body, extra, tags in rows] == [("", {}, [])] * 2
    columns = _columns(db, "q_notes")
    assert not columns["body"][1] and not columns["extra"][1] and columns["tags"][1]
    db.query("INSERT INTO q_notes (title, body, extra) VALUES ('c', 'x', '{}')")
    _ok(project, db, "rollback")
    _ok(project, db, "migrate")


LABELS = """

class Tag(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=10, unique=True, null=True)
    name = fields.CharField(max_length=10)

    class Meta:
        table = "q_tags"
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_renaming_a_table_and_dropping_its_unique_column_migrates_both_ways(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, LABELS)
    db = _db(kind, project, request)
    _ok(project, db, "migrate")
    db.query("INSERT INTO q_tags (code, name) VALUES ('a', 'x')")
    _change(project, '    code = fields.CharField(max_length=10, unique=True, null=True)\n', "")
    _change(project, 'table = "q_tags"', 'table = "q_labels"')
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")  # MySQL: was "Table 'q_labels' doesn't exist" (index dropped before the rename)
    assert db.query("SELECT name FROM q_labels") == [("x",)]
    _ok(project, db, "rollback")  # was: the downgrade renamed first, then altered the table by its new name
    assert "q_tags" in _tables(db) and "code" in _columns(db, "q_tags")
    _ok(project, db, "migrate")


TEAMS = """

class Coach(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "q_coaches"


class Team(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "q_teams"
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_a_link_table_is_unique_per_pair_and_restricts_both_sides(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, TEAMS)
    db = _db(kind, project, request)
    _ok(project, db, "migrate")
    _change(project, '        table = "q_teams"\n', '        table = "q_teams"\n\n'
            '    coaches = fields.ManyToManyField("models.Coach", related_name="teams", on_delete=fields.RESTRICT)\n')
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")
    db.query("INSERT INTO q_teams (id) VALUES (1)")
    db.query("INSERT INTO q_coaches (id) VALUES (1)")
    db.query("INSERT INTO q_teams_q_coaches (q_teams_id, coach_id) VALUES (1, 1)")
    assert db.fails("INSERT INTO q_teams_q_coaches (q_teams_id, coach_id) VALUES (1, 1)")  # UNIQUE (a, b)
    assert db.fails("DELETE FROM q_coaches WHERE id = 1")  # on_delete=RESTRICT: this side...
    assert db.fails("DELETE FROM q_teams WHERE id = 1")  # ...and the other, as generate_schemas() makes it
    assert db.query("SELECT count(*) FROM q_teams_q_coaches") == [(1,)]


SHELF = """

class Item(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "q_items"


class Shelf(Model):
    id = fields.IntField(primary_key=True)


class Tag(Model):
    id = fields.IntField(primary_key=True)
    items = fields.ManyToManyField("models.Item", related_name="tags")
    shelves = fields.ManyToManyField("models.Shelf", related_name="tags")

    class Meta:
        table = "q_tags"
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "mysql"])
def test_renaming_a_table_renames_its_link_tables_and_keeps_their_rows(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path, SHELF)
    db = _db(kind, project, request)
    _ok(project, db, "migrate")
    db.query("INSERT INTO q_items (id) VALUES (1)")
    db.query("INSERT INTO shelf (id) VALUES (2)")
    db.query("INSERT INTO q_tags (id) VALUES (3)")
    db.query("INSERT INTO q_tags_q_items (q_tags_id, item_id) VALUES (3, 1)")
    db.query("INSERT INTO q_tags_shelf (q_tags_id, shelf_id) VALUES (3, 2)")
    _change(project, 'table = "q_tags"', 'table = "q_labels"')
    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")
    # The ORM now reads q_labels_q_items.q_labels_id: the rows must be there, under those names.
    assert db.query("SELECT q_labels_id, item_id FROM q_labels_q_items") == [(3, 1)]
    assert db.query("SELECT q_labels_id, shelf_id FROM q_labels_shelf") == [(3, 2)]
    assert not {"q_tags_q_items", "q_tags_shelf"} & _tables(db)
    _ok(project, db, "rollback")
    assert db.query("SELECT q_tags_id, item_id FROM q_tags_q_items") == [(3, 1)]
    assert db.query("SELECT q_tags_id, shelf_id FROM q_tags_shelf") == [(3, 2)]


def test_a_primary_key_change_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    project = _project(tmp_path, NOTES)
    folder = project.root / "migrations" / "models"
    before = sorted(folder.iterdir())
    _change(project, "    id = fields.IntField(primary_key=True)\n    title = fields.CharField(max_length=20)\n",
            "    id = fields.UUIDField(primary_key=True)\n    title = fields.CharField(max_length=40)\n")
    result = project.run("makemigrations")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: Note changes its primary key (id IntField -> id UUIDField)")
    assert "keep the old primary key, or write this migration by hand" in lines[0]
    assert "Does not support change primary_key" not in result.stdout + result.stderr
    assert sorted(folder.iterdir()) == before


PLAYERS = """

class Team(Model):
    id = fields.IntField(primary_key=True)


class Player(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="players", on_delete=fields.CASCADE)
"""


def test_an_aerich_warning_is_printed_once(tmp_path: Path) -> None:
    project = _project(tmp_path, PLAYERS)
    # (A changed on_delete, Aerich's own "Ignore 'on_delete' changes", is migrated now:
    # tests/test_schema_sequence.py.)
    _change(project, "on_delete=fields.CASCADE", "on_delete=fields.CASCADE, db_constraint=False")
    result = project.run("makemigrations")
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("Aerich does not handle 'db_constraint' changes") == 1, output
