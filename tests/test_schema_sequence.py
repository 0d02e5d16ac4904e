"""A sequence of model changes, on SQLite, PostgreSQL and MySQL/MariaDB: after each step's
real `makemigrations` and `migrate`, the database's schema is the one
`Tortoise.generate_schemas()` builds for that step's models, read from each database's
own catalog; then the same, each step rolled back. The rows survive every step.
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.catalog_schema import catalog_schema, generate_into
from tests.conftest import (
    Project,
    _admin,
    drop_mysql_database,
    model_project,
    mysql_url_for,
    new_mysql_database,
    pg_url_for,
)
from tests.migration_helpers import Target, target_for
from tests.sqlite_schema import generated_sqlite_schema, sqlite_schema

HEAD = """
from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model
"""


def _models(team: str, player: str, team_meta: str = 'table = "q_teams"', player_meta: str = "", coach: bool = False) -> str:
    def body(text: str, depth: int = 1) -> str:
        return textwrap.indent(textwrap.dedent(text).strip(), "    " * depth)

    source = HEAD + f"""

class Team(Model):
    id = fields.IntField(primary_key=True)
{body(team)}

    class Meta:
{body(team_meta, 2)}


class Player(Model):
    id = fields.IntField(primary_key=True)
{body(player)}

    class Meta:
{body('table = "q_players"' + chr(10) + player_meta, 2)}
"""
    if coach:
        source += """

class Coach(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "q_coaches"
"""
    return source


TEAM_FK = 'team = fields.ForeignKeyField("models.Team", related_name="players", on_delete=fields.CASCADE)\n'
TEAM_ADDED = """
name = fields.CharField(max_length=40)
rank = fields.IntField(default=0)
motto = fields.TextField(default="")
meta = fields.JSONField(default=dict)
nick = fields.CharField(max_length=20, null=True)
code = fields.CharField(max_length=10, null=True, unique=True)
city = fields.CharField(max_length=30, null=True, db_index=True)
"""
TEAM_ALTERED = """
name = fields.CharField(max_length=80)
rank = fields.IntField(default=1)
motto = fields.TextField(default="")
meta = fields.JSONField(default=dict)
nick = fields.CharField(max_length=20, default="none")
code = fields.CharField(max_length=10, null=True, unique=True)
city = fields.CharField(max_length=30, null=True, db_index=True)
"""
TEAM_UNIQUE = """
name = fields.CharField(max_length=80, unique=True)
rank = fields.IntField(default=1)
motto = fields.TextField(default="")
meta = fields.JSONField(default=dict)
nick = fields.CharField(max_length=20, default="none")
city = fields.CharField(max_length=30, null=True, db_index=True)
"""
TEAM_NO_CITY_INDEX = TEAM_UNIQUE.replace(", db_index=True", "")
TEAM_M2M = TEAM_NO_CITY_INDEX + 'coaches = fields.ManyToManyField("models.Coach", related_name="teams")\n'
TEAM_DESCRIBED = TEAM_M2M.replace('motto = fields.TextField(default="")', 'motto = fields.TextField(default="", description="what they shout")')

PLAYER_0 = TEAM_FK + "name = fields.CharField(max_length=40)\nnumber = fields.IntField(null=True)"
PLAYER_RENAMED = TEAM_FK + "label = fields.CharField(max_length=40)\nnumber = fields.IntField(default=7)"
PLAYER_COACHED = PLAYER_RENAMED + '\ncoach = fields.ForeignKeyField("models.Coach", null=True, on_delete=fields.SET_NULL, related_name="players")'
PLAYER_BIG = PLAYER_COACHED.replace("number = fields.IntField(default=7)", "number = fields.BigIntField(default=7)")
PLAYER_LOOSE = PLAYER_BIG.replace("on_delete=fields.CASCADE)", "on_delete=fields.CASCADE, null=True)").replace(
    "on_delete=fields.SET_NULL", "on_delete=fields.CASCADE"
)
INDEXED = 'table = "q_teams"\nindexes = (Index(fields=("rank", "nick"), name="q_rank_nick"), ("rank", "city"))'
# Led by the foreign key, whose implicit index MySQL drops once this one can serve it.
PAIR = "unique_together = (('team', 'label'),)"

# (models, extra makemigrations arguments); each step builds on the one before.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    (_models("name = fields.CharField(max_length=40)", PLAYER_0), ()),
    # Add fields: defaults the rows get, nullable, unique, indexed.
    (_models(TEAM_ADDED, PLAYER_0), ()),
    # Alter a type, a default, NULL -> NOT NULL; rename a field.
    (_models(TEAM_ALTERED, PLAYER_RENAMED), ("--rename", "Player.name:label")),
    # Drop a unique field, make one unique; a unique_together; two indexes of Meta.
    (_models(TEAM_UNIQUE, PLAYER_RENAMED, INDEXED, PAIR), ()),
    # A new model and a foreign key to it; a field index and one of Meta's dropped.
    (_models(TEAM_NO_CITY_INDEX, PLAYER_COACHED, 'table = "q_teams"\nindexes = (("rank", "city"),)', PAIR, coach=True), ()),
    # A many-to-many; a type change; the unique_together dropped.
    (_models(TEAM_M2M, PLAYER_BIG, 'table = "q_teams"\nindexes = (("rank", "city"),)', coach=True), ()),
    # The table renamed (its link table too), a comment, a foreign key made nullable
    # and its ON DELETE changed.
    (_models(TEAM_DESCRIBED, PLAYER_LOOSE, 'table = "q_clubs"\nindexes = (("rank", "city"),)', coach=True), ()),
]


@contextmanager
def _reference(dialect: str) -> Iterator[str]:
    """An empty database on the same server, for generate_schemas(), dropped after."""
    if dialect == "postgres":
        name = f"tk_ref_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}"')
        try:
            yield pg_url_for(name)
        finally:
            _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        name = new_mysql_database()
        try:
            yield mysql_url_for(name)
        finally:
            drop_mysql_database(name)


def _schemas(project: Project, target: Target, scratch: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    if target.sqlite_path is not None:
        return generated_sqlite_schema(project, scratch), sqlite_schema(target.sqlite_path)
    with _reference(target.dialect) as url:
        generate_into(project, target.dialect, url)
        return catalog_schema(target.dialect, url), catalog_schema(target.dialect, target.url)


def _assert_schema_is_generated(project: Project, target: Target, scratch: Path, step: str) -> None:
    expected, actual = _schemas(project, target, scratch)
    assert not [t for t in actual if t.startswith("new__")]
    for table, shape in expected.items():
        assert actual.get(table) == shape, (step, table)
    assert {t for t in set(actual) - set(expected) if not t.startswith("toolkit_")} <= {"aerich"}, step


def _set_models(project: Project, source: str) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    module.write_text(source)


def _run(project: Project, target: Target, *args: str) -> None:
    result = project.run(*args, env=target.env)
    assert result.returncode == 0, (args, result.stderr)


def _rows(target: Target) -> list[int]:
    tables = target.tables()
    teams = "q_clubs" if "q_clubs" in tables else "q_teams"
    return [target.query(f"SELECT count(*) FROM {t}")[0][0] for t in (teams, "q_players")]


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_after_each_change_the_schema_is_what_generate_schemas_builds(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    steps = STEPS
    project = model_project(tmp_path / "seq", steps[0][0])
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(backend)
    target = target_for(backend, project, request.getfixturevalue(server) if server else None)
    _run(project, target, "migrate")
    target.query("INSERT INTO q_teams (id, name) VALUES (1, 'ants'), (2, 'bees')")
    target.query("INSERT INTO q_players (team_id, name, number) VALUES (1, 'a', NULL), (2, 'b', 3), (2, 'c', NULL)")
    _assert_schema_is_generated(project, target, tmp_path / "step0.sqlite3", "step 0")
    for step, (source, args) in enumerate(steps[1:], start=1):
        _set_models(project, source)
        _run(project, target, "makemigrations", "--name", f"step{step}", *args)
        _run(project, target, "migrate")
        _assert_schema_is_generated(project, target, tmp_path / f"step{step}.sqlite3", f"step {step}")
        _run(project, target, "check")  # no drift from what the migrations imply, either
        assert _rows(target) == [2, 3], step
    for step in range(len(steps) - 2, -1, -1):
        _run(project, target, "rollback")
        _set_models(project, steps[step][0])
        _assert_schema_is_generated(project, target, tmp_path / f"back{step}.sqlite3", f"back to step {step}")
        assert _rows(target) == [2, 3], step


KEYS = """
from tortoise import fields
from tortoise.models import Model


class Shelf(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "k_shelves"


class Book(Model):
    id = fields.IntField(primary_key=True)
    shelf = fields.ForeignKeyField("models.Shelf", related_name="books", null=True, on_delete=fields.SET_NULL)

    class Meta:
        table = "k_books"
"""


# SQLite's rebuild writes the new rule (the sequence above); a raw connection there doesn't
# enforce foreign keys, so the rule is watched at work on the servers.
@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_a_changed_on_delete_is_migrated_and_rolled_back(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    project = model_project(tmp_path / "keys", KEYS)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(backend)
    target = target_for(backend, project, request.getfixturevalue(server) if server else None)
    _run(project, target, "migrate")
    _set_models(project, KEYS.replace("on_delete=fields.SET_NULL", "on_delete=fields.CASCADE"))
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    assert "on_delete" not in made.stderr  # Aerich's "Ignore 'on_delete' changes": no longer true
    _run(project, target, "migrate")
    target.query("INSERT INTO k_shelves (id) VALUES (1), (2)")
    target.query("INSERT INTO k_books (id, shelf_id) VALUES (1, 1), (2, 2)")
    target.query("DELETE FROM k_shelves WHERE id = 1")
    assert target.query("SELECT id, shelf_id FROM k_books ORDER BY id") == [(2, 2)]
    _run(project, target, "rollback")
    target.query("DELETE FROM k_shelves WHERE id = 2")
    assert target.query("SELECT id, shelf_id FROM k_books ORDER BY id") == [(2, None)]
