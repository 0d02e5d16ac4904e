"""`toolkit migrate --dry-run` / `--sql`: the pending SQL for this database, and no change."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration

PETS = 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);'


@pytest.mark.parametrize("flag", ["--dry-run", "--sql"])
def test_dry_run_on_a_fresh_sqlite_file_does_not_create_it(project: Project, flag: str) -> None:
    result = project.run("migrate", flag)
    assert result.returncode == 0, result.stderr
    assert not project.sqlite_path.exists()
    assert not project.sqlite_path.with_name("dev.sqlite3.lock").exists()


def test_dry_run_on_postgres_creates_no_table(project: Project, target: Target) -> None:
    result = project.run("migrate", "--dry-run", env=target.env)
    assert result.returncode == 0, result.stderr
    assert target.tables() == set()


def test_dry_run_prints_each_pending_migration_in_order_under_its_name(project: Project, target: Target) -> None:
    write_migration(project.root, 1, "pets", PETS)
    init = next((project.root / "migrations" / "models").glob("0_*.py")).stem
    out = project.run("migrate", "--sql", env=target.env).stdout
    first = out.index(f"-- Migration {init} ({target.dialect})")
    second = out.index(f"-- Migration 1_20990101000001_pets ({target.dialect})")
    assert first < out.index(target.q('CREATE TABLE IF NOT EXISTS "users"')) < second < out.index(target.q(PETS))


def test_dry_run_prints_the_sql_of_the_target_dialect(project: Project, target: Target) -> None:
    out = project.run("migrate", "--dry-run", env=target.env).stdout
    own, others = {
        "postgres": ("BIGSERIAL", ["AUTOINCREMENT", "AUTO_INCREMENT"]),
        "sqlite": ("AUTOINCREMENT", ["SERIAL", "AUTO_INCREMENT"]),
        "mysql": ("AUTO_INCREMENT", ["SERIAL", "AUTOINCREMENT "]),
    }[target.dialect]
    assert own in out and not any(o in out for o in others)


def test_dry_run_lists_only_what_is_still_pending(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    write_migration(project.root, 1, "pets", PETS)
    out = project.run("migrate", "--dry-run", env=target.env).stdout
    assert out == f"-- Migration 1_20990101000001_pets ({target.dialect})\n{target.q(PETS)}\n\n"
    assert "pets" not in target.tables()


def test_dry_run_with_nothing_pending_says_so(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("migrate", "--dry-run", env=target.env)
    assert result.returncode == 0
    assert result.stdout.startswith("-- Nothing to migrate: ")


def test_dry_run_json_is_a_documented_object(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    write_migration(project.root, 1, "pets", PETS)
    result = project.run("migrate", "--dry-run", "--json", env=target.env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "env": "dev",
        "database_url": data["database_url"],
        "dialect": target.dialect,
        "pending": [{"name": "1_20990101000001_pets", "sql": target.q(PETS)}],
    }
    assert "pets" not in target.tables()


def test_dry_run_never_shows_the_password(project: Project, pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:s3cret@")
    result = project.run("migrate", "--dry-run", "--json", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert json.loads(result.stdout)["database_url"] == url.replace("s3cret", "***")


def test_migrate_json_lists_what_it_applied(project: Project, target: Target) -> None:
    result = project.run("migrate", "--json", env=target.env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dialect"] == target.dialect
    assert data["applied"] == [next((project.root / "migrations" / "models").glob("0_*.py")).stem]
