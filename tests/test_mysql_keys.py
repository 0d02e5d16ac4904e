"""MySQL/MariaDB: a seed's explicit keys are reserved before it loads, so the application's
own inserts during the seed get keys past them instead of taking one the seed will write."""

from __future__ import annotations

import os
import subprocess
import time

from tests.conftest import CLEAN_ENV, TOOLKIT, Project
from tests.migration_helpers import mysql_query

COUNT = 60_000


def test_an_application_insert_during_a_seed_gets_a_key_past_the_seeds(project: Project, mysql_url: str) -> None:
    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV} | env
    proc = subprocess.Popen(
        [TOOLKIT, "seed", "--count", str(COUNT), "--seed", "2", "--batch-size", "1000", "--concurrency", "1"],
        cwd=project.root, env=full, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while mysql_query(mysql_url, "SELECT COUNT(*) FROM users")[0][0] == 0:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert proc.poll() is None, "the seed finished before the application could insert"
    mysql_query(mysql_url, "INSERT INTO users (email, username, first_name, last_name, is_active, created_at) "
                           "VALUES ('app@example.com', 'app', 'A', 'P', 1, NOW())")
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # no seeded key was taken by the application's row
    (app_id,) = mysql_query(mysql_url, "SELECT id FROM users WHERE username = 'app'")[0]
    (seeded_max,) = mysql_query(mysql_url, "SELECT MAX(id) FROM users WHERE username <> 'app'")[0]
    assert app_id > seeded_max == COUNT
    assert mysql_query(mysql_url, "SELECT COUNT(*) FROM users")[0][0] == COUNT + 1


def test_a_long_transaction_on_the_table_does_not_hold_the_seed_up(project: Project, mysql_url: str) -> None:
    """The reservation waits 1 s for the table's metadata lock, then goes without it."""
    from urllib.parse import urlsplit

    from tests.conftest import mysql_connect

    env = {"DATABASE_URL": mysql_url}
    assert project.run("migrate", env=env).returncode == 0
    holder = mysql_connect(urlsplit(mysql_url).path.lstrip("/"))
    try:
        with holder.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("SELECT COUNT(*) FROM users")  # holds the table's metadata lock
            # Waiting for the lock without a bound would outlast the run's timeout.
            done = project.run("seed", "--count", "100", env=env, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        holder.rollback()
        holder.close()
    assert mysql_query(mysql_url, "SELECT COUNT(*) FROM users")[0][0] == 100
