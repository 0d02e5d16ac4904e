"""Several Tortoise apps in one project ([toolkit.apps], `toolkit --app NAME`, as Aerich's
`--app`): each app's migrations in migrations/<app>/, made, applied, listed, checked and
seeded per app with the real CLI; a foreign key from blog into accounts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.migration_helpers import Target, target_for
from toolkit.errors import ConfigError
from toolkit.settings import resolve

ACCOUNTS = '''
from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=100, unique=True)

    class Meta:
        table = "account_user"
'''

# A post points into the other app; a tag is the blog's own (Aerich's case below).
BLOG = '''
from tortoise import fields
from tortoise.models import Model


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    author = fields.ForeignKeyField("accounts.User", related_name="posts", on_delete=fields.CASCADE)

    class Meta:
        table = "blog_post"
'''

BLOG_OWN = '''
from tortoise import fields
from tortoise.models import Model


class Tag(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=30, unique=True)

    class Meta:
        table = "blog_tag"
'''

CONFIG = '''
[toolkit]
{engine}app = "accounts"

[toolkit.apps]
accounts = ["accounts.models"]
blog = {{ models = ["blog.models"] }}

[env.dev]
database_url = "sqlite://dev.sqlite3"
'''


def _project(root: Path, blog: str, engine: str | None) -> Project:
    for package, source in (("accounts", ACCOUNTS), ("blog", blog)):
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        (root / package / "models.py").write_text(textwrap.dedent(source).lstrip())
    (root / "config").mkdir()
    line = f'engine = "{engine}"\n' if engine else ""
    (root / "config" / "toolkit.toml").write_text(textwrap.dedent(CONFIG).lstrip().format(engine=line))
    return Project(root)


def _ok(project: Project, db: Target, *args: str, env: dict[str, str] | None = None) -> str:
    done = project.run(*args, env={**db.env, **(env or {})})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _last_error(done: object) -> str:
    stderr = str(getattr(done, "stderr", ""))
    assert "Traceback" not in stderr
    return stderr.strip().splitlines()[-1]


def test_two_apps_with_a_foreign_key_between_them_on_builtin_migrations(tmp_path: Path, pg_url: str) -> None:
    project = _project(tmp_path / "site", BLOG, "tortoise")
    sqlite = target_for("sqlite", project, None)

    assert "Wrote migrations/accounts/0001_initial.py" in _ok(project, sqlite, "makemigrations")  # [toolkit] app
    assert "Wrote migrations/blog/0001_initial.py" in _ok(project, sqlite, "--app", "blog", "makemigrations")
    blog_file = (project.root / "migrations" / "blog" / "0001_initial.py").read_text()
    assert "('accounts', '0001_initial')" in blog_file  # as Tortoise's autodetector depends on it

    # The same files on SQLite, then on PostgreSQL.
    for db in (sqlite, target_for("postgres", project, pg_url)):
        # blog's table points at accounts' table: not before it.
        early = project.run("--app", "blog", "migrate", env=db.env)
        assert early.returncode == 1
        assert _last_error(early).endswith("run `toolkit --app accounts migrate` first")
        assert "blog_post" not in db.tables()

        _ok(project, db, "migrate")
        _ok(project, db, "migrate", env={"TOOLKIT_APP": "blog"})
        rows = db.query('SELECT "app", "name" FROM "tortoise_migrations" ORDER BY "id"')
        assert rows == [("accounts", "0001_initial"), ("blog", "0001_initial")]
        status = json.loads(_ok(project, db, "status", "--json", "--app", "blog"))  # after the command too
        assert status["applied"] == ["0001_initial"] and status["pending"] == []
        assert "In sync" in _ok(project, db, "--app", "blog", "check")

        _ok(project, db, "seed", "--model", "User=10", "--seed", "1")
        _ok(project, db, "--app", "blog", "seed", "--model", "Post=30", "--seed", "2")
        assert db.query("SELECT count(*) FROM blog_post WHERE author_id IN (SELECT id FROM account_user)") == [(30,)]


def test_two_apps_on_aerich_each_with_its_folder_and_its_rows(tmp_path: Path) -> None:
    project = _project(tmp_path / "site", BLOG_OWN, None)
    db = target_for("sqlite", project, None)

    _ok(project, db, "makemigrations")
    _ok(project, db, "makemigrations", "--app", "blog")
    assert [p.parent.name for p in sorted((project.root / "migrations").glob("*/0_*_init.py"))] == ["accounts", "blog"]
    _ok(project, db, "migrate")
    _ok(project, db, "--app", "blog", "migrate")
    assert sorted(r[0] for r in db.query("SELECT app FROM aerich")) == ["accounts", "blog"]
    assert {"account_user", "blog_tag"} <= db.tables()
    assert "In sync" in _ok(project, db, "--app", "blog", "check")
    _ok(project, db, "--app", "blog", "seed", "--model", "Tag=5", "--seed", "1")
    _ok(project, db, "seed", "--model", "User=3", "--seed", "1")
    assert db.query("SELECT count(*) FROM blog_tag") == [(5,)]

    # One app's reset: its tables and its rows of the shared version tables, nothing else.
    _ok(project, db, "--app", "blog", "reset", "--force")
    assert db.query("SELECT count(*) FROM blog_tag") == [(0,)]
    assert db.query("SELECT count(*) FROM account_user") == [(3,)]
    assert sorted(r[0] for r in db.query("SELECT app FROM aerich")) == ["accounts", "blog"]
    assert "In sync" in _ok(project, db, "check")  # accounts: still applied, checksums kept

    unknown = project.run("--app", "shop", "status")
    assert unknown.returncode == 2
    assert _last_error(unknown) == (
        f"Error: unknown app 'shop' (from --app); apps in {project.root / 'config' / 'toolkit.toml'}: accounts, blog"
    )


def test_the_app_comes_from_the_flag_then_toolkit_app_then_the_config_then_the_first(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "config").mkdir(parents=True)
    config = root / "config" / "toolkit.toml"
    config.write_text('[toolkit.apps]\nblog = ["blog.models"]\naccounts = "accounts.models"\n')
    assert resolve(environ={}, cwd=root).app == "blog"  # the first listed
    config.write_text('[toolkit]\napp = "accounts"\n' + config.read_text())
    s = resolve(environ={}, cwd=root)
    assert (s.app, s.models, s.app_migrations_dir) == ("accounts", ("accounts.models",), root / "migrations" / "accounts")
    assert s.tortoise_apps == {"blog": ("blog.models",), "accounts": ("accounts.models",)}
    assert resolve(environ={"TOOLKIT_APP": "blog"}, cwd=root).app == "blog"
    assert resolve(environ={"TOOLKIT_APP": "blog"}, cwd=root, app="accounts").app == "accounts"
    with pytest.raises(ConfigError, match=r"unknown app 'x' \(from TOOLKIT_APP\)"):
        resolve(environ={"TOOLKIT_APP": "x"}, cwd=root)
    # One app, no [toolkit.apps]: --app may only name it.
    config.write_text('[toolkit]\nmodels = ["m"]\napp = "shop"\n')
    assert resolve(environ={}, cwd=root, app="shop").models == ("m",)
    with pytest.raises(ConfigError, match=r"apps in .*: shop; list several under \[toolkit.apps\]"):
        resolve(environ={}, cwd=root, app="blog")


PLUGIN_TESTS = '''
from accounts.models import User
from blog.models import Post


async def test_every_app_is_migrated(toolkit_db, toolkit_factory):
    post = await toolkit_factory("Post").create(title="Hi")
    assert await User.filter(pk=post.author_id).exists()


async def test_each_model_is_seeded_in_its_app(toolkit_seed):
    await toolkit_seed("User", 5, seed=1)
    assert (await toolkit_seed("Post", 20, seed=2)).rows == 20
    assert await Post.filter(author_id__in=await User.all().values_list("id", flat=True)).count() == 21
'''


def test_the_pytest_plugin_migrates_every_app_and_seeds_each_model_in_its_own(tmp_path: Path) -> None:
    project = _project(tmp_path / "site", BLOG, "tortoise")
    db = target_for("sqlite", project, None)
    _ok(project, db, "makemigrations")
    _ok(project, db, "--app", "blog", "makemigrations")
    (project.root / "tests").mkdir()
    (project.root / "tests" / "test_site.py").write_text(textwrap.dedent(PLUGIN_TESTS).lstrip())
    (project.root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nasyncio_mode = "auto"\nasyncio_default_fixture_loop_scope = "function"\n'
        'filterwarnings = ["error"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "tests"],
        cwd=project.root, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TOOLKIT_", "DATABASE_URL"))},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_aerich_writes_a_new_model_pointing_into_another_app(tmp_path: Path) -> None:
    project = _project(tmp_path / "site", BLOG, None)
    db = target_for("sqlite", project, None)
    _ok(project, db, "makemigrations")
    made = project.run("--app", "blog", "makemigrations")
    assert made.returncode == 0, made.stderr
    _ok(project, db, "migrate")
    _ok(project, db, "--app", "blog", "migrate")
    assert "In sync" in _ok(project, db, "--app", "blog", "check")
    _ok(project, db, "seed", "--model", "User=4", "--seed", "1")
    _ok(project, db, "--app", "blog", "seed", "--model", "Post=12", "--seed", "2")
    assert db.query("SELECT count(*) FROM blog_post WHERE author_id IN (SELECT id FROM account_user)") == [(12,)]
