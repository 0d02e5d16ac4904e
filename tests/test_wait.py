"""Waiting for the database: global `--wait SECONDS` and `toolkit wait`."""

from __future__ import annotations

import pytest

from tests.conftest import Project
from tests.migration_helpers import Target

UNREACHABLE = {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/toolkit"}
GAVE_UP = "Error: gave up waiting for PostgreSQL at 127.0.0.1:1 after 0.3s ("


def test_wait_on_an_unreachable_server_fails_naming_host_and_port(project: Project) -> None:
    result = project.run("wait", "--timeout", "0.3", env=UNREACHABLE)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith(GAVE_UP)
    assert "; last error: cannot reach PostgreSQL at 127.0.0.1:1 (" in last
    assert last.endswith("is the server running? check the database URL or DATABASE_URL")


def test_wait_reports_progress_while_it_retries(project: Project) -> None:
    result = project.run("wait", "--timeout", "0.3", env=UNREACHABLE)
    assert result.stderr.splitlines()[0].startswith("waiting up to ")
    assert project.run("-q", "wait", "--timeout", "0.3", env=UNREACHABLE).stderr.startswith(GAVE_UP)


def test_wait_on_a_reachable_database_succeeds(project: Project, target: Target) -> None:
    result = project.run("wait", "--timeout", "10", env=target.env)
    assert result.returncode == 0, result.stderr
    label = {
        "postgres": "PostgreSQL at 127.0.0.1:5432",
        "mysql": "MySQL at 127.0.0.1:3306",
        "sqlite": f"SQLite at {target.sqlite_path}",
    }[target.dialect]
    assert result.stdout == f"{label} is reachable (after 1 attempt(s)).\n"
    assert target.tables() == set()
    if target.sqlite_path is not None:
        assert not target.sqlite_path.exists()  # waiting creates nothing


def test_wait_on_a_missing_postgres_database_fails_naming_it(project: Project, pg_url: str) -> None:
    missing = pg_url.rsplit("/", 1)[0] + "/tk_no_such_db"
    result = project.run("-q", "wait", "--timeout", "0.3", env={"DATABASE_URL": missing})
    assert result.returncode == 1
    assert result.stderr.startswith("Error: gave up waiting for PostgreSQL at 127.0.0.1:5432 after 0.3s (")
    assert "database 'tk_no_such_db' does not exist" in result.stderr


@pytest.mark.parametrize("command", [["status"], ["migrate"], ["seed", "--count", "10"], ["check"]])
def test_global_wait_applies_to_every_command(project: Project, command: list[str]) -> None:
    result = project.run("-q", "--wait", "0.3", *command, env=UNREACHABLE)
    assert result.returncode == 1
    assert result.stderr.startswith(GAVE_UP), result.stderr
    assert result.stderr.count("\n") == 1


def test_global_wait_goes_on_with_the_command_once_reachable(project: Project, target: Target) -> None:
    result = project.run("--wait", "10", "migrate", env=target.env)
    assert result.returncode == 0, result.stderr
    assert "users" in target.tables()


def test_wait_timeout_defaults_to_the_global_wait(project: Project) -> None:
    result = project.run("-q", "--wait", "0.3", "wait", env=UNREACHABLE)
    assert result.returncode == 1
    assert result.stderr.startswith(GAVE_UP)
