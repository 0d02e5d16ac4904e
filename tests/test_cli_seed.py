"""`toolkit seed` through the real command: counts, append, truncate, determinism, summary."""

from __future__ import annotations

import asyncio
import re

import asyncpg

from tests.conftest import Project, query_db

COLUMNS = "email, username, first_name, last_name, phone, birth_date, city, country_code, is_active, created_at"


def sqlite_rows(project: Project, order: str = "id") -> list[tuple]:
    return query_db(f"SELECT id, {COLUMNS} FROM users ORDER BY {order}", sqlite_path=project.sqlite_path)


def pg_rows(url: str) -> list[tuple]:
    return query_db(f"SELECT id, {COLUMNS} FROM users ORDER BY id", url=url)


def test_seed_inserts_count_users_and_prints_a_summary(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("seed", "--count", "1234")
    assert result.exit_code == 0, result.output
    assert re.search(r"Seeded 1234 rows .* in \d+\.\d\ds, [\d,]+ rows/s \(seed \d+\)", result.output)
    rows = sqlite_rows(project)
    assert len(rows) == 1234
    assert all("@" in r[1] and "." in r[1].split("@")[1] for r in rows)


def test_seed_appends_by_default_and_truncate_empties_first(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "300")
    project.cli("seed", "--count", "200")
    assert len(sqlite_rows(project)) == 500
    result = project.cli("seed", "--count", "100", "--truncate")
    assert result.exit_code == 0
    assert len(sqlite_rows(project)) == 100


def test_same_seed_gives_identical_rows_on_fresh_databases(project: Project, tmp_path) -> None:
    from tests.conftest import make_project

    other = make_project(tmp_path / "other")
    for p in (project, other):
        p.cli("migrate")
        assert p.cli("seed", "--count", "5000", "--seed", "42").exit_code == 0
    assert sqlite_rows(project) == sqlite_rows(other)


def test_truncate_restarts_the_sequence_so_a_seed_repeats_exactly(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "800", "--seed", "7")
    first = sqlite_rows(project)
    project.cli("seed", "--count", "800", "--seed", "7", "--truncate")
    assert sqlite_rows(project) == first


def test_a_second_run_with_the_same_seed_continues_instead_of_repeating(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "1000", "--seed", "9")
    result = project.cli("seed", "--count", "1000", "--seed", "9")
    assert result.exit_code == 0, result.output
    rows = sqlite_rows(project)
    assert len(rows) == 2000
    assert len({r[1] for r in rows}) == 2000  # emails
    assert len({r[2] for r in rows}) == 2000  # usernames
    assert rows[:1000] != rows[1000:]


def test_different_seeds_never_collide_on_unique_columns(project: Project) -> None:
    project.cli("migrate")
    for s in ("1", "2", "3"):
        assert project.cli("seed", "--count", "3000", "--seed", s).exit_code == 0
    rows = sqlite_rows(project)
    assert len({r[1] for r in rows}) == len({r[2] for r in rows}) == 9000


def test_seed_on_postgres_with_database_url(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    result = project.run("seed", "--count", "10000", "--seed", "5", env=env)
    assert result.returncode == 0, result.stderr
    assert "Seeded 10000 rows" in result.stdout
    rows = pg_rows(pg_url)
    assert len(rows) == 10000
    assert [r[0] for r in rows] == list(range(1, 10001))
    assert all(r[10].tzinfo is not None for r in rows[:10])


def test_app_inserts_after_a_postgres_seed_get_fresh_ids(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    project.cli("seed", "--count", "50", env=env)

    async def insert() -> int:
        conn = await asyncpg.connect(pg_url)
        try:
            return await conn.fetchval(
                "INSERT INTO users (email, username, first_name, last_name, is_active, created_at) "
                "VALUES ('a@b.c', 'app_user', 'A', 'B', true, now()) RETURNING id"
            )
        finally:
            await conn.close()

    assert asyncio.run(insert()) == 51
    # ...and a later seed goes past the application's row.
    assert project.cli("seed", "--count", "50", env=env).exit_code == 0
    assert len(pg_rows(pg_url)) == 101


def test_progress_bar_stays_out_of_logs(project: Project) -> None:
    project.run("migrate")
    result = project.run("seed", "--count", "20000")
    assert result.returncode == 0
    assert "\r" not in result.stderr and "ETA" not in result.stderr
    assert result.stdout.count("\n") == 1  # only the summary line


def test_progress_bar_on_a_terminal_shows_rows_rate_and_eta(project: Project) -> None:
    import os
    import pty
    import subprocess

    from tests.conftest import CLEAN_ENV, TOOLKIT

    project.run("migrate")
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.Popen(
        [TOOLKIT, "seed", "--count", "120000", "--batch-size", "5000"],
        cwd=project.root, env=env, stdin=follower, stdout=follower, stderr=follower,
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    assert "\r" in text
    assert "rows/s" in text and "ETA" in text
    assert "120,000/120,000 rows" in text
    assert "Seeded 120000 rows" in text
