"""Bad input: one line naming the fix, exit 2 for usage and 1 for failures, nothing written."""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.conftest import Project, pg_url_for


def _one_line_error(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert "Traceback" not in output
    return lines[-1]


def _users(project: Project) -> int:
    db = sqlite3.connect(project.sqlite_path)
    try:
        return db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "0"], "--count must be a positive integer, got 0"),
        (["--count", "-5"], "--count must be a positive integer, got -5"),
        (["--count", "ten"], "'ten' is not a valid integer"),
        (["--count", "10", "--batch-size", "0"], "--batch-size must be a positive integer, got 0"),
        (["--count", "10", "--concurrency", "-1"], "--concurrency must be a positive integer, got -1"),
        (["--count", "10", "--shard", "0/3"], "K must be between 1 and N"),
        (["--count", "10", "--shard", "4/3"], "K must be between 1 and N"),
        (["--count", "10", "--shard", "a/b"], "is not K/N"),
        (["--count", "10", "--locale", "xx_YY"], "unknown --locale 'xx_YY'"),
    ],
)
def test_bad_seed_options_are_usage_errors_and_write_nothing(
    project: Project, args: list[str], message: str
) -> None:
    project.cli("migrate")
    result = project.cli("seed", *args)
    assert result.exit_code == 2, result.output
    assert message in _one_line_error(result.output)
    assert _users(project) == 0


def test_unknown_environment(project: Project) -> None:
    result = project.cli("--env", "prod", "--database-url", "sqlite://x.db", "migrate")
    assert result.exit_code == 2
    assert "unknown environment 'prod'" in _one_line_error(result.output)
    assert not (project.root / "x.db").exists()


def test_missing_variable_is_named(project: Project) -> None:
    result = project.cli("--env", "staging", "migrate")
    assert result.exit_code == 2
    assert "DATABASE_URL is not set" in _one_line_error(result.output)


def test_unknown_url_scheme(project: Project) -> None:
    result = project.cli("--database-url", "oracle://scott:tiger@db/orcl", "migrate")
    assert result.exit_code == 2
    line = _one_line_error(result.output)
    assert "unsupported database URL" in line and "tiger" not in line
    assert "postgres://" in line


def test_unreachable_server_fails_fast_naming_host_and_port(project: Project) -> None:
    started = time.monotonic()
    result = project.run("--database-url", "postgres://u:pw@127.0.0.1:1/db", "migrate")
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    line = _one_line_error(result.stderr)
    assert "127.0.0.1:1" in line and "pw" not in line


def test_database_that_does_not_exist(project: Project) -> None:
    url = pg_url_for("tk_no_such_database_here")
    result = project.cli("--database-url", url, "migrate")
    assert result.exit_code == 1
    line = _one_line_error(result.output)
    assert "'tk_no_such_database_here' does not exist" in line
    assert "createdb" in line


def test_missing_config(project: Project) -> None:
    result = project.cli("--config", "nowhere/toolkit.toml", "status")
    assert result.exit_code == 2
    assert "not found" in _one_line_error(result.output)


def test_missing_migrations_folder(project: Project) -> None:
    import shutil

    shutil.rmtree(project.root / "migrations")
    result = project.cli("migrate")
    assert result.exit_code == 1
    assert "migrations folder" in _one_line_error(result.output)
    assert not project.sqlite_path.exists()


def test_seed_before_migrate_on_sqlite(project: Project) -> None:
    result = project.cli("seed", "--count", "10")
    assert result.exit_code == 1
    assert "run `toolkit migrate` first" in _one_line_error(result.output)
    assert not project.sqlite_path.exists()


def test_seed_before_migrate_on_postgres(project: Project, pg_url: str) -> None:
    result = project.cli("seed", "--count", "10", env={"DATABASE_URL": pg_url})
    assert result.exit_code == 1
    assert "run `toolkit migrate` first" in _one_line_error(result.output)


def test_unknown_command_is_a_usage_error(project: Project) -> None:
    result = project.cli("migrat")
    assert result.exit_code == 2
    assert "No such command 'migrat'" in result.output


def test_unknown_model_lists_the_known_ones(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("seed", "--model", "Usr=5")
    assert result.exit_code == 2
    assert "unknown model 'Usr'; known models: User" in _one_line_error(result.output)


def test_status_with_a_missing_migrations_folder_fails_like_migrate(project: Project) -> None:
    import shutil

    shutil.rmtree(project.root / "migrations")
    result = project.cli("status")
    assert result.exit_code == 1
    assert "migrations folder" in _one_line_error(result.output)


def test_seed_with_pending_migrations_says_to_migrate(project: Project) -> None:
    import shutil

    project.cli("migrate")
    init = next((project.root / "migrations" / "models").glob("0_*.py"))
    shutil.copy(init, init.with_name("1_20300101000000_later.py"))
    result = project.cli("seed", "--count", "10")
    assert result.exit_code == 1
    assert "1 migration(s) pending" in _one_line_error(result.output)
    assert "run `toolkit migrate` first" in result.output


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("import nonexistent_lib_xyz\n", "imports 'nonexistent_lib_xyz', which is not installed; install it"),
        ('raise RuntimeError("boom")\n', "importing model module 'broken_models' failed: RuntimeError: boom"),
        ("def (\n", "has a syntax error at "),
    ],
)
def test_a_model_module_that_fails_to_import_says_why(project: Project, source: str, message: str) -> None:
    (project.root / "broken_models.py").write_text(source)
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('models = ["toolkit.models"]', 'models = ["broken_models"]'))
    result = project.run("makemigrations")
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["status"], ["migrate"], ["seed", "--count", "1"]])
def test_a_file_that_is_not_an_sqlite_database_is_named(project: Project, command: list[str]) -> None:
    garbage = project.root / "notes.sqlite3"
    garbage.write_text("not an SQLite file\n" * 200)
    result = project.run("--database-url", f"sqlite://{garbage}", *command)
    assert result.returncode == 1
    assert _one_line_error(result.stderr) == (
        f"Error: {garbage} is not an SQLite database (file is not a database); point the database "
        "URL at an SQLite file, or move that file away for toolkit to create one"
    )


def test_a_url_option_tortoise_cannot_pass_to_asyncpg_is_named(project: Project, pg_url: str) -> None:
    result = project.run("--database-url", f"{pg_url}?sslpassword=S3cr%23t", "migrate")
    assert result.returncode == 1
    error = _one_line_error(result.stderr)
    assert error.startswith(
        "Error: the database URL's option ?sslpassword= is not one Tortoise's asyncpg client takes; "
        "remove it from the URL"
    )
    assert "S3cr" not in result.stdout + result.stderr
