"""A full disk during seed and migrate: the message says the disk is full, what was kept
and how to continue (never "fix the file"), for each server's own error.

The servers' errors are fed as the drivers raise them (asyncpg's DiskFullError, pymysql's
errors 1114/1021/28, SQLite's SQLITE_FULL), wrapped as Tortoise wraps them; PostgreSQL's is
also made for real, with a tablespace on a small tmpfs (needs root, as the test machine has).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pymysql
import pytest
from tortoise.exceptions import OperationalError

from tests.conftest import PG_ADMIN_URL, Project, pg_url_for, query_db
from tests.migration_helpers import write_migration
from toolkit.backends import backend_for
from toolkit.migrations.executor import failed
from toolkit.migrations.runner import StepFailed
from toolkit.seed.db_errors import explain_db_error
from toolkit.settings import resolve

ERRORS = {
    "postgresql://app:s3cret@db.example:5432/shop": asyncpg.exceptions.DiskFullError(
        'could not extend file "base/16384/16385": No space left on device'
    ),
    "mysql://app:s3cret@db.example:3306/shop": pymysql.err.OperationalError(1114, "The table 'users' is full"),
    "mysql://app:s3cret@db.example:3306/shop#1021": pymysql.err.OperationalError(
        1021, "Disk full (/tmp/#sql-temptable.MAI); waiting for someone to free some space..."
    ),
    "mysql://app:s3cret@db.example:3306/shop#28": pymysql.err.InternalError(
        3, "Error writing file '/tmp/MYfd=12' (Errcode: 28 \"No space left on device\")"
    ),
    "sqlite:///tmp/shop.sqlite3": sqlite3.OperationalError("database or disk is full"),
}


def _wrapped(exc: BaseException) -> BaseException:
    """As Tortoise raises it: its own OperationalError, from the driver's."""
    try:
        try:
            raise exc
        except Exception as driver:
            raise OperationalError(str(driver)) from driver
    except OperationalError as outer:
        return outer


@pytest.mark.parametrize("url", list(ERRORS))
def test_each_servers_disk_full_error_says_so_and_how_to_continue(url: str, project: Project) -> None:
    backend = backend_for(url.split("#")[0])
    exc = _wrapped(ERRORS[url])
    assert backend.is_disk_full(exc)
    seeding = str(explain_db_error(exc, backend, "users", "toolkit --env dev seed --resume"))
    assert f"the disk of {backend.label} at {backend.where} is full (" in seeding
    assert seeding.endswith(
        "while seeding users; the batch being written was rolled back, committed batches are "
        "kept: free some space, then run `toolkit --env dev seed --resume` to finish"
    )
    settings = resolve(config=project.root / "config" / "toolkit.toml", environ={}, cwd=project.root)
    migrating = str(failed(settings, backend, "1_x.py", StepFailed(exc, atomic=True), "upgrade", 2))
    assert "is full (" in migrating and "fix the file" not in migrating
    assert migrating.endswith(
        "its changes were rolled back and it is still pending; the 2 before it in this run stay "
        "applied; free some space, then run `toolkit migrate` again"
    )
    assert "s3cret" not in seeding + migrating
    assert "\n" not in seeding + migrating
    assert backend.explain(exc) is not None


@pytest.mark.parametrize("url", ["postgresql://h/db", "mysql://h:3306/db", "sqlite:///tmp/x.db"])
def test_other_errors_are_not_taken_for_a_full_disk(url: str) -> None:
    backend = backend_for(url)
    for exc in (
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        pymysql.err.OperationalError(1205, "Lock wait timeout exceeded; try restarting transaction"),
        pymysql.err.OperationalError(1062, "Duplicate entry '28' for key 'id'"),
        sqlite3.OperationalError("database is locked"),
    ):
        assert not backend.is_disk_full(_wrapped(exc))


@contextlib.contextmanager
def _small_tablespace(megabytes: int) -> Iterator[str]:
    """A PostgreSQL tablespace on a tmpfs of `megabytes`; its name."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    folder = Path(f"/tmp/tk_full_{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(folder)]).returncode:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    name = f"tk_full_{uuid.uuid4().hex[:8]}"
    try:
        shutil.chown(folder, "postgres", "postgres")
        query_db(f"CREATE TABLESPACE {name} LOCATION '{folder}'", url=PG_ADMIN_URL)
        try:
            yield name
        finally:
            query_db(f"DROP TABLESPACE IF EXISTS {name}", url=PG_ADMIN_URL)
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


def test_postgres_disk_full_for_real_during_migrate_and_seed(project: Project) -> None:
    database = f"tk_full_{uuid.uuid4().hex[:8]}"
    with _small_tablespace(16) as tablespace:
        query_db(f"CREATE DATABASE {database} TABLESPACE {tablespace}", url=PG_ADMIN_URL)
        try:
            env = {"DATABASE_URL": pg_url_for(database)}
            assert project.run("migrate", env=env).returncode == 0
            write_migration(
                project.root, 1, "filler",
                'CREATE TABLE "filler" AS SELECT repeat(md5(i::text), 40) AS t FROM generate_series(1, 200000) i;',
                'DROP TABLE "filler";',
            )
            migrate = project.run("migrate", env=env)
            assert migrate.returncode == 1
            assert migrate.stderr.splitlines()[-1].startswith("Error: the disk of PostgreSQL at 127.0.0.1:5432 is full (")
            assert migrate.stderr.endswith(
                "its changes were rolled back and it is still pending; free some space, then run "
                "`toolkit migrate` again\n"
            )
            (project.root / "migrations" / "models").joinpath(
                next(p.name for p in (project.root / "migrations" / "models").glob("1_*.py"))
            ).unlink()
            seed = project.run(
                "seed", "--count", "400000", "--indexes", "live", "--batch-size", "5000", "--concurrency", "1",
                env=env,
            )
            assert seed.returncode == 1
            error = seed.stderr.splitlines()[-1]  # after the progress line, where it stopped
            assert "Traceback" not in seed.stderr
            assert error.startswith("Error: the disk of PostgreSQL at 127.0.0.1:5432 is full (")
            assert (error + "\n").endswith(
                "committed batches are kept: free some space, then run `toolkit --env dev seed --resume` to finish\n"
            )
            kept = query_db("SELECT COUNT(*) FROM users", url=pg_url_for(database))[0][0]
            batches = query_db("SELECT COALESCE(SUM(row_count), 0) FROM toolkit_seed_batches", url=pg_url_for(database))
            assert kept == batches[0][0] > 0  # what the ledger says was kept is what is there
        finally:
            query_db(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", url=PG_ADMIN_URL)
