"""The pytest plugin, as a downstream project meets it: its own suite, run by pytest.

tests/downstream/ is a small shop project with its own config, models and committed
migrations. Each test copies it, runs its suite in a subprocess, then checks the outcome
and that the database the plugin made is gone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL, pg_database_exists

DOWNSTREAM = Path(__file__).resolve().parent / "downstream"


def run_downstream(
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> tuple[subprocess.CompletedProcess[str], tuple[str, str]]:
    """Run pytest in a copy of the downstream project (changed by `prepare` first, when
    given); return the run and (dialect, db name)."""
    root = tmp_path / "downstream"
    shutil.copytree(DOWNSTREAM, root, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3"))
    if prepare is not None:
        prepare(root)
    record = tmp_path / "database.txt"
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "TOOLKIT_ENV", "TOOLKIT_CONFIG", "TOOLKIT_TEST_DATABASE_URL")
        and not k.startswith("PYTEST_")
    }
    full_env["TOOLKIT_DOWNSTREAM_RECORD"] = str(record)
    full_env.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    dialect, _, name = record.read_text().strip().partition(" ") if record.exists() else ("", "", "")
    return result, (dialect, name)


def test_the_plugin_is_registered_through_the_pytest11_entry_point() -> None:
    plugins = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert plugins.get("toolkit") == "toolkit.pytest_plugin"


def test_downstream_suite_passes_on_a_temporary_sqlite_file(tmp_path: Path) -> None:
    result, (dialect, path) = run_downstream(tmp_path, "-o", "asyncio_mode=auto", "tests")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout
    assert dialect == "sqlite"
    assert not Path(path).exists()
    assert not (tmp_path / "downstream" / "shop.sqlite3").exists()  # not the dev database


def test_downstream_suite_passes_on_postgres_and_drops_its_database(tmp_path: Path) -> None:
    result, (dialect, name) = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "tests", env={"TOOLKIT_TEST_DATABASE_URL": PG_ADMIN_URL}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout
    assert dialect == "postgres"
    assert name.startswith("toolkit_test_")
    assert not pg_database_exists(name)


def test_strict_mode_and_anyio_tests_work_with_the_db_url_option(tmp_path: Path) -> None:
    result, (dialect, name) = run_downstream(
        tmp_path,
        "-o",
        "asyncio_mode=strict",
        "--toolkit-db-url",
        PG_ADMIN_URL,
        "tests/test_strict.py",
        "tests/test_anyio.py",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert dialect == "postgres"
    assert not pg_database_exists(name)


def test_anyio_tests_work_without_pytest_asyncio(tmp_path: Path) -> None:
    result, (dialect, _) = run_downstream(tmp_path, "-p", "no:asyncio", "tests/test_anyio.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert dialect == "sqlite"


def test_a_failing_downstream_test_still_drops_the_postgres_database(tmp_path: Path) -> None:
    result, (dialect, name) = run_downstream(
        tmp_path,
        "-o",
        "asyncio_mode=auto",
        "tests/failing_on_purpose.py",
        env={"TOOLKIT_TEST_DATABASE_URL": PG_ADMIN_URL},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "failing on purpose" in result.stdout
    assert dialect == "postgres"
    assert not pg_database_exists(name)


def test_a_missing_config_fails_the_session_with_a_one_line_reason(tmp_path: Path) -> None:
    result, _ = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "--toolkit-config", "nowhere/toolkit.toml", "tests"
    )
    assert result.returncode == 1
    assert "toolkit_db: config file" in result.stdout
    assert "nowhere/toolkit.toml not found" in result.stdout


def test_an_unreachable_server_names_host_and_port(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/postgres"
    result, _ = run_downstream(tmp_path, "-o", "asyncio_mode=auto", "--toolkit-db-url", url, "tests")
    assert result.returncode == 1
    assert "toolkit_db: cannot reach PostgreSQL at 127.0.0.1:1" in result.stdout


def test_downstream_suite_passes_on_mysql_and_drops_its_database(tmp_path: Path) -> None:
    from tests.conftest import MYSQL_ADMIN_URL
    from tests.migration_helpers import mysql_query

    server = MYSQL_ADMIN_URL.rsplit("/", 1)[0] + "/"
    result, (dialect, name) = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "tests", env={"TOOLKIT_TEST_DATABASE_URL": server}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "13 passed" in result.stdout
    assert dialect == "mysql"
    assert name.startswith("toolkit_test_")
    assert mysql_query(MYSQL_ADMIN_URL, f"SHOW DATABASES LIKE '{name}'") == []


@pytest.mark.parametrize("server", ["sqlite", "postgres", "mysql"])
def test_toolkit_seed_inside_the_suites_own_transaction_fixture(tmp_path: Path, server: str) -> None:
    """transaction_tests/: a hand-made `in_transaction()` fixture; toolkit_seed joins it and
    returns a SeedReport, as outside; the rows go with its rollback; later tests seed as usual."""
    from tests.conftest import MYSQL_ADMIN_URL

    url = {"postgres": PG_ADMIN_URL, "mysql": MYSQL_ADMIN_URL.rsplit("/", 1)[0] + "/"}.get(server)
    args = ["-o", "asyncio_mode=auto", "transaction_tests"]
    if url:  # that fixture in another loop leaks its server connection, whatever toolkit does
        args += ["-k", "not another_loop"]
    result, (dialect, _) = run_downstream(tmp_path, *args, env={"TOOLKIT_TEST_DATABASE_URL": url} if url else None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{4 if url else 5} passed" in result.stdout
    assert dialect == server


def test_toolkit_seed_inside_an_anyio_fixtures_transaction(tmp_path: Path) -> None:
    result, _ = run_downstream(tmp_path, "-p", "no:asyncio", "transaction_tests/anyio_own_transaction.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
