"""The everyday migration verbs Django and Alembic users reach for: migrate --to, --fake,
rollback --dry-run, sql, history, makemigrations --empty, drift in check."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration

PETS = 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);'
TOYS = 'CREATE TABLE "toys" ("id" INTEGER PRIMARY KEY);'


def _two_more(project: Project) -> tuple[str, str]:
    pets = write_migration(project.root, 1, "pets", PETS, 'DROP TABLE "pets";').stem
    toys = write_migration(project.root, 2, "toys", TOYS, 'DROP TABLE "toys";').stem
    return pets, toys


def test_migrate_to_a_version_goes_forward_then_back(project: Project, target: Target) -> None:
    pets, toys = _two_more(project)
    forward = project.run("migrate", "--to", "1", env=target.env)
    assert forward.returncode == 0, forward.stderr
    assert "pets" in target.tables() and "toys" not in target.tables()
    assert project.run("migrate", env=target.env).returncode == 0
    back = project.run("migrate", "--to", pets, env=target.env)
    assert back.returncode == 0, back.stderr
    assert back.stdout.splitlines()[0] == f"Reverted {toys}.py"
    assert "toys" not in target.tables() and "pets" in target.tables()


def test_migrate_to_an_unknown_version_is_a_usage_error(project: Project) -> None:
    result = project.run("migrate", "--to", "7")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].startswith("Error: '7' is not a migration; migrations: 0_")
    assert not project.sqlite_path.exists() or "users" not in Target("sqlite", {}, "", project.sqlite_path).tables()


def test_fake_records_without_running_for_an_adopted_database(project: Project, target: Target) -> None:
    _two_more(project)
    result = project.run("migrate", "--fake", "--to", "0", env=target.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Recorded 0_")
    assert "users" not in target.tables()  # recorded, not run
    assert len(target.versions()) == 1
    applied = project.run("migrate", env=target.env)
    assert applied.returncode == 0, applied.stderr
    assert {"pets", "toys"} <= target.tables()


def test_rollback_dry_run_prints_the_reverts_and_changes_nothing(project: Project, target: Target) -> None:
    pets, toys = _two_more(project)
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("rollback", "--steps", "2", "--dry-run", env=target.env)
    assert result.returncode == 0, result.stderr
    drop_toys, drop_pets = target.q('DROP TABLE "toys";'), target.q('DROP TABLE "pets";')
    assert result.stdout == f"-- Revert {toys}\n{drop_toys}\n\n-- Revert {pets}\n{drop_pets}\n\n"
    assert {"pets", "toys"} <= target.tables()
    assert len(target.versions()) == 3


def test_sql_prints_one_migration_for_any_dialect_without_a_database(project: Project) -> None:
    pets, _ = _two_more(project)
    unreachable = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nowhere"}
    forward = project.run("sql", "1", env=unreachable)
    assert forward.returncode == 0, forward.stderr
    assert forward.stdout == f"-- Migration {pets} (postgres)\n{PETS}\n"
    backward = project.run("sql", pets, "--backward", "--dialect", "mysql", env=unreachable)
    assert backward.stdout == f"-- Revert {pets} (mysql)\nDROP TABLE `pets`;\n"
    init = project.run("sql", "0", "--dialect", "sqlite")
    assert 'CREATE TABLE IF NOT EXISTS "users"' in init.stdout
    assert not project.sqlite_path.exists()


def test_history_lists_every_file_with_its_summary_and_state(project: Project, target: Target) -> None:
    pets, toys = _two_more(project)
    assert project.run("migrate", "--to", "1", env=target.env).returncode == 0
    data = json.loads(project.run("history", "--json", env=target.env).stdout)
    assert [(m["version"], m["applied"]) for m in data["migrations"]][1:] == [(pets, True), (toys, False)]
    assert data["migrations"][1]["summary"] == "Migration 1: pets (written by a test)."
    text = project.run("history", env=target.env).stdout.splitlines()
    assert text[2] == f"[ ] {toys}  Migration 2: toys (written by a test)."


def test_an_empty_data_migration_applies_reverts_and_keeps_check_in_sync(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    made = project.run("makemigrations", "--empty", "--name", "fill_cities")
    assert made.returncode == 0, made.stderr
    path = next((project.root / "migrations" / "models").glob("1_*_fill_cities.py"))
    source = path.read_text().replace(
        '    """Change the data here."""',
        '    """Change the data here."""\n'
        '    from toolkit.models import User\n'
        '    await User.create(email="a@example.com", username="a", first_name="A", last_name="B", using_db=db)',
    )
    path.write_text(source)
    assert project.run("migrate", env=target.env).returncode == 0
    assert target.query("SELECT count(*) FROM users") == [(1,)]
    check = project.run("check", env=target.env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert project.run("makemigrations").stdout.startswith("No changes")
    assert project.run("rollback", env=target.env).returncode == 0


def test_makemigrations_empty_needs_a_name(project: Project) -> None:
    result = project.run("makemigrations", "--empty")
    assert result.returncode == 2
    assert "--empty needs --name NAME" in result.stderr


def test_check_finds_a_column_dropped_by_hand(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    target.query('ALTER TABLE "users" DROP COLUMN "city"')
    result = project.run("check", env=target.env)
    assert result.returncode == 1
    assert '  column "users"."city" is missing' in result.stdout.splitlines()
    data = json.loads(project.run("check", "--json", env=target.env).stdout)
    assert data["drift"] == ['column "users"."city" is missing']


def test_check_finds_a_missing_unique_index_and_an_extra_not_null(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    db.query('ALTER TABLE "users" DROP CONSTRAINT "users_email_key"')
    db.query('ALTER TABLE "users" ALTER COLUMN "phone" SET NOT NULL')
    data = json.loads(project.run("check", "--json", env=db.env).stdout)
    assert data["drift"] == [
        'column "users"."phone" is NOT NULL, but the migrations allow NULL',
        'unique index on "users" (email) is missing',
    ]


def test_lint_flags_an_index_built_without_concurrently_and_accepts_a_marker(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    path = write_migration(project.root, 1, "city_index", 'CREATE INDEX "idx_city" ON "users" ("city");')
    result = project.run("lint")
    assert result.returncode == 1
    assert "index-not-concurrent [users]" in result.stdout
    data = json.loads(project.run("lint", "--json").stdout)
    assert [f["rule"] for f in data] == ["index-not-concurrent"]
    path.write_text("# toolkit-lint: accept index-not-concurrent\n" + path.read_text())
    assert project.run("lint").returncode == 0
