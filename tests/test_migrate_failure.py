"""A failing migration stops the run, names the file and the database's error, and is rolled back."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration

BROKEN_SQL = 'CREATE TABLE "toys" ("id" INTEGER PRIMARY KEY);\nINSERT INTO "nowhere" VALUES (1);'
FIXED_SQL = 'CREATE TABLE "toys" ("id" INTEGER PRIMARY KEY);'
DB_ERROR = {"postgres": 'relation "nowhere" does not exist', "sqlite": "no such table: nowhere"}
LABEL = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


def _with_broken_third(project: Project) -> str:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);', 'DROP TABLE "pets";')
    path = write_migration(project.root, 2, "toys", BROKEN_SQL, 'DROP TABLE "toys";')
    return path.name


def test_failing_migration_names_file_and_error_and_exits_1(project: Project, atomic_target: Target) -> None:
    broken = _with_broken_third(project)
    result = project.run("migrate", env=atomic_target.env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: migration migrations/models/{broken} failed on {LABEL[atomic_target.dialect]}: "
        f"{DB_ERROR[atomic_target.dialect]} (its changes were rolled back and it is still pending; "
        "the 2 before it in this run stay applied); fix the file and run `toolkit migrate` again"
    )


def test_failed_migration_is_rolled_back_and_earlier_ones_stay(project: Project, atomic_target: Target) -> None:
    broken = _with_broken_third(project)
    project.run("migrate", env=atomic_target.env)
    # The failed file's first statement succeeded, then was rolled back with the rest.
    assert "toys" not in atomic_target.tables()
    assert {"users", "pets"} <= atomic_target.tables()
    assert [v.split("_", 1)[0] for v in atomic_target.versions()] == ["0", "1"]
    status = project.run("status", "--json", env=atomic_target.env)
    assert json.loads(status.stdout)["pending"] == [broken.removesuffix(".py")]


def test_fixed_migration_applies_on_the_next_run(project: Project, atomic_target: Target) -> None:
    broken = _with_broken_third(project)
    project.run("migrate", env=atomic_target.env)
    write_migration(project.root, 2, "toys", FIXED_SQL, 'DROP TABLE "toys";')
    result = project.run("migrate", env=atomic_target.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"Applied {broken}"
    assert "toys" in atomic_target.tables()
    assert len(atomic_target.versions()) == 3


def test_progress_names_each_migration_as_it_is_applied(project: Project, target: Target) -> None:
    broken = _with_broken_third(project)
    result = project.run("migrate", env=target.env)
    applying = [line for line in result.stderr.splitlines() if line.startswith("applying ")]
    assert applying[1:] == [f"applying {p}" for p in sorted(
        p.name for p in (project.root / "migrations" / "models").glob("*.py")
    )]
    assert applying[-1] == f"applying {broken}"


def test_failing_rollback_keeps_the_migration_applied(project: Project, atomic_target: Target) -> None:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);',
                    'DROP TABLE "pets";\nDROP TABLE "nowhere";')
    assert project.run("migrate", env=atomic_target.env).returncode == 0
    result = project.run("rollback", env=atomic_target.env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: rolling back migrations/models/1_")
    assert "pets" in atomic_target.tables()
    assert len(atomic_target.versions()) == 2


def test_rollback_then_migrate_again(project: Project, target: Target) -> None:
    write_migration(project.root, 1, "pets", 'CREATE TABLE "pets" ("id" INTEGER PRIMARY KEY);', 'DROP TABLE "pets";')
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("rollback", env=target.env)
    assert result.returncode == 0, result.stderr
    assert "pets" not in target.tables()
    assert len(target.versions()) == 1
    assert project.run("migrate", env=target.env).returncode == 0
    assert "pets" in target.tables()


def test_failing_sqlite_migration_outside_a_transaction_says_its_earlier_statements_stay(
    project: Project,
) -> None:
    broken = write_migration(project.root, 1, "toys", BROKEN_SQL, in_transaction=False).name
    result = project.run("migrate")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: migration migrations/models/{broken} failed on SQLite: no such table: nowhere "
        "(it ran outside a transaction, so its statements before the error stay and it is "
        "still pending; the 1 before it in this run stay applied); "
        "fix the file and run `toolkit migrate` again"
    )
    db = Target("sqlite", {}, "", project.sqlite_path)
    assert "toys" in db.tables()  # what RUN_IN_TRANSACTION = False means on SQLite
    assert len(db.versions()) == 1


def test_failing_postgres_script_outside_a_transaction_is_still_rolled_back(
    project: Project, pg_url: str
) -> None:
    broken = write_migration(project.root, 1, "toys", BROKEN_SQL, in_transaction=False).name
    result = project.run("migrate", env={"DATABASE_URL": pg_url})
    assert result.returncode == 1
    assert f"{broken} failed on PostgreSQL: " in result.stderr
    assert "(its changes were rolled back and it is still pending;" in result.stderr
    db = Target("postgres", {}, pg_url)
    assert "toys" not in db.tables()  # one simple query is one implicit transaction
    assert len(db.versions()) == 1


def test_a_migration_of_only_comments_applies_and_reverts(project: Project, target: Target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    write_migration(project.root, 1, "noop", "-- SQLite: type change of \"users\".\"city\" left as it was",
                    "-- nothing to undo")
    applied = project.run("migrate", env=target.env)
    assert applied.returncode == 0, applied.stderr
    assert len(target.versions()) == 2
    reverted = project.run("rollback", env=target.env)
    assert reverted.returncode == 0, reverted.stderr
    assert len(target.versions()) == 1
