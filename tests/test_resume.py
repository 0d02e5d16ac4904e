"""Exactly-once, resumable seeding: kill -9, Ctrl-C and a dropped connection, then --resume."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import time

import asyncpg
import pytest

from tests.conftest import CLEAN_ENV, PG_ADMIN_URL, TOOLKIT, Project, make_project, query_db
from tests.test_cli_seed import pg_rows, sqlite_rows

COUNT = "120000"
# The batch path (indexes live), whose batches commit one by one: see test_seed_bulk.py for
# the bulk path.
ARGS = ["seed", "--count", COUNT, "--seed", "13", "--batch-size", "2000", "--concurrency", "2", "--indexes", "live"]


def _start(project: Project, env: dict[str, str], args: list[str] = ARGS) -> subprocess.Popen[str]:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full.update(env)
    return subprocess.Popen([TOOLKIT, *args], cwd=project.root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _committed(project: Project, url: str | None) -> int:
    if url is None:
        db = sqlite3.connect(project.sqlite_path, timeout=10)
        try:
            return db.execute("SELECT COALESCE(SUM(row_count), 0) FROM toolkit_seed_batches").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
        finally:
            db.close()

    async def go() -> int:
        conn = await asyncpg.connect(url)
        try:
            if not await conn.fetchval("SELECT to_regclass('toolkit_seed_batches') IS NOT NULL"):
                return 0
            return int(await conn.fetchval("SELECT COALESCE(SUM(row_count), 0) FROM toolkit_seed_batches"))
        finally:
            await conn.close()

    return asyncio.run(go())


def _wait_for_progress(project: Project, url: str | None, proc: subprocess.Popen[str], rows: int = 10000) -> None:
    deadline = time.monotonic() + 60
    while _committed(project, url) < rows:
        assert proc.poll() is None, f"seed finished before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request, project: Project) -> tuple[dict[str, str], str | None]:
    if request.param == "sqlite":
        return {}, None
    url = request.getfixturevalue("pg_url")
    return {"DATABASE_URL": url}, url


def _rows(project: Project, url: str | None) -> list[tuple]:
    return pg_rows(url) if url else sqlite_rows(project)


def _clean_run(project: Project, env: dict[str, str], url: str | None) -> list[tuple]:
    """The same seed, uninterrupted, on a fresh database."""
    if url:
        asyncio.run(_reset_pg(url))
        reference_project = project
    else:
        reference_project = make_project(project.root.parent / "reference")
    assert reference_project.run("migrate", env=env).returncode == 0
    done = reference_project.run(*ARGS, env=env)
    assert done.returncode == 0, done.stderr
    return _rows(reference_project, url)


async def _reset_pg(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def test_kill_9_then_resume_gives_the_rows_of_an_uninterrupted_run(project: Project, target) -> None:
    env, url = target
    assert project.run("migrate", env=env).returncode == 0
    proc = _start(project, env)
    _wait_for_progress(project, url, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = len(_rows(project, url))
    assert 0 < partial < int(COUNT)
    assert partial == _committed(project, url)  # every committed batch has its ledger entry

    resumed = project.run("seed", "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Seeded {int(COUNT) - partial} rows" in resumed.stdout
    assert "(seed 13)" in resumed.stdout
    after = _rows(project, url)
    assert len(after) == int(COUNT)
    assert after == _clean_run(project, env, url)


def test_ctrl_c_stops_cleanly_and_prints_the_resume_command(project: Project, target) -> None:
    env, url = target
    project.run("migrate", env=env)
    proc = _start(project, env)
    _wait_for_progress(project, url, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert "toolkit --env dev seed --resume" in err
    assert len(_rows(project, url)) == _committed(project, url) < int(COUNT)
    assert project.run("seed", "--resume", env=env).returncode == 0
    assert len(_rows(project, url)) == int(COUNT)


def test_resume_with_nothing_to_resume_says_so(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "100")
    result = project.cli("seed", "--resume")
    assert result.exit_code == 0
    assert "Nothing to resume" in result.output


def test_a_dropped_connection_fails_clearly_and_resume_completes(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.run("migrate", env=env)
    proc = _start(project, env)
    _wait_for_progress(project, pg_url, proc)

    async def drop_connections() -> None:
        # What the client sees when the server restarts: its sessions are terminated.
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await conn.close()

    asyncio.run(drop_connections())
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.fail("the seed finished before its connections were dropped")
    assert proc.returncode == 1
    assert "Traceback" not in err and "never retrieved" not in err
    assert "lost the connection to PostgreSQL at 127.0.0.1:5432" in err
    assert "--resume" in err
    resumed = project.run("seed", "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert len(pg_rows(pg_url)) == int(COUNT)


def _local_cluster() -> str | None:
    """The version of the PostgreSQL cluster this machine runs, if this test may restart it."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    local = PG_ADMIN_URL.split("@", 1)[-1].startswith(("127.0.0.1:5432/", "localhost:5432/"))
    if not versions or not local or os.geteuid() != 0 or shutil.which("pg_ctlcluster") is None:
        return None
    return versions[-1]


def _wait_until_postgres_answers(url: str, seconds: float = 60) -> None:
    async def ping() -> None:
        conn = await asyncpg.connect(url, timeout=2)
        await conn.close()

    deadline = time.monotonic() + seconds
    while True:
        try:
            asyncio.run(ping())
            return
        except (TimeoutError, OSError, asyncpg.PostgresError):
            assert time.monotonic() < deadline, "PostgreSQL did not come back after its restart"
            time.sleep(0.2)


@pytest.mark.serial  # restarts the server every other test uses
def test_a_postgres_restart_during_a_seed_fails_clearly_and_resume_completes(
    project: Project, pg_url: str
) -> None:
    version = _local_cluster()
    if version is None:
        pytest.skip("restarting PostgreSQL needs root, pg_ctlcluster and the local cluster")
    env = {"DATABASE_URL": pg_url}
    project.run("migrate", env=env)
    count = 600_000  # long enough to still be running once pg_ctlcluster gets going
    proc = _start(project, env, ["seed", "--count", str(count), "--seed", "13", "--batch-size", "2000", "--indexes", "live"])
    _wait_for_progress(project, pg_url, proc)
    try:
        restart = subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart", "-m", "fast"],
            capture_output=True, text=True, timeout=120,
        )
        assert restart.returncode == 0, restart.stderr
    finally:
        _wait_until_postgres_answers(pg_url)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:
        pytest.fail("the seed finished before PostgreSQL restarted")
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "never retrieved" not in err
    # The error is the last line (a progress line may say where the table stopped).
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: lost the connection to PostgreSQL at 127.0.0.1:5432 while seeding users"), err
    assert "toolkit --env dev seed --resume" in err
    partial = _count(pg_url)
    assert partial == _committed(project, pg_url) < count
    resumed = project.run("seed", "--resume", env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"Seeded {count - partial} rows" in resumed.stdout
    assert _count(pg_url) == count


def _count(url: str) -> int:
    return int(query_db("SELECT count(*) FROM users", url=url)[0][0])


def test_a_shard_started_again_after_a_crash_finishes_its_part(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.run("migrate", env=env)
    shard_args = ["seed", "--count", COUNT, "--seed", "13", "--batch-size", "2000", "--shard", "1/2"]
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full.update(env)
    proc = subprocess.Popen([TOOLKIT, *shard_args], cwd=project.root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_progress(project, pg_url, proc, rows=6000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # A job runner retries the same command: it finishes shard 1's part of the same run.
    again = project.run(*shard_args, env=env)
    assert again.returncode == 0, again.stderr
    assert project.run("seed", "--count", COUNT, "--seed", "13", "--shard", "2/2", env=env).returncode == 0
    rows = pg_rows(pg_url)
    assert len(rows) == int(COUNT)
    assert rows == _clean_run(project, {"DATABASE_URL": pg_url}, pg_url)


def test_the_resume_hint_repeats_the_options_that_chose_the_database(project: Project, pg_url: str, tmp_path) -> None:
    config = project.root / "config" / "toolkit.toml"
    url = pg_url.replace("postgres@", "postgres:sekrit@")
    project.run("--database-url", url, "migrate")
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.Popen(
        [TOOLKIT, "--config", str(config), "--database-url", url, *ARGS],
        cwd=tmp_path, env=full, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    _wait_for_progress(project, pg_url, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"toolkit --config {config} --env dev --database-url <the same URL> seed --resume" in err
    assert "sekrit" not in err


TREE = """
from tortoise import fields
from tortoise.models import Model


class Category(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=60)
    parent = fields.ForeignKeyField("models.Category", null=True, related_name="children")

    class Meta:
        table = "t_categories"


class Item(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=60)
    category = fields.ForeignKeyField("models.Category", related_name="items")

    class Meta:
        table = "t_items"
"""


def test_resume_also_fills_references_loaded_before_the_crash(tmp_path) -> None:
    from tests.conftest import model_project

    project = model_project(tmp_path / "tree", TREE)
    args = ["seed", "--model", "Category=1000", "--model", "Item=150000", "--seed", "5", "--batch-size", "2000"]
    assert project.run("migrate").returncode == 0
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    proc = subprocess.Popen([TOOLKIT, *args], cwd=project.root, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_progress(project, None, proc, rows=9000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = project.run("seed", "--resume")
    assert resumed.returncode == 0, resumed.stderr

    reference = model_project(tmp_path / "tree_ref", TREE)
    reference.run("migrate")
    assert reference.run(*args).returncode == 0

    def dump(p) -> list[tuple]:
        db = sqlite3.connect(p.sqlite_path)
        try:
            return db.execute("SELECT id, title, parent_id FROM t_categories ORDER BY id").fetchall() + \
                db.execute("SELECT id, title, category_id FROM t_items ORDER BY id").fetchall()
        finally:
            db.close()

    got = dump(project)
    assert sum(1 for r in got[:1000] if r[2] is not None) > 500
    assert got == dump(reference)


def test_shards_need_a_shared_seed(project: Project) -> None:
    project.cli("migrate")
    result = project.cli("seed", "--count", "100", "--shard", "1/2")
    assert result.exit_code == 2
    assert "--shard needs --seed S" in result.output


def test_truncate_never_empties_tables_that_were_not_asked_for(tmp_path, pg_url: str) -> None:
    from tests.conftest import model_project

    project = model_project(tmp_path / "tree_truncate", TREE)
    env = {"DATABASE_URL": pg_url}
    assert project.run("migrate", env=env).returncode == 0
    assert project.run("seed", "--model", "Category=50", "--model", "Item=200", env=env).returncode == 0
    refused = project.run("seed", "--model", "Category=10", "--truncate", env=env)
    assert refused.returncode == 2
    assert "--truncate would also empty t_items" in refused.stderr

    async def count() -> int:
        conn = await asyncpg.connect(pg_url)
        try:
            return int(await conn.fetchval("SELECT COUNT(*) FROM t_items"))
        finally:
            await conn.close()

    assert asyncio.run(count()) == 200
    both = project.run("seed", "--model", "Category=10", "--model", "Item=20", "--truncate", env=env)
    assert both.returncode == 0, both.stderr
    assert asyncio.run(count()) == 20


def _raised(exc: BaseException, during: BaseException) -> BaseException:
    """`exc` as Python leaves it when raised while `during` was being handled."""
    try:
        try:
            raise during
        except BaseException:
            raise exc  # noqa: B904 - the implicit context is the point
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        # The pool's reset of a cut connection surfaces alone, before the server's reason.
        (asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
         "(the connection was closed)"),
        (_raised(asyncpg.InterfaceError("cannot call Transaction.__aexit__(): the underlying connection is closed"),
                 asyncpg.AdminShutdownError("terminating connection due to administrator command")),
         "(terminating connection due to administrator command)"),
    ],
)
def test_a_cut_connection_is_reported_as_lost_whatever_surfaces_first(
    error: BaseException, expected: str
) -> None:
    from toolkit.backends.postgres import PostgresBackend
    from toolkit.seed.run import _explain_db_error

    message = str(_explain_db_error(error, PostgresBackend("postgresql://u:secret@db:5433/app"), "users"))
    assert message.startswith("lost the connection to PostgreSQL at db:5433 while seeding users")
    assert expected in message
    assert "secret" not in message and "--resume" in message


def test_a_server_error_that_is_not_a_lost_connection_is_not_called_one() -> None:
    from toolkit.backends.postgres import PostgresBackend
    from toolkit.seed.run import _explain_db_error

    error = asyncpg.UniqueViolationError('duplicate key value violates unique constraint "users_email_key"')
    message = str(_explain_db_error(error, PostgresBackend("postgresql://u@db/app"), "users"))
    assert message.startswith("seeding users failed: duplicate key value")
