"""Children per parent from seeds/: "each User gets 0-5 Posts", "3 Comments per Post"."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import model_project, query_db

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Writer(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)

    class Meta:
        table = "pp_writers"


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=120)
    author = fields.ForeignKeyField("models.Writer", related_name="posts")

    class Meta:
        table = "pp_posts"


class Comment(Model):
    id = fields.IntField(primary_key=True)
    body = fields.TextField()
    post = fields.ForeignKeyField("models.Post", related_name="comments")

    class Meta:
        table = "pp_comments"
"""

SEEDS = {
    "blog.py": """
        from toolkit.seed.definitions import SeedDefinition

        SEEDS = [
            SeedDefinition(model="Writer"),
            SeedDefinition(model="Post", per_parent={"author": (0, 5)}),
            SeedDefinition(model="Comment", per_parent={"post": 3}),
        ]
    """
}


def _children(url: str | None, sqlite: Path, table: str, column: str) -> Counter[int]:
    rows = query_db(f"SELECT {column} FROM {table}", sqlite_path=None if url else sqlite, url=url)
    return Counter(r[0] for r in rows)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_each_parent_gets_its_own_number_of_children(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "blog", MODELS, SEEDS)
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    env = {"DATABASE_URL": url} if url else {}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--count", "300", "--seed", "5", "--batch-size", "97", env=env)
    assert result.returncode == 0, result.stderr
    posts = _children(url, project.sqlite_path, "pp_posts", "author_id")
    writers = query_db("SELECT COUNT(*) FROM pp_writers", sqlite_path=None if url else project.sqlite_path, url=url)[0][0]
    assert writers == 300
    assert max(posts.values()) <= 5 and len(posts) < writers  # 0 to 5 each: some have none
    assert 300 * 1.5 < sum(posts.values()) < 300 * 3.5
    comments = _children(url, project.sqlite_path, "pp_comments", "post_id")
    assert set(comments.values()) == {3} and len(comments) == sum(posts.values())
    dry = project.run("seed", "--count", "10", "--seed", "5", "--dry-run", env=env)
    assert "pp_posts: " in dry.stdout and "rows (0-5 per Writer (310 Writer rows))" in dry.stdout


def test_children_per_parent_do_not_depend_on_batches_or_concurrency(tmp_path: Path) -> None:
    made = []
    for name, extra in (("a", ["--batch-size", "1000"]), ("b", ["--batch-size", "7", "--concurrency", "1"])):
        project = model_project(tmp_path / name, MODELS, SEEDS)
        assert project.run("migrate").returncode == 0
        assert project.run("seed", "--count", "120", "--seed", "9", *extra).returncode == 0
        made.append(sorted(query_db("SELECT id, author_id FROM pp_posts", sqlite_path=project.sqlite_path)))
    assert made[0] == made[1] and made[0]
    authors = [a for _, a in made[0]]
    assert sum(a != b for a, b in zip(authors, authors[1:])) > len(authors) / 2  # not in blocks


def test_per_parent_naming_no_foreign_key_is_refused(tmp_path: Path) -> None:
    seeds = {"blog.py": SEEDS["blog.py"].replace('{"author": (0, 5)}', '{"title": (0, 5)}')}
    project = model_project(tmp_path / "bad", MODELS, seeds)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--count", "10")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "per_parent names 'title', which is not a foreign key of Post (its foreign keys: author)" in result.stderr
    assert query_db("SELECT COUNT(*) FROM pp_writers", sqlite_path=project.sqlite_path)[0][0] == 0


def test_a_profile_gives_children_per_parent(tmp_path: Path) -> None:
    seeds = {
        "blog.py": 'from toolkit.seed.definitions import SeedDefinition\n\nSEED = SeedDefinition(model="Writer")\n',
        "profiles.toml": '[dev]\nWriter = 50\nPost = "2-4 per author"\nComment = "1 per post"\n',
    }
    project = model_project(tmp_path / "profile", MODELS, seeds)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--seed", "4")
    assert result.returncode == 0, result.stderr
    posts = _children(None, project.sqlite_path, "pp_posts", "author_id")
    assert len(posts) == 50 and set(posts.values()) <= {2, 3, 4}
    comments = _children(None, project.sqlite_path, "pp_comments", "post_id")
    assert set(comments.values()) == {1} and len(comments) == sum(posts.values())


def test_a_profile_value_that_is_neither_count_nor_rule_is_refused(tmp_path: Path) -> None:
    seeds = {"profiles.toml": '[dev]\nWriter = 50\nPost = "lots"\n'}
    project = model_project(tmp_path / "badprofile", MODELS, seeds)
    assert project.run("migrate").returncode == 0
    result = project.run("seed")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert 'must map model names to positive row counts or to children per parent, as in Post = "0-5 per author"' in result.stderr
