"""A project on Tortoise ORM's built-in migrations (`tortoise.migrations`), and Tortoise's own
migration API over the same files and database: the baseline toolkit is compared with."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import Project

# Author and Book (its foreign key cascades), as `tortoise makemigrations` writes them.
INITIAL = '''
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="Author",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=50)),
            ],
            options={"table": "author", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Book",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("title", fields.CharField(max_length=100)),
                ("author", fields.ForeignKeyField("models.Author", source_field="author_id", db_constraint=True, to_field="id", related_name="books", on_delete=OnDelete.CASCADE)),
            ],
            options={"table": "book", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
'''

# A longer name: SQLite can't ALTER a column, so Tortoise rebuilds "author" (the parent).
WIDEN = '''
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.AlterField(model_name="Author", name="name", field=fields.CharField(max_length=80)),
        ops.AddField(model_name="Author", name="bio", field=fields.TextField(null=True, unique=False)),
    ]
'''

# A data migration that fails after the schema change before it.
BOOM = '''
from tortoise import fields, migrations
from tortoise.migrations import operations as ops


async def fill_then_fail(apps, schema_editor):
    Tag = apps.get_model("models", "Tag")
    await Tag.create(label="written")
    assert await Tag.all().count() == 1  # it ran, inside the migration's transaction
    raise RuntimeError("the data migration broke after CreateModel")


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.CreateModel(
            name="Tag",
            fields=[("id", fields.IntField(primary_key=True)), ("label", fields.CharField(max_length=20))],
            options={"table": "tag", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.RunPython(fill_then_fail),
    ]
'''

# The models after INITIAL and WIDEN.
MODELS = '''
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    bio = fields.TextField(null=True)

    class Meta:
        table = "author"


class Book(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    author = fields.ForeignKeyField("models.Author", related_name="books", on_delete=fields.CASCADE)

    class Meta:
        table = "book"
'''


@dataclass
class TortoiseProject(Project):
    """A project whose app keeps Tortoise migrations in the package `<package>.migrations`."""

    package: str = ""

    @property
    def migrations(self) -> Path:
        return self.root / self.package / "migrations"

    def add(self, name: str, text: str) -> Path:
        path = self.migrations / name
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    def settings(self, env: dict[str, str] | None = None) -> Any:
        from toolkit.settings import resolve

        return resolve(environ=env or {}, cwd=self.root)

    def status(self, env: dict[str, str]) -> dict[str, Any]:
        done = self.run("status", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def tortoise_config(self, url: str) -> dict[str, Any]:
        """The config Tortoise's own CLI would read for this project."""
        from toolkit.backends import backend_for

        return {
            "connections": {"default": backend_for(url).tortoise_url()},
            "apps": {
                "models": {
                    "models": [f"{self.package}.models"],
                    "migrations": f"{self.package}.migrations",
                    "default_connection": "default",
                }
            },
        }


def tortoise_project(root: Path, *files: tuple[str, str], config: str | None = None) -> TortoiseProject:
    """A new project: config, models (`MODELS`), the migrations package and `files`."""
    package = f"tkshop_{uuid.uuid4().hex[:8]}"  # one per test: Tortoise imports it by name
    (root / "config").mkdir(parents=True)
    (root / package / "migrations").mkdir(parents=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "migrations" / "__init__.py").write_text("")
    (root / package / "models.py").write_text(textwrap.dedent(MODELS).lstrip())
    (root / "config" / "toolkit.toml").write_text(
        config if config is not None else textwrap.dedent(f'''
            [toolkit]
            models = ["{package}.models"]
            migrations = "{package}.migrations"

            [env.dev]
            database_url = "sqlite://dev.sqlite3"
        ''')
    )
    project = TortoiseProject(root, package=package)
    for name, text in files:
        project.add(name, text)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return project


async def tortoise_migrate(project: TortoiseProject, url: str, target: str | None = None) -> None:
    """`tortoise migrate` through Tortoise's own API (its executor, its recorder)."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    try:
        await migrate(config=project.tortoise_config(url), target=target)
    finally:
        await Tortoise.close_connections()


async def tortoise_pending(project: TortoiseProject, url: str) -> list[str]:
    """What Tortoise's own executor would apply now (`tortoise migrate`'s plan)."""
    from tortoise import Tortoise
    from tortoise.migrations.api import plan

    try:
        lines = await plan(config=project.tortoise_config(url))
    finally:
        await Tortoise.close_connections()
    return [line[2:] for line in lines if line.startswith("+ ")]


async def tortoise_changes(project: TortoiseProject) -> list[str]:
    """The migrations `tortoise makemigrations` would write now (their names)."""
    from tortoise import Tortoise
    from tortoise.migrations.autodetector import MigrationAutodetector

    config = project.tortoise_config(f"sqlite://{project.root / 'unused.sqlite3'}")
    await Tortoise.init(config=config, init_connections=False)
    try:
        writers = await MigrationAutodetector(Tortoise.apps, config["apps"]).changes()
    finally:
        await Tortoise.close_connections()
    return [w.name for w in writers]
