"""Protected environments, the database's own environment, `bootstrap` and `reset`."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from tests.shop import TABLES, Db, make_shop


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    return make_shop(tmp_path / "shop")


def _users(project: Project, url: str | None = None) -> int:
    return Db(project, url).count("users")


# --- protection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "action"),
    [
        (["seed", "--model", "Tag=5"], "seed"),
        (["seed", "--model", "Tag=5", "--truncate"], "seed --truncate"),
        (["reset"], "reset"),
        (["rollback"], "rollback"),
    ],
)
def test_a_protected_environment_refuses_destructive_commands_without_force(
    shop: Project, pg_url: str, args: list[str], action: str
) -> None:
    env = {"DATABASE_URL": pg_url}
    assert shop.cli("--env", "staging", "migrate", env=env).exit_code == 0  # migrate still runs
    shop.cli("--env", "staging", "seed", "--model", "Tag=3", "--force", env=env)
    result = shop.cli("--env", "staging", *args, env=env)
    assert result.exit_code == 2, result.output
    assert (
        f"Error: refusing to run `toolkit {action}` on {pg_url}: environment 'staging' is "
        "protected; pass --force to run it anyway"
    ) in result.output
    assert "Traceback" not in result.output
    db = Db(shop, pg_url)
    assert db.count("shop_tags") == 3  # untouched
    assert db.count("aerich") == 1


def test_force_runs_a_destructive_command_on_a_protected_environment(shop: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    shop.cli("--env", "staging", "migrate", env=env)
    result = shop.cli("--env", "staging", "seed", "--model", "Tag=4", "--force", env=env)
    assert result.exit_code == 0, result.output
    result = shop.cli("--env", "staging", "reset", "--force", env=env)
    assert result.exit_code == 0, result.output
    assert Db(shop, pg_url).count("shop_tags") == 0


def test_rollback_with_force_on_a_protected_environment(project: Project, pg_url: str) -> None:
    (project.root / "config" / "toolkit.toml").write_text(
        (project.root / "config" / "toolkit.toml").read_text() + "protected = true\n"
    )  # the last table of the file is [env.staging]
    env = {"DATABASE_URL": pg_url}
    project.cli("--env", "staging", "migrate", env=env)
    assert project.cli("--env", "staging", "rollback", env=env).exit_code == 2
    result = project.cli("--env", "staging", "rollback", "--force", env=env)
    assert result.exit_code == 0, result.output
    assert not Db(project, pg_url).exists("users")


def test_a_dry_run_is_allowed_on_a_protected_environment(shop: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    shop.cli("--env", "staging", "migrate", env=env)
    result = shop.cli("--env", "staging", "seed", "--model", "Tag=4", "--dry-run", env=env)
    assert result.exit_code == 0, result.output


def test_the_database_remembers_the_environment_that_first_migrated_it(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    assert project.cli("--env", "staging", "migrate", env=env).exit_code == 0
    assert project.cli("--env", "test", "migrate", env=env).exit_code == 0  # not destructive
    assert Db(project, pg_url).rows("SELECT key, value FROM toolkit_metadata") == [("environment", "staging")]
    # A test config pointed at the staging database:
    result = project.cli("--env", "test", "seed", "--count", "10", env=env)
    assert result.exit_code == 2
    assert (
        "this database was first migrated by environment 'staging', not 'test'; "
        "pass --force to run it anyway"
    ) in result.output
    assert _users(project, pg_url) == 0
    result = project.cli("--env", "test", "seed", "--count", "10", "--force", env=env)
    assert result.exit_code == 0, result.output
    assert _users(project, pg_url) == 10


def _on_a_terminal(project: Project, args: list[str], answer: str) -> tuple[int, str]:
    """Run the real executable with stdin on a pseudo-terminal, answering its prompt."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.Popen(
        [TOOLKIT, *args], cwd=project.root, env=env, stdin=slave,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    os.close(slave)
    os.write(master, answer.encode() + b"\n")
    out, err = proc.communicate(timeout=60)
    os.close(master)
    return proc.returncode, out + err


def test_on_a_terminal_a_protected_environment_asks_instead(project: Project) -> None:
    (project.root / "config" / "toolkit.toml").write_text(
        (project.root / "config" / "toolkit.toml").read_text().replace(
            'database_url = "sqlite://dev.sqlite3"', 'database_url = "sqlite://dev.sqlite3"\nprotected = true'
        )
    )
    assert project.cli("migrate").exit_code == 0
    code, output = _on_a_terminal(project, ["seed", "--count", "5"], "n")
    assert code == 1
    assert "environment 'dev' is protected. Run it anyway? [y/N]" in output
    assert "cancelled; nothing was changed" in output
    assert _users(project) == 0
    code, output = _on_a_terminal(project, ["seed", "--count", "5"], "y")
    assert code == 0, output
    assert _users(project) == 5


# --- bootstrap and reset ------------------------------------------------------------


def test_bootstrap_migrates_and_seeds_the_profile_once(project: Project) -> None:
    result = project.cli("bootstrap", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Applied 0_" in result.output and "Seeded 1000 rows (1000 into users)" in result.output
    first = Db(project).rows("SELECT * FROM users ORDER BY id")
    result = project.cli("bootstrap", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "Nothing to migrate" in result.output
    assert "Not seeding: the database already holds data (users: 1000 rows); not seeding again." in result.output
    assert Db(project).rows("SELECT * FROM users ORDER BY id") == first


def test_bootstrap_uses_the_environment_profile_on_postgres(project: Project, pg_url: str) -> None:
    result = project.cli("--env", "test", "bootstrap", env={"DATABASE_URL": pg_url})
    assert result.exit_code == 0, result.output
    assert _users(project, pg_url) == 100


def test_bootstrap_without_a_profile_only_migrates(shop: Project) -> None:
    result = shop.cli("bootstrap")
    assert result.exit_code == 0, result.output
    assert "Not seeding: no [dev] profile in seeds/profiles.toml, nothing to seed." in result.output
    assert Db(shop).count("shop_customers") == 0


def test_bootstrap_of_a_many_model_profile(shop: Project, pg_url: str) -> None:
    (shop.root / "seeds").mkdir()
    (shop.root / "seeds" / "profiles.toml").write_text("[dev]\nReview = 50\nProfile = 10\n")
    env = {"DATABASE_URL": pg_url}
    result = shop.cli("bootstrap", env=env)
    assert result.exit_code == 0, result.output
    db = Db(shop, pg_url)
    assert db.count("shop_reviews") == 50 and db.count("shop_profiles") == 10
    again = shop.cli("bootstrap", env=env)
    assert "not seeding again" in again.output
    assert db.count("shop_reviews") == 50


def test_reset_drops_everything_then_migrates_and_seeds_the_profile(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "1234")
    result = project.cli("reset", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert "Dropped 8 table(s): users, aerich, toolkit_migration_checksums, toolkit_seed_fills, toolkit_seed_batches" in result.output
    assert "Seeded 1000 rows" in result.output
    db = Db(project)
    assert db.count("users") == 1000
    assert db.value("SELECT MIN(id) FROM users") == 1  # keys start over
    assert db.count("aerich") == 1
    assert db.value("SELECT COUNT(*) FROM toolkit_seed_runs") == 1


def test_reset_on_postgres_with_the_shop(shop: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    shop.cli("migrate", env=env)
    shop.cli("seed", "--all", "--count", "20", env=env)
    result = shop.cli("reset", env=env)
    assert result.exit_code == 0, result.output
    db = Db(shop, pg_url)
    assert all(db.count(t) == 0 for t in TABLES.values())
    assert db.count("aerich") == 1
    assert db.rows("SELECT value FROM toolkit_metadata") == [("unknown",)]  # migrated without --env
