"""`reset` leaves a database as a fresh one: the tables of models removed since (or added
by another branch's migrations) go too, so the first migration replays cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import model_project
from tests.migration_helpers import target_for

BASE = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
"""

BRANCH = BASE + """

class Badge(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=20)
    holders = fields.ManyToManyField("models.Author", related_name="badges")
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_reset_drops_the_tables_another_branch_added(tmp_path: Path, kind: str, request: pytest.FixtureRequest) -> None:
    project = model_project(tmp_path / "p", BASE)
    module = next(project.root.glob("adhoc_models_*.py"))
    pg = request.getfixturevalue("pg_url") if kind == "postgres" else None
    target = target_for(kind, project, pg)
    # On a feature branch: a new model with a many-to-many link, migrated.
    module.write_text(BRANCH)
    assert project.run("makemigrations", env=target.env).returncode == 0
    assert project.run("migrate", env=target.env).returncode == 0
    assert {"badge", "badge_author"} <= target.tables()
    # Back on main: the branch's model and migration file are gone, its tables are not.
    module.write_text(BASE)
    next((project.root / "migrations" / "models").glob("1_*.py")).unlink()
    result = project.run("reset", "--force", env=target.env)
    assert result.returncode == 0, result.stderr
    assert "badge" not in target.tables()
    assert "badge_author" not in target.tables()
    assert {"author", "aerich"} <= target.tables()
    assert len(target.versions()) == 1
