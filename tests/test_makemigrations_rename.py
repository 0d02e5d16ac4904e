"""makemigrations never guesses a rename: a field dropped and one of its type added is asked
about on a terminal, named with --rename, or else written as a drop and an add. The
written migration's operations are listed in plain words."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT, Project, model_project
from tests.migration_helpers import target_for

USERS = """
from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    nickname = fields.CharField(max_length=40, null=True)
    motto = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "users"
"""


def _edit(project: Project, old: str, new: str) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    text = module.read_text()
    assert old in text
    module.write_text(text.replace(old, new))


def _written(project: Project) -> list[Path]:
    return sorted((project.root / "migrations" / "models").glob("[1-9]_*.py"))


def _renamed_to_city(project: Project) -> None:
    _edit(project, "nickname = fields", "city = fields")


def test_without_a_terminal_a_dropped_and_added_field_is_a_drop_and_an_add(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    (path,) = _written(project)
    text = path.read_text()
    assert "RENAME COLUMN" not in text
    assert 'DROP COLUMN "nickname"' in text and 'ADD "city"' in text
    assert "  - Remove field nickname from users\n  - Add field city to users\n" in made.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_rename_keeps_the_values_and_rolls_back(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    project = model_project(tmp_path / "users", USERS)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(backend)
    target = target_for(backend, project, request.getfixturevalue(server) if server else None)
    assert project.run("migrate", env=target.env).returncode == 0
    target.query("INSERT INTO users (id, nickname) VALUES (1, 'ace'), (2, NULL)")
    _renamed_to_city(project)
    made = project.run("makemigrations", "--rename", "User.nickname:city")
    assert made.returncode == 0, made.stderr
    assert "  - Rename field nickname to city on users\n" in made.stdout
    assert "Add field" not in made.stdout and "Remove field" not in made.stdout
    migrated = project.run("migrate", env=target.env)
    assert migrated.returncode == 0, migrated.stderr
    assert target.query("SELECT id, city FROM users ORDER BY id") == [(1, "ace"), (2, None)]
    assert project.run("check", env=target.env).returncode == 0
    assert project.run("rollback", env=target.env).returncode == 0
    assert target.query("SELECT id, nickname FROM users ORDER BY id") == [(1, "ace"), (2, None)]


def test_a_rename_by_table_name_and_two_renames_at_once(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    _edit(project, "motto = fields", "slogan = fields")
    made = project.run("makemigrations", "--rename", "users.nickname:city", "--rename", "User.motto:slogan")
    assert made.returncode == 0, made.stderr
    upgrade = _written(project)[0].read_text().split("DOWNGRADE")[0]
    assert upgrade.count("RENAME COLUMN") == 6  # two columns, three dialects
    assert "DROP COLUMN" not in upgrade
    assert "  - Rename field motto to slogan on users\n  - Rename field nickname to city on users\n" in made.stdout


def test_a_rename_that_is_no_candidate_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    for spec, says in [
        ("User.nick:city", "candidates: User.nickname:city"),
        ("Post.nickname:city", "candidates: User.nickname:city"),
        ("User.nickname", "must read MODEL.OLD_FIELD:NEW_FIELD"),
    ]:
        made = project.run("makemigrations", "--rename", spec)
        assert made.returncode == 2, made.stderr
        assert says in made.stderr
        assert len(made.stderr.strip().splitlines()) == 1 and "Traceback" not in made.stderr
        assert _written(project) == []


def test_a_field_of_another_type_is_no_candidate(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _edit(project, "nickname = fields.CharField(max_length=40, null=True)", "city = fields.IntField(null=True)")
    made = project.run("makemigrations", "--rename", "User.nickname:city")
    assert made.returncode == 2
    assert "candidates: none in these model changes" in made.stderr


def _on_a_terminal(project: Project, answer: bytes, *args: str) -> tuple[int, str]:
    """Run makemigrations with a terminal for stdin; answer each rename question with `answer`."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.Popen(
        [TOOLKIT, "makemigrations", *args], cwd=project.root, env=env,
        stdin=follower, stdout=follower, stderr=follower,
    )
    os.close(follower)
    out, answered, deadline = b"", 0, time.monotonic() + 90
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if out.count(b"[y/N]") > answered:
                answered += 1
                os.write(leader, answer + b"\n")
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return proc.returncode, out.decode(errors="replace").replace("\r\n", "\n")


def test_on_a_terminal_yes_is_a_rename_asked_once(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    code, text = _on_a_terminal(project, b"y")
    assert code == 0, text
    # Once, though the differ runs for each of three dialects.
    assert text.count("Did you rename users.nickname to users.city? [y/N]") == 1
    assert "- Rename field nickname to city on users" in text
    assert "RENAME COLUMN" in _written(project)[0].read_text()


def test_on_a_terminal_no_is_a_drop_and_an_add(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    code, text = _on_a_terminal(project, b"n")
    assert code == 0, text
    assert "Did you rename users.nickname to users.city?" in text
    assert "- Add field city to users" in text
    assert "RENAME COLUMN" not in _written(project)[0].read_text()


def test_on_a_terminal_a_rename_named_on_the_command_line_is_not_asked(tmp_path: Path) -> None:
    project = model_project(tmp_path / "users", USERS)
    _renamed_to_city(project)
    code, text = _on_a_terminal(project, b"n", "--rename", "User.nickname:city")
    assert code == 0, text
    assert "Did you rename" not in text
    assert "RENAME COLUMN" in _written(project)[0].read_text()


TEAMS = """
from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)
    rank = fields.IntField(default=0)
    founded = fields.IntField(null=True)

    class Meta:
        table = "o_teams"


class Player(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=40)
    number = fields.IntField(null=True)
"""

TEAMS_CHANGED = """
from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    rank = fields.IntField(default=1)
    coaches = fields.ManyToManyField("models.Coach", related_name="teams")

    class Meta:
        table = "o_clubs"
        indexes = (Index(fields=("name", "rank"), name="o_name_rank"),)


class Player(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="players", null=True)
    label = fields.CharField(max_length=40)
    number = fields.IntField(null=True)

    class Meta:
        unique_together = (("team", "label"),)


class Coach(Model):
    id = fields.IntField(primary_key=True)
"""


def test_the_operations_are_listed_in_words_and_in_json(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", TEAMS)
    first = sorted((project.root / "migrations" / "models").glob("0_*.py"))
    assert first
    (module,) = project.root.glob("adhoc_models_*.py")
    module.write_text(TEAMS_CHANGED)
    made = project.run("makemigrations", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["operations"] == [
        "Create model Coach",
        "Add field team to player",
        "Add unique together (team, label) to player",
        "Rename table o_teams to o_clubs (model Team)",
        "Remove field founded from o_clubs",
        "Add field coaches to o_clubs",
        "Alter field name on o_clubs (type)",
        "Alter field rank on o_clubs (default)",
        "Create index o_name_rank on (name, rank) of o_clubs",
    ]
    assert project.run("migrate").returncode == 0
    # Nothing left to do: the operations listed are all the file holds.
    again = project.run("makemigrations")
    assert again.returncode == 0 and "No changes" in again.stdout


def test_the_first_migration_lists_its_models(tmp_path: Path) -> None:
    project = model_project(tmp_path / "teams", TEAMS)
    for f in (project.root / "migrations" / "models").glob("*.py"):
        f.unlink()
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    assert "  - Create model Player\n  - Create model Team\n" in made.stdout
    assert "Aerich" not in made.stdout


def test_the_tortoise_engine_lists_its_operations_and_refuses_rename(tmp_path: Path) -> None:
    from tests.tortoise_helpers import tortoise_project

    shop = tortoise_project(tmp_path / "shop")
    made = shop.run("makemigrations", "--json")
    assert made.returncode == 0, made.stderr
    assert "Create model Author" in json.loads(made.stdout)["operations"]
    models = shop.root / shop.package / "models.py"
    models.write_text(models.read_text().replace("    bio = fields.TextField(null=True)\n", "    bio = fields.TextField(null=True)\n    born = fields.IntField(null=True)\n"))
    refused = shop.run("makemigrations", "--rename", "Author.bio:born")
    assert refused.returncode == 2
    assert "Tortoise's autodetector doesn't ask them" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    made = shop.run("makemigrations")
    assert made.returncode == 0, made.stderr
    assert "  - Add field born to Author\n" in made.stdout


WRITERS = """
from tortoise import fields
from tortoise.models import Model


class Writer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)
    tags = fields.ManyToManyField("models.Tag", related_name="writers")

    class Meta:
        table = "writers"


class Tag(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        table = "tags"


class Book(Model):
    id = fields.IntField(primary_key=True)
    writer = fields.ForeignKeyField("models.Writer", related_name="books")

    class Meta:
        table = "books"
"""


def _writer_renamed(project: Project) -> None:
    (module,) = project.root.glob("adhoc_models_*.py")
    module.write_text(WRITERS.replace("class Writer", "class Author").replace('"writers"', '"authors"')
                      .replace('"models.Writer"', '"models.Author"'))


def test_without_a_terminal_a_model_alike_but_renamed_is_a_drop_and_a_create(tmp_path: Path) -> None:
    project = model_project(tmp_path / "writers", WRITERS)
    _writer_renamed(project)
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    assert "  - Create model Author\n  - Delete model Writer\n" in made.stdout
    assert 'RENAME TO "authors"' not in _written(project)[0].read_text()


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_a_model_renamed_with_rename_keeps_its_rows_links_and_children(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "writers", WRITERS)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(backend)
    target = target_for(backend, project, request.getfixturevalue(server) if server else None)
    assert project.run("migrate", env=target.env).returncode == 0
    target.query("INSERT INTO writers (id, name) VALUES (1, 'ann')")
    target.query("INSERT INTO tags (id) VALUES (7)")
    target.query("INSERT INTO writers_tags (writers_id, tag_id) VALUES (1, 7)")
    target.query("INSERT INTO books (id, writer_id) VALUES (3, 1)")
    _writer_renamed(project)
    made = project.run("makemigrations", "--rename", "Writer:Author")
    assert made.returncode == 0, made.stderr
    assert "  - Rename model Writer to Author (table writers to authors)\n" in made.stdout
    migrated = project.run("migrate", env=target.env)
    assert migrated.returncode == 0, migrated.stderr
    assert target.query("SELECT id, name FROM authors") == [(1, "ann")]
    assert target.query("SELECT authors_id, tag_id FROM authors_tags") == [(1, 7)]
    assert target.query("SELECT id, writer_id FROM books") == [(3, 1)]
    assert project.run("check", env=target.env).returncode == 0
    assert project.run("rollback", env=target.env).returncode == 0
    assert target.query("SELECT writers_id, tag_id FROM writers_tags") == [(1, 7)]


def test_on_a_terminal_a_model_rename_is_asked(tmp_path: Path) -> None:
    project = model_project(tmp_path / "writers", WRITERS)
    _writer_renamed(project)
    code, text = _on_a_terminal(project, b"y")
    assert code == 0, text
    assert text.count("Did you rename model Writer (table writers) to Author (table authors)? [y/N]") == 1
    assert "- Rename model Writer to Author" in text


def test_a_model_rename_that_is_no_candidate_is_a_usage_error(tmp_path: Path) -> None:
    project = model_project(tmp_path / "writers", WRITERS)
    _writer_renamed(project)
    made = project.run("makemigrations", "--rename", "Writer:Novelist")
    assert made.returncode == 2
    assert "no model Writer dropped and Novelist created with the same fields; candidates: Writer:Author" in made.stderr
    assert _written(project) == []
