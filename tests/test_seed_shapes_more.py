"""More relation and column shapes, on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import model_project, mysql_connect, query_db

BACKENDS = ["sqlite", "postgres", "mysql"]


def _env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if backend == "postgres":
        return {"DATABASE_URL": request.getfixturevalue("pg_url")}
    if backend == "mysql":
        return {"DATABASE_URL": request.getfixturevalue("mysql_url")}
    return {}


def _query(backend: str, env: dict[str, str], project: object, sql: str) -> list[tuple]:
    if backend == "sqlite":
        return query_db(sql, sqlite_path=project.sqlite_path)  # type: ignore[attr-defined]
    if backend == "postgres":
        return query_db(sql, url=env["DATABASE_URL"])
    conn = mysql_connect(env["DATABASE_URL"].rsplit("/", 1)[1])
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return [tuple(r) for r in cur.fetchall()]
    finally:
        conn.close()


O2O_PK = """
from tortoise import fields
from tortoise.models import Model


class Account(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=120)

    class Meta:
        table = "m_accounts"


class Tag(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=40)

    class Meta:
        table = "m_tags"


class Profile(Model):
    account = fields.OneToOneField("models.Account", primary_key=True, related_name="profile")
    tags = fields.ManyToManyField("models.Tag", related_name="profiles")

    class Meta:
        table = "m_profiles"
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_one_to_one_primary_key_with_many_to_many_plans_and_seeds(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "o2opk", O2O_PK)
    env = _env(backend, request)
    assert project.run("migrate", env=env).returncode == 0
    dry = project.run("seed", "--all", "--count", "20", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    result = project.run("seed", "--all", "--count", "20", "--seed", "3", env=env)
    assert result.returncode == 0, result.stderr
    assert _query(backend, env, project, "SELECT count(*) FROM m_profiles") == [(20,)]
    links = _query(backend, env, project, "SELECT m_profiles_id, tag_id FROM m_profiles_m_tags")
    assert links and len(set(links)) == len(links)


MENTORS = """
from tortoise import fields
from tortoise.models import Model


class Employee(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    mentor = fields.OneToOneField("models.Employee", null=True, related_name="mentee")

    class Meta:
        table = "m_employees"
"""

MENTOR_CHECKS = (
    # One mentee per mentor, and mentors are real rows.
    "SELECT count(*) FROM (SELECT mentor_id FROM m_employees WHERE mentor_id IS NOT NULL "
    "GROUP BY mentor_id HAVING count(*) > 1) t",
    "SELECT count(*) FROM m_employees e LEFT JOIN m_employees m ON m.id = e.mentor_id "
    "WHERE e.mentor_id IS NOT NULL AND m.id IS NULL",
    "SELECT count(*) FROM m_employees WHERE mentor_id = id",
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_self_referencing_one_to_one_gets_one_mentee_per_mentor(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "mentors", MENTORS)
    env = _env(backend, request)
    assert project.run("migrate", env=env).returncode == 0
    first = project.run("seed", "--model", "Employee=60", "--seed", "4", env=env)
    assert first.returncode == 0, first.stderr
    # A fill that never finished: --resume fills the run again.
    _query(backend, env, project, "DELETE FROM toolkit_seed_fills")
    resumed = project.run("seed", "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    more = project.run("seed", "--model", "Employee=40", "--seed", "5", env=env)
    assert more.returncode == 0, more.stderr
    for sql in MENTOR_CHECKS:
        assert _query(backend, env, project, sql) == [(0,)], sql
    assert _query(backend, env, project, "SELECT count(*) FROM m_employees WHERE mentor_id IS NOT NULL")[0][0] > 40


def test_an_override_of_a_deferred_column_is_kept(tmp_path: Path) -> None:
    seeds = {"employees.py": """
        from toolkit.seed.definitions import SeedDefinition

        SEED = SeedDefinition(model="Employee", fields={"mentor": None})
    """}
    project = model_project(tmp_path / "nomentor", MENTORS, seeds)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--model", "Employee=30")
    assert result.returncode == 0, result.stderr
    assert query_db("SELECT count(*) FROM m_employees WHERE mentor_id IS NOT NULL", sqlite_path=project.sqlite_path) == [(0,)]


PLACES = """
from tortoise import fields
from tortoise.models import Model


class Place(Model):
    id = fields.IntField(primary_key=True)
    longitude = fields.DecimalField(max_digits=10, decimal_places=8)
    latitude = fields.DecimalField(max_digits=9, decimal_places=6)
    lng = fields.FloatField()

    class Meta:
        table = "m_places"
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_coordinates_fit_their_decimal_digits(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    from decimal import Decimal

    project = model_project(tmp_path / "places", PLACES)
    env = _env(backend, request)
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--model", "Place=500", "--seed", "2", env=env)
    assert result.returncode == 0, result.stderr
    rows = _query(backend, env, project, "SELECT longitude, latitude, lng FROM m_places")
    longitudes = [Decimal(str(r[0])) for r in rows]
    assert all(abs(v) < 100 for v in longitudes) and len(set(longitudes)) > 400
    assert all(abs(Decimal(str(r[1]))) <= 90 for r in rows)
    assert any(abs(r[2]) > 100 for r in rows)  # a float keeps the full range


NEVER = """
from datetime import datetime

from tortoise import fields
from tortoise.models import Model


class Session(Model):
    id = fields.IntField(primary_key=True)
    last_seen = fields.DatetimeField(default=datetime.min)

    class Meta:
        table = "m_sessions"
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_datetime_min_default_gets_real_times_without_warnings(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "never", NEVER)
    env = _env(backend, request)
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--model", "Session=50", env=env)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    rows = _query(backend, env, project, "SELECT last_seen FROM m_sessions")
    assert len(rows) == 50 and all(str(r[0])[:4] > "1900" for r in rows)


VALIDATED = """
from tortoise import fields
from tortoise.models import Model
from tortoise.validators import RegexValidator


class Sensor(Model):
    id = fields.IntField(primary_key=True)
    serial = fields.CharField(max_length=20, validators=[RegexValidator("^SN-[0-9]{6}$", 0)])

    class Meta:
        table = "m_sensors"
"""


def test_a_validator_that_rejects_values_names_the_column_and_the_override(tmp_path: Path) -> None:
    project = model_project(tmp_path / "validated", VALIDATED)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--model", "Sensor=5")
    assert result.returncode != 0
    assert "unexpected" not in result.stderr, result.stderr
    assert "Sensor.serial" in result.stderr and "seeds/" in result.stderr, result.stderr
