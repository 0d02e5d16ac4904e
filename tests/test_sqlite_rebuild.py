"""SQLite gets the schema the models define: changes its ALTER TABLE can't make rebuild the table.

Each step changes the models, runs the real `makemigrations` and `migrate`, then compares
the SQLite file with what `Tortoise.generate_schemas()` builds for the same models; the
rollback compares each step back. Rows survive every rebuild.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, model_project
from tests.sqlite_schema import generated_sqlite_schema, sqlite_schema

HEAD = """
from tortoise import fields
from tortoise.models import Model
"""

COACH = """

class Coach(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "r_coaches"
"""


def _models(team: str, player: str, extra: str = "") -> str:
    return HEAD + textwrap.dedent(f'''

class Team(Model):
    id = fields.IntField(primary_key=True)
{textwrap.indent(textwrap.dedent(team).strip(), "    ")}

    class Meta:
        table = "r_teams"


class Player(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="players", on_delete=fields.CASCADE)
{textwrap.indent(textwrap.dedent(player).strip(), "    ")}
''') + extra


# One change set per migration; each builds on the one before.
VERSIONS = [
    _models(
        "name = fields.CharField(max_length=40)",
        "name = fields.CharField(max_length=40)\nnumber = fields.IntField(null=True)\n\nclass Meta:\n    table = 'r_players'",
    ),
    # Add fields: defaults (the rows get them), nullable, a unique one.
    _models(
        """
        name = fields.CharField(max_length=40)
        rank = fields.IntField(default=0)
        motto = fields.TextField(default="")
        meta = fields.JSONField(default=dict)
        nick = fields.CharField(max_length=20, null=True)
        code = fields.CharField(max_length=10, null=True, unique=True)
        """,
        "name = fields.CharField(max_length=40)\nnumber = fields.IntField(null=True)\n\nclass Meta:\n    table = 'r_players'",
    ),
    # Alter: a type, a default, NULL -> NOT NULL over NULL rows; a column renamed meanwhile.
    _models(
        """
        name = fields.CharField(max_length=80)
        rank = fields.IntField(default=1)
        motto = fields.TextField(default="")
        meta = fields.JSONField(default=dict)
        nick = fields.CharField(max_length=20, default="none")
        code = fields.CharField(max_length=10, null=True, unique=True)
        """,
        "label = fields.CharField(max_length=40)\nnumber = fields.IntField(default=7)\n\nclass Meta:\n    table = 'r_players'",
    ),
    # Unique: drop a unique column (SQLite: "cannot drop UNIQUE column"), make one unique.
    _models(
        """
        name = fields.CharField(max_length=80, unique=True)
        rank = fields.IntField(default=1)
        motto = fields.TextField(default="")
        meta = fields.JSONField(default=dict)
        nick = fields.CharField(max_length=20, default="none")
        """,
        "label = fields.CharField(max_length=40)\nnumber = fields.IntField(default=7)\n\nclass Meta:\n    table = 'r_players'",
    ),
    # A new model and a foreign key to it; a unique dropped again.
    _models(
        """
        name = fields.CharField(max_length=80)
        rank = fields.IntField(default=1)
        motto = fields.TextField(default="")
        meta = fields.JSONField(default=dict)
        nick = fields.CharField(max_length=20, default="none")
        """,
        "label = fields.CharField(max_length=40)\nnumber = fields.IntField(default=7)\n"
        'coach = fields.ForeignKeyField("models.Coach", null=True, on_delete=fields.SET_NULL, related_name="players")\n\n'
        "class Meta:\n    table = 'r_players'",
        COACH,
    ),
    # A many-to-many; a type change and a unique_together on the child table.
    _models(
        """
        name = fields.CharField(max_length=80)
        rank = fields.IntField(default=1)
        motto = fields.TextField(default="")
        meta = fields.JSONField(default=dict)
        nick = fields.CharField(max_length=20, default="none")
        coaches = fields.ManyToManyField("models.Coach", related_name="teams")
        """,
        "label = fields.CharField(max_length=40)\nnumber = fields.BigIntField(default=7)\n"
        'coach = fields.ForeignKeyField("models.Coach", null=True, on_delete=fields.SET_NULL, related_name="players")\n\n'
        "class Meta:\n    table = 'r_players'\n    unique_together = (('team', 'label'),)",
        COACH,
    ),
    # Drop a field and the unique_together; a comment; a foreign key made nullable.
    _models(
        """
        name = fields.CharField(max_length=80)
        rank = fields.IntField(default=1)
        motto = fields.TextField(default="", description="what they shout")
        meta = fields.JSONField(default=dict)
        coaches = fields.ManyToManyField("models.Coach", related_name="teams")
        """,
        "label = fields.CharField(max_length=40)\nnumber = fields.BigIntField(default=7)\n"
        'coach = fields.ForeignKeyField("models.Coach", null=True, on_delete=fields.CASCADE, related_name="players")\n\n'
        "class Meta:\n    table = 'r_players'",
        COACH,
    ),
]


def _set_models(project: Project, source: str) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    module.write_text(source)


def _query(project: Project, sql: str) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(project.sqlite_path)
    try:
        rows = db.execute(sql).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def _assert_schema_is_generated(project: Project, reference: Path) -> None:
    expected = generated_sqlite_schema(project, reference)
    actual = sqlite_schema(project.sqlite_path)
    assert not [t for t in actual if t.startswith("new__")]
    for table, shape in expected.items():
        assert actual.get(table) == shape, table
    assert {t for t in set(actual) - set(expected) if not t.startswith("toolkit_")} <= {"aerich"}


def _run(project: Project, *args: str) -> None:
    result = project.run(*args)
    assert result.returncode == 0, (args, result.stderr)


def _through_every_version(project: Project, tmp_path: Path, with_players: bool) -> None:
    _run(project, "migrate")
    _query(project, "INSERT INTO r_teams (id, name) VALUES (1, 'ants'), (2, 'bees'), (3, 'cats')")
    if with_players:
        _query(project, "INSERT INTO r_players (team_id, name, number) VALUES "
                        "(1, 'a', NULL), (1, 'b', 3), (2, 'c', NULL), (2, 'd', 4), (3, 'e', 5), (3, 'f', NULL)")
    players = 6 if with_players else 0
    for step, source in enumerate(VERSIONS[1:], start=1):
        _set_models(project, source)
        # Step 2 renames the players' name to label: said, as makemigrations doesn't guess.
        renames = ("--rename", "Player.name:label") if step == 2 else ()
        _run(project, "makemigrations", "--name", f"step{step}", *renames)
        _run(project, "migrate")
        _assert_schema_is_generated(project, tmp_path / f"reference{step}.sqlite3")
        assert _query(project, "SELECT count(*) FROM r_teams") == [(3,)], step
        assert _query(project, "SELECT count(*) FROM r_players") == [(players,)], step
    for step in range(len(VERSIONS) - 2, -1, -1):
        _run(project, "rollback")
        _set_models(project, VERSIONS[step])
        _assert_schema_is_generated(project, tmp_path / f"back{step}.sqlite3")
        assert _query(project, "SELECT count(*) FROM r_teams") == [(3,)], step
        assert _query(project, "SELECT count(*) FROM r_players") == [(players,)], step


def test_every_change_gives_the_schema_generate_schemas_builds(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", VERSIONS[0])
    _through_every_version(project, tmp_path, with_players=False)


def test_rebuilding_a_parent_table_keeps_the_rows_of_its_children(tmp_path: Path) -> None:
    # DROP TABLE of a parent deletes its children (ON DELETE CASCADE) unless the runner
    # switches SQLite's foreign keys off around the migration, as it does.
    project = model_project(tmp_path / "teams", VERSIONS[0])
    _through_every_version(project, tmp_path, with_players=True)


def test_rows_get_defaults_renames_and_their_values_through_a_rebuild(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", VERSIONS[0])
    _run(project, "migrate")
    _query(project, "INSERT INTO r_teams (id, name) VALUES (1, 'ants'), (2, 'bees')")
    for step in (1, 2):
        _set_models(project, VERSIONS[step])
        _run(project, "makemigrations")
    text = next((project.root / "migrations" / "models").glob("2_*.py")).read_text()
    sqlite_script = text[text.index('"sqlite":'):text.index("DOWNGRADE")]
    # Several changes to one table are one rebuild of it.
    assert sqlite_script.count('CREATE TABLE "new__r_teams"') == 1
    assert "PRAGMA" not in text and "BEGIN" not in text and "COMMIT" not in text
    _run(project, "migrate")
    rows = _query(project, "SELECT id, name, rank, motto, meta, nick FROM r_teams ORDER BY id")
    assert rows == [(1, "ants", 0, "", "{}", "none"), (2, "bees", 0, "", "{}", "none")]
    assert json.loads(rows[0][4]) == {}
    # New rows get the ids after the old ones, as AUTOINCREMENT promised before the rebuild.
    _query(project, "DELETE FROM r_teams WHERE id = 2")
    _run(project, "rollback")
    _query(project, "INSERT INTO r_teams (name, rank, motto, meta) VALUES ('cats', 0, '', '{}')")
    assert _query(project, "SELECT max(id) FROM r_teams") == [(3,)]


def test_a_renamed_column_keeps_its_values_through_a_rebuild(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", VERSIONS[1])
    _run(project, "migrate")
    _query(project, "INSERT INTO r_teams (id, name, rank, motto, meta) VALUES (1, 'ants', 0, '', '{}')")
    _query(project, "INSERT INTO r_players (team_id, name, number) VALUES (1, 'amy', NULL), (1, 'bob', 2)")
    _set_models(project, VERSIONS[2])
    _run(project, "makemigrations", "--rename", "Player.name:label")
    _run(project, "migrate")
    assert _query(project, "SELECT label, number FROM r_players ORDER BY id") == [("amy", 7), ("bob", 2)]
    _run(project, "rollback")
    assert _query(project, "SELECT name, number FROM r_players ORDER BY id") == [("amy", 7), ("bob", 2)]


# --- the CREATE TABLE, from a model description, against Tortoise's own -------------------

SHAPES = """
from tortoise import fields
from tortoise.fields.db_defaults import Now, RandomHex, SqlDefault
from tortoise.indexes import Index
from tortoise.models import Model


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40, db_index=True, description="the team's name")
    flag = fields.BooleanField(db_default=True)
    born = fields.DatetimeField(db_default=Now())
    token = fields.CharField(max_length=32, db_default=RandomHex())
    score = fields.IntField(db_default=SqlDefault("40 + 2"))
    label = fields.CharField(max_length=32, db_default="x", source_field="label_col", unique=True)
    data = fields.JSONField(default=dict)

    class Meta:
        table = "s_teams"
        table_description = "teams"
        indexes = (Index(fields=("name", "flag"), name="s_name_flag"), ("flag", "label"))
        unique_together = (("name", "score"),)


class Person(Model):
    id = fields.BigIntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="people", on_delete=fields.SET_NULL,
                                  null=True, db_index=True, description="where they play")
    loose = fields.ForeignKeyField("models.Team", related_name=False, db_constraint=False, source_field="loose_ref")
    one = fields.OneToOneField("models.Team", related_name="solo", on_delete=fields.RESTRICT)
    parent = fields.ForeignKeyField("models.Person", related_name="children", null=True)
    tags = fields.ManyToManyField("models.Team", related_name="tagged", through="s_person_tags")

    class Meta:
        table = "s_people"
        unique_together = (("team", "one"),)


class Profile(Model):
    person = fields.OneToOneField("models.Person", primary_key=True, related_name="profile")
    code = fields.UUIDField()
    amount = fields.DecimalField(max_digits=10, decimal_places=2, null=True)
"""


def test_the_create_table_from_a_description_is_the_one_tortoise_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toolkit.migrations.sqlite_rebuild import create_table_sql

    (tmp_path / "rebuild_shapes.py").write_text(SHAPES)
    monkeypatch.syspath_prepend(str(tmp_path))

    async def compare() -> None:
        from aerich.utils import get_models_describe
        from tortoise import Tortoise

        await Tortoise.init(db_url="sqlite://:memory:", modules={"models": ["rebuild_shapes"]})
        try:
            # As a migration file stores it: through JSON.
            described = json.loads(json.dumps(get_models_describe("models"), default=str))
            client = Tortoise.get_connection("default")
            generator = client.schema_generator(client)
            for name, describe in described.items():
                model = Tortoise.apps["models"][name.split(".")[1]]
                theirs = generator._get_table_sql(model, safe=False)["table_creation_string"]
                create, indexes = create_table_sql(describe, described)
                assert "\n".join([create + ";", *(i + ";" for i in indexes)]) == theirs, name
        finally:
            await Tortoise.close_connections()

    asyncio.run(compare())
    sys.modules.pop("rebuild_shapes", None)


RENAMED_KEY = (
    HEAD
    + """

class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "r_teams"


class Player(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="players", on_delete=fields.CASCADE)

    class Meta:
        table = "r_players"
"""
)


def test_a_renamed_primary_key_keeps_the_children_pointing_at_it_through_a_rebuild(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", RENAMED_KEY)
    _run(project, "migrate")
    _query(project, "INSERT INTO r_teams (id, name) VALUES (1, 'ants'), (2, 'bees')")
    _query(project, "INSERT INTO r_players (team_id) VALUES (1), (2), (2)")
    _set_models(project, RENAMED_KEY.replace(
        "    id = fields.IntField(primary_key=True)\n    name = fields.CharField(max_length=40)",
        "    number = fields.IntField(primary_key=True)\n    name = fields.CharField(max_length=80)",
    ))
    _run(project, "makemigrations")
    _run(project, "migrate")
    _assert_schema_is_generated(project, tmp_path / "reference.sqlite3")
    assert _query(project, "SELECT number, name FROM r_teams ORDER BY number") == [(1, "ants"), (2, "bees")]
    assert _query(project, "SELECT team_id FROM r_players ORDER BY id") == [(1,), (2,), (2,)]
    assert _query(project, "PRAGMA foreign_key_check") == []
    _run(project, "rollback")
    _set_models(project, RENAMED_KEY)
    _assert_schema_is_generated(project, tmp_path / "back.sqlite3")
    assert _query(project, "SELECT id, name FROM r_teams ORDER BY id") == [(1, "ants"), (2, "bees")]
    assert _query(project, "PRAGMA foreign_key_check") == []
