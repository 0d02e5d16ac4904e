"""Several Tortoise apps in one project ([toolkit.apps], `toolkit --app NAME`, as Aerich's
`--app`): each app's migrations in migrations/<app>/, made, applied, listed, checked and
seeded per app with the real CLI; a foreign key from blog into accounts."""

from __future__ import annotations

import json
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


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_two_apps_with_a_foreign_key_between_them_on_builtin_migrations(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    project = _project(tmp_path / "site", BLOG, "tortoise")
    db = target_for(kind, project, request.getfixturevalue("pg_url") if kind == "postgres" else None)

    assert "Wrote migrations/accounts/0001_initial.py" in _ok(project, db, "makemigrations")  # [toolkit] app
    assert "Wrote migrations/blog/0001_initial.py" in _ok(project, db, "--app", "blog", "makemigrations")
    blog_file = (project.root / "migrations" / "blog" / "0001_initial.py").read_text()
    assert "('accounts', '0001_initial')" in blog_file  # as Tortoise's autodetector depends on it

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
    assert "In sync" in _ok(project, db, "check")

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
    assert db.query("SELECT count(*) FROM blog_tag") == [(5,)]

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
