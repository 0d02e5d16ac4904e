"""`toolkit migrate / status / rollback / makemigrations` through the real command."""

from __future__ import annotations

import sqlite3
import textwrap
import time
from pathlib import Path

from tests.conftest import REPO, Project, query_db

INIT = "0_20261124011702_init"


def tables(path) -> set[str]:
    return {r[0] for r in query_db("SELECT name FROM sqlite_master WHERE type = 'table'", sqlite_path=path)}


def pg_tables(url: str) -> set[str]:
    return {r[0] for r in query_db("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", url=url)}


def test_migrate_builds_a_new_sqlite_database_from_nothing(project: Project) -> None:
    assert not project.sqlite_path.exists()
    result = project.cli("migrate")
    assert result.exit_code == 0, result.output
    assert f"Applied {INIT}.py" in result.output
    assert {"users", "aerich"} <= tables(project.sqlite_path)


def test_migrate_with_nothing_pending_says_so(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("migrate")
    assert result.exit_code == 0
    assert "Nothing to migrate" in result.output
    assert "up to date" in result.output


def test_migrate_on_postgres_from_database_url(project: Project, pg_url: str) -> None:
    result = project.cli("migrate", env={"DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert {"users", "aerich"} <= pg_tables(pg_url)


def test_status_lists_applied_and_pending_with_masked_url(project: Project, pg_url: str) -> None:
    url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:hunter2@")
    before = project.cli("--database-url", url, "status")
    assert before.exit_code == 0, before.output
    assert "hunter2" not in before.output
    assert "postgres:***@" in before.output
    assert f"[ ] {INIT}" in before.output
    project.cli("--database-url", url, "migrate")
    after = project.cli("--database-url", url, "status")
    assert f"[x] {INIT}" in after.output
    assert "Pending (0)" in after.output


def test_status_does_not_create_a_sqlite_file(project: Project) -> None:
    result = project.cli("status")
    assert result.exit_code == 0
    assert "Environment: dev" in result.output
    assert not project.sqlite_path.exists()


def test_rollback_then_migrate_again(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "10")
    result = project.cli("rollback")
    assert result.exit_code == 0, result.output
    assert f"Reverted {INIT}.py" in result.output
    assert "users" not in tables(project.sqlite_path)
    assert f"[ ] {INIT}" in project.cli("status").output
    again = project.cli("migrate")
    assert again.exit_code == 0
    assert "users" in tables(project.sqlite_path)


def test_rollback_on_postgres_and_to_zero(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    result = project.cli("rollback", "--to", "zero", env=env)
    assert result.exit_code == 0, result.output
    assert "users" not in pg_tables(pg_url)


def test_rollback_with_too_many_steps_is_a_usage_error(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("rollback", "--steps", "5")
    assert result.exit_code == 2
    assert "more than the 1 applied migration" in result.output
    assert "users" in tables(project.sqlite_path)


def test_rollback_to_an_unknown_version_lists_the_applied_ones(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("rollback", "--to", "7")
    assert result.exit_code == 2
    assert f"applied: {INIT}" in result.output


def test_makemigrations_says_no_changes_when_models_match(project: Project) -> None:
    result = project.cli("makemigrations")
    assert result.exit_code == 0, result.output
    assert "No changes" in result.output


BUNDLED_MODELS = (REPO / "toolkit" / "models.py").read_text()
CREATED_AT = "    created_at = fields.DatetimeField(auto_now_add=True)\n"


def _add_model_module(project: Project, module: str) -> None:
    """The bundled User model with one more field, as a project's own models module."""
    assert CREATED_AT in BUNDLED_MODELS
    (project.root / f"{module}.py").write_text(
        BUNDLED_MODELS.replace(
            CREATED_AT, CREATED_AT + "    nickname = fields.CharField(max_length=40, null=True)\n"
        )
    )
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('models = ["toolkit.models"]', f'models = ["{module}"]'))


def test_makemigrations_writes_a_portable_migration_that_runs_on_both_backends(
    project: Project, pg_url: str
) -> None:
    module = f"extended_models_{int(time.time() * 1000)}"
    _add_model_module(project, module)
    result = project.run("makemigrations", "--name", "add_nickname")
    assert result.returncode == 0, result.stderr
    written = sorted((project.root / "migrations" / "models").glob("1_*_add_nickname.py"))
    assert len(written) == 1
    text = written[0].read_text()
    assert '"postgres":' in text and '"sqlite":' in text and "MODELS_STATE" in text
    # The same file migrates SQLite and PostgreSQL.
    assert project.run("migrate").returncode == 0
    db = sqlite3.connect(project.sqlite_path)
    assert "nickname" in {r[1] for r in db.execute("PRAGMA table_info(users)")}
    pg = project.run("migrate", env={"DATABASE_URL": pg_url})
    assert pg.returncode == 0, pg.stderr
    again = project.run("makemigrations")
    assert "No changes" in again.stdout


def test_global_options_come_before_the_command(project: Project) -> None:
    result = project.cli("--env", "dev", "--config", "config/toolkit.toml", "status")
    assert result.exit_code == 0, result.output
    version = project.cli("--version")
    assert version.exit_code == 0
    assert version.output.startswith("toolkit ")


def test_python_dash_m_toolkit_runs_the_cli(project: Project) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.startswith("toolkit ")


def test_rollback_of_related_tables_drops_dependents_first(tmp_path, pg_url: str) -> None:
    """The downstream sample project has orders -> customers; its init must roll back on PostgreSQL."""
    import shutil

    root = tmp_path / "shop"
    shutil.copytree(REPO / "tests" / "downstream", root, ignore=shutil.ignore_patterns("__pycache__"))
    shop = Project(root)
    env = {"DATABASE_URL": pg_url}
    assert shop.run("migrate", env=env).returncode == 0
    assert {"customers", "orders"} <= pg_tables(pg_url)
    result = shop.run("rollback", env=env)
    assert result.returncode == 0, result.stderr
    assert not {"customers", "orders"} & pg_tables(pg_url)


def test_column_changes_and_a_new_foreign_key_migrate_both_backends(project: Project, pg_url: str) -> None:
    """Changes SQLite's ALTER TABLE can't make still give one file that runs everywhere."""
    module = f"changing_models_{int(time.time() * 1000)}"
    team = textwrap.dedent(
        """


        class Team(Model):
            id = fields.IntField(primary_key=True)
            name = fields.CharField(max_length=50)

            class Meta:
                table = "teams"
        """
    )
    source = BUNDLED_MODELS + team
    path = project.root / f"{module}.py"
    path.write_text(source)
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('models = ["toolkit.models"]', f'models = ["{module}"]'))
    assert project.run("makemigrations", "--name", "teams").returncode == 0
    path.write_text(
        source.replace("first_name = fields.CharField(max_length=64)", "first_name = fields.CharField(max_length=80)")
        .replace("city = fields.CharField(max_length=128, null=True)", 'city = fields.CharField(max_length=128, default="")')
        .replace(
            "is_active = fields.BooleanField(default=True)",
            'is_active = fields.BooleanField(default=False)\n    team = fields.ForeignKeyField("models.Team", null=True)',
        )
    )
    made = project.run("makemigrations", "--name", "changes")
    assert made.returncode == 0, made.stderr
    text = next((project.root / "migrations" / "models").glob("2_*_changes.py")).read_text()
    assert 'TYPE VARCHAR(80)' in text and "FOREIGN KEY" in text
    assert 'CREATE TABLE "new__users"' in text  # SQLite rebuilds the table for the type change
    for env in ({}, {"DATABASE_URL": pg_url}):
        for step in (("migrate",), ("seed", "--model", "User=30"), ("rollback",), ("migrate",)):
            result = project.run(*step, env=env)
            assert result.returncode == 0, (env, step, result.stderr)
    assert "In sync" in project.run("check").stdout


def test_two_migrations_with_one_number_are_refused(project: Project) -> None:
    import shutil

    init = next((project.root / "migrations" / "models").glob("0_*.py"))
    shutil.copy(init, init.with_name("0_20300101000000_other_branch.py"))
    result = project.cli("migrate")
    assert result.exit_code == 1
    assert "two migrations share the number 0" in result.output
    assert not project.sqlite_path.exists() or "users" not in tables(project.sqlite_path)


def test_a_pending_migration_older_than_an_applied_one_is_refused(project: Project) -> None:
    import shutil

    folder = project.root / "migrations" / "models"
    init = next(folder.glob("0_*.py"))
    project.cli("migrate")
    # Another branch's migration 2 was applied; ours is numbered 1 and arrives later.
    shutil.copy(init, folder / "2_20300101000000_theirs.py")
    (folder / "2_20300101000000_theirs.py").write_text(
        (folder / "2_20300101000000_theirs.py").read_text().replace('CREATE TABLE IF NOT EXISTS "users"', 'CREATE TABLE IF NOT EXISTS "theirs"')
    )
    assert project.cli("migrate").exit_code == 0
    shutil.copy(folder / "2_20300101000000_theirs.py", folder / "1_20300101000000_ours.py")
    result = project.cli("migrate")
    assert result.exit_code == 1
    assert "1_20300101000000_ours.py is pending but sorts before 2_20300101000000_theirs.py" in result.output


def test_global_options_also_work_after_the_command(project: Project, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    migrated = project.run("migrate", "--database-url", f"sqlite://{other}", "-q")
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stderr == ""  # quiet: no progress
    assert not project.sqlite_path.exists()  # the URL given after the command was used
    seeded = project.run("seed", "--count", "25", "--database-url", f"sqlite://{other}", "--quiet")
    assert seeded.returncode == 0, seeded.stderr
    assert query_db("SELECT count(*) FROM users", sqlite_path=other) == [(25,)]
    # Given twice, the one after the command wins.
    refused = project.run("--env", "dev", "status", "--env", "nowhere")
    assert refused.returncode == 2
    assert refused.stderr.startswith("Error: unknown environment 'nowhere' (from flag)")


def test_tortoise_url_options_work_and_schema_is_honoured(project: Project, pg_url: str) -> None:
    query_db("CREATE SCHEMA app", url=pg_url)
    url = f"{pg_url}?minsize=1&maxsize=5&schema=app"
    for args in (["migrate"], ["seed", "--count", "300"], ["status", "--exit-code"], ["check"]):
        result = project.run("--database-url", url, *args)
        assert result.returncode == 0, (args, result.stderr)
    tables = query_db("SELECT table_schema, count(*) FROM information_schema.tables "
                      "WHERE table_name = 'users' GROUP BY 1", url=pg_url)
    assert tables == [("app", 1)]
    assert query_db("SELECT count(*) FROM app.users", url=pg_url) == [(300,)]


def test_a_table_dropped_by_rollback_is_seeded_as_new_when_it_comes_back(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    assert project.run("migrate", env=env).returncode == 0
    assert project.run("seed", "--count", "500", "--seed", "4", env=env).returncode == 0
    first = query_db("SELECT id, email FROM users ORDER BY id", url=pg_url)
    assert project.run("rollback", "--to", "zero", env=env).returncode == 0
    assert project.run("migrate", env=env).returncode == 0
    assert project.run("seed", "--count", "500", "--seed", "4", env=env).returncode == 0
    # The same seed on the re-created table gives the rows of a new database again.
    assert query_db("SELECT id, email FROM users ORDER BY id", url=pg_url) == first


def test_rollback_on_a_missing_sqlite_file_creates_nothing(project: Project) -> None:
    result = project.run("rollback")
    assert result.returncode == 0
    assert "Nothing to roll back" in result.stdout
    assert not list(project.root.glob("dev.sqlite3*"))
