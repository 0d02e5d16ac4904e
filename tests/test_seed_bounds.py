"""Counts beyond what the columns hold are refused up front; nothing grows with --count."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import Project, model_project
from toolkit.seed.ledger import owned_ranges


def test_an_unsharded_run_owns_one_range_however_many_rows() -> None:
    assert list(owned_ranges(5, 10**12 + 5, 1, 1)) == [(5, 10**12 + 5)]
    assert list(owned_ranges(5, 5, 1, 1)) == []


def test_a_count_past_the_key_column_is_refused_in_one_line(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    for extra in ([], ["--dry-run"]):
        result = project.run("seed", "--count", str(10**19), *extra)
        assert result.returncode == 2, result.stderr
        err = result.stderr.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert "User.id is a bigint column: it holds values up to 9,223,372,036,854,775,807" in err
    # Nothing was written: the ledger holds no run.
    again = project.run("seed", "--resume")
    assert again.returncode == 0 and "Nothing to resume" in again.stdout


class _Deadlock(Exception):
    def __init__(self) -> None:
        super().__init__(1213, "Deadlock found when trying to get lock; try restarting transaction")


class _Serialization(Exception):
    sqlstate = "40001"


def test_a_batch_is_retried_after_a_deadlock_a_bounded_number_of_times() -> None:
    import asyncio
    import types

    import pytest

    from toolkit.seed import loader
    from toolkit.seed.ledger import Run

    class Conn:
        def __init__(self, failures: list[Exception]) -> None:
            self.failures, self.loads = failures, 0

        async def load(self, *args: object) -> None:
            self.loads += 1
            if self.failures:
                raise self.failures.pop(0)

    maker = types.SimpleNamespace(table=types.SimpleNamespace(name="users"), columns=["id"])
    run = Run("r", "users", 1, 0, 2, 1, 0, {})
    conn = Conn([_Deadlock(), _Serialization()])
    loads = loader._Loads(conn, maker, run, lambda _: None)  # type: ignore[arg-type]
    assert asyncio.run(loads._load([(1,), (2,)], [(0, 2)])) == 2
    assert conn.loads == 3
    forever = Conn([_Deadlock() for _ in range(loader.RETRIES + 1)])
    loads = loader._Loads(forever, maker, run, lambda _: None)  # type: ignore[arg-type]
    with pytest.raises(_Deadlock):
        asyncio.run(loads._load([(1,)], [(0, 1)]))
    assert forever.loads == loader.RETRIES + 1
    other = Conn([ValueError("no")])
    loads = loader._Loads(other, maker, run, lambda _: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asyncio.run(loads._load([(1,)], [(0, 1)]))
    assert other.loads == 1


def test_a_concurrency_past_the_servers_connections_is_refused(project: Project, target) -> None:  # type: ignore[no-untyped-def]
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("seed", "--count", "10", "--concurrency", "100000", env=target.env)
    if target.dialect == "sqlite":
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "max_connections" in err and "--concurrency" in err, err
    assert int(target.query("SELECT COUNT(*) FROM users")[0][0]) == 0


def test_a_resume_past_the_servers_connections_is_refused_too(project: Project, target) -> None:  # type: ignore[no-untyped-def]
    assert project.run("migrate", env=target.env).returncode == 0
    result = project.run("seed", "--resume", "--concurrency", "100000", env=target.env)
    if target.dialect == "sqlite":  # one file, no connection limit
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2, result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "max_connections" in err and "--concurrency" in err, err


BADGES = """
from tortoise import fields
from tortoise.models import Model
from tortoise.validators import MaxValueValidator, MinValueValidator


class Badge(Model):
    id = fields.IntField(primary_key=True)
    number = fields.IntField(unique=True, validators=[MinValueValidator(10), MaxValueValidator(109)])

    class Meta:
        table = "b_badges"
"""


def test_a_bounded_unique_integer_holds_its_range_and_more_is_refused_up_front(tmp_path: Path) -> None:
    project = model_project(tmp_path / "badges", BADGES)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--model", "Badge=60").returncode == 0
    numbers = sorted(r[0] for r in sqlite3.connect(project.sqlite_path).execute("SELECT number FROM b_badges"))
    assert numbers == list(range(10, 70))
    result = project.run("seed", "--model", "Badge=41")
    assert result.returncode == 2, result.stderr
    assert "Badge.number is unique and can hold 100 distinct generated values, but this run needs 101" in result.stderr
    assert sqlite3.connect(project.sqlite_path).execute("SELECT COUNT(*) FROM b_badges").fetchone()[0] == 60
    assert project.run("seed", "--model", "Badge=40").returncode == 0


def test_a_shard_of_a_huge_run_never_lists_its_ranges() -> None:
    from toolkit.seed.loader import Todo
    from toolkit.seed.relations import Ranker

    read = []

    def ranges():  # type: ignore[no-untyped-def]
        for r in owned_ranges(0, 10**12, 1, 2):
            read.append(r)
            yield r

    todo = Todo(ranges)
    Ranker(todo)  # made when a unique parent or a pair asks, which a sharded run never has
    assert read == []
    assert next(iter(todo)) == (0, 4096) and next(iter(todo)) == (0, 4096)
    assert len(read) == 2  # each reading starts again: nothing is kept
