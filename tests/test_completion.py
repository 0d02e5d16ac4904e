"""Shell completion through the real `toolkit` executable, as bash asks for it, in a project
with two environments, two models and two migrations."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT

CONFIG = """
[toolkit]
models = ["library.models"]
default_env = "dev"

[env.dev]
database_url = "sqlite://dev.sqlite3"

[env.ci]
database_url = "${CI_DATABASE_URL}"
"""

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    name = fields.CharField(max_length=64)


class Book(Model):
    title = fields.CharField(max_length=128)
    author = fields.ForeignKeyField("models.Author", related_name="books")
"""

VERSIONS = ["0_20260101000000_init", "1_20260102000000_books"]


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library_project"
    (root / "config").mkdir(parents=True)
    (root / "config" / "toolkit.toml").write_text(CONFIG)
    (root / "library").mkdir()
    (root / "library" / "__init__.py").write_text("")
    (root / "library" / "models.py").write_text(MODELS)
    migrations = root / "migrations" / "models"
    migrations.mkdir(parents=True)
    for version in VERSIONS:
        (migrations / f"{version}.py").write_text("async def upgrade(db):\n    return ''\n")
    (migrations / "notes.txt").write_text("not a migration")
    return root


def complete(cwd: Path, line: str, env: dict[str, str] | None = None) -> list[str]:
    """What bash gets for the last word of `line` (empty after a trailing space)."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    full_env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full_env.update(
        _TOOLKIT_COMPLETE="bash_complete", COMP_WORDS=" ".join(words), COMP_CWORD=str(len(words) - 1), **(env or {})
    )
    done = subprocess.run([TOOLKIT], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    items = [line.split(",", 1) for line in done.stdout.splitlines() if line]
    return [value for kind, value in items if kind == "plain"]


def test_environment_names_before_and_after_the_command(library: Path) -> None:
    assert complete(library, "toolkit --env ") == ["ci", "dev"]
    assert complete(library, "toolkit --env d") == ["dev"]
    assert complete(library, "toolkit seed --env c") == ["ci"]


def test_model_names_of_the_configured_module(library: Path) -> None:
    assert complete(library, "toolkit seed --model ") == ["Author", "Book"]
    assert complete(library, "toolkit seed --count 5 --model B") == ["Book"]
    assert complete(library, "toolkit seed --model Book=") == []  # a count comes next
    # An environment whose database URL needs an unset variable still completes.
    assert complete(library, "toolkit --env ci seed --model A") == ["Author"]


def test_migration_versions_for_migrate_and_rollback(library: Path) -> None:
    assert complete(library, "toolkit migrate --to ") == VERSIONS
    assert complete(library, "toolkit migrate --fake --to 1") == ["1_20260102000000_books"]
    assert complete(library, "toolkit migrate --retry 0") == ["0_20260101000000_init"]
    assert complete(library, "toolkit rollback --to ") == [*VERSIONS, "zero"]
    assert complete(library, "toolkit rollback --to z") == ["zero"]


def test_the_config_typed_on_the_line_or_in_toolkit_config_is_read(library: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = str(library / "config" / "toolkit.toml")
    assert complete(elsewhere, "toolkit --env ") == []
    assert complete(elsewhere, f"toolkit --config {config} --env ") == ["ci", "dev"]
    assert complete(elsewhere, f"toolkit seed --config {config} --model ") == ["Author", "Book"]
    assert complete(elsewhere, "toolkit migrate --to ", env={"TOOLKIT_CONFIG": config}) == VERSIONS


def test_a_broken_project_completes_nothing_and_prints_nothing(library: Path) -> None:
    models = library / "library" / "models.py"
    models.write_text("print('importing!')\nimport warnings\nwarnings.warn('old')\nraise RuntimeError('boom')\n")
    assert complete(library, "toolkit seed --model ") == []  # stderr empty: checked in complete()
    assert complete(library, "toolkit --env ") == ["ci", "dev"]  # the config still reads
    (library / "config" / "toolkit.toml").write_text("[toolkit\nmodels = ")
    assert complete(library, "toolkit --env ") == []
    assert complete(library, "toolkit migrate --to ") == []
