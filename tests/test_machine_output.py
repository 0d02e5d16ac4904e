"""What CI scripts rely on: JSON on stdout with documented keys, exit codes, quiet runs.

Every command here runs as the installed `toolkit` executable, so stdout is exactly what a
script would capture, and stderr is not a terminal (as in CI).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess

from tests.conftest import TOOLKIT, Project

STATUS_KEYS = {"env", "database_url", "applied", "pending", "missing_files", "edited", "renamed", "up_to_date"}
SEED_KEYS = {
    "dry_run",
    "other_app_models",
    "plan",
    "env",
    "database_url",
    "seed",
    "locale",
    "shard",
    "rows",
    "seconds",
    "rows_per_second",
    "nothing_to_resume",
    "skipped",
    "tables",
}
SEED_TABLE_KEYS = {"model", "table", "rows", "run_id", "first_index", "resumed"}


def migration_names(project: Project) -> list[str]:
    folder = project.root / "migrations" / "models"
    return sorted(p.stem for p in folder.glob("[0-9]*_*.py"))


def test_status_json_on_a_new_database_lists_every_migration_as_pending(project: Project) -> None:
    result = project.run("status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == STATUS_KEYS
    assert report["env"] == "dev"
    assert report["database_url"].startswith("sqlite://")
    assert report["applied"] == []
    assert report["pending"] == migration_names(project)
    assert report["missing_files"] == []
    assert report["up_to_date"] is False


def test_status_json_after_migrate_lists_every_migration_as_applied(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    report = json.loads(project.run("status", "--json").stdout)
    assert report["applied"] == migration_names(project)
    assert report["pending"] == []
    assert report["up_to_date"] is True


def test_status_json_masks_the_password(project: Project, pg_url: str) -> None:
    # Trust auth on the test server accepts any password, so a real one can be shown here.
    url = pg_url.replace("postgres@", "postgres:s3cret@", 1)
    result = project.run("--database-url", url, "status", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database_url"] == url.replace("s3cret", "***")
    assert "s3cret" not in result.stdout + result.stderr


def test_status_exit_code_is_1_while_migrations_are_pending_and_0_after(project: Project) -> None:
    assert project.run("status", "--exit-code").returncode == 1
    assert project.run("migrate").returncode == 0
    assert project.run("status", "--exit-code").returncode == 0


def test_seed_json_reports_the_documented_keys(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--count", "300", "--seed", "5", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == SEED_KEYS
    assert (report["env"], report["seed"], report["rows"]) == ("dev", 5, 300)
    assert (report["locale"], report["shard"], report["nothing_to_resume"]) == ("en_US", "1/1", False)
    assert isinstance(report["seconds"], float) and isinstance(report["rows_per_second"], float)
    [table] = report["tables"]
    assert set(table) == SEED_TABLE_KEYS
    assert (table["model"], table["table"], table["rows"], table["resumed"]) == ("User", "users", 300, False)


def test_seed_json_on_postgres_masks_the_password(project: Project, pg_url: str) -> None:
    url = pg_url.replace("postgres@", "postgres:s3cret@", 1)
    env = {"DATABASE_URL": url}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--count", "200", "--json", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database_url"] == url.replace("s3cret", "***")
    assert report["rows"] == 200
    assert "s3cret" not in result.stdout + result.stderr


def test_usage_errors_exit_2_and_failures_exit_1(project: Project) -> None:
    assert project.run("seed", "--count", "0").returncode == 2
    assert project.run("no-such-command").returncode == 2
    assert project.run("seed", "--count", "10").returncode == 1  # not migrated yet


def test_quiet_silences_progress_messages(project: Project) -> None:
    result = project.run("--quiet", "migrate")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Applied" in result.stdout


def test_without_quiet_progress_goes_to_stderr(project: Project) -> None:
    result = project.run("migrate")
    assert result.returncode == 0, result.stderr
    assert "applying" in result.stderr
    assert "applying" not in result.stdout


def test_seed_off_a_terminal_prints_no_progress_bar(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--count", "3000", "--batch-size", "500")
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith("Seeded 3000 rows")


def seed_on_a_terminal(project: Project, *args: str) -> tuple[str, str]:
    """Run `toolkit seed` with stderr on a pseudo-terminal; return (stdout, terminal text)."""
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TOOLKIT_ENV", "TOOLKIT_CONFIG")}
    proc = subprocess.Popen(
        [TOOLKIT, *args, "seed", "--count", "3000", "--batch-size", "500"],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=terminal,
        text=True,
    )
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = proc.communicate(timeout=120)
    os.close(controller)
    assert proc.returncode == 0, seen
    return stdout, seen.decode()


def test_seed_on_a_terminal_shows_a_progress_bar(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    stdout, terminal = seed_on_a_terminal(project)
    assert "\r" in terminal
    assert "3,000/3,000 rows" in terminal
    assert "rows/s" in terminal and "ETA" in terminal
    assert "\r" not in stdout


def test_quiet_hides_the_progress_bar_even_on_a_terminal(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    stdout, terminal = seed_on_a_terminal(project, "--quiet")
    assert terminal == ""
    assert stdout.startswith("Seeded 3000 rows")


def test_json_output_is_the_only_thing_on_stdout(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    out = project.run("seed", "--count", "100", "--json").stdout
    assert out.lstrip().startswith("{") and out.rstrip().endswith("}")
    json.loads(out)


def test_with_json_an_error_is_a_json_object_on_stdout_with_its_exit_code(project: Project) -> None:
    result = project.run("status", "--json", env={"DATABASE_URL": "postgresql://u:s3cret@127.0.0.1:1/db"})
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["exit_code"] == 1
    assert data["error"].startswith("cannot reach PostgreSQL at 127.0.0.1:1 ")
    assert "s3cret" not in result.stdout + result.stderr
    usage = project.run("seed", "--json", "--count", "0")
    assert json.loads(usage.stdout) == {"error": "--count must be a positive integer, got 0", "exit_code": 2}
    assert usage.returncode == 2


def test_rollback_makemigrations_bootstrap_and_reset_speak_json_too(project: Project) -> None:
    boot = json.loads(project.run("bootstrap", "--json").stdout)
    assert boot["applied"] and boot["dropped"] == []
    assert boot["seeded"]["rows"] > 0 and boot["skipped"] is None
    made = json.loads(project.run("makemigrations", "--json").stdout)
    assert made == {"path": None, "dialects": ["mysql", "postgres", "sqlite"], "warnings": [], "lint": [], "operations": []}
    planned = json.loads(project.run("rollback", "--dry-run", "--json").stdout)
    assert [p["name"] for p in planned["planned"]] == boot["applied"]
    back = json.loads(project.run("rollback", "--json", "--force").stdout)
    assert back["reverted"] == boot["applied"]
    reset = json.loads(project.run("reset", "--force", "--json").stdout)
    assert "aerich" in reset["dropped"] and reset["applied"] == boot["applied"]
