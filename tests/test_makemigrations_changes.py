"""Model changes after the first migration, applied on both backends and reverted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Project, model_project, query_db

TAGS = """
from tortoise import fields
from tortoise.models import Model


class Tag(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=20)
    label = fields.CharField(max_length=20)

    class Meta:
        table = "c_tags"
        unique_together = (("slug", "label"),)
"""


def _edit_models(project: Project, old: str, new: str) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    text = module.read_text()
    assert old in text
    module.write_text(text.replace(old, new))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_changing_unique_together_migrates_and_rolls_back(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "tags", TAGS)
    env = {"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgres" else {}
    where = {"url": env["DATABASE_URL"]} if env else {"sqlite_path": project.sqlite_path}
    assert project.run("migrate", env=env).returncode == 0
    _edit_models(project, 'unique_together = (("slug", "label"),)', 'unique_together = (("slug",),)')
    made = project.run("makemigrations", "--name", "slug_alone")
    assert made.returncode == 0, made.stderr
    migrated = project.run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert project.run("check", env=env).returncode == 0
    # The slug alone is unique now; the pair no longer is the constraint.
    query_db("INSERT INTO c_tags (slug, label) VALUES ('a', 'x')", **where)
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        query_db("INSERT INTO c_tags (slug, label) VALUES ('a', 'y')", **where)
    query_db("DELETE FROM c_tags", **where)
    _edit_models(project, 'unique_together = (("slug",),)', "")
    assert project.run("makemigrations").returncode == 0
    assert project.run("migrate", env=env).returncode == 0
    if backend == "postgres":
        # SQLite keeps a group declared in its CREATE TABLE (README, portable migrations).
        query_db("INSERT INTO c_tags (slug, label) VALUES ('a', 'x'), ('a', 'x')", **where)
        query_db("DELETE FROM c_tags", **where)
    rolled = project.run("rollback", "--steps", "2", env=env)
    assert rolled.returncode == 0, rolled.stderr
    assert project.run("migrate", env=env).returncode == 0


SHIFTS = """
from datetime import timedelta

from tortoise import fields
from tortoise.models import Model


class Shift(Model):
    id = fields.IntField(primary_key=True)
    break_len = fields.TimeDeltaField(default=0)

    class Meta:
        table = "c_shifts"
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_new_interval_default_is_written_as_microseconds(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "shifts", SHIFTS)
    env = {"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgres" else {}
    assert project.run("migrate", env=env).returncode == 0
    _edit_models(project, "TimeDeltaField(default=0)", "TimeDeltaField(default=timedelta(minutes=15))")
    assert project.run("makemigrations").returncode == 0
    migrated = project.run("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr  # was: invalid input syntax for type bigint: "0:15:00"
    if backend == "postgres":
        default = query_db(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_name = 'c_shifts' AND column_name = 'break_len'", url=env["DATABASE_URL"]
        )
        # A Python default is the ORM's to give: the column has none, as generate_schemas()
        # builds it (tests/test_schema_sequence.py).
        assert default == [(None,)]
