"""Reference data from seeds/fixtures/ is loaded by `seed`, `bootstrap` and `reset` before
the fake rows, once however often they run."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import Target

ADMIN = """model = "User"
key = ["email"]

[[rows]]
email = "admin@example.com"
username = "admin"
first_name = "Ada"
last_name = "Admin"
is_active = true
created_at = 2026-01-01T00:00:00Z
"""


def _with_admin(project: Project) -> None:
    (project.root / "seeds" / "fixtures").mkdir(exist_ok=True)
    (project.root / "seeds" / "fixtures" / "admin.toml").write_text(ADMIN)


def _admins(target: Target) -> int:
    return int(target.query("SELECT count(*) FROM users WHERE email = 'admin@example.com'")[0][0])


def test_seed_loads_fixtures_first_and_only_once(project: Project, target: Target) -> None:
    _with_admin(project)
    assert project.run("migrate", env=target.env).returncode == 0
    first = project.run("seed", "--count", "5", env=target.env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[0] == "Loaded fixtures from 1 file(s): User: 1 inserted, 0 updated, 0 unchanged"
    second = project.run("seed", "--count", "5", "--json", env=target.env)
    assert json.loads(second.stdout)["fixtures"]["models"] == [
        {"model": "User", "inserted": 0, "updated": 0, "unchanged": 1}
    ]
    assert _admins(target) == 1
    assert target.query("SELECT count(*) FROM users") == [(11,)]


def test_seed_dry_run_lists_the_fixture_files_and_writes_nothing(project: Project) -> None:
    _with_admin(project)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--count", "3", "--dry-run")
    assert result.stdout.splitlines()[0] == "Fixtures, loaded first by a real run: seeds/fixtures/admin.toml"
    assert _admins(Target("sqlite", {}, "", project.sqlite_path)) == 0


def test_bootstrap_keeps_reference_data_current_even_when_it_does_not_seed_again(project: Project) -> None:
    assert project.run("bootstrap").returncode == 0
    _with_admin(project)
    again = project.run("bootstrap")
    assert again.returncode == 0, again.stderr
    assert "not seeding again" in again.stdout
    assert _admins(Target("sqlite", {}, "", project.sqlite_path)) == 1
