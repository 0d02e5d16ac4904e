"""Predictable load failures name the model, the column and the override that fixes them,
and say where the run stopped and what stayed, in one line, on every backend."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import Project, model_project
from tests.migration_helpers import Target, target_for

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "e_teams"


class Member(Model):
    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("models.Team", related_name="members")
    email = fields.CharField(max_length=120, unique=True)

    class Meta:
        table = "e_members"


class Review(Model):
    id = fields.IntField(primary_key=True)
    member = fields.ForeignKeyField("models.Member", related_name="reviews")
    body = fields.TextField()

    class Meta:
        table = "e_reviews"


class Booking(Model):
    id = fields.IntField(primary_key=True)
    room = fields.IntField()
    day = fields.IntField()

    class Meta:
        table = "e_bookings"
        unique_together = (("room", "day"),)
"""

# Overrides that repeat values of unique columns: what a user writes by mistake.
FEW_VALUES = """
from toolkit.seed.definitions import SeedDefinition

SEEDS = [
    SeedDefinition(model="Member", fields={"email": ["a@example.com", "b@example.com"]}),
    SeedDefinition(model="Booking", fields={"room": 1, "day": [1, 2]}),
]
"""

DISTINCT = """
from toolkit.seed.definitions import SeedDefinition

SEEDS = [SeedDefinition(model="Member", fields={"email": lambda row: f"m{row.index}@example.com"})]
"""


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Project, Target]:
    project = model_project(tmp_path / "named", MODELS, {"few.py": FEW_VALUES})
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(request.param)
    target = target_for(request.param, project, request.getfixturevalue(server) if server else None)
    assert project.run("migrate", env=target.env).returncode == 0
    return project, target


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 1, result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and "unexpected" not in err, err
    return err


def test_a_duplicate_value_names_the_column_the_override_and_how_to_finish(shop) -> None:  # type: ignore[no-untyped-def]
    project, target = shop
    err = _one_line(project.run("seed", "--model", "Member=50", "--seed", "3", env=target.env))
    assert "Member.email: duplicate value" in err, err
    assert "(unique column e_members.email)" in err, err
    assert 'give it distinct values in seeds/: SeedDefinition(model="Member", fields={"email": ...})' in err, err
    if target.dialect != "sqlite":  # SQLite doesn't say which value
        assert "'a@example.com'" in err or "'b@example.com'" in err, err
    assert "seeding stopped at Member" in err, err
    assert "committed batches are kept: run `toolkit --env dev seed --resume` to finish" in err, err
    # What the message says stayed did stay, and the command it gives finishes the run.
    assert target.query("SELECT count(*) FROM e_teams")[0][0] > 0
    (project.root / "seeds" / "few.py").write_text(textwrap.dedent(DISTINCT))
    resumed = project.run("seed", "--resume", env=target.env)
    assert resumed.returncode == 0, resumed.stderr
    assert target.query("SELECT count(*), count(DISTINCT email) FROM e_members") == [(50, 50)]


def test_a_repeated_unique_together_names_both_columns(shop) -> None:  # type: ignore[no-untyped-def]
    project, target = shop
    err = _one_line(project.run("seed", "--model", "Booking=20", env=target.env))
    assert "Booking.(room, day): duplicate combination" in err, err
    assert "(unique together on e_bookings: room, day)" in err, err
    assert 'SeedDefinition(model="Booking", fields={"room": ..., "day": ...})' in err, err


def test_with_all_the_message_names_the_model_that_stopped_the_run(shop) -> None:  # type: ignore[no-untyped-def]
    project, target = shop
    (project.root / "seeds" / "few.py").write_text(textwrap.dedent(FEW_VALUES).replace(
        'SeedDefinition(model="Booking", fields={"room": 1, "day": [1, 2]}),', ""
    ))
    err = _one_line(project.run("seed", "--all", "--count", "40", env=target.env))
    assert err.startswith("Error: Member.email: duplicate value"), err
    assert "seeding stopped at Member (" in err, err
    before = err.split("seeding stopped at Member (", 1)[1].split(" loaded before it)", 1)[0]
    assert "Team" in before.split(", ") and "Review" not in before, err
    assert target.query("SELECT count(*) FROM e_teams") == [(40,)]
    assert target.query("SELECT count(*) FROM e_reviews") == [(0,)]


VALIDATED = """
from tortoise import fields
from tortoise.models import Model
from tortoise.validators import RegexValidator


class Site(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "v_sites"


class Sensor(Model):
    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("models.Site", related_name="sensors")
    serial = fields.CharField(max_length=20, validators=[RegexValidator("^SN-[0-9]{6}$", 0)])

    class Meta:
        table = "v_sensors"
"""


def test_a_validator_that_rejects_values_names_the_model_under_all(tmp_path: Path) -> None:
    project = model_project(tmp_path / "validated", VALIDATED)
    assert project.run("migrate").returncode == 0
    err = _one_line(project.run("seed", "--all", "--count", "5"))
    assert "Sensor.serial rejects the generated values" in err, err
    assert 'SeedDefinition(model="Sensor", fields={"serial": [...]})' in err, err


# Messages built from what each driver raises, for what a live run can't provoke at will.
def _table(unique_together: tuple[tuple[str, ...], ...] = ()):  # type: ignore[no-untyped-def]
    from toolkit.seed.table import Column, Table

    return Table(
        "accounts", "Account",
        (
            Column("id", "id", "int", primary_key=True, db_generated=True),
            Column("email", "email", "char", max_length=80, unique=True),
            Column("org_id", "org", "int", references=("orgs", "id")),
            Column("handle", "handle", "char", max_length=20),
        ),
        unique_together=unique_together,
    )


def _mysql_duplicate(key: str, value: str = "x") -> Exception:
    import pymysql

    return pymysql.err.IntegrityError(1062, f"Duplicate entry '{value}' for key '{key}'")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("email", "Account.email: duplicate value 'x' (unique column accounts.email)"),
        ("accounts.email", "Account.email: duplicate value 'x' (unique column accounts.email)"),
        ("email_2", "Account.email: duplicate value 'x' (unique column accounts.email)"),
        ("uid_accounts_org_id_1a2b3c",
         "Account.(org, handle): duplicate combination 'x' (unique together on accounts: org_id, handle)"),
        ("mystery_idx", "Account: duplicate value 'x' (unique key mystery_idx of accounts)"),
    ],
)
def test_a_mysql_key_name_is_mapped_back_to_the_models_attributes(key: str, expected: str) -> None:
    from toolkit.backends.mysql import MysqlBackend
    from toolkit.seed.db_errors import explain_db_error

    table = _table(unique_together=(("org_id", "handle"),))
    message = str(explain_db_error(_mysql_duplicate(key), MysqlBackend("mysql://u@db/app"), table))
    assert message.startswith(expected), message
    assert "seeding stopped at Account; committed batches are kept" in message


def test_a_postgres_constraint_without_detail_is_mapped_by_its_name() -> None:
    import asyncpg

    from toolkit.backends.postgres import PostgresBackend
    from toolkit.seed.db_errors import explain_db_error

    error = asyncpg.UniqueViolationError('duplicate key value violates unique constraint "accounts_email_key"')
    error.constraint_name = "accounts_email_key"  # type: ignore[attr-defined]
    message = str(explain_db_error(error, PostgresBackend("postgresql://u@db/app"), _table()))
    assert message.startswith("Account.email: duplicate values (unique column accounts.email)"), message


def test_the_models_loaded_before_are_named_and_a_persistent_deadlock_gets_a_hint() -> None:
    import pymysql

    from toolkit.backends.mysql import MysqlBackend
    from toolkit.seed.db_errors import explain_db_error

    backend = MysqlBackend("mysql://u@db/app")
    deadlock = pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")
    message = str(explain_db_error(deadlock, backend, _table(), "toolkit seed --resume", ["Org", "Team"]))
    assert message.startswith("seeding Account (accounts) failed: (1213, 'Deadlock found"), message
    assert "still after 3 retries" in message and "--concurrency 1" in message, message
    assert "seeding stopped at Account (Org, Team loaded before it)" in message, message
    assert message.endswith("run `toolkit seed --resume` to finish")
