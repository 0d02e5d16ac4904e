"""`toolkit check`: exit 0 when models, migrations and database agree; exit 1 with the differences."""

from __future__ import annotations

import json
import uuid

from tests.conftest import REPO, Project
from tests.migration_helpers import Target


def _use_models(project: Project, extra_field: str = "") -> str:
    """Point the project at its own copy of the User model, optionally with one more field."""
    # A unique module name: Python caches imported modules, and Tortoise keeps global state.
    module = f"tkcheck_{uuid.uuid4().hex[:8]}"
    source = (REPO / "toolkit" / "models.py").read_text()
    if extra_field:
        source = source.replace("    class Meta:", f"    {extra_field}\n\n    class Meta:")
    (project.root / f"{module}.py").write_text(source)
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('["toolkit.models"]', f'["{module}"]'))
    return module


def test_check_passes_when_models_migrations_and_database_agree(project: Project, target: Target) -> None:
    _use_models(project)
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("check", env=target.env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("In sync: the models, the migrations and dev (")


def test_check_fails_and_lists_pending_migrations(project: Project, target: Target) -> None:
    result = project.run("check", env=target.env)
    assert result.returncode == 1
    init = next((project.root / "migrations" / "models").glob("0_*.py")).stem
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Pending migrations on dev (")
    assert lines[0].endswith("(1); run `toolkit migrate`:")
    assert lines[1:] == [f"  [ ] {init}"]


def test_check_fails_and_lists_model_changes_no_migration_holds(project: Project, target: Target) -> None:
    _use_models(project, "nickname = fields.CharField(max_length=32, null=True)")
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("check", env=target.env)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "Model changes that no migration holds (1); run `toolkit makemigrations`:",
        target.q('  ALTER TABLE "users" ADD "nickname" VARCHAR(32)'),
    ]
    assert "Traceback" not in result.stderr


def test_check_passes_again_once_makemigrations_and_migrate_ran(project: Project) -> None:
    _use_models(project, "nickname = fields.CharField(max_length=32, null=True)")
    assert project.run("makemigrations", "--name", "nickname").returncode == 0
    assert project.run("check").returncode == 1  # the new migration is pending
    assert project.run("migrate").returncode == 0
    assert project.run("check").returncode == 0


def test_check_without_database_compares_only_models_and_migrations(project: Project) -> None:
    unreachable = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}
    result = project.run("check", "--no-database", env=unreachable)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "In sync: the migrations hold every model change.\n"


def test_check_json_reports_both_kinds_of_difference(project: Project, target: Target) -> None:
    _use_models(project, "nickname = fields.CharField(max_length=32, null=True)")
    result = project.run("check", "--json", env=target.env)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    init = next((project.root / "migrations" / "models").glob("0_*.py")).stem
    assert data == {
        "env": "dev",
        "database_url": data["database_url"],
        "dialect": target.dialect,
        "in_sync": False,
        "model_changes": [target.q('ALTER TABLE "users" ADD "nickname" VARCHAR(32)')],
        "pending": [init],
        "edited": [],
        "drift": [],
        "lint": [],  # the pending first migration creates its tables: nothing to flag
    }
    assert target.tables() == set()  # check changes nothing


def test_check_on_an_unreachable_database_fails_naming_host_and_port(project: Project) -> None:
    result = project.run("check", env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"})
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach PostgreSQL at 127.0.0.1:1 ")
