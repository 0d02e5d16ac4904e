"""`toolkit status --json` and `--exit-code`."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration


def _init(project: Project) -> str:
    return next((project.root / "migrations" / "models").glob("0_*.py")).stem


def test_status_json_on_a_fresh_database_lists_everything_pending(project: Project, target: Target) -> None:
    result = project.run("status", "--json", env=target.env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "env": "dev",
        "database_url": target.url,
        "applied": [],
        "pending": [_init(project)],
        "missing_files": [],
        "edited": [],
        "renamed": [],
        "up_to_date": False,
    }
    assert target.tables() == set()


def test_status_json_after_migrate_is_up_to_date(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);')
    data = json.loads(project.run("status", "--json", env=target.env).stdout)
    assert data["applied"] == [_init(project)]
    assert data["pending"] == ["1_20990101000001_pets"]
    assert data["up_to_date"] is False


def test_status_json_names_applied_migrations_whose_file_is_gone(project: Project, target: Target) -> None:
    path = write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);')
    assert project.run("migrate", env=target.env).returncode == 0
    path.unlink()
    data = json.loads(project.run("status", "--json", env=target.env).stdout)
    assert data["missing_files"] == ["1_20990101000001_pets"]
    assert data["up_to_date"] is True


def test_status_exit_code_is_1_while_migrations_are_pending(project: Project, target: Target) -> None:
    result = project.run("status", "--exit-code", env=target.env)
    assert result.returncode == 1
    assert f"[ ] {_init(project)}" in result.stdout


def test_status_exit_code_is_0_when_up_to_date(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("status", "--exit-code", "--json", env=target.env)
    assert result.returncode == 0
    assert json.loads(result.stdout)["up_to_date"] is True
