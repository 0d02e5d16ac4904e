"""Generated keys never collide: with rows the application wrote, with other runs (finished,
unfinished or concurrent), and --resume either finishes or says why it can't."""

from __future__ import annotations

import os
import subprocess

from tests.conftest import CLEAN_ENV, TOOLKIT, Project

APP_ROWS = 10


def _app_rows(target) -> None:  # type: ignore[no-untyped-def]
    """Rows the application inserted, with its own generated keys 1..APP_ROWS."""
    now = "'2024-01-01 00:00:00'"
    values = ", ".join(
        f"('app{i}@app.invalid', 'app_{i}', 'A', 'B', {'1' if target.dialect != 'postgres' else 'true'}, {now})"
        for i in range(APP_ROWS)
    )
    target.query(
        "INSERT INTO users (email, username, first_name, last_name, is_active, created_at) "
        f"VALUES {values}"
    )


def _users(target) -> int:  # type: ignore[no-untyped-def]
    return int(target.query("SELECT COUNT(*) FROM users")[0][0])


def test_a_new_run_never_takes_the_keys_of_an_unfinished_one(project: Project, target) -> None:
    # Run A: shard 1 of 2 loads its half (keys 11..4106), the other half stays unloaded.
    # Run B then starts, and A's second shard must still load its own keys.
    assert project.run("migrate", env=target.env).returncode == 0
    _app_rows(target)
    a = project.run("seed", "--count", "8192", "--seed", "5", "--shard", "1/2", env=target.env)
    assert a.returncode == 0, a.stderr
    b = project.run("seed", "--count", "100", env=target.env)
    assert b.returncode == 0, b.stderr
    resumed = project.run("seed", "--resume", "--shard", "2/2", env=target.env)
    assert resumed.returncode == 0, resumed.stderr
    assert _users(target) == APP_ROWS + 8192 + 100
    again = project.run("seed", "--resume", env=target.env)
    assert again.returncode == 0, again.stderr
    assert "Nothing to resume" in again.stdout


def test_concurrent_runs_past_application_rows_all_succeed(project: Project, target) -> None:
    assert project.run("migrate", env=target.env).returncode == 0
    _app_rows(target)
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV} | target.env
    procs = [
        subprocess.Popen(
            [TOOLKIT, "seed", "--count", "1000", "--batch-size", "200"], cwd=project.root,
            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.communicate()) for p in procs]
    assert [rc for rc, _ in results] == [0, 0, 0, 0], [err for _, (_, err) in results]
    assert _users(target) == APP_ROWS + 4 * 1000
    ids = target.query("SELECT COUNT(DISTINCT id), MIN(id) FROM users")[0]
    assert (int(ids[0]), int(ids[1])) == (APP_ROWS + 4 * 1000, 1)


def test_resume_of_a_run_whose_keys_were_taken_says_why_and_what_to_do(
    project: Project, target
) -> None:
    # A ledger written before keys were allocated past other runs: run A's unloaded keys
    # are already held by other rows.
    assert project.run("migrate", env=target.env).returncode == 0
    a = project.run("seed", "--count", "8192", "--seed", "5", "--shard", "1/2", env=target.env)
    assert a.returncode == 0, a.stderr
    target.query(
        "INSERT INTO users (id, email, username, first_name, last_name, is_active, created_at) "
        f"VALUES (5000, 'x@app.invalid', 'x', 'A', 'B', {'true' if target.dialect == 'postgres' else '1'}, "
        "'2024-01-01 00:00:00')"
    )
    resumed = project.run("seed", "--resume", "--shard", "2/2", env=target.env)
    assert resumed.returncode == 2, resumed.stderr
    err = resumed.stderr.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "can't be resumed: 1 rows it didn't write already hold keys" in err
    assert "--truncate" in err
