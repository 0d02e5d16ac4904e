"""A row depends only on (seed, row index): not on batch size, concurrency or shards."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.conftest import Project, make_project
from tests.test_cli_seed import pg_rows, sqlite_rows
from toolkit.seed.run import batches, owned_ranges, subtract


def test_postgres_rows_are_identical_across_batch_sizes_and_concurrency(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    results = []
    for batch, conc in (("10000", "1"), ("777", "4"), ("4096", "8")):
        r = project.cli("seed", "--count", "12000", "--seed", "11", "--batch-size", batch,
                        "--concurrency", conc, "--truncate", env=env)
        assert r.exit_code == 0, r.output
        results.append(pg_rows(pg_url))
    assert results[0] == results[1] == results[2]
    assert len(results[0]) == 12000


def test_sqlite_rows_are_identical_across_batch_sizes(project: Project) -> None:
    project.cli("migrate")
    results = []
    for batch in ("50000", "333", "4096"):
        assert project.cli("seed", "--count", "9000", "--seed", "3", "--batch-size", batch, "--truncate").exit_code == 0
        results.append(sqlite_rows(project))
    assert results[0] == results[1] == results[2]


def test_shards_together_load_exactly_the_unsharded_run(project: Project, tmp_path, pg_url: str) -> None:
    # Unsharded reference on SQLite; shards, in a scrambled order, on PostgreSQL.
    project.cli("migrate")
    project.cli("seed", "--count", "20000", "--seed", "21")
    reference = sqlite_rows(project)

    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    for k in (3, 1, 2):
        r = project.run("seed", "--count", "20000", "--seed", "21", "--shard", f"{k}/3", env=env)
        assert r.returncode == 0, r.stderr
    sharded = pg_rows(pg_url)
    # SQLite stores dates as text; compare on PostgreSQL's values turned to the same text.
    as_text = [
        (r[0], *r[1:6], r[6].isoformat() if r[6] else None, r[7], r[8], int(r[9]), r[10].isoformat(" "))
        for r in sharded
    ]
    assert sorted(as_text) == sorted(reference)


def test_a_second_set_of_shards_appends_a_second_run(project: Project) -> None:
    project.cli("migrate")
    for _ in range(2):
        for k in (1, 2):
            assert project.cli("seed", "--count", "5000", "--seed", "4", "--shard", f"{k}/2").exit_code == 0
    rows = sqlite_rows(project)
    assert len(rows) == 10000
    assert len({r[1] for r in rows}) == 10000

    other = make_project(project.root.parent / "clean")
    other.cli("migrate")
    other.cli("seed", "--count", "5000", "--seed", "4")
    other.cli("seed", "--count", "5000", "--seed", "4")
    assert sorted(sqlite_rows(other)) == sorted(rows)


def test_uniqueness_holds_at_scale_when_appending(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    for seed in ("1", "1"):
        r = project.run("seed", "--count", "200000", "--seed", seed, env=env)
        assert r.returncode == 0, r.stderr

    async def counts() -> tuple:
        conn = await asyncpg.connect(pg_url)
        try:
            return tuple(await conn.fetchrow(
                "SELECT COUNT(*), COUNT(DISTINCT email), COUNT(DISTINCT username), "
                "MAX(length(username)), MAX(length(email)) FROM users"
            ))
        finally:
            await conn.close()

    total, emails, usernames, longest_username, longest_email = asyncio.run(counts())
    assert total == emails == usernames == 400000
    assert longest_username <= 64 and longest_email <= 255


def test_shard_ranges_partition_the_run() -> None:
    start, stop = 1234, 1234 + 50000
    owned = [list(owned_ranges(start, stop, k, 4)) for k in range(1, 5)]
    covered = sorted(i for ranges in owned for lo, hi in ranges for i in range(lo, hi))
    assert covered == list(range(start, stop))


def test_subtracting_committed_batches_leaves_the_rest() -> None:
    remaining = list(subtract(iter([(0, 100), (200, 300)]), [(0, 10), (50, 10), (200, 100)]))
    assert remaining == [(10, 50), (60, 100)]


def test_batches_are_streamed_lazily() -> None:
    # A run of a billion rows: only the first batch is ever built here.
    it = batches(owned_ranges(0, 10**9, 1, 1), 1000)
    first = next(it)
    assert sum(c for _, c in first) == 1000


@pytest.mark.parametrize(("locale", "script"), [("ko_KR", "\uac00"), ("de_DE", "a"), ("en_US", "a")])
def test_locales_give_local_data(project: Project, locale: str, script: str) -> None:
    project.cli("migrate")
    assert project.cli("seed", "--count", "500", "--locale", locale, "--seed", "1").exit_code == 0
    rows = sqlite_rows(project)
    countries = [r[8] for r in rows if r[8]]
    expected = locale.split("_")[1]
    assert countries.count(expected) > len(countries) * 0.6
    assert all(r[1].isascii() and "@" in r[1] for r in rows)
    if locale == "ko_KR":
        assert sum(1 for r in rows if any("\uac00" <= ch <= "\ud7a3" for ch in r[3])) > 450
