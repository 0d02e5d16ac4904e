"""Fixtures: reference data from TOML, JSON, CSV and Python, upserted by a natural key.

The loads run on real databases (SQLite, PostgreSQL, MySQL/MariaDB), through the Python
API the CLI calls; a project is made with `model_project` and migrated with the real
`toolkit migrate`. The error messages are checked word for word: each is one line.
"""

from __future__ import annotations

import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Project, model_project, query_db
from tests.migration_helpers import mysql_query
from toolkit.db import orm
from toolkit.errors import ConfigError, ToolkitError
from toolkit.seed.fixtures import (
    FixturesReport,
    ModelCounts,
    fixture_files,
    load_fixtures,
    load_fixtures_in_orm,
)
from toolkit.settings import Settings, resolve

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Role(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=30, unique=True)
    level = fields.IntField(default=0)

    class Meta:
        table = "fx_roles"


class Country(Model):
    code = fields.CharField(max_length=2, primary_key=True)
    name = fields.CharField(max_length=60, unique=True)

    class Meta:
        table = "fx_countries"


class Plan(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=30, unique=True)
    price = fields.DecimalField(max_digits=8, decimal_places=2)
    active = fields.BooleanField(default=True)
    starts = fields.DateField(null=True)
    launched_at = fields.DatetimeField(null=True)
    limits = fields.JSONField(null=True)
    ratio = fields.FloatField(null=True)
    note = fields.CharField(max_length=40, null=True)

    class Meta:
        table = "fx_plans"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=100, unique=True)
    name = fields.CharField(max_length=60)
    role = fields.ForeignKeyField("models.Role", related_name="users")
    country = fields.ForeignKeyField("models.Country", null=True, related_name="users")

    class Meta:
        table = "fx_users"


class Category(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=30, unique=True)
    parent = fields.ForeignKeyField("models.Category", null=True, related_name="children")

    class Meta:
        table = "fx_categories"


class Profile(Model):
    id = fields.IntField(primary_key=True)
    user = fields.OneToOneField("models.User", related_name="profile")
    bio = fields.CharField(max_length=100, null=True)
    # The column holds the country's name, not its code.
    country = fields.ForeignKeyField("models.Country", to_field="name", null=True, related_name="profiles")

    class Meta:
        table = "fx_profiles"


class Note(Model):
    id = fields.IntField(primary_key=True)
    text = fields.CharField(max_length=100)

    class Meta:
        table = "fx_notes"
"""

# One of each format; the users (computed in Python) name their role and country by
# natural key, and sort before the roles they need.
ROLES = """
model = "Role"

[[rows]]
name = "admin"
level = 10

[[rows]]
name = "staff"
level = 1
"""
COUNTRIES = """{
  "model": "Country",
  "rows": [
    {"code": "FR", "name": "France"},
    {"code": "JP", "name": "Japan"}
  ]
}
"""
PLANS = """\
slug,price,active,starts,launched_at,limits,ratio,note
free,0,yes,,,,,
pro,9.90,true,2024-01-31,2024-01-31T09:30:00,"{""seats"": 5, ""tags"": [""a""]}",0.1,best value
team,49.5,0,2024-02-01,2024-02-01T00:00:00+02:00,[1],2.5,
"""
USERS = """
MODEL = "User"
KEY = ["email"]


def rows():
    admin = {"email": "admin@example.com", "name": "Admin", "role": {"name": "admin"}, "country": {"code": "FR"}}
    staff = [
        {"email": f"staff{i}@example.com", "name": f"Staff {i}", "role": {"name": "staff"}, "country_id": "JP"}
        for i in (1, 2)
    ]
    return [admin, *staff]
"""
CATEGORIES = """
model = "Category"

[[rows]]
slug = "root"

[[rows]]
slug = "books"
parent = {slug = "root"}

[[rows]]
slug = "novels"
parent = {slug = "books"}
"""


@dataclass
class Db:
    """A migrated project and the database it points at, one backend."""

    project: Project
    kind: str
    url: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of `sql` (a statement is committed), read on a connection of its own."""
        if self.kind == "mysql":
            return mysql_query(self.url, sql)
        where: dict[str, Any] = {"sqlite_path": self.project.sqlite_path} if self.kind == "sqlite" else {"url": self.url}
        # query_db runs its own event loop: in a thread, out of the test's.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(query_db, sql, **where).result()

    def write(self, name: str, text: str) -> Path:
        path = self.project.root / "seeds" / "fixtures" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if not name.endswith(".csv") else text)
        return path

    def settings(self, env: str | None = None) -> Settings:
        return resolve(env=env, database_url=self.url, environ={}, cwd=self.project.root)

    async def load(self, env: str | None = None) -> FixturesReport:
        return await load_fixtures(self.settings(env))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project, its first migration made once; each test works on a copy."""
    return model_project(tmp_path_factory.mktemp("fixtures") / "proj", MODELS)


def _copy(template: Project, root: Path) -> Project:
    shutil.copytree(template.root, root, ignore=shutil.ignore_patterns("*.sqlite3*", "__pycache__"))
    return Project(root)


def _migrated(project: Project, kind: str, url: str | None) -> Db:
    url = url or f"sqlite://{project.sqlite_path}"
    migrated = project.run("migrate", env={"DATABASE_URL": url})
    assert migrated.returncode == 0, migrated.stderr
    return Db(project, kind, url)


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(
    request: pytest.FixtureRequest, template: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Db:
    project = _copy(template, tmp_path / "proj")
    monkeypatch.chdir(project.root)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(request.param)
    return _migrated(project, request.param, request.getfixturevalue(server) if server else None)


@pytest.fixture
def lite(template: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Db:
    """SQLite only: for what doesn't depend on the backend (the files' own errors)."""
    project = _copy(template, tmp_path / "proj")
    monkeypatch.chdir(project.root)
    return _migrated(project, "sqlite", None)


def _counts(report: FixturesReport) -> dict[str, tuple[int, int, int]]:
    return {m.model: (m.inserted, m.updated, m.unchanged) for m in report.models}


def _write_all(db: Db) -> None:
    db.write("roles.toml", ROLES)
    db.write("countries.json", COUNTRIES)
    db.write("Plan.csv", PLANS)
    db.write("a_users.py", USERS)
    db.write("categories.toml", CATEGORIES)


async def test_every_format_loads_parents_first_and_a_second_load_changes_nothing(db: Db) -> None:
    _write_all(db)
    seen: list[ModelCounts] = []
    first = await load_fixtures(db.settings(), progress=seen.append)
    # Parents before the users that refer to them, though a_users.py sorts first.
    assert [m.model for m in first.models] == ["Plan", "Category", "Country", "Role", "User"]
    assert _counts(first) == {
        "Plan": (3, 0, 0), "Role": (2, 0, 0), "Country": (2, 0, 0), "User": (3, 0, 0), "Category": (3, 0, 0)
    }
    assert list(first.models) == seen
    assert [p.name for p in first.files] == ["Plan.csv", "a_users.py", "categories.toml", "countries.json", "roles.toml"]

    second = await db.load()
    assert _counts(second) == {
        "Plan": (0, 0, 3), "Role": (0, 0, 2), "Country": (0, 0, 2), "User": (0, 0, 3), "Category": (0, 0, 3)
    }
    assert db.rows("SELECT count(*) FROM fx_roles") == [(2,)]
    assert db.rows("SELECT count(*) FROM fx_users") == [(3,)]
    assert db.rows(
        "SELECT u.email, r.name, u.country_id FROM fx_users u JOIN fx_roles r ON r.id = u.role_id ORDER BY u.email"
    ) == [
        ("admin@example.com", "admin", "FR"), ("staff1@example.com", "staff", "JP"), ("staff2@example.com", "staff", "JP")
    ]
    assert db.rows(
        "SELECT c.slug, p.slug FROM fx_categories c LEFT JOIN fx_categories p ON p.id = c.parent_id ORDER BY c.id"
    ) == [("root", None), ("books", "root"), ("novels", "books")]


async def test_csv_values_are_converted_by_the_field_type(db: Db) -> None:
    db.write("Plan.csv", PLANS)
    await db.load()
    async with orm(db.settings()):
        from tortoise import Tortoise

        plan = Tortoise.apps["models"]["Plan"]
        free, pro, team = await plan.all().order_by("id")
    assert (free.price, free.active, free.starts, free.launched_at, free.limits, free.ratio, free.note) == (
        Decimal("0.00"), True, None, None, None, None, None
    )
    assert (pro.price, pro.active, pro.starts.isoformat(), pro.limits, pro.ratio, pro.note) == (
        Decimal("9.90"), True, "2024-01-31", {"seats": 5, "tags": ["a"]}, 0.1, "best value"
    )
    assert pro.launched_at.isoformat() == "2024-01-31T09:30:00+00:00"  # naive means UTC
    assert team.launched_at.isoformat() == "2024-01-31T22:00:00+00:00"
    assert (team.active, team.limits, team.note) == (False, [1], None)

    # Each type compares equal to what the database gives back: changed values are updated
    # once, then unchanged.
    db.write("Plan.csv", PLANS.replace("9.90", "12").replace('""seats"": 5', '""seats"": 6').replace("09:30", "10:30"))
    assert _counts(await db.load()) == {"Plan": (0, 1, 2)}
    assert _counts(await db.load()) == {"Plan": (0, 0, 3)}
    assert [Decimal(str(p)) for (p,) in db.rows("SELECT price FROM fx_plans WHERE slug = 'pro'")] == [12]


async def test_a_one_to_one_is_a_natural_key_and_a_to_field_key_holds_the_referenced_field(db: Db) -> None:
    _write_all(db)
    db.write("profiles.toml", """
        model = "Profile"

        [[rows]]
        user = {email = "admin@example.com"}
        bio = "runs the place"
        country = {code = "FR"}

        [[rows]]
        user = {email = "staff1@example.com", role = {name = "staff"}}
        country_id = "Japan"
    """)
    assert _counts(await db.load())["Profile"] == (2, 0, 0)
    assert _counts(await db.load())["Profile"] == (0, 0, 2)
    assert db.rows(
        "SELECT u.email, p.bio, p.country_id FROM fx_profiles p JOIN fx_users u ON u.id = p.user_id ORDER BY u.email"
    ) == [("admin@example.com", "runs the place", "France"), ("staff1@example.com", None, "Japan")]


async def test_a_changed_value_is_updated_and_other_rows_are_left_alone(db: Db) -> None:
    db.write("roles.toml", ROLES)
    await db.load()
    db.rows("INSERT INTO fx_roles (name, level) VALUES ('auditor', 3)")
    db.write("roles.toml", ROLES.replace("level = 1\n", "level = 2\n"))
    assert _counts(await db.load()) == {"Role": (0, 1, 1)}
    assert db.rows("SELECT name, level FROM fx_roles ORDER BY name") == [("admin", 10), ("auditor", 3), ("staff", 2)]
    assert _counts(await db.load()) == {"Role": (0, 0, 2)}


async def test_a_fixed_admin_with_an_id_loads_twice_and_the_sequence_moves_past_it(db: Db) -> None:
    db.write("roles.toml", 'model = "Role"\nkey = ["id"]\n[[rows]]\nid = 7\nname = "admin"\n')
    db.write("users.json", '{"model": "User", "rows": [{"id": 7, "email": "admin@example.com", '
                           '"name": "Admin", "role_id": 7, "country": null}]}')
    for expected in ((1, 0, 0), (0, 0, 1)):
        report = await db.load()
        assert _counts(report) == {"Role": expected, "User": expected}
    assert db.rows("SELECT id, email, role_id, country_id FROM fx_users") == [(7, "admin@example.com", 7, None)]
    # An ordinary insert after explicit ids gets a fresh id (PostgreSQL's sequence moved).
    db.rows("INSERT INTO fx_roles (name, level) VALUES ('staff', 0)")
    assert db.rows("SELECT id FROM fx_roles WHERE name = 'staff'") == [(8,)]


async def test_an_environments_folder_loads_after_the_shared_one_for_that_environment_only(db: Db) -> None:
    db.write("roles.toml", ROLES)
    db.write("test/roles.toml", 'model = "Role"\n[[rows]]\nname = "admin"\nlevel = 99\n[[rows]]\nname = "tester"\n')
    db.write("staging/roles.toml", 'model = "Role"\n[[rows]]\nname = "stager"\n')
    settings = db.settings("test")
    assert [str(p.relative_to(db.project.root)) for p in fixture_files(settings)] == [
        "seeds/fixtures/roles.toml", "seeds/fixtures/test/roles.toml"
    ]
    # The environment's admin is merged over the shared one: written once, unchanged next time.
    assert _counts(await load_fixtures(settings)) == {"Role": (3, 0, 0)}
    assert _counts(await load_fixtures(settings)) == {"Role": (0, 0, 3)}
    assert db.rows("SELECT name, level FROM fx_roles ORDER BY name") == [("admin", 99), ("staff", 1), ("tester", 0)]
    # The default environment (dev) has no folder: the shared rows, put back as they were.
    assert _counts(await db.load()) == {"Role": (0, 1, 1)}
    assert db.rows("SELECT name, level FROM fx_roles ORDER BY name") == [("admin", 10), ("staff", 1), ("tester", 0)]


async def test_a_missing_referenced_row_rolls_back_the_whole_load(db: Db) -> None:
    db.write("roles.toml", ROLES)
    db.write("users.toml", """
        model = "User"

        [[rows]]
        email = "a@example.com"
        name = "A"
        role = {name = "admin"}

        [[rows]]
        email = "b@example.com"
        name = "B"
        role = {name = "ghost"}
    """)
    with pytest.raises(ToolkitError) as caught:
        await db.load()
    assert str(caught.value) == (
        "seeds/fixtures/users.toml: row 2: role: no Role with name = 'ghost'; add it to its fixtures or fix the "
        "reference; the database is unchanged (the whole load was rolled back)"
    )
    assert db.rows("SELECT count(*) FROM fx_roles") == [(0,)]
    assert db.rows("SELECT count(*) FROM fx_users") == [(0,)]


async def test_a_database_failure_mid_load_leaves_the_database_as_it_was(db: Db) -> None:
    db.write("roles.toml", ROLES)
    await db.load()
    # The staff role is updated and the first category inserted; then the server refuses
    # the second category (its slug is the first's), and neither write is kept.
    db.write("roles.toml", ROLES.replace("level = 1\n", "level = 5\n"))
    db.write("z_categories.toml", """
        model = "Category"
        key = ["id"]

        [[rows]]
        id = 1
        slug = "same"

        [[rows]]
        id = 2
        slug = "same"
    """)
    with pytest.raises(ToolkitError) as caught:
        await db.load()
    message = str(caught.value)
    assert message.startswith("seeds/fixtures/z_categories.toml: row 2: writing the Category failed: "), message
    assert message.endswith("; the database is unchanged (the whole load was rolled back)"), message
    assert "\n" not in message
    assert db.rows("SELECT name, level FROM fx_roles ORDER BY name") == [("admin", 10), ("staff", 1)]
    assert db.rows("SELECT count(*) FROM fx_categories") == [(0,)]


async def test_a_key_that_matches_several_rows_is_refused(lite: Db) -> None:
    lite.write("roles.toml", ROLES)
    await lite.load()
    lite.rows("INSERT INTO fx_roles (name, level) VALUES ('auditor', 1)")
    lite.write("roles.toml", 'model = "Role"\nkey = ["level"]\n[[rows]]\nlevel = 1\nname = "staff"\n')
    with pytest.raises(ToolkitError) as caught:
        await lite.load()
    assert str(caught.value) == (
        "seeds/fixtures/roles.toml: row 1: its key (level) is in several rows; use a unique key; "
        "the database is unchanged (the whole load was rolled back)"
    )


async def test_the_lower_level_load_runs_inside_an_initialised_tortoise(lite: Db) -> None:
    lite.write("roles.toml", ROLES)
    settings = lite.settings()
    async with orm(settings):
        assert _counts(await load_fixtures_in_orm(settings)) == {"Role": (2, 0, 0)}
        assert _counts(await load_fixtures_in_orm(settings)) == {"Role": (0, 0, 2)}


async def test_no_fixtures_folder_loads_nothing(lite: Db) -> None:
    assert fixture_files(lite.settings()) == []
    assert await lite.load() == FixturesReport((), ())


def test_fixture_files_lists_shared_then_environment_files_and_skips_the_rest(lite: Db) -> None:
    for name in ("b.toml", "a.json", "C.csv", "d.py", "_helpers.py", "README.md", "dev/x.toml", "test/y.toml"):
        lite.write(name, "")
    shown = [str(p.relative_to(lite.project.root / "seeds" / "fixtures")) for p in fixture_files(lite.settings())]
    assert shown == ["C.csv", "a.json", "b.toml", "d.py", "dev/x.toml"]


# Each file, alone in seeds/fixtures/, and the one-line message its load fails with.
ERRORS = [
    pytest.param("roles.toml", 'model = "Rol"\n', "seeds/fixtures/roles.toml: unknown model 'Rol'; did you mean 'Role'?", id="model-near-miss"),
    pytest.param("Roles.csv", "name\nadmin\n", "seeds/fixtures/Roles.csv: unknown model 'Roles' (the file's name); did you mean 'Role'?", id="csv-model"),
    pytest.param("x.json", '{"model": "Widget", "rows": []}', "seeds/fixtures/x.json: unknown model 'Widget'; the models are Category, Country, Note, Plan, Profile, Role, User", id="model-unknown"),
    pytest.param("roles.toml", 'model = "Role"\n[[rows]]\nname = "a"\n[[rows]]\nnmae = "b"\n', "seeds/fixtures/roles.toml: row 2: unknown field 'nmae' for Role; did you mean 'name'?", id="field"),
    pytest.param("users.toml", 'model = "User"\n[[rows]]\nemail = "a@b.c"\nname = "A"\nrole = {nam = "admin"}\n', "seeds/fixtures/users.toml: row 1: role: unknown field 'nam' for Role; did you mean 'name'?", id="field-in-reference"),
    pytest.param("roles.toml", 'model = "Role"\n[[rows]]\nname = "a\n', "seeds/fixtures/roles.toml: not valid TOML: Illegal character '\\n' (at line 3, column 10); fix the file", id="toml"),
    pytest.param("roles.json", '{"model": "Role",\n "rows": [\n  {"name": "a"}\n  {"name": "b"}]}', "seeds/fixtures/roles.json: not valid JSON: Expecting ',' delimiter: line 4 column 3 (char 47); fix the file", id="json"),
    pytest.param("Role.csv", "name,level\nadmin,1\nstaff\n", "seeds/fixtures/Role.csv: line 3: 1 cells for 2 fields in the header; fix the row", id="csv"),
    pytest.param("roles.py", "MODEL = 'Role'\ndef rows(:\n", "seeds/fixtures/roles.py: SyntaxError: invalid syntax (roles.py, line 2); fix the file", id="python-syntax"),
    pytest.param("roles.py", "MODEL = 'Role'\ndef rows():\n    return [{'name': 1 / 0}]\n", "seeds/fixtures/roles.py: ZeroDivisionError: division by zero; fix the file", id="python-raises"),
    pytest.param("roles.py", "KEY = ['name']\ndef rows():\n    return []\n", 'seeds/fixtures/roles.py: names no model; add MODEL = "ModelName"', id="python-no-model"),
    pytest.param("roles.toml", 'model = "Role"\nkye = ["name"]\n', "seeds/fixtures/roles.toml: unknown setting 'kye'; a file has model, key and rows", id="setting"),
    pytest.param("Role.csv", "name,level\nadmin,high\n", "seeds/fixtures/Role.csv: line 2: 'high' doesn't fit Role.level: expected an integer", id="int"),
    pytest.param("Plan.csv", "slug,price,active\nx,1,maybe\n", "seeds/fixtures/Plan.csv: line 2: 'maybe' doesn't fit Plan.active: expected true/false, 1/0 or yes/no", id="bool"),
    pytest.param("Plan.csv", "slug,price,starts\nx,1,2024-13-01\n", "seeds/fixtures/Plan.csv: line 2: '2024-13-01' doesn't fit Plan.starts: expected a date (YYYY-MM-DD)", id="date"),
    pytest.param("Plan.csv", "slug,price\nx,9.999\n", "seeds/fixtures/Plan.csv: line 2: '9.999' doesn't fit Plan.price: expected at most 8 digits, 2 after the point", id="decimal"),
    pytest.param("Plan.csv", "slug,price\nx,\n", "seeds/fixtures/Plan.csv: line 2: '' doesn't fit Plan.price: can't be empty: the column is NOT NULL", id="not-null"),
    pytest.param("Plan.csv", "slug,price,limits\nx,1,{seats: 5}\n", "seeds/fixtures/Plan.csv: line 2: '{seats: 5}' doesn't fit Plan.limits: expected JSON", id="json-field"),
    pytest.param("roles.toml", 'model = "Role"\n[[rows]]\nname = "' + "x" * 31 + '"\n', "seeds/fixtures/roles.toml: row 1: '" + "x" * 31 + "' doesn't fit Role.name: Length of '" + "x" * 31 + "' 31 > 30", id="too-long"),
    pytest.param("roles.json", '{"model": "Role", "rows": [{"name": "a", "level": true}]}', "seeds/fixtures/roles.json: row 1: True doesn't fit Role.level: expected an integer", id="bool-for-int"),
    pytest.param("roles.json", '{"model": "Role", "rows": [{"name": 5}]}', "seeds/fixtures/roles.json: row 1: 5 doesn't fit Role.name: expected text (quote it)", id="number-for-text"),
    pytest.param("notes.toml", 'model = "Note"\n[[rows]]\ntext = "a"\n', 'seeds/fixtures/notes.toml: no natural key for Note: no unique field (nor the primary key) is in every row; add key = [...] naming the fields that identify a row', id="no-key"),
    pytest.param("Note.csv", "text\na\n", "seeds/fixtures/Note.csv: no natural key for Note: no unique field (nor the primary key) is in every row; add a column for a unique field or the primary key", id="no-key-csv"),
    pytest.param("roles.toml", 'model = "Role"\nkey = ["name"]\n[[rows]]\nlevel = 1\n', "seeds/fixtures/roles.toml: row 1: no value for the key field 'name'; give it one", id="key-missing"),
    pytest.param("roles.toml", 'model = "Role"\n[[rows]]\nname = "a"\n[[rows]]\nname = "a"\n', "seeds/fixtures/roles.toml: row 1 and row 2 have the same key (name = 'a'); drop one", id="same-key"),
    pytest.param("users.toml", 'model = "User"\n[[rows]]\nemail = "a@b.c"\nname = "A"\nrole = {name = "admin"}\nrole_id = 1\n', "seeds/fixtures/users.toml: row 1: 'role_id' sets role_id a second time; keep one of the two", id="fk-twice"),
]


@pytest.mark.parametrize(("name", "text", "message"), ERRORS)
async def test_a_bad_file_is_one_line_naming_it_and_nothing_is_loaded(lite: Db, name: str, text: str, message: str) -> None:
    lite.write("countries.json", COUNTRIES)  # a good file alongside: it isn't loaded either
    lite.write(name, text)
    with pytest.raises(ConfigError) as caught:
        await lite.load()
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)
    assert lite.rows("SELECT count(*) FROM fx_countries") == [(0,)]


async def test_two_files_for_one_model_name_both(lite: Db) -> None:
    lite.write("roles.toml", ROLES)
    lite.write("more_roles.json", '{"model": "Role", "rows": []}')
    with pytest.raises(ConfigError) as caught:
        await lite.load()
    assert str(caught.value) == (
        "Role has fixtures in seeds/fixtures/more_roles.json and in seeds/fixtures/roles.toml; merge them"
    )
