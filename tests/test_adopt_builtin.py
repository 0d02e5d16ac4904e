"""Moving a project from Aerich to Tortoise's built-in migrations (docs/adopt-builtin.md),
with the real CLI: an Aerich project migrated and seeded; the config switched; the initial
built-in migration written from the models and recorded as applied with `migrate --fake`;
then status, check, a later model change and a new database, the seeded rows kept."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.migration_helpers import Target, target_for

MODELS = '''
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    email = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "author"


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100, db_index=True)
    author = fields.ForeignKeyField("models.Author", related_name="posts", on_delete=fields.CASCADE)

    class Meta:
        table = "post"
'''

AERICH_CONFIG = '''
[toolkit]
models = ["blogapp.models"]

[env.dev]
database_url = "sqlite://dev.sqlite3"
'''

# The switch: the engine named (the database's "aerich" table still records the app, so
# detection would rightly refuse to guess) and the app's migrations package.
BUILTIN_CONFIG = '''
[toolkit]
models = ["blogapp.models"]
engine = "tortoise"
migrations = "blogapp.migrations"

[env.dev]
database_url = "sqlite://dev.sqlite3"
'''


def _ok(project: Project, db: Target, *args: str) -> str:
    done = project.run(*args, env=db.env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _counts(db: Target) -> tuple[int, int, int]:
    (authors,), = db.query("SELECT count(*) FROM author")
    (posts,), = db.query("SELECT count(*) FROM post")
    (orphans,), = db.query("SELECT count(*) FROM post WHERE author_id NOT IN (SELECT id FROM author)")
    return authors, posts, orphans


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_aerich_project_adopts_the_builtin_engine_and_keeps_its_rows(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    root = tmp_path / "blog"
    (root / "config").mkdir(parents=True)
    (root / "blogapp").mkdir()
    (root / "blogapp" / "__init__.py").write_text("")
    (root / "blogapp" / "models.py").write_text(textwrap.dedent(MODELS).lstrip())
    config = root / "config" / "toolkit.toml"
    config.write_text(textwrap.dedent(AERICH_CONFIG).lstrip())
    project = Project(root)
    db = target_for(kind, project, request.getfixturevalue("pg_url") if kind == "postgres" else None)

    _ok(project, db, "makemigrations")
    _ok(project, db, "migrate")
    _ok(project, db, "seed", "--model", "Author=20", "--model", "Post=50", "--seed", "1")
    assert db.versions() and _counts(db) == (20, 50, 0)

    config.write_text(textwrap.dedent(BUILTIN_CONFIG).lstrip())
    made = _ok(project, db, "makemigrations", "--name", "initial")
    assert "Wrote blogapp/migrations/0001_initial.py" in made
    assert "class Migration(" in (root / "blogapp" / "migrations" / "0001_initial.py").read_text()

    # A plain migrate would create the tables Aerich made: refused, naming the way.
    refused = project.run("migrate", env=db.env)
    assert refused.returncode == 1
    assert "was migrated by Aerich" in refused.stderr
    assert "toolkit migrate --fake --to 0001_initial" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stderr.strip().splitlines()[-1].startswith("Error: dev (")  # after the progress lines
    assert "tortoise_migrations" not in db.tables() and _counts(db) == (20, 50, 0)

    faked = _ok(project, db, "migrate", "--fake", "--to", "0001_initial")
    assert "1 migration(s) recorded as applied without running them" in faked
    status = json.loads(_ok(project, db, "status", "--json"))
    assert status["applied"] == ["0001_initial"] and status["pending"] == []
    assert "In sync" in _ok(project, db, "check")
    assert [r[0] for r in db.query("SELECT name FROM tortoise_migrations")] == ["0001_initial"]

    # A later change: a wider column (a table rebuild on SQLite, with child rows) and a new one.
    models = root / "blogapp" / "models.py"
    models.write_text(
        models.read_text().replace(
            "name = fields.CharField(max_length=50)",
            "name = fields.CharField(max_length=80)\n    bio = fields.TextField(null=True)",
        )
    )
    second = _ok(project, db, "makemigrations", "--name", "author_bio")
    assert "0002_author_bio.py" in second
    assert "Applied 0002_author_bio.py" in _ok(project, db, "migrate")
    assert _counts(db) == (20, 50, 0)
    assert db.query("SELECT count(*) FROM author WHERE bio IS NULL") == [(20,)]
    if kind != "sqlite":
        return
    # A new database gets the same schema from the built-in files alone.
    fresh = Target("sqlite", {"DATABASE_URL": f"sqlite://{tmp_path / 'fresh.sqlite3'}"}, "", tmp_path / "fresh.sqlite3")
    assert "2 migration(s) applied" in _ok(project, fresh, "migrate")
    assert "In sync" in _ok(project, fresh, "check")
    assert "aerich" not in fresh.tables()
