"""Two branches each added migration N: `makemigrations --merge` ends in a correct history,
where following the old "renumber" advice wrote a duplicate ADD COLUMN next time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import model_project
from tests.migration_helpers import target_for

BASE = """
from tortoise import fields
from tortoise.models import Model


class Member(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
{extra}
"""


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_merge_numbers_the_newer_branch_after_the_other_and_nothing_is_written_twice(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "p", BASE.format(extra=""))
    target = target_for(kind, project, request.getfixturevalue("pg_url") if kind == "postgres" else None)
    module = next(project.root.glob("adhoc_models_*.py"))
    folder = project.root / "migrations" / "models"
    # Branch A adds `nickname`, branch B adds `city`: each writes migration 1.
    module.write_text(BASE.format(extra="    nickname = fields.CharField(max_length=20, null=True)"))
    assert project.run("makemigrations", "--name", "nickname").returncode == 0
    branch_a = next(folder.glob("1_*_nickname.py"))
    kept = branch_a.read_text()
    branch_a.unlink()
    time.sleep(1.1)  # the newer file's timestamp is later, as the later branch's would be
    module.write_text(BASE.format(extra="    city = fields.CharField(max_length=20, null=True)"))
    assert project.run("makemigrations", "--name", "city").returncode == 0
    branch_a.write_text(kept)
    # The merge: both fields in the models, both files in the folder.
    module.write_text(BASE.format(extra=(
        "    nickname = fields.CharField(max_length=20, null=True)\n"
        "    city = fields.CharField(max_length=20, null=True)"
    )))
    refused = project.run("migrate", env=target.env)
    assert refused.returncode == 1
    assert "`toolkit makemigrations --merge`" in refused.stderr
    merged = project.run("makemigrations", "--merge")
    assert merged.returncode == 0, merged.stderr
    assert [p.name.split("_")[0] for p in sorted(folder.glob("*.py"))] == ["0", "1", "2"]
    assert project.run("migrate", env=target.env).returncode == 0
    again = project.run("makemigrations")
    assert again.stdout.startswith("No changes"), again.stdout
    assert project.run("check", env=target.env).returncode == 0
