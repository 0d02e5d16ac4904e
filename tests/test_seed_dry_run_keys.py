"""`seed --dry-run` shows the keys the run will write: the ledger's next key (past every
run's, an unfinished one too), or the first key again with --truncate."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.test_seed_concurrency import _app_rows


def _dry_ids(project: Project, target, *args: str) -> list[int]:  # type: ignore[no-untyped-def]
    shown = project.run("seed", *args, "--dry-run", "--json", env=target.env)
    assert shown.returncode == 0, shown.stderr
    return [int(row["id"]) for row in json.loads(shown.stdout)["samples"]["User"]]


def test_dry_run_shows_the_keys_the_run_will_write_past_an_unfinished_run(project: Project, target) -> None:  # type: ignore[no-untyped-def]
    assert project.run("migrate", env=target.env).returncode == 0
    _app_rows(target)
    # Shard 1 of 2 loads half of run A: A's keys reach past the largest key in the table.
    a = project.run("seed", "--count", "8192", "--seed", "5", "--shard", "1/2", env=target.env)
    assert a.returncode == 0, a.stderr
    predicted = _dry_ids(project, target, "--count", "3", "--seed", "9")
    assert project.run("seed", "--count", "3", "--seed", "9", env=target.env).returncode == 0
    written = [int(r[0]) for r in target.query("SELECT id FROM users ORDER BY id DESC LIMIT 3")]
    assert predicted == sorted(written) == [10 + 8192 + i for i in (1, 2, 3)]
    # With --truncate the table starts again at the first key.
    predicted = _dry_ids(project, target, "--count", "3", "--seed", "9", "--truncate")
    assert project.run("seed", "--count", "3", "--seed", "9", "--truncate", "--force", env=target.env).returncode == 0
    assert predicted == sorted(int(r[0]) for r in target.query("SELECT id FROM users")) == [1, 2, 3]
